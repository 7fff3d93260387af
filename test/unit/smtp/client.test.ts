import {describe, expect, it} from 'vitest'
import {MaildigError, partialOf, UsageError} from '../../../src/lib/errors.js'
import {saslCramMd5, saslLoginStep, saslPlain, saslXoauth2, type SaslMechanism} from '../../../src/lib/net/sasl.js'
import {SmtpClient} from '../../../src/lib/smtp/client.js'
import {probeSmtp, type SmtpProbeOptions, type SmtpProbePartial} from '../../../src/lib/smtp/probe.js'
import {startSmtpFixture, type SmtpFixture, type SmtpFixtureOptions} from '../../fixtures/misbehaving-smtp.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {type Flat, withNet} from '../../fixtures/net.js'

const HOST = '127.0.1.44'
const USER = 'bob@mail.test'
const PASSWORD = 'S3cret-Pa55word!'
const harness = fixtureHarness({names: ['mail.test'], ips: [HOST]}, (pki, options: Partial<SmtpFixtureOptions>) => startSmtpFixture({host: HOST, behaviour: 'good', tls: pki.leaf, auth: {user: USER, password: PASSWORD}, ...options}))
const start = (options: Partial<SmtpFixtureOptions> = {}) => harness.start(options)

function client(server: SmtpFixture, options: {ca?: boolean} = {}): SmtpClient {
  return new SmtpClient(withNet({host: 'mail.test', address: server.host, port: server.port, timeoutMs: 2000, ...(options.ca === false ? {} : {ca: harness.pki.ca.cert})}))
}

/** Every form a secret could leak in: as is, and base64 of the password alone. */
function leaks(text: string): string[] {
  const forms = [PASSWORD, Buffer.from(PASSWORD).toString('base64'), saslPlain(USER, PASSWORD), saslXoauth2(USER, PASSWORD)]
  return forms.filter((form) => text.includes(form))
}

