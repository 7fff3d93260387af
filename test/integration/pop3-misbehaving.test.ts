import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli, splitFailure} from '../cli/run-cli.js'
import {startPop3Fixture, type Pop3Fixture, type Pop3FixtureOptions} from '../fixtures/misbehaving-pop3.js'
import {fixtureHarness} from '../fixtures/harness.js'

/**
 * `pop3-list` through the built CLI against misbehaving POP3 servers: each ends with one clear line
 * (or one JSON document), the documented exit code, within the stage timeout + 1 s (as the run measured
 * itself: the CLI's start is not in it); and bad input is refused before any connection is made.
 */
const HOST = '127.0.1.72'
const USER = 'alice@pop.test'
const PASSWORD = 'Fixture-Secret-99'
const TIMEOUT_MS = 500

const harness = fixtureHarness({names: ['pop.mail.test'], ips: [HOST]}, (pki, options: Omit<Pop3FixtureOptions, 'host'>) => startPop3Fixture({host: HOST, user: USER, password: PASSWORD, tls: pki.leaf, messages: ['Subject: a\n\nx\n'], ...options}))
const start = (options: Omit<Pop3FixtureOptions, 'host'>) => harness.start(options)

function cli(server: Pop3Fixture, extra: string[] = []) {
  return runCli(['pop3-list', HOST, '--port', String(server.port), '--ca-file', path.join(harness.pki.dir, 'ca.pem'), '--timeout', `${TIMEOUT_MS}ms`, '--user', USER, ...extra], {
    env: {MAILDIG_PASSWORD: PASSWORD},
  })
}

