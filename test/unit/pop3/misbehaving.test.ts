import {createServer} from 'node:net'
import {describe, expect, it} from 'vitest'
import {MaildigError, partialOf} from '../../../src/lib/errors.js'
import {listPop3, type Pop3ListOptions, type Pop3ListPartial} from '../../../src/lib/pop3/list.js'
import {pop3ListPartialSchema} from '../../../src/lib/pop3/schema.js'
import {startPop3Fixture, type Pop3Fixture, type Pop3FixtureOptions} from '../../fixtures/misbehaving-pop3.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {type Flat, withNet} from '../../fixtures/net.js'

/**
 * listPop3 against servers that misbehave byte by byte. Each case must end with a MaildigError
 * carrying the documented exit code, within the stage timeout + 1 s, with a message a person can act
 * on and the partial result (transcript, timings) attached.
 */
const TIMEOUT_MS = 500
const HOST = '127.0.1.71'
const USER = 'alice@pop.test'
const PASSWORD = 'Fixture-Secret-88'

const harness = fixtureHarness({names: ['pop.mail.test'], ips: [HOST]}, (pki, options: Omit<Pop3FixtureOptions, 'host'>) => startPop3Fixture({host: HOST, user: USER, password: PASSWORD, tls: pki.leaf, messages: ['Subject: a\n\nx\n', 'Subject: b\n\ny\n'], ...options}))
const start = (options: Omit<Pop3FixtureOptions, 'host'>) => harness.start(options)

interface Outcome {
  error: MaildigError
  ms: number
}

async function listFails(server: Pop3Fixture, options: Partial<Flat<Pop3ListOptions>> = {}): Promise<Outcome> {
  const started = performance.now()
  const error = await listPop3(withNet({
    host: 'pop.mail.test',
    address: server.host,
    port: server.port,
    ca: harness.pki.ca.cert,
    timeoutMs: TIMEOUT_MS,
    user: USER,
    password: PASSWORD,
    ...options,
  })).then(
    () => {
      throw new Error('the listing should have failed')
    },
    (e: unknown) => e,
  )
  const ms = performance.now() - started
  expect(error).toBeInstanceOf(MaildigError)
  const partial = partialOf<Pop3ListPartial>(error)
  expect(partial).toBeDefined()
  expect(() => pop3ListPartialSchema.parse(partial)).not.toThrow()
  expect(partial?.transcript.length).toBeGreaterThan(0)
  expect(partial?.timings.totalMs).toBeGreaterThan(0)
  expect(JSON.stringify(partial)).not.toContain(PASSWORD)
  expect((error as Error).message).not.toContain(PASSWORD)
  return {error: error as MaildigError, ms}
}

const withinDeadline = (ms: number) => expect(ms).toBeLessThan(TIMEOUT_MS + 1000)

