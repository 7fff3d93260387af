import {describe, expect, it} from 'vitest'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {BIN, runCli} from './run-cli.js'

// Bad input: exit 2, one clear line on stderr naming what is wrong, nothing on stdout, no stack trace.
const cases: [string[], RegExp][] = [
  [['mx', ''], /domain: the domain is empty/],
  [['mx', 'a b'], /white space/],
  [['mx', 'exa_mple..com'], /letters, digits/],
  [['mx', `${'a'.repeat(64)}.test`], /63/],
  [['mx', `${'abcdefghi.'.repeat(30)}test`], /253/],
  [['mx', 'example.test', '--resolver', 'notanip'], /--resolver: "notanip" is not an IP address/],
  [['mx', 'example.test', '--resolver', '1.2.3.4:99999'], /--resolver: port 99999 is out of range/],
  [['mx', 'example.test', '--timeout', '-1'], /--timeout/],
  [['mx', 'example.test', '--timeout', '5parsecs'], /--timeout: "5parsecs" is not a duration/],
  [['mx', 'example.test', '--ca-file', '/nonexistent/ca.pem'], /--ca-file: cannot read/],
  [['mx', 'example.test', '--bogus-flag'], /--bogus-flag: no such flag/],
  [['mx'], /missing the argument <domain>/],
  // without oclif's note that arguments must come before a multiple flag (they need not)
  [['mx', '--resolver', '127.0.0.1:9'], /missing the argument <domain>[^\n]*\(see: maildig mx --help\)$/],
]

describe('bad input', () => {
  it.each(cases)('maildig %j', async (args, message) => {
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
  })

  it('reports bad input as a JSON envelope under --json', async () => {
    const r = await runCli(['mx', 'a b', '--json'])
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({command: 'mx', ok: false, exitCode: 2, error: {code: 'USAGE'}, findings: []})
    expect(r.stderr).toBe('')
  })

  it('reads MAILDIG_RESOLVER and MAILDIG_TIMEOUT', async () => {
    const r = await runCli(['mx', 'example.test'], {env: {MAILDIG_RESOLVER: 'bogus'}})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/MAILDIG_RESOLVER: "bogus" is not an IP address/)
    const t = await runCli(['mx', 'example.test'], {env: {MAILDIG_TIMEOUT: 'soon'}})
    expect(t.code).toBe(2)
    // A bad value from the environment names the variable, not the flag the user never typed.
    expect(t.stderr).toMatch(/^✖ MAILDIG_TIMEOUT: "soon" is not a duration/)
    const both = await runCli(['mx', 'example.test', '--timeout', 'later'], {env: {MAILDIG_TIMEOUT: '5s'}})
    expect(both.stderr).toMatch(/^✖ --timeout: "later" is not a duration/)
  })
})

describe('version', () => {
  it('prints name/version platform node', async () => {
    const r = await runCli(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^maildig\/\d+\.\d+\.\d+ \S+ node-v\d+/)
  })

  it('checks the same Node.js version as package.json engines (bin/run.js does it in place of oclif)', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
    const bin = readFileSync(BIN, 'utf8')
    expect(pkg.engines.node).toBe(`>=${/const NODE_MAJOR = (\d+)/.exec(bin)?.[1]}`)
  })
})

describe('probe-smtp bad input (no connection is made: 127.0.1.250 has no server, which would be exit 4)', () => {
  it.each([
    [['--port', '0'], /--port: 0 is out of range/],
    [['--port', '70000'], /--port: 70000 is out of range/],
    [['--port', 'abc'], /--port: "abc" is not a port number/],
    [['--rcpt', 'a@b.example\r\nRSET'], /--rcpt: the address contains a CR, LF or NUL/],
    [['--rcpt', 'no-at-sign'], /--rcpt: "no-at-sign" is not an address/],
    [['--ehlo', 'has space'], /--ehlo: .*one word/],
    [['--tls', 'bogus'], /--tls/],
    [['--require', 'nonsense'], /--require: "nonsense" is not one of/],
    [['--user', 'alice'], /--user: give the password/],
  ])('probe-smtp %j', async (args, message) => {
    const r = await runCli(['probe-smtp', '127.0.1.250', ...args])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
  })
})

describe('send --dry-run refuses what the real run would', () => {
  it('--user without --server (credentials only go to a submission server): exit 2', async () => {
    const r = await runCli(['send', '--dry-run', '--from', 'a@b.test', '--to', 'c@d.test', '--user', 'alice'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--user: credentials go to a submission server; add --server HOST/)
  })
})

describe('MAILDIG_PASSWORD with a CR, LF or NUL', () => {
  it('is a usage error (exit 2) naming the variable, the password in no output, nothing sent', async () => {
    const r = await runCli(['probe-smtp', '127.0.1.250', '--user', 'alice'], {env: {MAILDIG_PASSWORD: 'secret\r\nQUIT'}})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/MAILDIG_PASSWORD: the value contains a CR, LF or NUL/)
    expect(r.stdout + r.stderr).not.toContain('secret')
  })
})