describe('AUTH', () => {
  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as SaslMechanism[])('%s succeeds and leaves no secret in the transcript', async (mechanism) => {
    const server = await start()
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    await smtp.startTls()
    const options = mechanism === 'XOAUTH2' ? {user: USER, token: PASSWORD, mechanism} : {user: USER, password: PASSWORD, mechanism}
    const result = await smtp.auth(options)
    await smtp.quit()
    expect(result.mechanism).toBe(mechanism)
    expect(result.reply.code).toBe(235)
    // The server did receive the credentials (so the masking is not hiding a broken exchange)…
    expect(server.received.some((line) => line.includes(mechanism === 'LOGIN' ? saslLoginStep(PASSWORD) : mechanism))).toBe(true)
    // …and the transcript shows none of them.
    const transcript = JSON.stringify(smtp.transcript.lines)
    expect(leaks(transcript)).toEqual([])
    expect(transcript).not.toContain(saslLoginStep(USER))
    const sent = smtp.transcript.lines.filter((l) => l.dir === 'send').map((l) => l.line)
    if (mechanism === 'PLAIN') expect(sent).toContain('AUTH PLAIN /* secret */')
    if (mechanism === 'XOAUTH2') expect(sent).toContain('AUTH XOAUTH2 /* secret */')
    if (mechanism === 'LOGIN') expect(sent.filter((l) => l === '/* secret */')).toHaveLength(2)
    if (mechanism === 'CRAM-MD5') {
      expect(sent).toContain('/* secret */')
      // The 334 challenge may be shown: it is the server's, not a secret.
      expect(smtp.transcript.lines.some((l) => l.dir === 'recv' && l.line.startsWith('334 '))).toBe(true)
    }
  })

  it.each(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'] as SaslMechanism[])('%s with a wrong password → AUTH_FAILED, exit 7, secrets nowhere', async (mechanism) => {
    const server = await start({auth: {user: USER, password: 'something else'}})
    const options: Flat<SmtpProbeOptions> = {
      host: 'mail.test',
      address: server.host,
      port: server.port,
      ca: harness.pki.ca.cert,
      ehloName: 'client.test',
      timeoutMs: 2000,
      user: USER,
      authMechanism: mechanism,
      ...(mechanism === 'XOAUTH2' ? {token: PASSWORD} : {password: PASSWORD}),
    }
    const error = (await probeSmtp(withNet(options)).catch((e: unknown) => e)) as MaildigError
    expect(error).toBeInstanceOf(MaildigError)
    expect(error).toMatchObject({code: 'AUTH_FAILED', category: 'auth', exitCode: 7, responseCode: 535, command: `AUTH ${mechanism}`})
    expect(error.message).toMatch(new RegExp(`rejected the credentials for ${USER} \\(AUTH ${mechanism}\\): 535 5\\.7\\.8`))
    const partial = partialOf<SmtpProbePartial>(error)
    expect(partial?.auth).toMatchObject({result: 'failed'})
    expect(partial?.findings.map((f) => f.code)).toContain('AUTH_FAILED')
    const everything = JSON.stringify({message: error.message, response: error.response, command: error.command, partial, stack: error.stack})
    expect(leaks(everything)).toEqual([])
    // The session still ended politely.
    expect(server.received.at(-1)).toBe('QUIT')
  })

  it('picks PLAIN by default and XOAUTH2 for a token', async () => {
    const server = await start()
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    await smtp.startTls()
    expect((await smtp.auth({user: USER, password: PASSWORD})).mechanism).toBe('PLAIN')
    await smtp.close()
    const other = client(server)
    await other.connect()
    await other.ehlo('client.test')
    await other.startTls()
    expect((await other.auth({user: USER, token: PASSWORD})).mechanism).toBe('XOAUTH2')
    await other.close()
  })

  it('refuses to send credentials over plaintext (AUTH_INSECURE, exit 7) unless allowed', async () => {
    const server = await start({authBeforeTls: true})
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    const error = (await smtp.auth({user: USER, password: PASSWORD}).catch((e: unknown) => e)) as MaildigError
    expect(error).toMatchObject({code: 'AUTH_INSECURE', category: 'auth', exitCode: 7})
    expect(error.message).toMatch(/the connection is not encrypted, and insecure authentication is not allowed/)
    expect(server.received.some((l) => l.startsWith('AUTH'))).toBe(false)
    const ok = await smtp.auth({user: USER, password: PASSWORD, allowInsecureAuth: true})
    expect(ok.reply.code).toBe(235)
    await smtp.quit()
  })

  it('refuses credentials over an unverified certificate, in the probe as a finding', async () => {
    const server = await start()
    const base = {host: 'mail.test', address: server.host, port: server.port, ehloName: 'client.test', timeoutMs: 2000, user: USER, password: PASSWORD}
    const untrusted = await probeSmtp(withNet(base)) // no ca: the private CA is unknown
    expect(untrusted.auth.result).toBe('refused-insecure')
    expect(untrusted.findings.map((f) => f.code)).toEqual(['TLS_CERT_UNTRUSTED', 'AUTH_INSECURE'])
    expect(server.received.some((l) => l.startsWith('AUTH'))).toBe(false)
    const allowed = await probeSmtp(withNet({...base, allowInsecureAuth: true}))
    expect(allowed.auth.result).toBe('ok')
    const wrongName = await probeSmtp(withNet({...base, host: HOST, ca: harness.pki.ca.cert}))
    expect(wrongName.auth.result).toBe('ok') // the certificate names the IP too
  })

  it('reports AUTH_NOT_OFFERED when a user is given and the server has no AUTH', async () => {
    const server = await start({auth: undefined})
    const result = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, ehloName: 'client.test', timeoutMs: 2000, user: USER, password: PASSWORD}))
    expect(result.auth).toEqual({mechanisms: [], result: 'not-offered', mechanism: null})
    expect(result.findings.map((f) => f.code)).toEqual(['AUTH_NOT_OFFERED'])
  })

  it('reports a mechanism that is not offered', async () => {
    const server = await start({auth: {user: USER, password: PASSWORD, mechanisms: ['LOGIN']}})
    const result = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, ehloName: 'client.test', timeoutMs: 2000, user: USER, password: PASSWORD, authMechanism: 'CRAM-MD5'}))
    expect(result.auth.result).toBe('not-offered')
    expect(result.findings[0].message).toMatch(/does not offer AUTH CRAM-MD5 \(it offers LOGIN\)/)
  })

  it.each(['502 5.5.2 Error: command not recognized', '503 5.5.1 Error: authentication not enabled', '504 5.5.4 Unrecognized authentication type'])(
    'AUTH offered but answered "%s": AUTH_NOT_OFFERED (exit 7), never "rejected the credentials"',
    async (answer) => {
      const server = await start({authReply: answer})
      const smtp = client(server)
      await smtp.connect()
      await smtp.ehlo('client.test')
      await smtp.startTls()
      const error = (await smtp.auth({user: USER, password: PASSWORD}).catch((e: unknown) => e)) as MaildigError
      await smtp.quit()
      expect(error).toMatchObject({code: 'AUTH_NOT_OFFERED', category: 'auth', exitCode: 7, responseCode: Number(answer.slice(0, 3))})
      expect(error.message).toMatch(/does not take AUTH PLAIN here \(authentication is not enabled on this port or at this stage; the credentials were not checked\)/)
      expect(error.message).toContain(answer)
      expect(error.message).not.toMatch(/rejected the credentials/)
      // probe-smtp reports it as the finding it is: the server takes no login, the probe goes on.
      const result = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, ehloName: 'client.test', timeoutMs: 2000, user: USER, password: PASSWORD}))
      expect(result.auth.result).toBe('not-offered')
      expect(result.findings.map((f) => f.code)).toEqual(['AUTH_NOT_OFFERED'])
    },
  )

  it('computes CRAM-MD5 as RFC 2195 §2 shows', () => {
    // The example from RFC 2195: user "tim", password "tanstaaftanstaaf".
    const challenge = Buffer.from('<1896.697170952@postoffice.reston.mci.net>').toString('base64')
    expect(Buffer.from(saslCramMd5('tim', 'tanstaaftanstaaf', challenge), 'base64').toString()).toBe('tim b913a602c7eda7a495b4e6e7334d3890')
  })
})

