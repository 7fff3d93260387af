import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, splitFailure} from '../cli/run-cli.js'
import {startSmtpFixture, type SmtpBehaviour, type SmtpFixture, type SmtpFixtureOptions} from '../fixtures/misbehaving-smtp.js'
import {createTestPki, type TestPki} from '../fixtures/test-pki.js'

// `send` through the built CLI against scripted misbehaving servers (the ones probe-smtp meets in
// probe-smtp-misbehaving.test.ts): the CONTRACT exit code, one clear line, within the timeout +
// the close grace; and a password that the server echoes back never reaches any output.
const TIMEOUT_MS = 1500
const CLOSE_GRACE_MS = 1000
const CANARY = 'Canary-Pw-7f3a9c21e5b0Q!'
const USER = 'bob@mail.test'
const ENVELOPE = ['--from', 'alice@mail.test', '--to', 'bob@mail.test']

let pki: TestPki
let caFile: string
const fixtures: SmtpFixture[] = []
let nextHost = 120
async function fixture(options: Partial<SmtpFixtureOptions> & {behaviour: SmtpBehaviour}): Promise<SmtpFixture> {
  const f = await startSmtpFixture({host: `127.0.1.${nextHost++}`, tls: pki.leaf, ...options})
  fixtures.push(f)
  return f
}

beforeAll(() => {
  pki = createTestPki({names: ['mail.test'], ips: Array.from({length: 30}, (_, i) => `127.0.1.${120 + i}`)})
  caFile = join(pki.dir, 'ca.pem')
})
afterAll(async () => {
  for (const f of fixtures) await f.close()
  pki.cleanup()
})

const send = (f: SmtpFixture, extra: string[], options: {env?: Record<string, string>; input?: string; timeoutMs?: number} = {}) =>
  runCli(['send', '--server', `${f.host}:${f.port}`, '--timeout', `${options.timeoutMs ?? TIMEOUT_MS}ms`, ...ENVELOPE, ...extra], options)

