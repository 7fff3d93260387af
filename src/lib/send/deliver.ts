import {format} from 'node:util'
import type {TLSSocket} from 'node:tls'
import {MaildigError, fromSocketError} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {Transcript} from '../net/transcript.js'
import {serverNameFor} from '../net/wire.js'
import {trustedCa, type CaInput} from '../tls/trust.js'
import {inspectTls, isCertificateValid, type TlsInfo} from '../tls/inspect.js'
import {extractEnhancedCode} from '../smtp/reply.js'
import type {Attempt, Delivery, RejectedRecipient} from './schema.js'

export type {Attempt, Delivery, RejectedRecipient}

export const SEND_TLS_MODES = ['auto', 'starttls', 'implicit', 'none'] as const
export type SendTlsMode = (typeof SEND_TLS_MODES)[number]


export interface DeliveryTarget {
  /** The host name (SNI and the certificate check use it). */
  host: string
  address: string
  port: number
}

export interface DeliverOptions {
  tls: SendTlsMode
  timeoutMs: number
  ehloName?: string
  user?: string
  password?: string
  allowInsecureAuth?: boolean
  ca?: CaInput
  certDays?: number
  dsn?: {notify?: string[]; ret?: 'FULL' | 'HDRS'; envid?: string}
  needsSmtpUtf8: boolean
  transcript: Transcript
  localAddress?: string
}

type Connection = {
  secure: boolean
  _socket: unknown
  _supportedExtensions: string[]
  connect(cb: () => void): void
  login(auth: {user: string; pass: string}, cb: (err: Error | null) => void): void
  send(envelope: object, message: Buffer, cb: (err: NodemailerError | null, info: SendInfo) => void): void
  quit(): void
  close(): void
  on(event: 'error', listener: (err: NodemailerError) => void): void
  once(event: string, listener: (...args: unknown[]) => void): void
  removeListener(event: string, listener: (...args: unknown[]) => void): void
}
type NodemailerError = Error & {code?: string; originalCode?: string; response?: string; responseCode?: number; command?: string; recipient?: string; rejected?: string[]; rejectedErrors?: NodemailerError[]}
type SendInfo = {accepted: string[]; rejected: string[]; rejectedErrors?: NodemailerError[]; response: string; envelopeTime: number; messageTime: number}

/** Errors of nodemailer's connection that mean "try the next server" rather than "this message failed". */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EPROTOCOL'])

/**
 * Sends one message to the first of `targets` that takes it (nodemailer's SMTP connection, loaded
 * only here). A server that cannot be reached, times out or breaks the protocol is skipped for the
 * next; a server that answers — accepting or rejecting recipients — decides. Certificate problems
 * are findings; credentials go only over TLS with a verified certificate unless allowInsecureAuth.
 */
export async function deliver(
  targets: DeliveryTarget[],
  envelope: {from: string; to: string[]},
  raw: Buffer,
  options: DeliverOptions,
  domain: string | null,
): Promise<{delivery: Delivery; findings: Finding[]}> {
  const attempts: Attempt[] = []
  let lastError: MaildigError | undefined
  for (const target of targets) {
    try {
      return await deliverOnce(target, envelope, raw, options, domain, attempts)
    } catch (error) {
      const failure = error as MaildigError & {retryElsewhere?: boolean}
      if (!failure.retryElsewhere) throw failure
      attempts.push({host: target.host, address: target.address, port: target.port, error: {code: failure.code, message: failure.message}})
      options.transcript.info(`${target.host} [${target.address}]:${target.port} failed (${failure.code}); ${targets.indexOf(target) < targets.length - 1 ? 'trying the next server' : 'no server left'}`)
      lastError = failure
    }
  }
  if (!lastError) throw new MaildigError('MX_NO_ADDRESS', 'connection', `no server to deliver to${domain ? ` for ${domain}` : ''}`, {subject: domain ?? undefined})
  const error = new MaildigError(lastError.code, lastError.category, targets.length > 1 ? `every server failed; the last: ${lastError.message}` : lastError.message, {subject: lastError.subject, cause: lastError})
  Object.defineProperty(error, 'attempts', {value: attempts, enumerable: false})
  throw error
}

