import {describe, expect, it} from 'vitest'
import {MaildigError, partialOf} from '../../../src/lib/errors.js'
import {SECRET_MASK} from '../../../src/lib/net/transcript.js'
import {Pop3Client} from '../../../src/lib/pop3/client.js'
import {headersOf, listPop3, type Pop3ListOptions, type Pop3ListResult, type Pop3ListPartial} from '../../../src/lib/pop3/list.js'
import {pop3ListPartialSchema, pop3ListResultSchema} from '../../../src/lib/pop3/schema.js'
import {startPop3Fixture, type Pop3Fixture, type Pop3FixtureOptions} from '../../fixtures/misbehaving-pop3.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {type Flat, withNet} from '../../fixtures/net.js'

/**
 * listPop3 and the POP3 client against the scripted fixture: every login method, STLS and implicit
 * TLS, the listing itself, and the safety promises (no DELE, RSET then QUIT, nothing secret in any
 * output, no credentials over plaintext or an unverified certificate unless allowed).
 */
const HOST = '127.0.1.70'
const USER = 'alice@pop.test'
const PASSWORD = 'Fixture-Secret-77'

const MESSAGES = [
  'From: Bob <bob@example.org>\nSubject: first\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <m1@example.org>\n\nbody one\n',
  'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?ISO-8859-1?Q?K=F6ln?=\nDate: Tue, 2 Jan 2024 11:00:00 +0100\nMessage-ID: <m2@example.org>\n\n.starts with a dot\n',
  'From: carol@example.org\nSubject: third\n  folded\nDate: Wed, 3 Jan 2024 12:00:00 -0500\nMessage-ID: <m3@example.org>\n\nthree\n',
]

const harness = fixtureHarness({names: ['pop.mail.test'], ips: [HOST]}, (pki, options: Partial<Pop3FixtureOptions>) => startPop3Fixture({behaviour: 'good', host: HOST, user: USER, password: PASSWORD, messages: MESSAGES, tls: pki.leaf, ...options}))
const start = (options: Partial<Pop3FixtureOptions> = {}) => harness.start(options)