describe('send against misbehaving servers (CLI)', () => {
  const cases: [SmtpBehaviour, number, RegExp, string[]][] = [
    ['silent', 5, /no greeting/, ['--tls', 'none']],
    ['slow', 5, /no greeting/, ['--tls', 'none']],
    ['slow-reply', 5, /no complete reply .* to EHLO/, ['--tls', 'none']],
    ['slow-after-ehlo', 5, /no complete reply .* to MAIL FROM/, ['--tls', 'none']],
    ['endless-line', 8, /longer than/, ['--tls', 'none']],
    ['garbage', 8, /binary data/, ['--tls', 'none']],
    ['bad-ehlo', 8, /EHLO|reply/, ['--tls', 'none']],
    ['greet-421', 4, /421/, ['--tls', 'none']],
    ['close-immediately', 4, /closed/, ['--tls', 'none']],
    ['broken-starttls', 6, /TLS handshake with .* failed: .*did not answer in TLS/, ['--tls', 'starttls']],
  ]

  it.each(cases)('%s → exit %d, one line, within the timeout + 1 s', async (behaviour, exit, message, extra) => {
    const f = await fixture({behaviour})
    const r = await send(f, extra)
    expect(r.code, r.stderr).toBe(exit)
    expect(r.stdout).toBe('')
    const {steps, error, rest} = splitFailure(r.stderr)
    expect(steps.every((l) => /^ {2}[✔✖·…] /.test(l)), steps.join('\n')).toBe(true)
    expect(error).toMatch(/^✖ /)
    expect(error).toMatch(message)
    expect(rest.length).toBeLessThanOrEqual(1)
    // A failure after some steps worked shows them first, as swaks does (issue 16).
    if (behaviour === 'slow-after-ehlo') {
      expect(steps[0]).toMatch(/^ {2}✔ connected {3}127\.0\.1\.\d+:\d+ {2}\d+ ms$/)
      expect(steps[1]).toMatch(/^ {2}✔ greeting {4}220 /)
      expect(steps[2]).toMatch(/^ {2}✔ EHLO {8}250/)
    }
    if (behaviour === 'silent') expect(steps).toEqual([expect.stringMatching(/^ {2}✔ connected /)])
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+|Error: |SSL routines/)
    const json = await send(f, [...extra, '--json', '--transcript'])
    expect(json.code, json.stderr).toBe(exit)
    expect(json.json).toMatchObject({ok: false, exitCode: exit})
    // The conversation's own time, from the start of the connection: the process start is not the conversation's,
    // nor is composing the message before it (it loads nodemailer's composer, which a loaded machine slowed by most
    // of a second: this failed CI on Node 22 with the other versions' suites beside it).
    const transcript = json.json!.transcript as {t: number; line: string}[]
    expect(transcript[0].line).toMatch(/^connecting to /)
    expect(json.json!.timings.totalMs - transcript[0].t).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
  })

  it('--tls implicit against a plaintext port: exit 6 with the port/TLS hint, not raw OpenSSL text', async () => {
    const f = await fixture({behaviour: 'good'})
    const r = await send(f, ['--tls', 'implicit', '--json'])
    expect(r.code).toBe(6)
    expect(r.json!.error.code).toBe('TLS_FAILED')
    expect(r.json!.error.message).toMatch(/TLS handshake with .* failed: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\): the server did not answer in TLS/)
    expect(r.json!.error.message).not.toMatch(/SSL routines|error:0A/)
  })

  it('a message larger than the advertised SIZE: MESSAGE_TOO_LARGE, nothing sent, no recipient rejected', async () => {
    const f = await fixture({behaviour: 'good', sizeLimit: 1000})
    const r = await send(f, ['--tls', 'none', '--body', 'x'.repeat(2000), '--json', '--transcript'])
    expect(r.code).toBe(1)
    expect(r.json!.findings.map((x: {code: string}) => x.code)).toEqual(['MESSAGE_TOO_LARGE'])
    expect(r.json!.findings[0].message).toMatch(/^the message \(\d+ bytes\) exceeds 127\.0\.1\.\d+'s SIZE limit \(1000 bytes\)/)
    expect(r.json).toMatchObject({accepted: [], rejected: [], response: null})
    expect(f.received.some((l) => l.startsWith('MAIL FROM'))).toBe(false)
    expect(f.received.at(-1)).toBe('QUIT')
  })

  it('a message refused after DATA: every recipient rejected with the reply, exit 1', async () => {
    const f = await fixture({behaviour: 'good', dataReply: '554 5.7.1 Message rejected as spam'})
    const r = await send(f, ['--tls', 'none', '--json'])
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({accepted: [], rejected: [{address: 'bob@mail.test', code: 554, enhancedCode: '5.7.1', text: 'Message rejected as spam'}], response: null})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'RCPT_REJECTED', message: expect.stringMatching(/refused the message at DATA \(end of message\): 554 5\.7\.1 Message rejected as spam/)}))
    expect(f.received.at(-1)).toBe('QUIT')
  })

  it('AUTH answered "503 5.5.1 authentication not enabled": AUTH_NOT_OFFERED, exit 7, the submission port suggested, no word of wrong credentials', async () => {
    const f = await fixture({behaviour: 'good', auth: {user: USER, password: CANARY}, authReply: '503 5.5.1 Error: authentication not enabled'})
    const r = await send(f, ['--user', USER, '--tls', 'starttls', '--ca-file', caFile], {env: {MAILDIG_PASSWORD: CANARY}})
    expect(r.code, r.stderr).toBe(7)
    const error = r.stderr.split('\n').find((l) => l.startsWith('✖ '))
    expect(error).toMatch(/does not take AUTH PLAIN here \(authentication is not enabled on this port or at this stage; the credentials were not checked\): 503 5\.5\.1 Error: authentication not enabled/)
    expect(r.stderr).not.toMatch(/rejected the credentials|check the user name and password/i)
    expect(r.stderr).toMatch(/fix: .*587 with STARTTLS or 465 with TLS/)
    const json = await send(f, ['--user', USER, '--tls', 'starttls', '--ca-file', caFile, '--json'], {env: {MAILDIG_PASSWORD: CANARY}})
    expect(json.json).toMatchObject({ok: false, exitCode: 7, error: {code: 'AUTH_NOT_OFFERED'}})
  })

  it('delivers to a server that behaves: DATA dot-stuffed, the queue id, QUIT', async () => {
    const f = await fixture({behaviour: 'good'})
    const r = await send(f, ['--tls', 'none', '--body', 'line one\n.a line with a leading dot\n', '--json'])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({accepted: ['bob@mail.test'], rejected: [], response: '250 2.0.0 Ok: queued as 4FX1yZ2abc'})
    expect(r.json!.deliveries[0].queueId).toBe('4FX1yZ2abc')
    expect(f.received).toContain('..a line with a leading dot')
    expect(f.messages.at(-1)).toMatch(/\r\nline one\r\n\.a line with a leading dot$/)
    expect(f.received.at(-1)).toBe('QUIT')
  })
})

