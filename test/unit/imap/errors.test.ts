import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {explainOpening, imapError, type ImapErrorContext} from '../../../src/lib/imap/errors.js'
import {ImapWireLog} from '../../../src/lib/imap/wire-log.js'
import {parseGreeting} from '../../../src/lib/imap/wire.js'
import {tlsError} from '../../../src/lib/net/connection.js'
import {timeoutError} from '../../../src/lib/net/deadline.js'
import {Transcript} from '../../../src/lib/net/transcript.js'

const ENDPOINT = 'imap.test [192.0.2.1]:993'

function context(overrides: Partial<ImapErrorContext> = {}): ImapErrorContext {
  const wire = new ImapWireLog({transcript: new Transcript(), replyTimeoutMs: 0, endpoint: ENDPOINT, greeting: {...parseGreeting('* OK ready')!, line: '* OK ready'}})
  return {endpoint: ENDPOINT, port: 993, implicit: true, user: 'alice', wire, ...overrides}
}

const err = (message: string, props: Record<string, unknown> = {}) => Object.assign(new Error(message), props)

describe('imapError', () => {
  it('prefers what maildig observed itself', () => {
    const c = context()
    const observed = new MaildigError('REPLY_TIMEOUT', 'timeout', 'no reply')
    c.wire.fail(observed)
    expect(imapError(err('Connection not available', {code: 'NoConnection'}), c)).toBe(observed)
  })

  it('names the likely fix for a greeting timeout: TLS expected on 993, or a silent TLS session', () => {
    const timeout = timeoutError('greeting', ENDPOINT, 2000)
    const noTls = explainOpening(timeout, {endpoint: ENDPOINT, port: 993, implicit: false})
    expect(noTls).toMatchObject({code: 'GREETING_TIMEOUT', category: 'timeout'})
    expect(noTls.message).toMatch(/within 2 s: port 993 speaks TLS from the first byte/)
    expect(explainOpening(timeout, {endpoint: ENDPOINT, port: 993, implicit: true}).message).toMatch(/TLS session is up but the server says nothing/)
    expect(imapError(err('x', {code: 'GREETING_TIMEOUT'}), context()).message).toMatch(/TLS session is up but the server says nothing/)
  })

  it('a handshake answered in plaintext names the port\'s protocol; a TLS timeout off 993 suggests STARTTLS', () => {
    const cause = Object.assign(new Error('wrong version number'), {code: 'ERR_SSL_WRONG_VERSION_NUMBER'})
    const on143 = explainOpening(tlsError('TLS_FAILED', cause, ENDPOINT), {endpoint: ENDPOINT, port: 143, implicit: true})
    expect(on143).toMatchObject({code: 'TLS_FAILED', category: 'tls'})
    expect(on143.message).toMatch(/answered without TLS — port 143 speaks plaintext IMAP first \(port 143 is STARTTLS: use TLS mode starttls/)
    expect(explainOpening(tlsError('STARTTLS_FAILED', cause, ENDPOINT), {endpoint: ENDPOINT, port: 143, implicit: false}).message).toMatch(/did not answer in TLS after agreeing to STARTTLS/)
    expect(explainOpening(timeoutError('tls', ENDPOINT, 1000), {endpoint: ENDPOINT, port: 1143, implicit: true}).message).toMatch(/port 1143 may not speak TLS from the first byte/)
    const other = new MaildigError('CONNECT_REFUSED', 'connection', 'refused')
    expect(explainOpening(other, {endpoint: ENDPOINT, port: 993, implicit: true})).toBe(other)
  })

  it('tells a wrong password from throttling', () => {
    const wrong = imapError(err('Authentication failed', {authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED', response: 'Authentication failed.'}), context())
    expect(wrong).toMatchObject({code: 'LOGIN_FAILED', category: 'auth', temporary: false})
    expect(wrong.message).toMatch(/rejected the login for alice: NO \[AUTHENTICATIONFAILED\] Authentication failed\. — check the user name and password/)
    const limited = imapError(err('x', {authenticationFailed: true, serverResponseCode: 'UNAVAILABLE', response: 'Try later'}), context())
    expect(limited).toMatchObject({code: 'LOGIN_THROTTLED', category: 'auth', temporary: true})
    const slow = imapError(err('x', {authenticationFailed: true, response: 'Authentication failed.'}), context({authMs: 4200}))
    expect(slow.code).toBe('LOGIN_THROTTLED')
    expect(slow.message).toMatch(/took 4\.2 s/)
    const disabled = imapError(err('Login is disabled', {authenticationFailed: true}), context())
    expect(disabled.message).toMatch(/LOGINDISABLED/)
    expect(disabled.code).toBe('LOGIN_FAILED')
  })

  it('hands over the reason maildig withheld the credentials', () => {
    const refusal = new MaildigError('AUTH_INSECURE', 'auth', 'not sending the password')
    expect(imapError(err('Please configure the login', {authenticationFailed: true}), context({authRefusal: refusal}))).toBe(refusal)
  })

  it('STARTTLS required but missing is a TLS error (6), never a downgrade', () => {
    const e = imapError(err('Server does not support STARTTLS', {tlsFailed: true}), context({implicit: false, port: 143}))
    expect(e).toMatchObject({code: 'STARTTLS_NOT_OFFERED', category: 'tls'})
    expect(imapError(err('injected', {code: 'STARTTLS_INJECTION', tlsFailed: true}), context())).toMatchObject({code: 'STARTTLS_FAILED', category: 'tls'})
  })

  it('maps limits and parser failures to protocol errors (8)', () => {
    expect(imapError(err('too long', {code: 'LineTooLarge'}), context())).toMatchObject({code: 'LINE_TOO_LONG', category: 'protocol'})
    expect(imapError(err('bad', {code: 'ParserError4'}), context())).toMatchObject({code: 'PROTOCOL_ERROR', category: 'protocol'})
  })

  it('a closed connection says BYE\'s reason when there was one', () => {
    const c = context()
    c.wire.received(Buffer.from('* BYE Server shutting down\r\n'), true)
    const e = imapError(err('Connection not available', {code: 'NoConnection'}), c)
    expect(e).toMatchObject({code: 'CONNECTION_CLOSED', category: 'connection'})
    expect(e.message).toContain('BYE Server shutting down')
  })

  it('socket errors keep the shared mapping', () => {
    expect(imapError(err('connect ECONNREFUSED', {code: 'ECONNREFUSED'}), context())).toMatchObject({code: 'CONNECT_REFUSED', category: 'connection'})
  })

  it('a bug of ours is not dressed up as a server problem', () => {
    expect(() => imapError(new TypeError('x is undefined'), context())).toThrow(TypeError)
  })
})
