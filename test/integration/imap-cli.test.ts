import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {runCli, splitFailure, transcriptSpan} from '../cli/run-cli.js'
import {startImapFixture, type ImapFixture, type ImapFixtureOptions} from '../fixtures/misbehaving-imap.js'
import {createTestPki, type TestPki} from '../fixtures/test-pki.js'

// imap-check through the built CLI: bad input (exit 2, one line, nothing contacted) and scripted
// misbehaving servers (the exit code docs/cli.md gives, within the --timeout + 1 s).
const HOST = '127.0.1.82'
const PASSWORD = 'fixture-password-1'

let fixture: ImapFixture | undefined
afterEach(async () => {
  await fixture?.close()
  fixture = undefined
})

async function start(options: Omit<ImapFixtureOptions, 'host'>): Promise<ImapFixture> {
  fixture = await startImapFixture({host: HOST, user: 'alice@mail.test', password: PASSWORD, ...options})
  return fixture
}

describe('bad input: exit 2 with one clear line', () => {
  const cases: [string, string[], RegExp][] = [
    ['a negative --wait', ['--user', 'a@b.test', '--wait-for-subject', 'x', '--wait', '-5s'], /--wait: "-5s" is not a duration/],
    ['an empty --mailbox', ['--user', 'a@b.test', '--mailbox', ''], /--mailbox: the mailbox name is empty/],
    ['--quota-warn above 100', ['--quota-warn', '150'], /--quota-warn: "150" is not a percentage between 1 and 100/],
    ['both wait-for flags', ['--user', 'a@b.test', '--wait-for-subject', 'x', '--wait-for-message-id', '<a@b>'], /give one of them, not both/],
    ['--wait without a wait-for flag', ['--user', 'a@b.test', '--wait', '5s'], /--wait: give --wait-for-subject or --wait-for-message-id too/],
    ['--user without a password', ['--user', 'a@b.test'], /--user: give the password in MAILDIG_PASSWORD or with --password-stdin/],
    ['--auth xoauth2 without a token', ['--user', 'a@b.test', '--auth', 'xoauth2'], /MAILDIG_OAUTH_TOKEN/],
    ['--mailbox without --user', ['--mailbox', 'INBOX'], /--mailbox: needs a login \(--user\)/],
    ['an unknown --tls', ['--tls', 'ssl'], /--tls/],
    ['a Message-ID that is not one', ['--user', 'a@b.test', '--wait-for-message-id', 'two words'], /is not a Message-ID/],
    ['a port out of range', ['--port', '99999'], /--port: 99999 is out of range/],
  ]
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const server = await start({behaviour: 'good'})
      const port = args.includes('--port') ? [] : ['--port', String(server.port)]
      const r = await runCli(['imap-check', HOST, ...port, ...args], {env: {MAILDIG_PASSWORD: args.includes('--user') && !name.includes('password') ? PASSWORD : undefined}})
      expect(r.code, r.stderr).toBe(2)
      expect(r.stdout).toBe('')
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
      expect(lines, r.stderr).toHaveLength(1)
      expect(lines[0]).toMatch(message)
      expect(lines[0]).not.toMatch(/\s at |Error:/)
      expect(server.connections).toBe(0)
    })
  }

  it('a CR/LF in --mailbox is refused before anything is sent; --json still gives one document', async () => {
    const server = await start({behaviour: 'good'})
    const r = await runCli(['imap-check', HOST, '--port', String(server.port), '--user', 'a@b.test', '--mailbox', 'INBOX\r\nA1 DELETE INBOX', '--json'], {env: {MAILDIG_PASSWORD: PASSWORD}})
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({command: 'imap-check', ok: false, exitCode: 2, error: {code: 'USAGE', message: expect.stringMatching(/--mailbox: the value contains a CR, LF or NUL/)}})
    expect(server.connections).toBe(0)
  })
})

