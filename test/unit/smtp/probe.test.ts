import {describe, expect, it} from 'vitest'
import {UsageError} from '../../../src/lib/errors.js'
import {probeSmtp, type SmtpProbeOptions, type SmtpProbeResult} from '../../../src/lib/smtp/probe.js'
import {smtpProbeResultSchema} from '../../../src/lib/smtp/schema.js'
import {startSmtpFixture, type SmtpFixture, type SmtpFixtureOptions} from '../../fixtures/misbehaving-smtp.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {stubResolver, type Flat, withNet} from '../../fixtures/net.js'

const HOST = '127.0.1.43'
const harness = fixtureHarness({names: ['mail.test'], ips: [HOST]}, (pki, options: Partial<SmtpFixtureOptions>) => startSmtpFixture({host: HOST, behaviour: 'good', tls: pki.leaf, ...options}))
const start = (options: Partial<SmtpFixtureOptions> = {}) => harness.start(options)

async function probe(server: SmtpFixture, options: Partial<Flat<SmtpProbeOptions>> = {}): Promise<SmtpProbeResult> {
  const result = await probeSmtp(withNet({
    host: 'mail.test',
    address: server.host,
    port: server.port,
    ca: harness.pki.ca.cert,
    ehloName: 'client.test',
    timeoutMs: 2000,
    ...options,
  }))
  expect(smtpProbeResultSchema.parse(result)).toEqual(result)
  return result
}

const codes = (result: SmtpProbeResult) => result.findings.map((f) => f.code)
const sends = (result: SmtpProbeResult) => result.transcript.filter((l) => l.dir === 'send').map((l) => l.line)

