import type {TLSSocket} from 'node:tls'
import {invalidValue, MaildigError, UsageError} from '../errors.js'
import {elapsedMs, withDeadline, type Stage} from '../net/deadline.js'
import {saslCramMd5, saslLoginStep, saslPlain, saslXoauth2, type SaslMechanism} from '../net/sasl.js'
import {SessionClient, type Secret, type SessionOptions} from '../net/session.js'
import {assertWireSafe} from '../net/wire.js'
import {printable, toEhloName} from '../dns/names.js'
import {dotStuff, xtext} from './data.js'
import {formatReply, isIntermediate, isPositive, isTransient, parseEhlo, ReplyAssembler, type EhloInfo, type SmtpReply} from './reply.js'

export interface SmtpClientOptions extends SessionOptions {
  maxReplyLines?: number
}

export interface SmtpConnectOptions {
  /** Implicit TLS (RFC 8314, port 465): the handshake comes before the greeting. */
  implicitTls?: boolean
}

export interface EhloResult {
  /** 'ESMTP' after EHLO, 'SMTP' when the server refused EHLO and accepted HELO. */
  protocol: 'ESMTP' | 'SMTP'
  reply: SmtpReply
  info: EhloInfo
}

export interface SmtpAuthOptions {
  user: string
  password?: string
  /** An OAuth2 access token: selects XOAUTH2. */
  token?: string
  /** Default: XOAUTH2 with a token, else the first of PLAIN, LOGIN, CRAM-MD5 the server offers. */
  mechanism?: SaslMechanism
  /** `--allow-insecure-auth` (docs/cli.md): send credentials without TLS or over an unverified certificate. */
  allowInsecureAuth?: boolean
}

export interface SmtpAuthResult {
  mechanism: SaslMechanism
  reply: SmtpReply
}

export interface MailFromOptions {
  /** Message size for SIZE= (RFC 1870); sent only when the server advertises SIZE. */
  size?: number
  /** Ask for SMTPUTF8 (RFC 6531); sent only when advertised. Default: when the address is not ASCII. */
  smtputf8?: boolean
  /** BODY=8BITMIME (RFC 6152) for a message with bytes above 127; sent only when advertised. */
  eightBit?: boolean
  /** DSN RET and ENVID (RFC 3461 §4.3, §4.4); sent only when the server advertises DSN. */
  dsn?: {ret?: 'FULL' | 'HDRS'; envid?: string}
}

export interface RcptToOptions {
  /** DSN NOTIFY (RFC 3461 §4.1): NEVER, or SUCCESS/FAILURE/DELAY; sent only when DSN is advertised. */
  notify?: readonly string[]
}

/** One RCPT TO outcome (the `recipients[]` entry of docs/cli.md). */
export interface RecipientResult {
  address: string
  accepted: boolean
  code: number
  enhancedCode: string | null
  text: string
}

export interface SmtpTimings {
  lookupMs?: number
  connectMs?: number
  /** Implicit TLS: the handshake; STARTTLS: the command, its reply and the handshake. */
  tlsMs?: number
  greetingMs?: number
  /** Every EHLO/HELO round trip (before and after STARTTLS) together. */
  ehloMs?: number
  authMs?: number
  mailMs?: number
  rcptMs?: number
  rsetMs?: number
  /** DATA: the 354, the message and the final reply. */
  dataMs?: number
  quitMs?: number
}

/**
 * Sending the message body has a deadline too: the stage timeout plus the time the message takes at
 * this rate (a slow uplink still gets through; a server that stops reading does not hold us for ever).
 */
const MIN_DATA_BYTES_PER_SECOND = 64 * 1024
/** Size of each write of the body: the socket's drain event paces the next one. */
const DATA_CHUNK_BYTES = 64 * 1024

/** Mechanisms tried, in order, when none is named: PLAIN and LOGIN only run inside TLS anyway. */
const MECHANISM_PREFERENCE: SaslMechanism[] = ['PLAIN', 'LOGIN', 'CRAM-MD5']
const SUPPORTED_MECHANISMS = new Set<string>(['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2'])

/** Replies to AUTH that say no login is possible here at all: not implemented, bad sequence, mechanism not implemented. */
const AUTH_NOT_TAKEN = new Set([502, 503, 504])

