import {createServer} from 'node:net'
import {describe, expect, it} from 'vitest'
import {MaildigError, partialOf} from '../../../src/lib/errors.js'
import {probeSmtp, type SmtpProbeOptions, type SmtpProbePartial} from '../../../src/lib/smtp/probe.js'
import {smtpProbePartialSchema} from '../../../src/lib/smtp/schema.js'
import {startSmtpFixture, type SmtpFixture, type SmtpFixtureOptions} from '../../fixtures/misbehaving-smtp.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {type Flat, withNet} from '../../fixtures/net.js'

/**
 * The probe against servers that misbehave byte by byte. Each case must end with a MaildigError
 * carrying the exit code docs/cli.md gives, within the stage timeout + 1 s, with a message a person can act
 * on and the partial result (transcript, timings) attached.
 */
const TIMEOUT_MS = 500
const HOST = '127.0.1.42'

const harness = fixtureHarness({names: ['mail.test'], ips: [HOST]}, (pki, options: Omit<SmtpFixtureOptions, 'host'>) => startSmtpFixture({host: HOST, tls: pki.leaf, ...options}))
const start = (options: Omit<SmtpFixtureOptions, 'host'>) => harness.start(options)

interface Outcome {
  error: MaildigError
  ms: number
}

async function probeFails(server: SmtpFixture, options: Partial<Flat<SmtpProbeOptions>> = {}): Promise<Outcome> {
  const started = performance.now()
  const error = await probeSmtp(withNet({
    host: 'mail.test',
    address: server.host,
    port: server.port,
    ca: harness.pki.ca.cert,
    ehloName: 'client.test',
    timeoutMs: TIMEOUT_MS,
    ...options,
  })).then(
    () => {
      throw new Error('the probe should have failed')
    },
    (e: unknown) => e,
  )
  const ms = performance.now() - started
  expect(error).toBeInstanceOf(MaildigError)
  const partial = partialOf<SmtpProbePartial>(error)
  expect(partial).toBeDefined()
  expect(() => smtpProbePartialSchema.parse(partial)).not.toThrow()
  expect(partial?.transcript.length).toBeGreaterThan(0)
  expect(partial?.timings.totalMs).toBeGreaterThan(0)
  return {error: error as MaildigError, ms}
}

const withinDeadline = (ms: number) => expect(ms).toBeLessThan(TIMEOUT_MS + 1000)