// Concurrent (no timing is checked here): each test has its own server.
describe.concurrent('send: a password echoed back by the server appears in no output', () => {
  const halves = [CANARY.slice(0, 12), CANARY.slice(12)]
  /** The canary in clear, or in any base64 run of the text decoded at each of its 4 character offsets. */
  function leaks(text: string): string[] {
    const found = halves.filter((h) => text.includes(h)).map((h) => `clear: ${h}`)
    for (const run of text.match(/[A-Za-z0-9+/]{8,}/g) ?? []) {
      for (let skip = 0; skip < 4; skip++) {
        const decoded = Buffer.from(run.slice(skip), 'base64').toString('latin1')
        if (halves.some((h) => decoded.includes(h))) found.push(`base64: ${run}`)
      }
    }
    return found
  }

  const modes: [string, string[]][] = [
    ['human', []],
    ['--json', ['--json']],
    ['--transcript', ['--transcript']],
    ['--json --transcript', ['--json', '--transcript']],
  ]
  const sources = [
    ['MAILDIG_PASSWORD', [], {env: {MAILDIG_PASSWORD: CANARY}}],
    ['--password-stdin', ['--password-stdin'], {input: `${CANARY}\n`}],
  ] as const
  const plaintext = ['--tls', 'none', '--allow-insecure-auth']

  async function expectNoLeak(f: SmtpFixture, flags: string[], options: {env?: Record<string, string>; input?: string}, what: string) {
    // The echo server answers at once; no deadline is under test here, so a loaded machine gets a long one.
    const r = await send(f, ['--user', USER, ...flags], {...options, timeoutMs: 10_000})
    expect(r.code, what).toBe(7)
    expect(r.stdout + r.stderr, what).toMatch(/rejected the credentials/)
    expect(leaks(r.stdout + r.stderr), what).toEqual([])
  }

  // Eight runs of the CLI, one after the other: the test's own time is theirs (seconds each on a loaded machine).
  it('AUTH PLAIN: every output mode, the password from MAILDIG_PASSWORD and from --password-stdin', {timeout: 8 * 15_000}, async () => {
    const f = await fixture({behaviour: 'echo-auth', auth: {user: USER, password: 'not-the-canary', mechanisms: ['PLAIN']}, authBeforeTls: true})
    for (const [mode, flags] of modes) {
      for (const [source, stdin, options] of sources) await expectNoLeak(f, [...stdin, ...plaintext, ...flags], options, `${mode}, ${source}`)
    }
    // Not vacuous: the canary did go out (and came back) in base64.
    expect(leaks(f.received.join('\n')).length).toBeGreaterThan(0)
  })

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5'])('AUTH %s over verified STARTTLS', async (mechanism) => {
    const f = await fixture({behaviour: 'echo-auth', auth: {user: USER, password: 'not-the-canary', mechanisms: [mechanism]}})
    for (const [source, stdin, options] of sources) {
      await expectNoLeak(f, [...stdin, '--tls', 'starttls', '--ca-file', caFile, '--json', '--transcript'], options, source)
    }
    await expectNoLeak(f, ['--tls', 'starttls', '--ca-file', caFile, '--transcript'], sources[0][2], 'human')
  })

  it('probe-smtp, pop3-list and imap-check share the mechanism: probe-smtp against the same echo', async () => {
    const f = await fixture({behaviour: 'echo-auth', auth: {user: USER, password: 'not-the-canary', mechanisms: ['LOGIN']}})
    for (const flags of [['--json', '--transcript'], ['--transcript']]) {
      const r = await runCli(['probe-smtp', f.host, '--port', String(f.port), '--tls', 'starttls', '--ca-file', caFile, '--user', USER, '--timeout', `${TIMEOUT_MS}ms`, ...flags], {env: {MAILDIG_PASSWORD: CANARY}})
      expect(r.code).toBe(7)
      expect(leaks(r.stdout + r.stderr)).toEqual([])
    }
  })

  it('a TLS failure and a wrong password (no echo) leave no trace of it either', async () => {
    const plain = await fixture({behaviour: 'good'})
    const tlsFailure = await send(plain, ['--user', USER, '--tls', 'implicit', '--json', '--transcript'], {env: {MAILDIG_PASSWORD: CANARY}})
    expect(tlsFailure.code).toBe(6)
    expect(leaks(tlsFailure.stdout + tlsFailure.stderr)).toEqual([])
    const wrong = await fixture({behaviour: 'good', auth: {user: USER, password: 'another'}, authBeforeTls: true})
    const r = await send(wrong, ['--user', USER, '--tls', 'none', '--allow-insecure-auth', '--transcript'], {env: {MAILDIG_PASSWORD: CANARY}})
    expect(r.code).toBe(7)
    expect(leaks(r.stdout + r.stderr)).toEqual([])
  })
})