async function deliverOnce(target: DeliveryTarget, envelope: {from: string; to: string[]}, raw: Buffer, options: DeliverOptions, domain: string | null, attempts: Attempt[]) {
  const {default: SMTPConnection} = await import('nodemailer/lib/smtp-connection')
  const transcript = options.transcript
  const findings: Finding[] = []
  const endpoint = `${target.host} [${target.address}]:${target.port}`
  const servername = serverNameFor(target.host)
  const implicit = options.tls === 'implicit'
  let conn!: Connection
  const log = (meta: {tnx?: string}, message: unknown, ...args: unknown[]) => {
    const text = format(message as string, ...args)
    const secure = Boolean(conn?.secure)
    for (const line of text.split(/\r?\n/)) {
      if (meta?.tnx === 'client') transcript.add('send', line, secure)
      else if (meta?.tnx === 'server') transcript.add('recv', line, secure)
    }
  }
  const logger = {trace() {}, debug: log, info() {}, warn() {}, error() {}, fatal() {}}
  conn = new SMTPConnection({
    host: target.address,
    port: target.port,
    servername: servername ?? undefined,
    secure: implicit,
    requireTLS: options.tls === 'starttls',
    ignoreTLS: options.tls === 'none',
    // An MTA delivers in plaintext when STARTTLS breaks (RFC 3207 §4.1 leaves it to policy); we say so in a finding.
    opportunisticTLS: options.tls === 'auto',
    name: options.ehloName,
    localAddress: options.localAddress,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    socketCloseTimeout: 1000,
    maxResponseSize: 64 * 1024,
    logger,
    transactionLog: true,
    tls: {rejectUnauthorized: false, ca: trustedCa(options.ca), servername: servername ?? undefined},
  }) as unknown as Connection
  transcript.info(`connecting to ${endpoint}`)
  let failure: NodemailerError | undefined
  conn.on('error', (error) => {
    failure ??= error
  })
  const started = performance.now()
  const timings: Delivery['timings'] = {}
  const run = <T>(work: (done: (err: NodemailerError | null, value?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => {
      const onError = (error: unknown) => reject(error)
      conn.once('error', onError)
      work((err, value) => {
        conn.removeListener('error', onError)
        if (err) reject(err)
        else resolve(value as T)
      })
    })
  const closeSoon = () => {
    conn.quit()
    // QUIT then at most 1 s for the server to close (docs/cli.md: closing after a failure ≤ 1 s).
    setTimeout(() => conn.close(), 1000).unref()
  }

  try {
    await run<void>((done) => conn.connect(() => done(null)))
  } catch (error) {
    conn.close()
    throw mapError(error as NodemailerError, endpoint, true)
  }
  timings.connectMs = performance.now() - started
  const extensions = conn._supportedExtensions.map((e) => e.toUpperCase())
  let tls: TlsInfo | null = null
  if (conn.secure && conn._socket) {
    const inspection = inspectTls(conn._socket as TLSSocket, {hostname: target.host, certDays: options.certDays})
    tls = inspection.tls
    findings.push(...inspection.findings)
  } else if (options.tls === 'auto') {
    findings.push(finding('STARTTLS_NOT_OFFERED', `${endpoint} did not secure the session: the message travelled unencrypted`, target.host))
  }
  try {
    if (options.needsSmtpUtf8 && !extensions.includes('SMTPUTF8')) {
      throw new MaildigError('SMTPUTF8_NOT_OFFERED', 'check', `${endpoint} does not offer SMTPUTF8, which an address with a non-ASCII local part needs (RFC 6531)`, {subject: target.host})
    }
    if (options.dsn && !extensions.includes('DSN')) {
      findings.push(finding('DSN_NOT_OFFERED', `${endpoint} does not offer DSN (RFC 3461): --dsn-* were not sent`, target.host))
    }
    if (options.user !== undefined) {
      if (!options.allowInsecureAuth && !(tls && isCertificateValid(tls))) {
        const why = tls ? 'the certificate is not verified' : 'the connection is not encrypted'
        throw new MaildigError('AUTH_INSECURE', 'auth', `not sending credentials to ${endpoint}: ${why} (use --tls starttls or implicit with a trusted certificate, --ca-file for a private CA, or --allow-insecure-auth)`, {subject: target.host})
      }
      const authStarted = performance.now()
      try {
        await run<void>((done) => conn.login({user: options.user!, pass: options.password ?? ''}, (err) => done(err as NodemailerError | null)))
      } catch (error) {
        throw mapError(error as NodemailerError, endpoint, false)
      }
      timings.authMs = performance.now() - authStarted
    }
    const dsn = options.dsn && extensions.includes('DSN') ? {notify: options.dsn.notify, ret: options.dsn.ret, envid: options.dsn.envid} : undefined
    let info: SendInfo | undefined
    let envelopeError: NodemailerError | undefined
    try {
      info = await run<SendInfo>((done) => conn.send({from: envelope.from, to: envelope.to, size: raw.length, dsn}, raw, (err, value) => done(err, value)))
    } catch (error) {
      const e = error as NodemailerError
      if (e.code !== 'EENVELOPE' && e.code !== 'EMESSAGE') throw mapError(e, endpoint, false)
      envelopeError = e
    }
    closeSoon()
    const rejected = (info?.rejectedErrors ?? envelopeError?.rejectedErrors ?? []).map(toRejected)
    let accepted = info?.accepted ?? []
    if (envelopeError && rejected.length === 0) {
      // MAIL FROM or DATA refused: nobody got the message.
      const reply = parseResponse(envelopeError.response)
      const code = envelopeError.command === 'MAIL FROM' ? 'SENDER_REJECTED' : 'RCPT_REJECTED'
      findings.push(finding(code, `${endpoint} refused the message at ${envelopeError.command ?? 'the envelope'}: ${envelopeError.response ?? envelopeError.message}`, target.host))
      for (const address of envelope.to) rejected.push({address, ...reply})
      accepted = []
    }
    for (const r of rejected) {
      if (!findings.some((f) => f.subject === r.address)) {
        findings.push(finding('RCPT_REJECTED', `<${r.address}> was refused by ${target.host}: ${r.code ?? ''} ${r.text}`.replace(/\s+/g, ' '), r.address))
      }
    }
    timings.envelopeMs = info?.envelopeTime
    timings.messageMs = info?.messageTime
    const response = info?.response ?? null
    return {
      delivery: {
        domain,
        server: {host: target.host, address: target.address, port: target.port},
        accepted,
        rejected,
        response,
        queueId: queueIdOf(response),
        tls,
        attempts,
        timings: Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Math.round((v as number) * 10) / 10])),
      },
      findings,
    }
  } catch (error) {
    closeSoon()
    throw error
  }
}