describe('misbehaving servers through the CLI', () => {
  const TIMEOUT = 800
  const run = (server: ImapFixture, extra: string[] = []) =>
    runCli(['imap-check', HOST, '--port', String(server.port), '--tls', 'none', '--user', 'alice@mail.test', '--allow-insecure-auth', '--timeout', `${TIMEOUT}ms`, ...extra], {env: {MAILDIG_PASSWORD: PASSWORD}})

  it('a BYE greeting: exit 4, the reason and the fix', async () => {
    const r = await run(await start({behaviour: 'bye-greeting'}))
    expect(r.code).toBe(4)
    expect(r.stderr).toMatch(/greeted with BYE and closed: Too many connections/)
    expect(r.stderr).toMatch(/fix: /)
  })

  it('a flood of untagged responses instead of a reply is said to be one (exit 8), not silence', async () => {
    const server = await start({behaviour: 'untagged-flood'})
    const r = await runCli(['imap-check', HOST, '--port', String(server.port), '--tls', 'none', '--timeout', '1500ms', '--json'])
    expect(r.code, r.stdout).toBe(8)
    expect(r.json).toMatchObject({ok: false, error: {code: 'PROTOCOL_ERROR', message: expect.stringMatching(/sent \d+ untagged responses and never the reply to \w+: it floods/)}})
    expect(r.json!.error.message).not.toMatch(/stopped answering/)
  })

  it('silence after the greeting: exit 5 within the timeout + 1 s', async () => {
    const server = await start({behaviour: 'silent-after-greeting'})
    const r = await run(server, ['--json', '--transcript'])
    expect(r.code).toBe(5)
    expect(r.json).toMatchObject({ok: false, error: {code: 'REPLY_TIMEOUT'}})
    expect(r.json!.transcript.map((l: any) => l.line)).toContainEqual(expect.stringMatching(/^\* OK .*maildig fixture ready$/))
    // The deadline counts from the command sent after the greeting (when imapflow has loaded: under
    // load that alone can take seconds, so the clock is read from the transcript).
    const lines: {t: number; dir: string; line: string}[] = r.json!.transcript
    const sent = lines.find((l) => l.dir === 'send')!
    const failed = lines.find((l) => l.line.startsWith('! no complete reply'))!
    expect(failed.t - sent.t).toBeGreaterThanOrEqual(TIMEOUT - 10)
    expect(failed.t - sent.t).toBeLessThan(TIMEOUT + 400)
    expect(r.json!.timings.totalMs - sent.t).toBeLessThan(TIMEOUT + 1000)
  })

  it("no STARTTLS offered: the fix names the IMAP server's setting (Dovecot), not Postfix's", async () => {
    const server = await start({behaviour: 'good'})
    const r = await runCli(['imap-check', HOST, '--port', String(server.port), '--json'])
    const finding = r.json!.findings.find((f: any) => f.code === 'STARTTLS_NOT_OFFERED')
    expect(finding, r.stdout).toBeDefined()
    expect(finding.fix).toMatch(/Dovecot: ssl = yes/)
    expect(finding.fix).not.toMatch(/smtpd_tls|Postfix/)
  })

  it('garbage: exit 8', async () => {
    const r = await run(await start({behaviour: 'garbage-greeting'}), ['--json'])
    expect(r.code).toBe(8)
    expect(r.json!.error.code).toBe('PROTOCOL_ERROR')
    expect(r.json!.findings).toEqual([expect.objectContaining({code: 'PROTOCOL_ERROR', severity: 'error'})])
  })

  describe('a STARTTLS answered OK, then plaintext instead of a handshake', () => {
    let pki: TestPki
    beforeAll(() => {
      pki = createTestPki({names: ['imap.test'], ips: [HOST]})
    })
    afterAll(() => pki.cleanup())

    it('exit 6 (the handshake failed, not the deadline), STARTTLS_FAILED in one line and its fix, no stack trace, no password', async () => {
      const server = await start({behaviour: 'broken-starttls', tls: pki.leaf})
      // The plaintext fails the handshake at once; a longer deadline than the other cases' only keeps a loaded machine
      // (the other Node versions' suites beside this one) from turning a slow handshake into a timeout, exit 5.
      // Exit 6, not 5: the run ended on the failed handshake, not on the deadline.
      const r = await runCli(['imap-check', HOST, '--port', String(server.port), '--tls', 'starttls', '--user', 'alice@mail.test', '--timeout', '5s'], {env: {MAILDIG_PASSWORD: PASSWORD}})
      expect(r.code, r.stderr).toBe(6)
      expect(r.stdout).toBe('')
      const {steps, error: first, rest} = splitFailure(r.stderr)
      expect(steps.every((l) => /^ {2}[✔✖·…] /.test(l)), steps.join('\n')).toBe(true)
      expect(first).toMatch(/^✖ .*TLS/)
      expect(rest.every((l) => l.startsWith('  fix: '))).toBe(true)
      expect(r.stderr).not.toMatch(/\bat .*\.[cm]?js:\d+|Error: /)
      expect(r.stderr).not.toContain(PASSWORD)
      expect(server.commands.join('\n')).not.toContain(PASSWORD)
    })
  })

  describe('a certificate that names another host, with --user', () => {
    let pki: TestPki
    beforeAll(() => {
      pki = createTestPki({names: ['other.test']})
    })
    afterAll(() => pki.cleanup())

    it('AUTH_INSECURE (exit 7) keeps the TLS section and TLS_HOSTNAME_MISMATCH beside it, in JSON and on screen', async () => {
      const server = await start({behaviour: 'good', tls: pki.leaf, implicitTls: true})
      const args = ['imap-check', HOST, '--port', String(server.port), '--tls', 'implicit', '--ca-file', `${pki.dir}/ca.pem`, '--user', 'alice@mail.test', '--timeout', '5s']
      const json = await runCli([...args, '--json'], {env: {MAILDIG_PASSWORD: PASSWORD}})
      expect(json.code).toBe(7)
      expect(json.json).toMatchObject({ok: false, error: {code: 'AUTH_INSECURE'}, tlsMode: 'implicit', tls: {authorized: true, hostnameMatches: false}})
      expect(json.json!.findings.map((f: any) => f.code)).toEqual(expect.arrayContaining(['TLS_HOSTNAME_MISMATCH', 'AUTH_INSECURE']))
      const human = await runCli(args, {env: {MAILDIG_PASSWORD: PASSWORD}})
      expect(human.code).toBe(7)
      expect(human.stderr).toMatch(/AUTH_INSECURE|not sending the password/)
      expect(human.stderr).toMatch(/TLS_HOSTNAME_MISMATCH/)
      expect(server.commands.join('\n')).not.toContain(PASSWORD)
    })
  })

  it('no greeting at all: exit 5 at the greeting deadline, then within the close grace', async () => {
    const server = await start({behaviour: 'silent'})
    const r = await run(server)
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/no greeting from .* within 800 ms/)
    // The deadline as the run measured it, from the connect to the failure: the process start (seconds under load)
    // is not in it.
    const json = await run(server, ['--json', '--transcript'])
    expect(json.code).toBe(5)
    const greeting = transcriptSpan(json.json!.transcript, /^connected from /, /^! no greeting from /)
    expect(greeting.ms).toBeGreaterThanOrEqual(TIMEOUT - 10)
    expect(greeting.ms).toBeLessThan(TIMEOUT + 500)
    expect(json.json!.timings.totalMs - greeting.toT).toBeLessThan(1000 + 500)
  })

  it('a well-behaved server without IDLE: the human report, polling, a quota warning (exit 0)', async () => {
    const server = await start({behaviour: 'good', idle: false, quota: {usedKiB: 9500, limitKiB: 10000}, mailboxes: {INBOX: [{subject: 'hello there', messageId: '<h@example.org>'}], Sent: []}})
    const r = await run(server, ['--wait-for-subject', 'hello', '--wait', '3s'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/✖ TLS +not used: the session is plaintext/)
    expect(r.stdout).toMatch(/INBOX +\\Inbox \(by name\) +1 +1 +2/)
    expect(r.stdout).toMatch(/Quota "User quota" for INBOX: 9.3 MiB of 9.8 MiB \(95 %\)/)
    expect(r.stdout).toMatch(/Waiting for subject "hello" in INBOX \(NOOP polling, 1 search\)/)
    expect(r.stdout).toMatch(/✔ found UID 1 \(already there\)/)
    expect(r.stdout).toMatch(/⚠ QUOTA_NEAR_LIMIT/)
    expect(r.stdout + r.stderr).not.toContain(PASSWORD)
  })
})
