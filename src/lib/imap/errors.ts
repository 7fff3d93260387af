import {fromSocketError, isMaildigError, MaildigError} from '../errors.js'
import {tlsError} from '../net/connection.js'
import type {ImapWireLog} from './wire-log.js'

/**
 * Turning what imapflow throws into a MaildigError a person can act on, with the exit code of
 * docs/cli.md. What maildig observed itself (wire-log.ts and the Connection under it: garbage, a
 * reply deadline, a reset) wins over imapflow's error, which is often only the consequence
 * ("Connection not available" after maildig closed the connection). Errors before the hand-over
 * to imapflow (connect, TLS, greeting, STARTTLS) are the floor's, told in IMAP's words by
 * explainOpening.
 *
 * Categories chosen here:
 * - IMAP_GREETING_BYE → 'connection' (4): like SMTP's 421 greeting, the server is there but closes
 *   at once ("BYE", RFC 9051 §7.1.5), usually temporary (overload, maintenance, a connection limit);
 * - GREETING_TIMEOUT, REPLY_TIMEOUT, CONNECT_TIMEOUT, TLS_TIMEOUT → 'timeout' (5);
 * - TLS_FAILED, STARTTLS_FAILED, STARTTLS_NOT_OFFERED (with TLS mode starttls) → 'tls' (6);
 * - LOGIN_FAILED, LOGIN_THROTTLED, AUTH_INSECURE, AUTH_NOT_OFFERED → 'auth' (7);
 * - PROTOCOL_ERROR, LINE_TOO_LONG → 'protocol' (8).
 */
export interface ImapErrorContext extends ImapOpeningContext {
  user?: string
  wire: ImapWireLog
  /** Why maildig withheld the credentials, if it did. */
  authRefusal?: MaildigError
  /** How long the login took, when it failed (a slow failure suggests throttling). */
  authMs?: number
}

/** RFC 5530 response codes that mean "not now", not "wrong password". */
const TEMPORARY_CODES = new Set(['UNAVAILABLE', 'LIMIT', 'INUSE', 'SERVERBUG'])
/** A failed login that took longer than this was probably slowed down on purpose. */
export const THROTTLE_HINT_MS = 3000

interface ImapflowError extends Error {
  code?: string
  authenticationFailed?: boolean
  tlsFailed?: boolean
  responseStatus?: string
  responseText?: string
  serverResponseCode?: string
  response?: string
  reason?: string
}

/**
 * More untagged responses than this while one command waits, and no reply by its deadline: the
 * server was not silent, it flooded. maildig's commands get a few lines each (LIST: one per mailbox;
 * FETCH and SEARCH: one match), so hundreds of them without the tagged reply are not an answer.
 */
export const UNTAGGED_FLOOD = 500