function toRejected(error: NodemailerError): RejectedRecipient {
  return {address: error.recipient ?? '', ...parseResponse(error.response)}
}

function parseResponse(response: string | undefined): Omit<RejectedRecipient, 'address'> {
  const match = /^(\d{3})[ -]?(.*)$/s.exec((response ?? '').trim())
  if (!match) return {code: null, enhancedCode: null, text: response ?? ''}
  const code = Number(match[1])
  const text = match[2].trim()
  const enhancedCode = extractEnhancedCode(code, text) ?? null
  return {code, enhancedCode, text: enhancedCode ? text.slice(enhancedCode.length).trim() : text}
}

/** Postfix "250 2.0.0 Ok: queued as 4XyZ1", Exim "250 OK id=1rQ5Zf-…", Exchange "… Queued mail for delivery". */
export function queueIdOf(response: string | null): string | null {
  if (!response) return null
  const match = /queued as ([A-Za-z0-9._-]+)/i.exec(response) ?? /\bid=([A-Za-z0-9._-]+)/.exec(response) ?? /<([^>]+)>\s*\[InternalId/i.exec(response)
  return match ? match[1] : null
}

/** nodemailer's error codes to the categories of docs/cli.md. `retryElsewhere`: the next server may do better. */
function mapError(error: NodemailerError, endpoint: string, connecting: boolean): MaildigError & {retryElsewhere?: boolean} {
  const original = error.originalCode ?? error.code ?? ''
  let mapped: MaildigError
  if (['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND'].includes(original)) {
    mapped = fromSocketError(Object.assign(new Error(error.message), {code: original}), endpoint)
  } else if (error.code === 'ETIMEDOUT' || original === 'ETIMEDOUT') {
    const greeting = /greeting/i.test(error.message)
    mapped = new MaildigError(greeting ? 'GREETING_TIMEOUT' : connecting ? 'CONNECT_TIMEOUT' : 'REPLY_TIMEOUT', 'timeout', `${endpoint}: ${error.message}`, {subject: endpoint})
  } else if (error.code === 'ETLS') {
    mapped = new MaildigError('STARTTLS_FAILED', 'tls', `${endpoint}: TLS failed: ${error.message}`, {subject: endpoint})
  } else if (error.code === 'EAUTH') {
    mapped = new MaildigError('AUTH_FAILED', 'auth', `${endpoint} refused the credentials${error.response ? `: ${error.response}` : ''}`, {subject: endpoint, response: error.response})
  } else if (error.code === 'EPROTOCOL') {
    const greeting = /^[45]\d\d/.test(error.response ?? '') && connecting
    mapped = greeting
      ? new MaildigError('GREETING_REJECTED', error.response?.startsWith('4') ? 'connection' : 'check', `${endpoint} refused the session: ${error.response}`, {subject: endpoint, response: error.response})
      : new MaildigError('PROTOCOL_ERROR', 'protocol', `${endpoint}: ${error.message}`, {subject: endpoint})
  } else if (error.code === 'ECONNECTION' || error.code === 'ESOCKET') {
    mapped = new MaildigError('CONNECTION_CLOSED', 'connection', `${endpoint}: ${error.message}`, {subject: endpoint})
  } else {
    mapped = new MaildigError('CONNECTION_FAILED', 'connection', `${endpoint}: ${error.message}`, {subject: endpoint})
  }
  const retry = connecting && (CONNECTION_CODES.has(error.code ?? '') || mapped.category === 'connection' || mapped.category === 'timeout')
  return Object.assign(mapped, {retryElsewhere: retry})
}
