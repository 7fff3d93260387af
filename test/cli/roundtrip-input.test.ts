import net from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// roundtrip's bad input: exit 2, one line, and nothing sent — not even a connection, to the submission server or the
// mailbox server (both are listeners here that count what reaches them).
let connections = 0
const servers: net.Server[] = []
const ports: number[] = []

beforeAll(async () => {
  for (let i = 0; i < 2; i++) {
    const server = net.createServer((socket) => {
      connections++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    servers.push(server)
    ports.push((server.address() as net.AddressInfo).port)
  }
})
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
})

const base = () => ['roundtrip', '--from', 'me@mail.test', '--to', 'you@mail.test', '--server', `127.0.0.1:${ports[0]}`, '--tls', 'none', '--user', 'me@mail.test', '--mailbox-host', `127.0.0.1:${ports[1]}`, '--mailbox-tls', 'none', '--allow-insecure-auth', '--no-predict']
const env = {MAILDIG_PASSWORD: 'pw-submission', MAILDIG_MAILBOX_PASSWORD: 'pw-mailbox'}

describe('roundtrip: bad input is exit 2, one line, nothing sent', () => {
  it.each([
    ['--wait -1s', ['--wait', '-1s'], /--wait/],
    ['--wait 0s', ['--wait', '0s'], /^✖ --wait: the duration must be more than zero/],
    ['--warning soon', ['--warning', 'soon'], /^✖ --warning: "soon" is not a range \(write e\.g\. 2s, 500ms/],
    ['critical below warning', ['--warning', '10s', '--critical', '5s'], /^✖ --critical: the critical range for latency alerts on less than the warning range does/],
    ['a label roundtrip does not measure', ['--warning', 'quota_storage=90'], /^✖ --warning: "quota_storage" is not measured by this command \(it measures latency, /],
    ['--format bogus', ['--format', 'bogus'], /--format/],
    ['--cleanup with --pop3', ['--cleanup', '--pop3'], /^✖ --cleanup: POP3 never deletes/],
    ['a CR in --mailbox-user', ['--mailbox-user', 'you\r\nA1 LOGOUT'], /^✖ --mailbox-user: the value contains a CR, LF or NUL character/],
    ['--ehlo -bad-.test', ['--ehlo', '-bad-.test'], /^✖ --ehlo: /],
    ['--to without a domain', ['--to', 'nobody'], /^✖ (Flag )?--to/],
    ['an empty --mailbox', ['--mailbox', ' '], /^✖ --mailbox: the mailbox name is empty/],
  ])('%s', async (_name, extra, message) => {
    const before = connections
    const r = await runCli([...base(), ...extra], {env})
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    const json = await runCli([...base(), ...extra, '--json'], {env})
    expect(json.code).toBe(2)
    expect(json.json).toMatchObject({command: 'roundtrip', ok: false, exitCode: 2, error: {code: 'USAGE'}})
    expect(connections).toBe(before)
  })

  it('--user without --server, and no mailbox password: usage errors before any connection', async () => {
    const before = connections
    const direct = await runCli(['roundtrip', '--from', 'me@mail.test', '--to', 'you@mail.test', '--user', 'me@mail.test'], {env})
    expect(direct.code).toBe(2)
    expect(direct.stderr).toMatch(/^✖ --user: credentials go to a submission server; add --server HOST/)
    const nopw = await runCli(['roundtrip', '--from', 'me@mail.test', '--to', 'you@mail.test', '--mailbox-host', `127.0.0.1:${ports[1]}`])
    expect(nopw.code).toBe(2)
    expect(nopw.stderr.trim()).toMatch(/^✖ --to \(the mailbox user\): give the mailbox password in MAILDIG_MAILBOX_PASSWORD/)
    const port = await runCli(['roundtrip', '--from', 'me@mail.test', '--to', 'you@mail.test', '--mailbox-host', 'imap.mail.test:99999'], {env})
    expect(port.code).toBe(2)
    expect(port.stderr.trim()).toBe('✖ --mailbox-host: 99999 is out of range (1-65535) (see: maildig roundtrip --help)')
    expect(connections).toBe(before)
  })

  it('under --format nagios a usage error is UNKNOWN (3), one status line on stdout, nothing sent', async () => {
    const before = connections
    for (const extra of [['--wait', '-1s'], ['--warning', '10s', '--critical', '5s'], ['--cleanup', '--pop3'], ['--output', '/nonexistent-folder/maildig.prom']]) {
      const r = await runCli([...base(), ...extra, '--format', 'nagios'], {env})
      expect(r.code, `${extra.join(' ')}: ${r.stdout}${r.stderr}`).toBe(3)
      expect(r.stdout).toMatch(/^ROUNDTRIP UNKNOWN - --[a-z]+: [^\n]*\n$/)
    }
    const bogus = await runCli([...base(), '--format', 'bogus'], {env})
    expect(bogus.code).toBe(2)
    expect(connections).toBe(before)
  })

  it('the two passwords never show, not even in a usage error', async () => {
    const r = await runCli([...base(), '--warning', '10s', '--critical', '5s', '--json'], {env})
    expect(r.stdout + r.stderr).not.toMatch(/pw-submission|pw-mailbox/)
  })
})