describe('STARTTLS injection defence', () => {
  it('drops plaintext replies that came with the 220 and never takes them for replies inside TLS', async () => {
    const server = await start({behaviour: 'starttls-injection'})
    const result = await probeSmtp(withNet({host: 'mail.test', address: server.host, port: server.port, ca: harness.pki.ca.cert, ehloName: 'client.test', timeoutMs: 2000}))
    // The EHLO reply inside TLS is the real one.
    expect(result.ehlo.name).toBe('mail.test')
    expect(result.ehlo.extensions).not.toHaveProperty('INJECTED')
    expect(result.auth.mechanisms).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'])
    const lines = result.transcript.map((l) => l.line)
    expect(lines).toContain('discarded 37 bytes (2 lines) of plaintext that arrived before the TLS handshake')
    expect(lines.some((l) => l.includes('injected.example') || l.includes('INJECTED'))).toBe(false)
    expect(result.findings).toEqual([])
  })
})

describe('SmtpClient commands', () => {
  it('sends MAIL FROM parameters only when advertised', async () => {
    const server = await start({tls: undefined})
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    await smtp.mailFrom('a@mail.test', {size: 1234})
    await smtp.rset()
    await smtp.mailFrom('grüße@mail.test')
    await smtp.rset()
    await smtp.mailFrom('a@mail.test', {smtputf8: true, size: 1})
    await smtp.quit()
    expect(server.received.filter((l) => l.startsWith('MAIL'))).toEqual([
      'MAIL FROM:<a@mail.test> SIZE=1234',
      'MAIL FROM:<grüße@mail.test> SMTPUTF8',
      'MAIL FROM:<a@mail.test> SIZE=1 SMTPUTF8',
    ])
    const helo = await start({tls: undefined, noEhlo: true})
    const old = client(helo)
    await old.connect()
    await old.ehlo('client.test')
    await old.mailFrom('a@mail.test', {size: 1234, smtputf8: true})
    await old.close()
    expect(helo.received).toEqual(['EHLO client.test', 'HELO client.test', 'MAIL FROM:<a@mail.test>', 'RSET', 'QUIT'])
  })

  it('throws SENDER_REJECTED (exit 1) for a refused sender', async () => {
    const server = await start({tls: undefined, rejectSenderSuffix: '.invalid'})
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    const error = (await smtp.mailFrom('x@nowhere.invalid').catch((e: unknown) => e)) as MaildigError
    expect(error).toMatchObject({code: 'SENDER_REJECTED', category: 'check', exitCode: 1, responseCode: 553})
    await smtp.close()
    expect(server.received.at(-1)).toBe('QUIT')
  })

  it('refuses CR/LF in addresses before anything is sent (no command injection)', async () => {
    const server = await start({tls: undefined})
    const smtp = client(server)
    await smtp.connect()
    await smtp.ehlo('client.test')
    await smtp.mailFrom('a@mail.test')
    const before = [...server.rawPlain]
    for (const attempt of [() => smtp.rcptTo('b@mail.test>\r\nDATA\r\n'), () => smtp.rcptTo('b@mail.test\n'), () => smtp.mailFrom('\0'), () => smtp.ehlo('x\r\nQUIT')]) {
      const error = await attempt().catch((e: unknown) => e)
      expect(error).toBeInstanceOf(UsageError)
      expect((error as UsageError).exitCode).toBe(2)
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(server.rawPlain).toEqual(before)
    // The session is still usable afterwards.
    expect((await smtp.rcptTo('b@mail.test')).accepted).toBe(true)
    await smtp.close()
    expect(server.received.slice(-3)).toEqual(['RCPT TO:<b@mail.test>', 'RSET', 'QUIT'])
  })

  it('close() after a fatal error does not try to talk and takes under 1 s', async () => {
    const server = await start({behaviour: 'bad-ehlo'})
    const smtp = client(server)
    await smtp.connect()
    await expect(smtp.ehlo('client.test')).rejects.toMatchObject({code: 'PROTOCOL_ERROR'})
    const started = performance.now()
    await smtp.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(server.received).toEqual(['EHLO client.test'])
    expect(smtp.failed).toBe(true)
  })

  it('close() gives up on a server that does not answer QUIT within 1 s', async () => {
    const server = await start({tls: undefined, noQuitReply: true})
    const smtp = new SmtpClient(withNet({host: 'mail.test', address: server.host, port: server.port, timeoutMs: 5000}))
    await smtp.connect()
    await smtp.ehlo('client.test')
    const started = performance.now()
    await smtp.close()
    const took = performance.now() - started
    expect(took).toBeGreaterThan(900)
    expect(took).toBeLessThan(1300)
    expect(server.received.at(-1)).toBe('QUIT')
    expect(smtp.connection?.closed).toBe(true)
  })
})