describe('probeSmtp against misbehaving servers', () => {
  it('never greets → GREETING_TIMEOUT, exit 5, after the timeout and before timeout + 1 s', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'silent'}))
    expect(error).toMatchObject({code: 'GREETING_TIMEOUT', category: 'timeout', exitCode: 5})
    expect(error.message).toBe(`no greeting from mail.test [${HOST}]:${harness.current?.port} within 500 ms`)
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5)
    withinDeadline(ms)
  })

  it('greets 421 and closes → GREETING_REJECTED, exit 4 (temporary)', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'greet-421'}))
    expect(error).toMatchObject({code: 'GREETING_REJECTED', category: 'connection', exitCode: 4, temporary: true, responseCode: 421})
    expect(error.message).toMatch(/refused the session: 421 4\.3\.2 mail\.test Service not available/)
    expect(partialOf<SmtpProbePartial>(error)?.banner).toEqual({code: 421, text: '4.3.2 mail.test Service not available, closing transmission channel'})
    withinDeadline(ms)
  })

  it('greets 554 → GREETING_REJECTED, exit 1, and still says QUIT', async () => {
    const server = await start({behaviour: 'greet-554'})
    const {error, ms} = await probeFails(server)
    expect(error).toMatchObject({code: 'GREETING_REJECTED', category: 'check', exitCode: 1, responseCode: 554})
    expect(error.message).toMatch(/blocklist/)
    expect(server.received).toEqual(['QUIT'])
    withinDeadline(ms)
  })

  it('closes right after the connect → CONNECTION_CLOSED, exit 4', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'close-immediately'}))
    expect(['CONNECTION_CLOSED', 'CONNECTION_RESET']).toContain(error.code)
    expect(error.exitCode).toBe(4)
    expect(error.message).toMatch(/closed the connection unexpectedly|reset/)
    withinDeadline(ms)
  })

  it('sends an endless line → LINE_TOO_LONG, exit 8, with bounded memory', async () => {
    const before = process.memoryUsage()
    const {error, ms} = await probeFails(await start({behaviour: 'endless-line'}))
    const after = process.memoryUsage()
    expect(error).toMatchObject({code: 'LINE_TOO_LONG', category: 'protocol', exitCode: 8})
    expect(error.message).toMatch(/longer than 8192 bytes/)
    withinDeadline(ms)
    // The reader's own bound is proven in line-reader.test.ts; here: nothing piled up.
    expect(after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers)).toBeLessThan(16 * 1024 * 1024)
  })

  it('an endless line with a long deadline still fails at once, not at the deadline', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'endless-line'}), {timeoutMs: 10_000})
    expect(error.code).toBe('LINE_TOO_LONG')
    expect(ms).toBeLessThan(1000)
  })

  it('sends binary garbage → PROTOCOL_ERROR, exit 8', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'garbage'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', category: 'protocol', exitCode: 8})
    expect(error.message).toMatch(/sent binary data \(byte 0x15\), not text lines/)
    withinDeadline(ms)
  })

  it('answers EHLO with a malformed multi-line reply → PROTOCOL_ERROR, exit 8', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'bad-ehlo'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/malformed reply line "251 SIZE 1000": code 251 inside a 250 reply/)
    expect(partialOf<SmtpProbePartial>(error)?.banner?.code).toBe(220)
    withinDeadline(ms)
  })

  it('answers EHLO with 150 lines → PROTOCOL_ERROR, exit 8', async () => {
    const {error} = await probeFails(await start({behaviour: 'huge-ehlo'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/more than 100 lines/)
  })

  it('answers STARTTLS with 220 and then plaintext → STARTTLS_FAILED, exit 6', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'broken-starttls'}))
    expect(error).toMatchObject({code: 'STARTTLS_FAILED', category: 'tls', exitCode: 6})
    expect(error.message).toMatch(/TLS handshake with mail\.test .* failed: wrong version number .*did not answer in TLS/)
    expect(error.message).not.toMatch(/\n|ssl3_record\.c/)
    withinDeadline(ms)
  })

  it('trickles the greeting one byte every 200 ms → GREETING_TIMEOUT, exit 5 (a deadline, not an idle timer)', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'slow'}))
    expect(error).toMatchObject({code: 'GREETING_TIMEOUT', exitCode: 5})
    withinDeadline(ms)
  })

  it('trickles the EHLO reply → REPLY_TIMEOUT naming EHLO, exit 5', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'slow-reply', slowByteMs: 50}))
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', category: 'timeout', exitCode: 5, command: 'EHLO'})
    expect(error.message).toMatch(/no complete reply from mail\.test .* to EHLO within 500 ms/)
    withinDeadline(ms)
  })

  it('--tls starttls against a server without STARTTLS → STARTTLS_NOT_OFFERED, exit 6', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'good', tls: undefined}), {tls: 'starttls'})
    expect(error).toMatchObject({code: 'STARTTLS_NOT_OFFERED', category: 'tls', exitCode: 6})
    expect(partialOf<SmtpProbePartial>(error)?.ehlo?.extensions).not.toHaveProperty('STARTTLS')
    withinDeadline(ms)
  })

  it('implicit TLS against a plaintext server → TLS_FAILED, exit 6', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'good'}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'TLS_FAILED', category: 'tls', exitCode: 6})
    withinDeadline(ms)
  })

  it('plaintext against an implicit-TLS server → GREETING_TIMEOUT, exit 5', async () => {
    const {error, ms} = await probeFails(await start({behaviour: 'good', implicitTls: true}), {tls: 'none'})
    expect(error).toMatchObject({code: 'GREETING_TIMEOUT', exitCode: 5})
    withinDeadline(ms)
  })

  it('nothing listens → CONNECT_REFUSED, exit 4', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
    const port = (server.address() as {port: number}).port
    await new Promise((resolve) => server.close(resolve))
    const {error, ms} = await probeFails({host: HOST, port} as SmtpFixture)
    expect(error).toMatchObject({code: 'CONNECT_REFUSED', category: 'connection', exitCode: 4})
    expect(partialOf<SmtpProbePartial>(error)?.address).toBe(HOST)
    withinDeadline(ms)
  })
})