const DSN_NOTIFY_VALUES = new Set(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'])

/** How a command is sent: masked in the transcript, named in messages, read under a stage, 3xx allowed. */
export interface SmtpCommandOptions {
  secret?: Secret
  label?: string
  stage?: Stage
  /** A 3xx reply (334, 354) is expected; otherwise it is out of sequence (PROTOCOL_ERROR). */
  intermediate?: boolean
}

/**
 * A hand-written SMTP client for diagnosis and for `send` (DATA only there): a state machine over one Session (net/session.ts),
 * which owns the socket, the deadlines, the masking and the fatal-error bookkeeping. Every value is
 * validated before it reaches the wire, and the session always ends with RSET/QUIT when it can.
 *
 * Error categories (→ exit codes in docs/cli.md) chosen here:
 * - greeting 421 (or another 4xx) → GREETING_REJECTED, 'connection' (4): "service not
 *   available, closing transmission channel" (RFC 5321 §3.8) is the server going away, temporary;
 * - greeting 554 (or another 5xx) → GREETING_REJECTED, 'check' (1): the server runs and answers,
 *   and its answer is a refusal (a blocklist, a policy) — a finding about the server;
 * - 421 to any later command → SERVICE_UNAVAILABLE, 'connection' (4);
 * - AUTH_INSECURE → 'auth' (7): the credentials were not accepted for use; the same command line
 *   works against a server with a valid certificate, so it is not a usage error;
 * - AUTH_NOT_OFFERED and AUTH_FAILED → 'auth' (7); SENDER_REJECTED, EHLO_REJECTED → 'check' (1);
 * - STARTTLS_NOT_OFFERED (when STARTTLS is required) and STARTTLS_FAILED → 'tls' (6).
 */
export class SmtpClient extends SessionClient<SmtpTimings> {
  private readonly maxReplyLines: number | undefined
  private greetingReply: SmtpReply | undefined
  private ehloState: EhloResult | undefined
  private ehloName: string | undefined
  private inTransaction = false

  constructor(options: SmtpClientOptions) {
    // RFC 5321 §4.3: one reply per command; lines nobody asked for would be taken for the next one's.
    super('SMTP', options, {}, {
      parser: () => this.replyParser(),
      error: (stray: SmtpReply, label: string) =>
        stray.code === 421 ? this.serviceUnavailable(stray, label) : this.protocolError(`${this.endpoint} sent a reply nobody asked for before ${label}: ${formatReply(stray)}`, stray),
    })
    this.maxReplyLines = options.maxReplyLines
  }

  /** The greeting (banner). */
  get greeting(): SmtpReply | undefined {
    return this.greetingReply
  }

  /** The latest EHLO/HELO outcome (after STARTTLS: the one inside TLS). */
  get ehloResult(): EhloResult | undefined {
    return this.ehloState
  }

  get extensions(): Record<string, string[]> {
    return this.ehloState?.info.extensions ?? {}
  }

  hasExtension(name: string): boolean {
    return Object.hasOwn(this.extensions, name.toUpperCase())
  }

  /** Connects (with implicit TLS if asked) and reads the greeting. */
  async connect(options: SmtpConnectOptions = {}): Promise<SmtpReply> {
    if (this.session.connection) throw new UsageError('this SMTP client is already connected')
    const reply = (this.greetingReply = await this.session.open(this.replyParser(), options.implicitTls))
    if (isPositive(reply)) return reply
    const text = formatReply(reply)
    const options_ = {subject: this.endpoint, response: text, responseCode: reply.code}
    if (reply.code >= 400 && reply.code < 500) {
      throw this.session.markFatal(new MaildigError('GREETING_REJECTED', 'connection', `${this.endpoint} refused the session: ${text}`, {...options_, temporary: true}))
    }
    if (reply.code >= 500) {
      throw new MaildigError('GREETING_REJECTED', 'check', `${this.endpoint} refused the session: ${text}`, options_)
    }
    throw this.protocolError(`${this.endpoint} greeted with ${reply.code}, not 220`, reply)
  }

  /**
   * EHLO, and HELO when EHLO is refused with 5xx (RFC 5321 §4.1.4: a server that does not know
   * EHLO answers 500/502). `name` is the client's FQDN or an address literal.
   */
  async ehlo(name: string): Promise<EhloResult> {
    validateEhloName(name)
    this.ehloName = name
    return this.session.time('ehloMs', async () => {
      const reply = await this.command(`EHLO ${name}`, {label: 'EHLO'})
      if (isPositive(reply)) return (this.ehloState = {protocol: 'ESMTP', reply, info: parseEhlo(reply)})
      if (reply.code >= 500) {
        const helo = await this.command(`HELO ${name}`, {label: 'HELO'})
        if (isPositive(helo)) {
          return (this.ehloState = {protocol: 'SMTP', reply: helo, info: {...parseEhlo({...helo, lines: [helo.lines[0] ?? '']}), extensions: {}, authMechanisms: []}})
        }
        throw this.rejected('EHLO_REJECTED', 'check', `${this.endpoint} refused EHLO and HELO ${name}`, helo, 'HELO')
      }
      throw this.rejected('EHLO_REJECTED', 'check', `${this.endpoint} refused EHLO ${name}`, reply, 'EHLO')
    }, true)
  }

  /**
   * STARTTLS (RFC 3207): the 220, then the TLS handshake (plaintext received before it is
   * dropped), then EHLO again, since everything learnt before TLS must be forgotten (§4.2).
   */
  async startTls(): Promise<TLSSocket> {
    const conn = this.session.requireConnection()
    if (conn.tlsSocket) return conn.tlsSocket
    if (!this.hasExtension('STARTTLS')) {
      throw new MaildigError('STARTTLS_NOT_OFFERED', 'tls', `${this.endpoint} does not offer STARTTLS`, {subject: this.endpoint})
    }
    const socket = await this.session.time('tlsMs', async () => {
      const reply = await this.command('STARTTLS')
      if (reply.code !== 220) throw this.rejected('STARTTLS_FAILED', 'tls', `${this.endpoint} refused STARTTLS`, reply, 'STARTTLS')
      return this.session.upgradeToTls()
    })
    this.ehloState = undefined
    if (this.ehloName !== undefined) await this.ehlo(this.ehloName)
    return socket
  }

  /**
   * SMTP AUTH (RFC 4954). Refuses (AUTH_INSECURE) without TLS and a verified certificate unless
   * `allowInsecureAuth`. Passwords, tokens and every SASL payload are masked in the transcript and
   * never appear in error messages.
   */
  async auth(options: SmtpAuthOptions): Promise<SmtpAuthResult> {
    const {user, password, token} = options
    this.transcript.protectCredential(user, password, token)
    if (!options.allowInsecureAuth && !this.certificateVerified) {
      const why = this.secure ? 'the certificate is not verified' : 'the connection is not encrypted'
      throw new MaildigError('AUTH_INSECURE', 'auth', `not sending credentials to ${this.endpoint}: ${why}, and insecure authentication is not allowed`, {
        subject: this.endpoint,
        command: 'AUTH',
      })
    }
    const offered = this.ehloState?.info.authMechanisms ?? []
    const mechanism = chooseMechanism(options, offered)
    if (!mechanism) {
      const what = options.mechanism ? `AUTH ${options.mechanism}` : 'a supported AUTH mechanism'
      const has = offered.length > 0 ? ` (it offers ${offered.join(' ')})` : ' (it offers no AUTH at this stage)'
      throw new MaildigError('AUTH_NOT_OFFERED', 'auth', `${this.endpoint} does not offer ${what}${has}`, {subject: this.endpoint, command: 'AUTH'})
    }
    const secret = mechanism === 'XOAUTH2' ? token : password
    if (secret === undefined) {
      throw mechanism === 'XOAUTH2' ? invalidValue<SmtpAuthOptions>('token', 'AUTH XOAUTH2 needs an access token') : invalidValue<SmtpAuthOptions>('password', `AUTH ${mechanism} needs a password`)
    }
    try {
      return await this.session.time('authMs', async () => {
        const reply = await this.runMechanism(mechanism, user, secret)
        if (reply.code === 235) return {mechanism, reply}
        // RFC 4954 §4, RFC 5321 §4.2.4: 502/503/504 mean the server takes no login here (not enabled on this port, or
        // not at this stage, or not this mechanism): the credentials were never judged, so "rejected" would mislead.
        if (AUTH_NOT_TAKEN.has(reply.code)) {
          throw this.rejected('AUTH_NOT_OFFERED', 'auth', `${this.endpoint} does not take AUTH ${mechanism} here (authentication is not enabled on this port or at this stage; the credentials were not checked)`, reply, `AUTH ${mechanism}`)
        }
        throw this.rejected('AUTH_FAILED', 'auth', `${this.endpoint} rejected the credentials for ${user} (AUTH ${mechanism})`, reply, `AUTH ${mechanism}`)
      })
    } catch (error) {
      throw this.session.scrub(error)
    }
  }

  /** MAIL FROM (RFC 5321 §4.1.1.2); `''` is the null sender `<>`. Throws SENDER_REJECTED on 4xx/5xx. */
  async mailFrom(address: string, options: MailFromOptions = {}): Promise<SmtpReply> {
    const path = mailPath(address, 'the sender address', true)
    const params: string[] = []
    if (options.size !== undefined && this.hasExtension('SIZE')) {
      if (!Number.isSafeInteger(options.size) || options.size < 0) throw new UsageError(`invalid message size ${options.size}`)
      params.push(`SIZE=${options.size}`)
    }
    if ((options.smtputf8 ?? /[^\x00-\x7f]/.test(path)) && this.hasExtension('SMTPUTF8')) params.push('SMTPUTF8')
    if (options.eightBit && this.hasExtension('8BITMIME')) params.push('BODY=8BITMIME')
    if (options.dsn && this.hasExtension('DSN')) {
      if (options.dsn.ret) params.push(`RET=${options.dsn.ret}`)
      if (options.dsn.envid !== undefined) params.push(`ENVID=${xtext(options.dsn.envid)}`)
    }
    return this.session.time('mailMs', async () => {
      const reply = await this.command(`MAIL FROM:<${path}>${params.map((p) => ` ${p}`).join('')}`, {label: 'MAIL FROM'})
      if (!isPositive(reply)) throw this.rejected('SENDER_REJECTED', 'check', `${this.endpoint} rejected the sender <${path}>`, reply, 'MAIL FROM')
      this.inTransaction = true
      return reply
    }, true)
  }

  /** RCPT TO (RFC 5321 §4.1.1.3). A refusal is a result, not an error. */
  async rcptTo(address: string, options: RcptToOptions = {}): Promise<RecipientResult> {
    const path = mailPath(address, 'the recipient address', false)
    const notify = options.notify && options.notify.length > 0 && this.hasExtension('DSN') ? ` NOTIFY=${dsnNotify(options.notify)}` : ''
    return this.session.time('rcptMs', async () => {
      const reply = await this.command(`RCPT TO:<${path}>${notify}`, {label: 'RCPT TO'})
      return {address: path, accepted: isPositive(reply), code: reply.code, enhancedCode: reply.enhancedCode ?? null, text: reply.text}
    }, true)
  }

  /**
   * DATA (RFC 5321 §4.1.1.4): the 354, then the message (line ends made CRLF, dot-stuffed, ended
   * with "."), written as fast as the server reads it, then the final reply under the reply
   * deadline. The final reply's 250 carries the queue id. MESSAGE_REJECTED ('check') when the
   * server refuses DATA or the message; the transaction is over either way.
   */
  async data(message: Buffer): Promise<SmtpReply> {
    const conn = this.session.requireConnection()
    const started = performance.now()
    try {
      const go = await this.command('DATA', {intermediate: true})
      if (go.code !== 354) {
        if (isIntermediate(go)) throw this.protocolError(`${this.endpoint} answered DATA with ${go.code}, not 354`, go)
        this.inTransaction = false
        throw this.rejected('MESSAGE_REJECTED', 'check', `${this.endpoint} refused DATA`, go, 'DATA')
      }
      const body = dotStuff(message)
      this.transcript.info(`(the message: ${message.length} bytes, ${body.length} on the wire, then ".")`, this.secure)
      const write = (async () => {
        for (let offset = 0; offset < body.length; offset += DATA_CHUNK_BYTES) await conn.write(body.subarray(offset, offset + DATA_CHUNK_BYTES))
      })()
      const timeoutMs = conn.timeouts.reply + Math.ceil((body.length / MIN_DATA_BYTES_PER_SECOND) * 1000)
      try {
        await withDeadline(write, {stage: 'reply', timeoutMs, subject: this.endpoint, command: 'the message (DATA)', onTimeout: (error) => conn.abort(error)})
      } catch (error) {
        throw this.session.markFatal(error)
      }
      this.transcript.add('send', '.', this.secure)
      const reply = await this.session.read(this.replyParser(), {label: 'the end of the message'})
      this.inTransaction = false
      if (reply.code === 421) throw this.serviceUnavailable(reply, 'the end of the message')
      if (isPositive(reply)) return reply
      if (isIntermediate(reply)) throw this.protocolError(`${this.endpoint} answered the message with ${reply.code}, which is out of sequence`, reply)
      throw this.rejected('MESSAGE_REJECTED', 'check', `${this.endpoint} refused the message`, reply, 'DATA (end of message)')
    } finally {
      this.timings.dataMs = elapsedMs(started)
    }
  }

  /** RSET: ends the transaction MAIL FROM started. */
  async rset(): Promise<SmtpReply> {
    return this.session.time('rsetMs', async () => {
      const reply = await this.command('RSET')
      this.inTransaction = false
      return reply
    })
  }

  /** QUIT and close (RSET first if a transaction is open). */
  async quit(): Promise<void> {
    this.session.requireConnection()
    try {
      await this.session.leave(() => this.goodbye())
    } finally {
      await this.session.close()
    }
  }

  /**
   * Ends the session as politely as the state allows, within about 1 s: RSET if a transaction
   * is open, QUIT, then close; after a fatal error, just close. Never throws.
   */
  async close(): Promise<void> {
    await this.session.close(() => this.goodbye())
  }

  /**
   * Sends one command line and reads its reply. `secret` masks the line in the transcript
   * (`{keepPrefix: 'AUTH PLAIN '}` keeps the verb); `label` names the command in messages.
   * 421 → SERVICE_UNAVAILABLE; a 1xx/3xx reply where none is expected → PROTOCOL_ERROR.
   */
  async command(line: string, options: SmtpCommandOptions = {}): Promise<SmtpReply> {
    const label = options.label ?? (options.secret ? 'a masked line' : line.split(' ')[0])
    const reply = await this.session.exec(line, this.replyParser(), {...options, label})
    return this.judge(reply, label, options.intermediate)
  }

  /**
   * Reads one reply without sending anything first: the reply to what was written straight to
   * the connection (DATA's message, ending in "."), judged as `command()` judges replies.
   */
  async readReply(label: string, options: {stage?: Stage; intermediate?: boolean} = {}): Promise<SmtpReply> {
    const reply = await this.session.read(this.replyParser(), {stage: options.stage, label})
    return this.judge(reply, label, options.intermediate)
  }

  private judge(reply: SmtpReply, label: string, intermediate = false): SmtpReply {
    if (reply.code === 421) throw this.serviceUnavailable(reply, label)
    if (isIntermediate(reply) && !intermediate) {
      throw this.protocolError(`${this.endpoint} answered ${label} with ${reply.code}, which is out of sequence`, reply)
    }
    return reply
  }

  private async goodbye(): Promise<void> {
    if (this.inTransaction) await this.rset()
    await this.session.time('quitMs', () => this.command('QUIT'))
  }

  private async runMechanism(mechanism: SaslMechanism, user: string, secret: string): Promise<SmtpReply> {
    const masked = (verb: string) => ({secret: {keepPrefix: `${verb} `}, label: verb, intermediate: true})
    const step = (payload: string) => this.command(payload, {secret: true, label: `AUTH ${mechanism} response`, intermediate: true})
    switch (mechanism) {
      case 'PLAIN': {
        // RFC 4954 §4: the initial response saves a round trip.
        const payload = saslPlain(user, secret)
        this.transcript.protect(payload)
        const reply = await this.command(`AUTH PLAIN ${payload}`, masked('AUTH PLAIN'))
        return reply.code === 334 ? step(payload) : reply
      }
      case 'LOGIN': {
        const userPayload = saslLoginStep(user)
        const passPayload = saslLoginStep(secret)
        this.transcript.protect(passPayload)
        let reply = await this.command('AUTH LOGIN', {intermediate: true})
        if (reply.code !== 334) return reply
        reply = await step(userPayload)
        if (reply.code !== 334) return reply
        return step(passPayload)
      }
      case 'CRAM-MD5': {
        const reply = await this.command('AUTH CRAM-MD5', {intermediate: true})
        if (reply.code !== 334) return reply
        const payload = saslCramMd5(user, secret, reply.text)
        this.transcript.protect(payload)
        return step(payload)
      }
      case 'XOAUTH2': {
        const payload = saslXoauth2(user, secret)
        this.transcript.protect(payload)
        const reply = await this.command(`AUTH XOAUTH2 ${payload}`, masked('AUTH XOAUTH2'))
        // On failure the server sends a 334 with a base64 JSON error and waits for an empty line.
        return reply.code === 334 ? this.command('', {label: 'AUTH XOAUTH2 (end)', intermediate: true}) : reply
      }
    }
  }

  /** SMTP's pure reply parser (smtp/reply.ts), one per reply. */
  private replyParser(): ReplyAssembler {
    return new ReplyAssembler({
      subject: this.endpoint,
      maxLines: this.maxReplyLines,
      enhancedStatusCodes: this.hasExtension('ENHANCEDSTATUSCODES') ? true : undefined,
    })
  }

  private protocolError(message: string, reply: SmtpReply): MaildigError {
    return this.session.markFatal(new MaildigError('PROTOCOL_ERROR', 'protocol', message, {subject: this.endpoint, response: formatReply(reply), responseCode: reply.code}))
  }

  private serviceUnavailable(reply: SmtpReply, label: string): MaildigError {
    this.session.markBroken()
    return new MaildigError('SERVICE_UNAVAILABLE', 'connection', `${this.endpoint} is closing the session (answer to ${label}): ${formatReply(reply)}`, {
      subject: this.endpoint,
      command: label,
      response: formatReply(reply),
      responseCode: reply.code,
      temporary: true,
    })
  }

  private rejected(code: string, category: 'check' | 'auth' | 'tls', message: string, reply: SmtpReply, command: string): MaildigError {
    const text = formatReply(reply)
    return new MaildigError(code, category, `${message}: ${text}`, {
      subject: this.endpoint,
      command,
      response: text,
      responseCode: reply.code,
      temporary: isTransient(reply),
    })
  }
}

function chooseMechanism(options: SmtpAuthOptions, offered: readonly string[]): SaslMechanism | undefined {
  const has = (m: string) => offered.includes(m)
  if (options.mechanism) {
    const wanted = options.mechanism.toUpperCase()
    if (!SUPPORTED_MECHANISMS.has(wanted)) throw new UsageError(`unsupported AUTH mechanism ${options.mechanism} (maildig knows PLAIN, LOGIN, CRAM-MD5, XOAUTH2)`)
    return has(wanted) ? (wanted as SaslMechanism) : undefined
  }
  if (options.token !== undefined) return has('XOAUTH2') ? 'XOAUTH2' : undefined
  return MECHANISM_PREFERENCE.find(has)
}

function dsnNotify(values: readonly string[]): string {
  const bad = values.find((v) => !DSN_NOTIFY_VALUES.has(v))
  if (bad !== undefined) throw new UsageError(`"${bad}" is not a DSN NOTIFY value (NEVER, SUCCESS, FAILURE, DELAY)`)
  return values.join(',')
}

/** An EHLO/HELO argument as it goes on the wire: a domain (A-labels) or an address literal (RFC 5321 §4.1.1.1, §4.1.3). */
export function validateEhloName(name: string): void {
  assertWireSafe(name, 'the EHLO name')
  const wire = toEhloName(name)
  if (typeof wire !== 'string') throw new UsageError(`the EHLO name ${wire.problem}`)
  if (wire.toLowerCase() !== name.toLowerCase()) throw new UsageError(`the EHLO name "${printable(name)}" is not in its ASCII form (${wire})`)
}

/**
 * The address inside `<…>` of MAIL FROM/RCPT TO. Surrounding brackets are accepted and removed;
 * CR, LF, NUL and further brackets are a usage error (they would rewrite the command).
 */
export function mailPath(address: string, what: string, allowEmpty: boolean): string {
  assertWireSafe(address, what)
  const path = address.trim().replace(/^<(.*)>$/, '$1')
  if (path === '' && !allowEmpty) throw new UsageError(`${what} is empty`)
  if (/[<>]/.test(path)) throw new UsageError(`${what} "${path}" contains "<" or ">"`)
  if (/\s/.test(path) && !/^".*"@[^\s]+$/.test(path)) throw new UsageError(`${what} "${path}" contains white space`)
  return path
}