describe('pop3-list against misbehaving servers (built CLI)', () => {
  it.each([
    ['-ERR greeting', 4, 'POP3_GREETING_ERR', /refused the session: -ERR \[SYS\/TEMP\] Too many connections.* — a temporary problem on the server/, {behaviour: 'greet-err'}],
    ['never greets', 5, 'GREETING_TIMEOUT', /^no greeting from 127\.0\.1\.72:\d+ within 500 ms$/, {behaviour: 'silent'}],
    ['an endless line', 8, 'LINE_TOO_LONG', /sent a line longer than 8192 bytes/, {behaviour: 'endless-line'}],
    ['binary garbage', 8, 'PROTOCOL_ERROR', /sent binary data/, {behaviour: 'garbage'}],
    ['[IN-USE] on PASS', 1, 'MAILBOX_IN_USE', /the credentials were accepted, but another POP3 session holds the mailbox lock/, {behaviour: 'good', implicitTls: true, loginError: '-ERR [IN-USE] Mailbox is locked by another POP3 session'}],
    ['[LOGIN-DELAY] on PASS', 7, 'LOGIN_THROTTLED', /allows a login only every so many seconds/, {behaviour: 'good', implicitTls: true, loginError: '-ERR [LOGIN-DELAY] wait 900 s'}],
    ['a LIST without end', 8, 'PROTOCOL_ERROR', /more than 1 line in answer to LIST/, {behaviour: 'endless-list', implicitTls: true}],
    ['a TOP that stalls', 5, 'REPLY_TIMEOUT', /to TOP within 500 ms/, {behaviour: 'stalled-top', implicitTls: true}],
    ['STLS answered in plaintext', 6, 'STARTTLS_FAILED', /TLS handshake with .* failed/, {behaviour: 'broken-stls'}],
  ] as [string, number, string, RegExp, Omit<Pop3FixtureOptions, 'host'>][])('%s → exit %i', async (_name, exitCode, code, message, options) => {
    const server = await start(options)
    const extra = options.implicitTls ? ['--tls', 'implicit', '--auth', 'user'] : []
    const human = await cli(server, extra)
    expect(human.code).toBe(exitCode)
    expect(human.stdout).toBe('')
    const {steps, error: first, rest} = splitFailure(human.stderr)
    expect(steps.every((l) => /^ {2}[✔✖·…] /.test(l)), steps.join('\n')).toBe(true)
    if (code === 'REPLY_TIMEOUT') expect(steps.join('\n')).toMatch(/✔ greeting {4}\+OK[^]*✔ PASS {8}\+OK/)
    expect(first.replace(/^✖ /, '')).toMatch(message)
    expect(rest.every((l) => l.startsWith('  fix: '))).toBe(true)
    expect(human.stderr).not.toContain(PASSWORD)

    const json = await cli(server, [...extra, '--json', '--transcript'])
    expect(json.code).toBe(exitCode)
    expect(json.stderr).toBe('')
    expect(json.json).toMatchObject({command: 'pop3-list', ok: false, exitCode, error: {code}})
    expect(json.json!.findings).toEqual([expect.objectContaining({code, severity: 'error'})])
    expect(json.json!.transcript.length).toBeGreaterThan(0)
    // Within the stage timeout + the 1 s close grace, as the run measured itself: the process start (seconds on a
    // loaded machine, and not the same from one run to the next) is not in it.
    expect(json.json!.timings.totalMs).toBeLessThan(TIMEOUT_MS + 1000 + 500)
    expect(json.stdout).not.toContain(PASSWORD)
    expect(server.received.some((l) => /^(DELE|RETR)\b/i.test(l))).toBe(false)
  })

  it('lists a well-behaved server with --tls implicit, and never deletes anything', async () => {
    const server = await start({behaviour: 'good', implicitTls: true})
    const r = await cli(server, ['--tls', 'implicit', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.messages).toEqual([{number: 1, size: 17, uid: 'uid-1', headers: {from: null, subject: 'a', date: null, messageId: null}}])
    expect(server.received.slice(-2)).toEqual(['RSET', 'QUIT'])
    expect(server.received.some((l) => /^(DELE|RETR)\b/i.test(l))).toBe(false)
  })

  it('a STAT of 1,000,000 messages without --limit: the check ran, so a finding in the document (exit 1), not a usage error', async () => {
    const server = await start({behaviour: 'good', implicitTls: true, claimedCount: 1_000_000})
    const r = await cli(server, ['--tls', 'implicit', '--json', '--transcript'])
    expect(r.code, r.stderr).toBe(1)
    expect(r.json).toMatchObject({ok: false, exitCode: 1, stat: {messages: 1_000_000}, messages: []})
    expect(r.json!.error).toBeUndefined()
    expect(r.json!.findings.map((f: {code: string}) => f.code)).toEqual(['POP3_MAILDROP_TOO_LARGE'])
    expect(r.json!.transcript.length).toBeGreaterThan(0)
    const human = await cli(server, ['--tls', 'implicit'])
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(/holds 1,000,000 messages, more than one listing reads \(100,000\): nothing was listed/)
  })
})

describe('pop3-list bad input (built CLI): exit 2, one line naming the flag, no connection', () => {
  it.each([
    [['--limit', '-3'], /--limit: "-3" is not a whole number of messages/],
    [['--limit', 'ten'], /--limit: "ten" is not a whole number/],
    [['--limit', '0'], /--limit: "0"/],
    [['--auth', 'bogus'], /--auth=bogus to be one of: user, apop, plain, login, cram-md5, xoauth2/],
    [['--port', 'abc'], /--port: "abc" is not a port number/],
    [['--port', '99999'], /--port: 99999 is out of range/],
    [['--tls', 'maybe'], /--tls=maybe to be one of: implicit, starttls, none/],
    [['--user', 'alice\r\nDELE 1'], /--user: the value contains a CR, LF or NUL character/],
    [['--cert-days', 'soon'], /--cert-days: "soon"/],
  ])('pop3-list %j', async (args, message) => {
    const server = await start({behaviour: 'good'})
    const defaults = [...(args.includes('--port') ? [] : ['--port', String(server.port)]), ...(args.includes('--user') ? [] : ['--user', USER])]
    const r = await runCli(['pop3-list', HOST, ...defaults, ...args], {env: {MAILDIG_PASSWORD: PASSWORD}})
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
    expect(server.connections).toBe(0)
  })

  it.each([
    [{MAILDIG_USER: 'alice\nDELE 1', MAILDIG_PASSWORD: PASSWORD}, [], /MAILDIG_USER: the value contains a CR, LF or NUL/],
    [{MAILDIG_PASSWORD: 'pass\r\nDELE 1'}, ['--user', USER], /MAILDIG_PASSWORD: the value contains a CR, LF or NUL/],
    [{}, ['--user', USER], /--user: give the password in MAILDIG_PASSWORD or with --password-stdin/],
    [{}, ['--auth', 'plain'], /--auth: needs a login \(--user\)/],
    [{}, ['--limit', '3'], /--limit: needs a login \(--user\)/],
    [{MAILDIG_PASSWORD: PASSWORD}, ['--user', USER, '--auth', 'xoauth2'], /--auth xoauth2: set the access token in MAILDIG_OAUTH_TOKEN/],
  ] as [Record<string, string>, string[], RegExp][])('env %j, args %j', async (env, args, message) => {
    const server = await start({behaviour: 'good'})
    const r = await runCli(['pop3-list', HOST, '--port', String(server.port), ...args], {env})
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toContain('DELE')
    expect(server.connections).toBe(0)
  })

  it('reports bad input as a JSON envelope under --json', async () => {
    const r = await runCli(['pop3-list', HOST, '--user', USER, '--limit', '-3', '--json'], {env: {MAILDIG_PASSWORD: PASSWORD}})
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({command: 'pop3-list', ok: false, exitCode: 2, error: {code: 'USAGE'}, findings: []})
    expect(r.stderr).toBe('')
  })
})