describe('probeSmtp against a well-behaved server', () => {
  it('runs the whole probe: STARTTLS, certificate, relay test, recipients, then RSET and QUIT', async () => {
    const server = await start()
    const result = await probe(server, {rcpts: ['alice@mail.test', '<nobody@mail.test>'], relayTest: true})
    expect(result).toMatchObject({
      host: 'mail.test',
      address: HOST,
      port: server.port,
      tlsMode: 'starttls',
      banner: {code: 220, text: 'mail.test ESMTP maildig-fixture'},
      ehlo: {name: 'mail.test', protocol: 'ESMTP'},
      auth: {mechanisms: [], result: 'not-offered', mechanism: null},
      relay: {from: 'relay-test@maildig.invalid', to: 'relay-test@example.net', accepted: false, code: 554, enhancedCode: '5.7.1'},
      recipients: [
        {address: 'alice@mail.test', accepted: true, code: 250, enhancedCode: '2.1.5', text: '2.1.5 Ok'},
        {address: 'nobody@mail.test', accepted: false, code: 550, enhancedCode: '5.1.1'},
      ],
    })
    // Extensions come from the EHLO inside TLS: STARTTLS is no longer offered there.
    expect(Object.keys(result.ehlo.extensions)).toEqual(['PIPELINING', 'SIZE', 'ENHANCEDSTATUSCODES', '8BITMIME', 'SMTPUTF8'])
    expect(result.tls).toMatchObject({version: 'TLSv1.3', authorized: true, hostnameMatches: true, servername: 'mail.test'})
    expect(codes(result)).toEqual(['RELAY_DENIED', 'RCPT_REJECTED'])
    expect(result.findings[1]).toMatchObject({severity: 'error', subject: 'nobody@mail.test'})
    for (const key of ['connectMs', 'greetingMs', 'ehloMs', 'tlsMs', 'mailMs', 'rcptMs', 'quitMs', 'totalMs'] as const) {
      expect(result.timings[key]).toBeGreaterThanOrEqual(0)
    }
    expect(server.received).toEqual([
      'EHLO client.test',
      'STARTTLS',
      'EHLO client.test',
      'MAIL FROM:<relay-test@maildig.invalid>',
      'RCPT TO:<relay-test@example.net>',
      'RSET',
      'MAIL FROM:<>',
      'RCPT TO:<alice@mail.test>',
      'RCPT TO:<nobody@mail.test>',
      'RSET',
      'QUIT',
    ])
    // Lines are flagged by whether they travelled inside TLS.
    const established = result.transcript.findIndex((l) => l.line.startsWith('TLS established'))
    expect(established).toBeGreaterThan(0)
    expect(result.transcript.slice(0, established).every((l) => !l.tls)).toBe(true)
    expect(result.transcript.slice(established).every((l) => l.tls)).toBe(true)
    expect(sends(result).at(-1)).toBe('QUIT')
  })

  it('reports an open relay', async () => {
    const result = await probe(await start({openRelay: true}), {relayTest: true})
    expect(codes(result)).toEqual(['OPEN_RELAY'])
    expect(result.findings[0]).toMatchObject({severity: 'error'})
    expect(result.findings[0].message).toMatch(/accepted without authentication/)
    expect(result.relay?.accepted).toBe(true)
  })

  it('counts a refused relay-test sender as relay denied', async () => {
    const server = await start({rejectSenderSuffix: '.invalid'})
    const result = await probe(server, {relayTest: true})
    expect(codes(result)).toEqual(['RELAY_DENIED'])
    expect(result.relay).toMatchObject({accepted: false, code: 553, enhancedCode: '5.1.8'})
    expect(server.received).not.toContain('RCPT TO:<relay-test@example.net>')
  })

  it('reports a greylisted recipient as a warning', async () => {
    const result = await probe(await start(), {rcpts: ['grey@mail.test']})
    expect(result.findings).toMatchObject([{code: 'RCPT_REJECTED', severity: 'warning'}])
  })

  it('warns when STARTTLS is not offered (auto mode) and probes in plaintext', async () => {
    const result = await probe(await start({tls: undefined}))
    expect(result.tlsMode).toBe('none')
    expect(result.tls).toBeNull()
    expect(result.findings).toMatchObject([{code: 'STARTTLS_NOT_OFFERED', severity: 'warning'}])
  })

  it('does implicit TLS with --tls implicit', async () => {
    const result = await probe(await start({implicitTls: true}), {tls: 'implicit'})
    expect(result.tlsMode).toBe('implicit')
    expect(result.tls?.authorized).toBe(true)
    expect(result.transcript.find((l) => l.dir === 'recv')?.tls).toBe(true)
  })

  it('--tls none does not start TLS even when offered', async () => {
    const server = await start()
    const result = await probe(server, {tls: 'none'})
    expect(result.tlsMode).toBe('none')
    expect(server.received).not.toContain('STARTTLS')
    expect(codes(result)).toEqual([])
  })

  it('reports certificate problems as findings, without failing', async () => {
    const result = await probe(await start({tls: harness.pki.selfSigned}))
    expect(codes(result)).toEqual(['TLS_CERT_UNTRUSTED'])
    const expiring = await probe(await start({tls: harness.pki.shortLived}))
    expect(codes(expiring)).toEqual(['TLS_CERT_EXPIRING'])
  })

  it('checks --require', async () => {
    const server = await start({tls: harness.pki.selfSigned})
    const all = ['starttls', 'valid-cert', 'auth', 'tls1.2', 'tls1.3'] as const
    const result = await probe(server, {require: [...all]})
    expect(result.findings.filter((f) => f.code === 'REQUIREMENT_NOT_MET').map((f) => f.message)).toEqual([
      'required valid-cert: the certificate is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)',
      'required auth: the server offers no AUTH',
    ])
    const plain = await probe(server, {require: [...all], tls: 'none'})
    expect(plain.findings.filter((f) => f.code === 'REQUIREMENT_NOT_MET').map((f) => f.message.split(':')[0])).toEqual([
      'required starttls',
      'required valid-cert',
      'required auth',
      'required tls1.2',
      'required tls1.3',
    ])
  })

  it('meets every requirement on a good server with AUTH', async () => {
    const server = await start({auth: {user: 'bob', password: 'correct horse'}})
    const result = await probe(server, {require: ['starttls', 'valid-cert', 'auth', 'tls1.2', 'tls1.3'], user: 'bob', password: 'correct horse'})
    expect(codes(result)).toEqual([])
    expect(result.auth).toEqual({mechanisms: ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'], result: 'ok', mechanism: 'PLAIN'})
  })

  it('compares the banner and EHLO names with the PTR names', async () => {
    const server = await start()
    expect(codes(await probe(server, {ptrNames: ['mail.test.']}))).toEqual([])
    const mismatch = await probe(server, {ptrNames: ['host-192-0-2-1.isp.example']})
    expect(mismatch.findings).toMatchObject([{code: 'BANNER_PTR_MISMATCH', severity: 'warning'}])
    expect(mismatch.findings[0].message).toContain('the greeting names mail.test, not the PTR of')
    const other = await probe(await start({hostname: 'mx1.mail.test'}), {ptrNames: ['mx1.mail.test'], tls: 'none'})
    expect(codes(other)).toEqual([])
  })

  it('falls back to HELO when EHLO is refused', async () => {
    const server = await start({noEhlo: true})
    const result = await probe(server, {tls: 'auto'})
    expect(result.ehlo).toEqual({name: 'mail.test', protocol: 'SMTP', extensions: {}})
    expect(server.received.slice(0, 2)).toEqual(['EHLO client.test', 'HELO client.test'])
    expect(codes(result)).toEqual(['STARTTLS_NOT_OFFERED'])
  })

  it('resolves the host through the injected lookup and connects from localAddress', async () => {
    const server = await start()
    const resolver = stubResolver(() => HOST)
    const result = await probeSmtp(withNet({host: 'mail.test', port: server.port, resolver, localAddress: '127.0.1.98', ca: harness.pki.ca.cert, ehloName: 'client.test', timeoutMs: 2000}))
    expect(resolver.asked).toEqual(['mail.test A', 'mail.test AAAA'])
    expect(result.address).toBe(HOST)
    expect(result.transcript[1].line).toMatch(/connecting to mail\.test \[127\.0\.1\.43\]:\d+ from 127\.0\.1\.98/)
    expect(result.timings.lookupMs).toBeGreaterThanOrEqual(0)
  })

  it('defaults the EHLO name to a FQDN or an address literal', async () => {
    const server = await start()
    const result = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, localAddress: '127.0.1.97', tls: 'none', timeoutMs: 2000}))
    expect(result.transcript.find((l) => l.dir === 'send')?.line).toMatch(/^EHLO ([a-z0-9-]+\.[a-z0-9.-]+|\[127\.0\.1\.97\])$/i)
  })
})