export function imapError(error: unknown, context: ImapErrorContext): MaildigError {
  const {wire, endpoint} = context
  if (wire.failure?.code === 'REPLY_TIMEOUT' && wire.untaggedWhileWaiting > UNTAGGED_FLOOD) {
    return new MaildigError(
      'PROTOCOL_ERROR',
      'protocol',
      `${endpoint} sent ${wire.untaggedWhileWaiting} untagged responses and never the reply to ${wire.failure.command ?? 'the command'}: it floods the client instead of answering (${wire.failure.message.replace(/: the server stopped answering$/, '')})`,
      {subject: endpoint, command: wire.failure.command},
    )
  }
  if (wire.failure) return wire.failure
  if (isMaildigError(error)) return error
  const e = (error ?? {}) as ImapflowError
  const code = typeof e.code === 'string' ? e.code : ''
  const message = typeof e.message === 'string' ? e.message : String(error)

  if (e.authenticationFailed && context.authRefusal) return context.authRefusal
  if (code === 'GREETING_TIMEOUT') {
    const ms = Number((e as {details?: {greetingTimeout?: number}}).details?.greetingTimeout)
    return new MaildigError('GREETING_TIMEOUT', 'timeout', `no greeting from ${endpoint}${Number.isFinite(ms) ? ` within ${formatMs(ms)}` : ''}${greetingHint(context)}`, {subject: endpoint, temporary: true})
  }
  if (code === 'CONNECT_TIMEOUT') return new MaildigError('CONNECT_TIMEOUT', 'timeout', `could not connect to ${endpoint} in time`, {subject: endpoint, temporary: true})
  if (code === 'UPGRADE_TIMEOUT') return new MaildigError('TLS_TIMEOUT', 'timeout', `the STARTTLS handshake with ${endpoint} did not complete in time`, {subject: endpoint, temporary: true})
  if (code === 'STARTTLS_INJECTION') {
    return new MaildigError('STARTTLS_FAILED', 'tls', `${endpoint} sent data after its STARTTLS reply and before the TLS handshake (a STARTTLS injection, or a broken server): the session was dropped`, {subject: endpoint})
  }
  if (e.tlsFailed && /STARTTLS/i.test(message)) {
    return starttlsRequired(endpoint, /PREAUTH/i.test(message) ? 'greeted with PREAUTH, so STARTTLS is no longer possible' : 'does not offer STARTTLS')
  }
  if (e.authenticationFailed || e.name === 'AuthenticationFailure') return loginError(e, context)
  if (code === 'LineTooLarge' || code === 'LiteralTooLarge') {
    return new MaildigError('LINE_TOO_LONG', 'protocol', `${endpoint} sent ${code === 'LineTooLarge' ? 'a line' : 'a literal'} longer than maildig reads (${message})`, {subject: endpoint})
  }
  if (code.startsWith('ParserError') || ['InvalidResponse', 'UnexpectedTag', 'MissingTag', 'TooManyTokens', 'TooManyResponses', 'ResponseTooLarge', 'MAX_IMAP_NESTING_REACHED', 'ResponseProcessingFailed'].includes(code)) {
    return new MaildigError('PROTOCOL_ERROR', 'protocol', `${endpoint} sent a malformed response: ${message}`, {subject: endpoint})
  }
  if (code === 'ETIMEOUT') return new MaildigError('REPLY_TIMEOUT', 'timeout', `${endpoint} stopped answering (${message})`, {subject: endpoint, temporary: true})
  if (['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'StateLogout'].includes(code)) {
    const reason = wire.bye ?? e.reason
    return new MaildigError(
      'CONNECTION_CLOSED',
      'connection',
      reason && reason !== 'Server closed connection' ? `${endpoint} closed the session: BYE ${reason}` : `${endpoint} closed the connection unexpectedly`,
      {subject: endpoint, temporary: true},
    )
  }
  if (/^E[A-Z]+$/.test(code)) return fromSocketError(e as NodeJS.ErrnoException, endpoint)
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const text = e.responseText ?? e.response ?? message
    return new MaildigError('IMAP_COMMAND_FAILED', 'check', `${endpoint} refused a command: ${e.responseStatus} ${text}`, {subject: endpoint, response: text})
  }
  if (code) return new MaildigError('PROTOCOL_ERROR', 'protocol', `the IMAP session with ${endpoint} failed: ${message} (${code})`, {subject: endpoint, cause: error})
  // Not from the server: a bug of ours. Handed on unchanged; the base command reports it as INTERNAL_ERROR.
  throw error
}

/** STARTTLS was required and the server does not (or no longer can) do it: never a silent downgrade. */
export function starttlsRequired(endpoint: string, why: string): MaildigError {
  return new MaildigError('STARTTLS_NOT_OFFERED', 'tls', `${endpoint} ${why}, and TLS mode starttls requires it: use port 993 for TLS from the first byte, or TLS mode none to look without TLS`, {subject: endpoint})
}

/** Where the session was opened: for errors that know which port speaks what. */
export interface ImapOpeningContext {
  endpoint: string
  port: number
  /** TLS from the first byte. */
  implicit: boolean
}

/** Why a greeting may not come: the TLS mode does not fit the port. */
function greetingHint(context: ImapOpeningContext): string {
  if (!context.implicit && context.port === 993) return ': port 993 speaks TLS from the first byte — use TLS mode implicit (the default there)'
  if (context.implicit) return ': the TLS session is up but the server says nothing (overloaded, or not IMAP on this port)'
  return ' (the server may be overloaded, or expect TLS first: try port 993)'
}