function list(server: Pop3Fixture, options: Partial<Flat<Pop3ListOptions>> = {}): Promise<Pop3ListResult> {
  return listPop3(withNet({host: 'pop.mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, timeoutMs: 2000, user: USER, password: PASSWORD, ...options}))
}

async function fails(server: Pop3Fixture, options: Partial<Flat<Pop3ListOptions>> = {}): Promise<MaildigError> {
  const error = await list(server, options).then(
    () => {
      throw new Error('the listing should have failed')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MaildigError)
  return error as MaildigError
}

/** The commands the server received, verbs only (secrets and arguments dropped). */
const verbs = (server: Pop3Fixture) => server.received.map((l) => l.split(' ')[0].toUpperCase())

function expectNothingSecret(value: unknown): void {
  const text = JSON.stringify(value)
  expect(text).not.toContain(PASSWORD)
  expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'))
}

function expectLeftAsFound(server: Pop3Fixture): void {
  expect(verbs(server)).not.toContain('DELE')
  expect(verbs(server)).not.toContain('RETR')
  expect(verbs(server).slice(-2)).toEqual(['RSET', 'QUIT'])
}

describe('listPop3 against a well-behaved server', () => {
  it('lists every message over implicit TLS, newest first, with decoded headers', async () => {
    const server = await start({implicitTls: true})
    const result = await list(server, {tls: 'implicit'})
    expect(() => pop3ListResultSchema.parse(result)).not.toThrow()
    expect(result).toMatchObject({host: 'pop.mail.test', address: HOST, port: server.port, tlsMode: 'implicit', limit: null})
    expect(result.greeting.text).toMatch(/^maildig-fixture POP3 ready <.*@pop\.mail\.test>$/)
    expect(result.greeting.apop).toBe(true)
    expect(result.tls).toMatchObject({authorized: true, hostnameMatches: true})
    expect(result.capabilities).toMatchObject({TOP: [], UIDL: [], USER: [], SASL: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2']})
    expect(result.auth).toEqual({user: USER, method: 'plain', offered: ['user', 'apop', 'plain', 'login', 'cram-md5', 'xoauth2']})
    const sizes = MESSAGES.map((m) => Buffer.byteLength(m.replace(/\n/g, '\r\n')))
    expect(result.stat).toEqual({messages: 3, octets: sizes.reduce((a, b) => a + b, 0)})
    expect(result.messages).toEqual([
      {number: 3, size: sizes[2], uid: 'uid-3', headers: {from: 'carol@example.org', subject: 'third  folded', date: 'Wed, 3 Jan 2024 12:00:00 -0500', messageId: '<m3@example.org>'}},
      {number: 2, size: sizes[1], uid: 'uid-2', headers: {from: 'Jürgen <j@example.org>', subject: 'Grüße aus Köln', date: 'Tue, 2 Jan 2024 11:00:00 +0100', messageId: '<m2@example.org>'}},
      {number: 1, size: sizes[0], uid: 'uid-1', headers: {from: 'Bob <bob@example.org>', subject: 'first', date: 'Mon, 1 Jan 2024 10:00:00 +0000', messageId: '<m1@example.org>'}},
    ])
    expect(result.findings).toEqual([])
    expect(result.timings).toMatchObject({connectMs: expect.any(Number), tlsMs: expect.any(Number), greetingMs: expect.any(Number), authMs: expect.any(Number), topMs: expect.any(Number), quitMs: expect.any(Number)})
    expectLeftAsFound(server)
    expectNothingSecret(result)
    expect(result.transcript.some((l) => l.dir === 'send' && l.line === `AUTH PLAIN ${SECRET_MASK}`)).toBe(true)
  })

  it('upgrades port-110 style sessions with STLS and asks CAPA again inside TLS (RFC 2595 §4)', async () => {
    const server = await start()
    const result = await list(server)
    expect(result.tlsMode).toBe('starttls')
    expect(result.tls?.authorized).toBe(true)
    expect(verbs(server).slice(0, 3)).toEqual(['CAPA', 'STLS', 'CAPA'])
    // The CAPA of the plaintext session offered no USER/SASL; the one inside TLS does.
    expect(result.capabilities?.USER).toEqual([])
    expect(result.capabilities?.STLS).toBeUndefined()
    // Nothing of the login crossed the wire in plaintext.
    expect(server.rawPlain.join('')).not.toMatch(/USER|PASS|AUTH/)
    expect(result.messages.map((m) => m.number)).toEqual([3, 2, 1])
    expectLeftAsFound(server)
  })

  it('drops plaintext injected after the STLS +OK (the response-injection attack)', async () => {
    const server = await start({behaviour: 'stls-injection'})
    const result = await list(server)
    expect(result.capabilities?.SASL).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'])
    expect(result.transcript.some((l) => l.dir === 'info' && /discarded \d+ bytes \(4 lines\) of plaintext/.test(l.line))).toBe(true)
    expect(result.transcript.some((l) => l.line.includes('INJECTED'))).toBe(false)
  })

  it.each([
    ['user', ['USER', 'PASS']],
    ['apop', ['APOP']],
    ['plain', ['AUTH']],
    ['login', ['AUTH', expect.any(String), expect.any(String)]],
    ['cram-md5', ['AUTH', expect.any(String)]],
    ['xoauth2', ['AUTH']],
  ] as const)('logs in with --auth %s', async (method, sent) => {
    const server = await start({implicitTls: true})
    const result = await list(server, {tls: 'implicit', auth: method})
    expect(result.auth?.method).toBe(method)
    expect(result.messages).toHaveLength(3)
    const start3 = server.received.findIndex((l) => /^(USER|APOP|AUTH) /i.test(l))
    expect(server.received.slice(start3, start3 + sent.length).map((l, i) => (typeof sent[i] === 'string' ? l.split(' ')[0] : l))).toEqual(sent)
    expectNothingSecret(result)
    expectLeftAsFound(server)
  })

  it('masks every credential in the transcript', async () => {
    const server = await start({implicitTls: true})
    for (const method of ['user', 'apop', 'login', 'cram-md5'] as const) {
      const result = await list(server, {tls: 'implicit', auth: method})
      const sent = result.transcript.filter((l) => l.dir === 'send').map((l) => l.line)
      if (method === 'user') expect(sent).toContain(`PASS ${SECRET_MASK}`)
      if (method === 'apop') expect(sent).toContain(`APOP ${USER} ${SECRET_MASK}`)
      if (method === 'login') expect(sent.filter((l) => l === SECRET_MASK)).toHaveLength(2)
      if (method === 'cram-md5') expect(sent.filter((l) => l === SECRET_MASK)).toHaveLength(1)
      expectNothingSecret(result)
    }
  })

  it('sends a long AUTH PLAIN initial response after an empty challenge (RFC 5034 §4: 255 octets)', async () => {
    const longUser = `${'u'.repeat(200)}@pop.test`
    const server = await start({implicitTls: true, user: longUser})
    const result = await list(server, {tls: 'implicit', auth: 'plain', user: longUser})
    expect(result.auth?.method).toBe('plain')
    const auth = server.received.findIndex((l) => l.startsWith('AUTH'))
    expect(server.received[auth]).toBe('AUTH PLAIN')
    expect(Buffer.from(server.received[auth + 1], 'base64').toString()).toBe(`\0${longUser}\0${PASSWORD}`)
  })

  it('prefers challenge-response methods when credentials go without TLS (--allow-insecure-auth)', async () => {
    const server = await start({tls: undefined})
    const result = await list(server, {allowInsecureAuth: true})
    expect(result.tlsMode).toBe('none')
    expect(result.auth?.method).toBe('cram-md5')
    expect(result.findings.map((f) => [f.code, f.severity])).toEqual([
      ['STLS_NOT_OFFERED', 'warning'],
      ['AUTH_INSECURE', 'warning'],
    ])
    expect(server.rawPlain.join('')).not.toContain(PASSWORD)
  })

  it('--limit lists only the newest messages', async () => {
    const server = await start({implicitTls: true})
    const result = await list(server, {tls: 'implicit', limit: 2})
    expect(result.limit).toBe(2)
    expect(result.stat?.messages).toBe(3)
    expect(result.messages.map((m) => [m.number, m.headers?.messageId])).toEqual([
      [3, '<m3@example.org>'],
      [2, '<m2@example.org>'],
    ])
    expect(server.received.filter((l) => l.startsWith('TOP'))).toEqual(['TOP 3 0', 'TOP 2 0'])
  })

  it('pipelines TOP when the server announces PIPELINING, and waits for each answer otherwise', async () => {
    const many = Array.from({length: 40}, (_, i) => `Subject: m${i + 1}\nMessage-ID: <p${i + 1}@x>\n\nx\n`)
    for (const pipelining of [true, false]) {
      const server = await start({implicitTls: true, messages: many, pipelining})
      const client = new Pop3Client(withNet({host: 'pop.mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, timeoutMs: 2000}))
      await client.connect({implicitTls: true})
      await client.capa()
      await client.login({user: USER, password: PASSWORD})
      const tops = await client.top([40, 39, 38, 1], {maxLines: 100, maxBytes: 10_000})
      expect([...tops.keys()]).toEqual([40, 39, 38, 1])
      // Pipelined, the four TOP commands go out before the first answer is read; otherwise each waits.
      const lines = client.transcript.lines
      const firstTop = lines.findIndex((l) => l.dir === 'send' && l.line.startsWith('TOP '))
      expect(lines.slice(firstTop, firstTop + 4).map((l) => l.dir)).toEqual(pipelining ? ['send', 'send', 'send', 'send'] : ['send', 'recv', 'recv', 'recv'])
      expect(tops.get(39)).toEqual(['Subject: m39', 'Message-ID: <p39@x>', ''])
      // Sizes and ids one by one, for the newest of a large maildrop.
      expect([...(await client.listEach([40, 2])).entries()]).toEqual([
        [40, Buffer.byteLength(many[39].replace(/\n/g, '\r\n'))],
        [2, Buffer.byteLength(many[1].replace(/\n/g, '\r\n'))],
      ])
      expect([...(await client.uidlEach([40, 99])).entries()]).toEqual([
        [40, 'uid-40'],
        [99, null],
      ])
      await client.quit()
      expect(client.failed).toBe(false)
      expect(verbs(server).slice(-2)).toEqual(['RSET', 'QUIT'])
      await server.close()
    }
  })

  it('checks the server without logging in when no user is given', async () => {
    const server = await start({implicitTls: true})
    const result = await list(server, {tls: 'implicit', user: undefined, password: undefined})
    expect(result.auth).toBeNull()
    expect(result.stat).toBeNull()
    expect(result.messages).toEqual([])
    expect(result.findings.map((f) => f.code)).toEqual(['LOGIN_SKIPPED'])
    expect(verbs(server)).toEqual(['CAPA', 'QUIT'])
  })

  it('copes with a server without CAPA, UIDL or TOP, and says so', async () => {
    const server = await start({implicitTls: true, capa: false, uidl: false, top: false, apop: false})
    const result = await list(server, {tls: 'implicit'})
    expect(result.capabilities).toBeNull()
    expect(result.auth?.method).toBe('user')
    expect(result.messages).toEqual([
      {number: 3, size: expect.any(Number), uid: null, headers: null},
      {number: 2, size: expect.any(Number), uid: null, headers: null},
      {number: 1, size: expect.any(Number), uid: null, headers: null},
    ])
    expect(result.findings.map((f) => f.code)).toEqual(['POP3_CAPA_UNSUPPORTED', 'POP3_UIDL_UNSUPPORTED', 'POP3_TOP_UNSUPPORTED'])
    // Without CAPA, one TOP tells that TOP is missing; the others are not sent.
    expect(server.received.filter((l) => l.startsWith('TOP'))).toEqual(['TOP 3 0'])
  })

  it('asks a server without CAPA for STLS anyway, and takes -ERR as "not offered"', async () => {
    const upgraded = await start({capa: false})
    const result = await list(upgraded)
    expect(result.tlsMode).toBe('starttls')
    expect(verbs(upgraded).slice(0, 3)).toEqual(['CAPA', 'STLS', 'CAPA'])
    await upgraded.close()

    const plain = await start({capa: false, stls: false, plaintextAuth: true})
    const insecure = await list(plain, {allowInsecureAuth: true})
    expect(insecure.tlsMode).toBe('none')
    expect(verbs(plain).slice(0, 2)).toEqual(['CAPA', 'STLS'])
    expect(insecure.findings.map((f) => f.code)).toEqual(['STLS_NOT_OFFERED', 'POP3_CAPA_UNSUPPORTED', 'AUTH_INSECURE'])
    const required = await fails(plain, {tls: 'starttls'})
    expect(required).toMatchObject({code: 'STLS_NOT_OFFERED', exitCode: 6})
  })

  it('trusts what CAPA says about UIDL and TOP', async () => {
    const server = await start({implicitTls: true, uidl: false, top: false})
    const result = await list(server, {tls: 'implicit'})
    expect(result.findings.map((f) => f.code)).toEqual(['POP3_UIDL_UNSUPPORTED', 'POP3_TOP_UNSUPPORTED'])
    expect(verbs(server)).not.toContain('UIDL')
    expect(verbs(server)).not.toContain('TOP')
  })

  it('a maildrop too large to LIST whole: --limit asks for the newest one by one; without it, a finding in the document (the check ran)', async () => {
    const server = await start({implicitTls: true, claimedCount: 250_000})
    const result = await list(server, {tls: 'implicit', limit: 3})
    expect(result.stat?.messages).toBe(250_000)
    expect(result.messages).toEqual([250_000, 249_999, 249_998].map((n) => ({number: n, size: expect.any(Number), uid: `uid-${n}`, headers: {from: null, subject: `synthetic ${n}`, date: null, messageId: null}})))
    expect(server.received.filter((l) => /^(LIST|UIDL|TOP)/.test(l))).toEqual(['LIST 250000', 'LIST 249999', 'LIST 249998', 'UIDL 250000', 'UIDL 249999', 'UIDL 249998', 'TOP 250000 0', 'TOP 249999 0', 'TOP 249998 0'])
    const unlimited = await list(server, {tls: 'implicit'})
    expect(unlimited.stat?.messages).toBe(250_000)
    expect(unlimited.messages).toEqual([])
    expect(unlimited.findings).toEqual([expect.objectContaining({code: 'POP3_MAILDROP_TOO_LARGE', severity: 'error', message: expect.stringMatching(/holds 250,000 messages, more than one listing reads \(100,000\): nothing was listed/)})])
    expect(unlimited.transcript.length).toBeGreaterThan(0)
    expect(server.received.at(-1)).toBe('QUIT')
  })

  it('lists an empty maildrop', async () => {
    const server = await start({implicitTls: true, messages: []})
    const result = await list(server, {tls: 'implicit'})
    expect(result.stat).toEqual({messages: 0, octets: 0})
    expect(result.messages).toEqual([])
    expect(verbs(server)).not.toContain('LIST')
  })
})

describe('listPop3 refuses to send credentials unsafely', () => {
  it('without TLS: AUTH_INSECURE, exit 7, naming 995 and STLS, and nothing of the login is sent', async () => {
    const server = await start({tls: undefined})
    const error = await fails(server)
    expect(error).toMatchObject({code: 'AUTH_INSECURE', category: 'auth', exitCode: 7})
    expect(error.message).toMatch(/not sending credentials to pop\.mail\.test \[127\.0\.1\.70\]:\d+: the connection is not encrypted; use POP3 over TLS: port 995, or STLS .*TLS mode starttls.*allow insecure authentication/)
    expect(verbs(server)).not.toContain('USER')
    expect(verbs(server)).not.toContain('AUTH')
    expect(verbs(server).at(-1)).toBe('QUIT')
    const partial = partialOf<Pop3ListPartial>(error)
    expect(() => pop3ListPartialSchema.parse(partial)).not.toThrow()
    expect(partial?.findings.map((f) => f.code)).toEqual(['STLS_NOT_OFFERED'])
    expect(partial?.capabilities).toBeDefined()
  })

  it('over a certificate that is not trusted: AUTH_INSECURE, naming the reason and --ca-file', async () => {
    const server = await start({implicitTls: true})
    const error = await fails(server, {tls: 'implicit', ca: undefined})
    expect(error).toMatchObject({code: 'AUTH_INSECURE', exitCode: 7})
    expect(error.message).toMatch(/the certificate is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); trust the certificate's authority \(an extra CA\)/)
    expect(partialOf<Pop3ListPartial>(error)?.findings.map((f) => f.code)).toContain('TLS_CERT_UNTRUSTED')
  })

  it('over a certificate for another name: AUTH_INSECURE', async () => {
    const server = await start({implicitTls: true})
    const error = await listPop3(withNet({host: 'other.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, tls: 'implicit', user: USER, password: PASSWORD})).then(
      () => undefined,
      (e: unknown) => e as MaildigError,
    )
    expect(error).toMatchObject({code: 'AUTH_INSECURE'})
    expect(error?.message).toMatch(/the certificate does not name other\.test/)
  })

  it('sends them anyway with allowInsecureAuth, and reports it', async () => {
    const server = await start({implicitTls: true})
    const result = await list(server, {tls: 'implicit', ca: undefined, allowInsecureAuth: true})
    expect(result.messages).toHaveLength(3)
    expect(result.findings.map((f) => [f.code, f.severity])).toEqual([
      ['TLS_CERT_UNTRUSTED', 'error'],
      ['AUTH_INSECURE', 'warning'],
    ])
  })
})

describe('listPop3 login failures', () => {
  it('a wrong password: LOGIN_FAILED, exit 7, with the server\'s [AUTH] explained, the password nowhere', async () => {
    const server = await start({implicitTls: true})
    const error = await fails(server, {tls: 'implicit', password: 'wrong-Password-1', auth: 'user'})
    expect(error).toMatchObject({code: 'LOGIN_FAILED', category: 'auth', exitCode: 7, command: 'USER/PASS'})
    expect(error.message).toMatch(/did not log alice@pop\.test in \(USER\/PASS\): -ERR \[AUTH\] Authentication failed\. — the server rejected the credentials/)
    expect(JSON.stringify(partialOf<Pop3ListPartial>(error))).not.toContain('wrong-Password-1')
    expect(error.message).not.toContain('wrong-Password-1')
    // The session is still good: it is ended with QUIT, not RSET (nothing was opened).
    expect(verbs(server).at(-1)).toBe('QUIT')
    expect(verbs(server)).not.toContain('RSET')
  })

  it('XOAUTH2 refused: the error continuation is answered with an empty line (RFC 5034 §4)', async () => {
    const server = await start({implicitTls: true})
    const error = await fails(server, {tls: 'implicit', auth: 'xoauth2', password: 'expired-token'})
    expect(error).toMatchObject({code: 'LOGIN_FAILED', exitCode: 7})
    const auth = server.received.findIndex((l) => l.startsWith('AUTH XOAUTH2'))
    expect(server.received[auth + 1]).toBe('')
  })

  it.each([
    ['-ERR [IN-USE] Mailbox is locked by another POP3 session', 'MAILBOX_IN_USE', 'check', 1, /another POP3 session holds the mailbox lock/],
    ['-ERR [LOGIN-DELAY] Logged in too recently', 'LOGIN_THROTTLED', 'auth', 7, /allows a login only every so many seconds/],
    ['-ERR [SYS/TEMP] Temporary authentication failure.', 'POP3_SYS_TEMP', 'check', 1, /temporary problem on the server, not the credentials/],
    ['-ERR [SYS/PERM] Mailbox is corrupted', 'POP3_SYS_PERM', 'check', 1, /permanent problem on the server/],
  ] as const)('%s → %s', async (line, code, category, exitCode, meaning) => {
    const server = await start({implicitTls: true, loginError: line})
    const error = await fails(server, {tls: 'implicit'})
    expect(error).toMatchObject({code, category, exitCode, response: line})
    expect(error.message).toContain(line)
    expect(error.message).toMatch(meaning)
    expect(error.temporary).toBe(code !== 'POP3_SYS_PERM')
  })

  it('a method the server does not offer: AUTH_NOT_OFFERED, exit 7, listing what it offers', async () => {
    const server = await start({implicitTls: true, sasl: ['PLAIN'], apop: false})
    const error = await fails(server, {tls: 'implicit', auth: 'cram-md5'})
    expect(error).toMatchObject({code: 'AUTH_NOT_OFFERED', exitCode: 7})
    expect(error.message).toMatch(/does not offer AUTH CRAM-MD5 \(it offers USER\/PASS, AUTH PLAIN\)/)
  })

  it('APOP without a timestamp in the greeting: AUTH_NOT_OFFERED', async () => {
    const server = await start({implicitTls: true, apop: false})
    const error = await fails(server, {tls: 'implicit', auth: 'apop'})
    expect(error).toMatchObject({code: 'AUTH_NOT_OFFERED'})
    expect(verbs(server)).not.toContain('APOP')
  })

  it('STLS required but not offered: STLS_NOT_OFFERED, exit 6', async () => {
    const server = await start({stls: false, plaintextAuth: false})
    const error = await fails(server, {tls: 'starttls'})
    expect(error).toMatchObject({code: 'STLS_NOT_OFFERED', category: 'tls', exitCode: 6})
    expect(error.message).toMatch(/does not offer STLS \(required by TLS mode starttls\); use port 995/)
  })

  it('a user name with white space cannot go in USER: a usage error before anything is sent', async () => {
    const server = await start({implicitTls: true})
    const error = await fails(server, {tls: 'implicit', auth: 'user', user: 'alice smith'})
    expect(error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(server.received.some((l) => l.startsWith('USER'))).toBe(false)
  })
})

describe('option validation (no connection is made)', () => {
  it.each([
    [{limit: -3}, /^limit: -3 is not a whole number/],
    [{limit: 0}, /^limit: 0/],
    [{limit: 1.5}, /^limit: 1\.5/],
    [{port: 0}, /^port: 0 is not a port number/],
    [{port: 70000}, /^port: 70000/],
    [{auth: 'bogus' as never}, /^auth: bogus is not one of user, apop, plain, login, cram-md5, xoauth2/],
    [{tls: 'sometimes' as never}, /^tls: sometimes is not one of auto, starttls, implicit, none/],
    [{user: 'alice\r\nDELE 1'}, /the user name contains a CR character/],
    [{password: 'a\nb'}, /the password contains a LF character/],
    [{password: undefined}, /^password: a login \(user\) needs a password/],
    [{host: 'pop.test\r\n'}, /the host name contains a CR/],
  ] as [Partial<Pop3ListOptions>, RegExp][])('%j', async (options, message) => {
    const started = performance.now()
    const error = await listPop3({host: 'pop.test', address: '127.0.1.99', port: 1, user: 'u', password: 'p', ...options}).then(
      () => undefined,
      (e: unknown) => e as MaildigError,
    )
    expect(error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(error?.message).toMatch(message)
    expect(error?.message).not.toMatch(/DELE|\r|\n/)
    expect(performance.now() - started).toBeLessThan(100)
  })
})

describe('headersOf', () => {
  it('reads From, Subject, Date and Message-ID, decoding encoded-words', () => {
    expect(headersOf(['Subject: =?utf-8?q?caf=C3=A9?=', 'From: "A" <a@x>', ''])).toEqual({from: '"A" <a@x>', subject: 'café', date: null, messageId: null})
  })

  it('gives nulls for what is not a header', () => {
    expect(headersOf([''])).toEqual({from: null, subject: null, date: null, messageId: null})
    expect(headersOf(['no colon here at all'])).toEqual({from: null, subject: null, date: null, messageId: null})
  })
})