describe('listPop3 against misbehaving servers', () => {
  it('-ERR greeting → POP3_GREETING_ERR, exit 4, with the response code explained', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'greet-err'}))
    expect(error).toMatchObject({code: 'POP3_GREETING_ERR', category: 'connection', exitCode: 4, temporary: true})
    expect(error.message).toBe(
      `pop.mail.test [${HOST}]:${harness.current?.port} refused the session: -ERR [SYS/TEMP] Too many connections from your address, try again later — a temporary problem on the server, not the credentials (RFC 3206 §4): try again later`,
    )
    expect(error.response).toBe('-ERR [SYS/TEMP] Too many connections from your address, try again later')
    expect(partialOf<Pop3ListPartial>(error)?.greeting).toBeUndefined()
    withinDeadline(ms)
  })

  it('never greets → GREETING_TIMEOUT, exit 5, after the timeout and before timeout + 1 s', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'silent'}))
    expect(error).toMatchObject({code: 'GREETING_TIMEOUT', category: 'timeout', exitCode: 5})
    expect(error.message).toBe(`no greeting from pop.mail.test [${HOST}]:${harness.current?.port} within 500 ms`)
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    withinDeadline(ms)
  })

  it('an endless line → LINE_TOO_LONG, exit 8, long before the timeout', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'endless-line'}))
    expect(error).toMatchObject({code: 'LINE_TOO_LONG', category: 'protocol', exitCode: 8})
    expect(error.message).toMatch(/sent a line longer than 8192 bytes without a line end/)
    expect(ms).toBeLessThan(TIMEOUT_MS)
  })

  it('binary garbage → PROTOCOL_ERROR, exit 8', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'garbage'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', category: 'protocol', exitCode: 8})
    expect(error.message).toMatch(/sent binary data \(byte 0x15\), not text lines: is this the right port and protocol/)
    withinDeadline(ms)
  })

  it('the wrong service (an SMTP greeting) → PROTOCOL_ERROR, exit 8, asking whether this is POP3', async () => {
    const {error} = await listFails(await start({behaviour: 'smtp-greeting'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toBe(`pop.mail.test [${HOST}]:${harness.current?.port} greeted with "220 mail.test ESMTP Postfix", not +OK or -ERR: is this a POP3 service?`)
  })

  it('[IN-USE] on PASS → MAILBOX_IN_USE, exit 1, saying the password was right and another session holds the lock', async () => {
    const server = await start({behaviour: 'good', implicitTls: true, loginError: '-ERR [IN-USE] Mailbox is locked by another POP3 session'})
    const {error, ms} = await listFails(server, {tls: 'implicit', auth: 'user'})
    expect(error).toMatchObject({code: 'MAILBOX_IN_USE', category: 'check', exitCode: 1, temporary: true})
    expect(error.message).toBe(
      `pop.mail.test [${HOST}]:${server.port} did not log ${USER} in (USER/PASS): -ERR [IN-USE] Mailbox is locked by another POP3 session — the credentials were accepted, but another POP3 session holds the mailbox lock (RFC 2449 §8.1): close the other mail client or wait for its session to end, then try again`,
    )
    // The session was still usable: it ends with QUIT.
    expect(server.received.at(-1)).toBe('QUIT')
    expect(partialOf<Pop3ListPartial>(error)?.greeting?.apop).toBe(true)
    withinDeadline(ms)
  })

  it('a LIST that never ends → PROTOCOL_ERROR (bounded by the STAT count), exit 8', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'endless-list', implicitTls: true}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/sent more than 2 lines in answer to LIST without the "\." that ends it/)
    expect(partialOf<Pop3ListPartial>(error)?.stat).toEqual({messages: 2, octets: expect.any(Number)})
    withinDeadline(ms)
  })

  it('a LIST longer than STAT counted → PROTOCOL_ERROR, exit 8', async () => {
    const {error} = await listFails(await start({behaviour: 'list-exceeds-stat', implicitTls: true}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/more than 2 lines in answer to LIST/)
  })

  it('a STAT that is no STAT → PROTOCOL_ERROR, exit 8', async () => {
    const {error} = await listFails(await start({behaviour: 'bad-stat', implicitTls: true}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/sent a malformed response "\+OK lots of mail": STAT must answer/)
  })

  it('a TOP that stalls halfway → REPLY_TIMEOUT, exit 5, within timeout + 1 s', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'stalled-top', implicitTls: true}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', category: 'timeout', exitCode: 5})
    expect(error.message).toMatch(/no complete reply from .* to TOP within 500 ms/)
    withinDeadline(ms)
  })

  it('a reply trickling in byte by byte → REPLY_TIMEOUT: the deadline covers the whole response', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'slow-reply', implicitTls: true, slowByteMs: 50}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', exitCode: 5})
    expect(error.message).toMatch(/to CAPA within 500 ms/)
    withinDeadline(ms)
  })

  it('STLS answered with plaintext → STARTTLS_FAILED, exit 6', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'broken-stls'}))
    expect(error).toMatchObject({code: 'STARTTLS_FAILED', category: 'tls', exitCode: 6})
    expect(error.message).toMatch(/TLS handshake with .* failed/)
    withinDeadline(ms)
  })

  it('plaintext on the TLS port → TLS_FAILED, exit 6', async () => {
    const {error, ms} = await listFails(await start({behaviour: 'good', tls: undefined}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'TLS_FAILED', category: 'tls', exitCode: 6})
    withinDeadline(ms)
  })

  it('nothing listening → CONNECT_REFUSED, exit 4', async () => {
    // A port that was just free: bind, note it, close.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, HOST, resolve))
    const port = (probe.address() as {port: number}).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const error = await listPop3(withNet({host: HOST, port, timeoutMs: TIMEOUT_MS, user: USER, password: PASSWORD})).catch((e: unknown) => e as MaildigError)
    expect(error).toMatchObject({code: 'CONNECT_REFUSED', category: 'connection', exitCode: 4})
    expect(partialOf<Pop3ListPartial>(error)?.transcript.length).toBeGreaterThan(0)
  })

  it('a server that never answers QUIT does not hold the listing up more than about 1 s', async () => {
    const server = await start({behaviour: 'good', implicitTls: true, noQuitReply: true})
    const started = performance.now()
    const result = await listPop3(withNet({host: 'pop.mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, tls: 'implicit', timeoutMs: 5000, user: USER, password: PASSWORD}))
    // The listing is complete before QUIT; the silence after it costs the 1 s close grace, not the 5 s deadline.
    const ms = performance.now() - started
    expect(result.messages).toHaveLength(2)
    expect(ms).toBeGreaterThanOrEqual(900)
    expect(ms).toBeLessThan(2500)
    expect(server.received.slice(-2)).toEqual(['RSET', 'QUIT'])
  })
})