describe('send bad input (nothing is sent: 127.0.1.250 has no server)', () => {
  const base = ['send', '--from', 'me@mail.test', '--server', '127.0.1.250']
  it.each([
    [['--to', 'not-an-address'], /--to: "not-an-address" is not an address/],
    [['--to', 'a@mail.test', '--header', 'X-A: b\r\nBcc: evil@example.org'], /--header: .*CR, LF or NUL/],
    [['--to', 'a@mail.test', '--subject', 'x\ny'], /--subject: .*CR, LF or NUL/],
    [['--to', 'a@mail.test', '--attach', '/nonexistent/file'], /--attach: cannot read \/nonexistent\/file/],
    [['--to', 'a@mail.test', '--server', 'host:99999'], /--server: 99999 is out of range/],
    [['--to', 'a@mail.test', '--dsn-notify', 'SOMETIMES'], /--dsn-notify: "SOMETIMES"/],
    [['--to', 'a@mail.test', '--header', 'no colon here'], /--header: "no colon here" is not "Name: value"/],
  ])('send %j', async (args, message) => {
    const r = await runCli([...(args.includes('--server') ? base.slice(0, 3) : base), ...args])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
  })

  it('--dry-run prints the whole MIME message and sends nothing', async () => {
    const r = await runCli(['send', '--from', 'me@mail.test', '--to', 'you@mail.test', '--server', '127.0.1.250', '--dry-run', '--header', 'Subject: replaced'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Subject: replaced$/m)
    expect(r.stdout).toMatch(/^Message-ID: <maildig\.[0-9a-f]{12}\.\d+@mail\.test>$/m)
    expect(r.stdout).toMatch(/^MIME-Version: 1\.0$/m)
  })
})

describe('flags and arguments in any order', () => {
  it('a repeatable flag before the argument does not swallow it', async () => {
    const r = await runCli(['mx', '--resolver', '127.0.1.250:9', '--resolver', '127.0.1.251:9', 'example.test', '--json'])
    expect(r.code).toBe(3)
    expect(r.json!.error.code).toBe('DNS_UNREACHABLE')
    expect(r.json!.error.message).toMatch(/127\.0\.1\.25[01]:9/)
  })
})

describe('send reads standard input only when asked (--body-file -)', () => {
  it('a shell pipe is not read without --body-file -: the rest of a `while read` list stays with the loop', () => {
    const script = `printf 'one@mail.test\\ntwo@mail.test\\n' | while read r; do "${process.execPath}" "${BIN}" send --from me@mail.test --to "$r" --dry-run | grep -c '^To: '; done`
    const r = spawnSync('sh', ['-c', script], {encoding: 'utf8', env: {PATH: process.env.PATH, NO_COLOR: '1'}})
    expect(r.stdout.trim().split('\n')).toEqual(['1', '1'])
  })

  it('a standard input that stays open is not waited on', () => {
    // `timeout 5` would end a maildig that waited for the pipe's end (exit 124); sleep keeps the pipe open for 8 s.
    const r = spawnSync('sh', ['-c', `sleep 8 | timeout 5 "${process.execPath}" "${BIN}" send --from me@mail.test --to you@mail.test --dry-run`], {encoding: 'utf8', env: {PATH: process.env.PATH, NO_COLOR: '1'}, timeout: 20_000})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('test message from maildig')
  }, 20_000)

  it('with --body-file - the pipe is the body', () => {
    const r = spawnSync('sh', ['-c', `printf 'Piped body text.\\n' | "${process.execPath}" "${BIN}" send --from me@mail.test --to you@mail.test --dry-run --body-file -`], {encoding: 'utf8', env: {PATH: process.env.PATH, NO_COLOR: '1'}})
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('Piped body text.')
  })
})

describe('an unknown command', () => {
  it('is a usage error: one line, exit 2', async () => {
    const r = await runCli(['nosuch'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/"nosuch" is not a maildig command \(commands: completion, config, imap-check, mx, pop3-list, probe-smtp, roundtrip, send, sender, trace/)])
  })
  it('prints the envelope under --json', async () => {
    const r = await runCli(['nosuch', '--json'])
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({command: 'nosuch', ok: false, exitCode: 2, error: {code: 'USAGE'}})
  })
})