/** OpenSSL's reasons for a peer that did not answer in TLS (as net/connection.ts's tlsError knows them). */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE'])

/**
 * The floor's errors while opening an IMAP session (connect, TLS, greeting, STARTTLS), told in
 * IMAP's words: which port speaks TLS from the first byte and which speaks plaintext first. Other
 * errors come back unchanged.
 */
export function explainOpening(error: MaildigError, context: ImapOpeningContext): MaildigError {
  const {endpoint, port, implicit} = context
  const cause = error.cause as NodeJS.ErrnoException | undefined
  if ((error.code === 'TLS_FAILED' || error.code === 'STARTTLS_FAILED') && cause?.code && NOT_TLS.has(cause.code)) {
    const notTls =
      error.code === 'TLS_FAILED'
        ? `: the server answered without TLS — port ${port} speaks plaintext IMAP first${port === 143 ? ' (port 143 is STARTTLS: use TLS mode starttls, or port 993 for TLS)' : ' (try TLS mode starttls)'}`
        : ': the server did not answer in TLS after agreeing to STARTTLS'
    return tlsError(error.code, cause, endpoint, notTls)
  }
  if (error.code === 'TLS_TIMEOUT' && implicit && port !== 993) {
    return new MaildigError(error.code, error.category, `${error.message}; port ${port} may not speak TLS from the first byte (try TLS mode starttls)`, {subject: error.subject, temporary: true})
  }
  if (error.code === 'GREETING_TIMEOUT') {
    return new MaildigError(error.code, error.category, `${error.message}${greetingHint(context)}`, {subject: error.subject, temporary: true})
  }
  return error
}

/** LOGIN_FAILED or LOGIN_THROTTLED, from the server's reply to LOGIN/AUTHENTICATE. */
function loginError(e: ImapflowError, context: ImapErrorContext): MaildigError {
  const {endpoint, wire} = context
  const who = context.user ? ` for ${context.user}` : ''
  if (/Login is disabled/i.test(e.message)) {
    return new MaildigError('LOGIN_FAILED', 'auth', `${endpoint} refuses logins on this unencrypted connection (LOGINDISABLED): use TLS (TLS mode starttls, or port 993)`, {subject: endpoint})
  }
  if (/Unsupported authentication mechanism|No matching authentication method/i.test(e.message)) {
    return new MaildigError('AUTH_NOT_OFFERED', 'auth', `${endpoint} offers no login method maildig can use with these credentials (offered: ${wire.auth ? wire.auth.command : 'see capabilities'})`, {subject: endpoint})
  }
  const reply = wire.auth?.reply
  const code = reply?.code ?? e.serverResponseCode ?? null
  const text = reply?.text ?? e.response ?? e.message
  const said = `${reply?.status ?? 'NO'}${code ? ` [${code}]` : ''} ${text}`.trim()
  const slow = context.authMs !== undefined && context.authMs > THROTTLE_HINT_MS
  if ((code && TEMPORARY_CODES.has(code)) || slow) {
    const delay = slow ? `; the answer took ${formatMs(context.authMs!)}, so the server is probably slowing down failed logins from this address` : ''
    return new MaildigError('LOGIN_THROTTLED', 'auth', `${endpoint} refused the login${who} for now: ${said}${delay} — wait before retrying, and check the password first`, {subject: endpoint, response: said, temporary: true})
  }
  let fix = 'check the user name and password'
  if (code === 'PRIVACYREQUIRED') fix = 'the server wants TLS first (TLS mode starttls, or port 993)'
  if (code === 'EXPIRED') fix = 'the password or account has expired'
  if (code === 'AUTHORIZATIONFAILED') fix = 'the credentials are right but this user may not log in here'
  if (code === 'CONTACTADMIN') fix = 'the server asks you to contact its administrator'
  return new MaildigError('LOGIN_FAILED', 'auth', `${endpoint} rejected the login${who}: ${said} — ${fix}`, {subject: endpoint, response: said})
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`
}