describe('probeSmtp input validation (CR/LF/NUL → usage error before anything is sent)', () => {
  it.each([
    ['a recipient', {rcpts: ['alice@mail.test\r\nRCPT TO:<victim@example.net>']}, /the recipient address contains a CR character/],
    ['the sender', {from: 'x@mail.test\nDATA', rcpts: ['alice@mail.test']}, /the sender address contains a LF character/],
    ['the EHLO name', {ehloName: 'client.test\r\nMAIL FROM:<>'}, /the EHLO name contains a CR character/],
    ['the EHLO name (NUL)', {ehloName: 'client\0.test'}, /the EHLO name contains a NUL character/],
    ['the relay-test recipient', {relayTest: {to: 'x@example.net\nRSET'}}, /relay-test recipient contains a LF/],
    ['the user name', {user: 'bob\r\n', password: 'x'}, /the user name contains a CR/],
    ['brackets in an address', {rcpts: ['a>@x SIZE=1 <b@y']}, /contains "<" or ">"/],
    ['an EHLO name with a space', {ehloName: 'client.test MAIL'}, /must be one word/],
  ])('%s', async (_what, options, message) => {
    const server = await start()
    const error = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, timeoutMs: 2000, ehloName: 'client.test', ...options})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UsageError)
    expect((error as UsageError).exitCode).toBe(2)
    expect((error as UsageError).message).toMatch(message)
    expect(server.connections).toBe(0)
  })

  it('refuses unknown require and tls values and bad ports, naming the field', async () => {
    await expect(probeSmtp({host: 'mail.test', require: ['tls9' as never]})).rejects.toThrow(/^require: tls9 is not one of/)
    await expect(probeSmtp({host: 'mail.test', tls: 'maybe' as never})).rejects.toThrow(/^tls: maybe is not one of/)
    await expect(probeSmtp({host: 'mail.test', port: 70000})).rejects.toThrow(/^port: 70000 is not a port number/)
    await expect(probeSmtp({host: 'mail.test', user: 'bob'})).rejects.toThrow(/needs a password/)
  })
})
