import type {LookupFunction} from 'node:net'
import type {SecureVersion, TLSSocket} from 'node:tls'
import {nodeTls} from '../builtins.js'
import {isMaildigError, MaildigError, UsageError} from '../errors.js'
import {Connection} from '../net/connection.js'
import {CLOSE_GRACE_MS, elapsedMs, withDeadline, type Stage, type StageTimeouts} from '../net/deadline.js'
import {saslCramMd5, saslLoginStep, saslPlain, saslXoauth2} from '../net/sasl.js'
import {Transcript} from '../net/transcript.js'
import {assertWireSafe, bareHost, formatEndpoint, serverNameFor} from '../net/wire.js'
import type {CaInput} from '../tls/trust.js'
import {
  apopDigest,
  apopTimestamp,
  explainResponseCode,
  formatResponse,
  MultilineAssembler,
  parseAuthLine,
  parseCapa,
  parseScanListing,
  parseStat,
  parseStatusLine,
  parseUniqueIdListing,
  printable,
  type MultilineOptions,
  type Pop3AuthLine,
  type Pop3Capabilities,
  type Pop3Response,
  type Pop3Stat,
  type ScanListing,
  type UniqueIdListing,
} from './response.js'

/** How to log in: RFC 1939 USER/PASS and APOP, or an RFC 5034 SASL mechanism. */
export const POP3_AUTH_METHODS = ['user', 'apop', 'plain', 'login', 'cram-md5', 'xoauth2'] as const
export type Pop3AuthMethod = (typeof POP3_AUTH_METHODS)[number]

const SASL_NAMES: Partial<Record<Pop3AuthMethod, string>> = {plain: 'PLAIN', login: 'LOGIN', 'cram-md5': 'CRAM-MD5', xoauth2: 'XOAUTH2'}

/**
 * The order in which a method is chosen when none is named. Inside TLS with a verified certificate
 * the password may travel as it is, and PLAIN works with every password scheme a server stores;
 * without TLS (only with --allow-insecure-auth) the challenge-response methods come first, as they
 * do not put the password itself on the wire. XOAUTH2 needs a token, so it is never guessed.
 */
const SECURE_PREFERENCE: Pop3AuthMethod[] = ['plain', 'login', 'user', 'cram-md5', 'apop']
const INSECURE_PREFERENCE: Pop3AuthMethod[] = ['cram-md5', 'apop', 'plain', 'login', 'user']

/**
 * RFC 5034 §4: "If the initial response would cause the AUTH command to exceed 255 octets, the
 * client MUST NOT include it"; it is sent after an empty challenge instead.
 */
const AUTH_COMMAND_MAX = 255

/** Responses read back to back when the server announces PIPELINING (RFC 2449 §6.6). */
const PIPELINE_WINDOW = 16

/** Bounds for CAPA and other short listings. */
const SHORT_LISTING: Pick<MultilineOptions, 'maxLines' | 'maxBytes'> = {maxLines: 200, maxBytes: 64 * 1024}

/** Errors after which the session cannot go on: no RSET, no QUIT, just close. */
const FATAL_CATEGORIES = new Set(['timeout', 'connection', 'protocol', 'tls'])

export interface Pop3ClientOptions {
  /** The host name (or IP literal) asked for: SNI, the certificate check and messages use it. */
  host: string
  port: number
  /** Connect here instead of resolving `host`. */
  address?: string
  /** The DNS layer's lookup (honours --resolver); the system resolver when absent. */
  lookup?: LookupFunction
  family?: 0 | 4 | 6
  localAddress?: string
  /** Deadline per stage (connect, greeting, TLS handshake, each response). */
  timeoutMs?: number | Partial<StageTimeouts>
  transcript?: Transcript
  /** Extra trusted authorities (`--ca-file`). */
  ca?: CaInput
  minTlsVersion?: SecureVersion
  tlsCiphers?: string
  maxLineLength?: number
}

export interface Pop3Greeting {
  /** The text after `+OK` (and the response code, if any). */
  text: string
  code: string | null
  /** The RFC 1939 §7 APOP timestamp, when the server offers APOP. */
  timestamp: string | null
}

export interface Pop3LoginOptions {
  user: string
  /** The password; with `xoauth2`, the OAuth2 access token. */
  password: string
  /** Default: the best the server offers (see SECURE_PREFERENCE). */
  method?: Pop3AuthMethod
  /** `--allow-insecure-auth` (docs/cli.md): send credentials without TLS or over an unverified certificate. */
  allowInsecureAuth?: boolean
}

export interface Pop3Timings {
  lookupMs?: number
  connectMs?: number
  /** Implicit TLS: the handshake; STLS: the command, its response and the handshake. */
  tlsMs?: number
  greetingMs?: number
  capaMs?: number
  authMs?: number
  statMs?: number
  listMs?: number
  uidlMs?: number
  topMs?: number
  rsetMs?: number
  quitMs?: number
}

/** A multi-line command's outcome: the status line, and the unstuffed lines after a `+OK`. */
export interface Pop3MultilineResponse {
  response: Pop3Response
  lines: string[] | null
}

type State = 'new' | 'authorization' | 'transaction' | 'closed'

/**
 * A hand-written POP3 client for diagnosis (RFC 1939, CAPA RFC 2449, STLS RFC 2595, SASL RFC 5034,
 * response codes RFC 3206). It reads; it has no DELE and no RETR, and it ends a session with RSET
 * then QUIT, so the maildrop is left as it was found. Every response is read under a deadline and
 * bounded in lines and bytes, every value is validated before it reaches the wire, every
 * credential is masked in the transcript.
 *
 * Error categories (→ exit codes in docs/cli.md) chosen here:
 * - a `-ERR` greeting → POP3_GREETING_ERR, 'connection' (4): the server will not hold a session with
 *   this client and closes, like a refused connection; temporary unless it says [SYS/PERM];
 * - `-ERR` to USER, PASS, APOP or AUTH → LOGIN_FAILED, 'auth' (7), except when a response code says
 *   the credentials are not at fault: [IN-USE] → MAILBOX_IN_USE, 'check' (1, temporary): the login
 *   succeeded and another session holds the maildrop's lock, so "fix your password" (7) would
 *   mislead; [SYS/TEMP] → POP3_SYS_TEMP and [SYS/PERM] → POP3_SYS_PERM, 'check' (1): the server's own
 *   failure. [LOGIN-DELAY] → LOGIN_THROTTLED, 'auth' (7, temporary), as imap-check reports a
 *   throttled login: the server refuses this login for now;
 * - AUTH_INSECURE and AUTH_NOT_OFFERED → 'auth' (7), as in the SMTP client;
 * - STLS_NOT_OFFERED (when STLS is required) and STARTTLS_FAILED → 'tls' (6);
 * - `-ERR` to STAT or LIST in a logged-in session → POP3_COMMAND_FAILED, 'check' (1).
 */
export class Pop3Client {
  readonly transcript: Transcript
  readonly timings: Pop3Timings = {}
  private readonly options: Pop3ClientOptions
  private conn: Connection | undefined
  private greetingState: Pop3Greeting | undefined
  private capabilityState: Pop3Capabilities | null | undefined
  private state: State = 'new'
  private broken = false
  private quitSent = false

  constructor(options: Pop3ClientOptions) {
    this.options = options
    this.transcript = options.transcript ?? new Transcript()
  }

  /** `host [address]:port`. */
  get endpoint(): string {
    return this.conn?.endpoint ?? formatEndpoint(this.options.host, this.options.port, this.options.address)
  }

  get connection(): Connection | undefined {
    return this.conn
  }

  get remoteAddress(): string | undefined {
    return this.conn?.address
  }

  get greeting(): Pop3Greeting | undefined {
    return this.greetingState
  }

  /** The latest CAPA answer (inside TLS after STLS); null when the server refused CAPA; undefined before. */
  get capabilities(): Pop3Capabilities | null | undefined {
    return this.capabilityState
  }

  /** 'authorization' before login, 'transaction' after it (RFC 1939 §3). */
  get sessionState(): State {
    return this.state
  }

  get secure(): boolean {
    return this.conn?.secure ?? false
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.conn?.tlsSocket
  }

  /** TLS with a chain that verifies and a certificate that names the host asked for. */
  get certificateVerified(): boolean {
    return this.certificateProblem() === undefined && this.secure
  }

  /** Whether the session was broken by a timeout, reset, TLS or protocol error. */
  get failed(): boolean {
    return this.broken || (this.state !== 'closed' && this.conn?.failed !== undefined)
  }

  hasCapability(name: string): boolean {
    return this.capabilityState ? Object.hasOwn(this.capabilityState, name.toUpperCase()) : false
  }

  /** Connects (with implicit TLS if asked, POP3S on 995) and reads the greeting. */
  async connect(options: {implicitTls?: boolean} = {}): Promise<Pop3Greeting> {
    if (this.conn) throw new UsageError('this POP3 client is already connected')
    const {host, port, address, lookup, family, localAddress, timeoutMs, maxLineLength, ca, minTlsVersion, tlsCiphers} = this.options
    const started = performance.now()
    try {
      this.conn = await Connection.open({
        host,
        port,
        address,
        lookup,
        family,
        localAddress,
        timeoutMs,
        maxLineLength,
        transcript: this.transcript,
        tls: options.implicitTls ? {ca, minVersion: minTlsVersion, ciphers: tlsCiphers} : false,
      })
    } finally {
      if (this.conn) Object.assign(this.timings, this.conn.timings)
      else this.timings.connectMs = elapsedMs(started)
    }
    const greetingStarted = performance.now()
    const conn = this.conn
    const line = await this.guard(conn.deadline('greeting', conn.readLine()))
    this.timings.greetingMs = elapsedMs(greetingStarted)
    let response: Pop3Response
    try {
      response = parseStatusLine(line, this.endpoint)
    } catch {
      throw this.fatal(
        new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} greeted with "${printable(line)}", not +OK or -ERR: is this a POP3 service?`, {
          subject: this.endpoint,
          response: line.slice(0, 200),
        }),
      )
    }
    this.greetingState = {text: response.text, code: response.code, timestamp: response.ok ? apopTimestamp(response.text) : null}
    if (!response.ok) {
      // The server closes after a -ERR greeting; nothing more can be said in this session.
      this.broken = true
      const meaning = explainResponseCode(response.code)
      throw new MaildigError('POP3_GREETING_ERR', 'connection', `${this.endpoint} refused the session: ${formatResponse(response)}${meaning ? ` — ${meaning}` : ''}`, {
        subject: this.endpoint,
        response: formatResponse(response),
        temporary: response.code?.toUpperCase() !== 'SYS/PERM',
      })
    }
    this.state = 'authorization'
    return this.greetingState
  }

  /**
   * CAPA (RFC 2449). Null when the server answers -ERR (an RFC 1939-only server): then nothing is
   * known and every optional command is tried.
   */
  async capa(): Promise<Pop3Capabilities | null> {
    const started = performance.now()
    try {
      const {lines} = await this.multiline('CAPA', {...SHORT_LISTING, command: 'CAPA'})
      this.capabilityState = lines ? parseCapa(lines) : null
      return this.capabilityState
    } finally {
      this.timings.capaMs = round((this.timings.capaMs ?? 0) + elapsedMs(started))
    }
  }

  /**
   * STLS (RFC 2595 §4): `+OK`, then the TLS handshake; plaintext that came with or after the `+OK`
   * is dropped (a man in the middle may have added it). What CAPA said before is forgotten: the
   * caller asks again inside TLS.
   */
  async stls(): Promise<TLSSocket> {
    const conn = this.requireConnection()
    if (conn.tlsSocket) return conn.tlsSocket
    const started = performance.now()
    const response = await this.simple('STLS')
    if (!response.ok) {
      throw this.rejected('STARTTLS_FAILED', 'tls', `${this.endpoint} refused STLS`, response, 'STLS')
    }
    let socket: TLSSocket
    try {
      socket = await conn.upgradeToTls({ca: this.options.ca, minVersion: this.options.minTlsVersion, ciphers: this.options.tlsCiphers, kind: 'starttls'})
    } catch (error) {
      throw this.fatal(error)
    }
    this.timings.tlsMs = elapsedMs(started)
    this.capabilityState = undefined
    return socket
  }

  /** The methods this server offers now, as far as the greeting and CAPA tell. */
  offeredMethods(): Pop3AuthMethod[] {
    const capa = this.capabilityState
    const sasl = capa?.SASL ?? []
    const methods: Pop3AuthMethod[] = []
    // RFC 2449 §6.3: USER in CAPA means USER/PASS is allowed now; without CAPA, try it (RFC 1939).
    if (!capa || Object.hasOwn(capa, 'USER')) methods.push('user')
    if (this.greetingState?.timestamp) methods.push('apop')
    for (const method of ['plain', 'login', 'cram-md5', 'xoauth2'] as const) {
      if (sasl.includes(SASL_NAMES[method]!)) methods.push(method)
    }
    return methods
  }

  /**
   * Logs in. Refuses (AUTH_INSECURE) without TLS and a verified certificate unless
   * `allowInsecureAuth`. The password, and every value derived from it, is masked in the
   * transcript and kept out of error messages.
   */
  async login(options: Pop3LoginOptions): Promise<{method: Pop3AuthMethod; response: Pop3Response}> {
    const {user, password} = options
    this.transcript.protect(password)
    assertWireSafe(user, 'the user name')
    assertWireSafe(password, 'the password')
    if (this.state !== 'authorization') throw new MaildigError('INTERNAL_ERROR', 'internal', `cannot log in: the session is in the ${this.state} state`)
    if (!options.allowInsecureAuth) {
      const problem = this.secure ? this.certificateProblem() : 'the connection is not encrypted'
      if (problem) {
        const fix = this.secure
          ? 'trust the certificate\'s authority (--ca-file), or fix the server\'s certificate'
          : this.hasCapability('STLS')
            ? 'the server offers STLS: use it (--tls starttls, or leave --tls out), or port 995 (--port 995)'
            : `use POP3 over TLS: port 995 (--port 995), or STLS on port ${this.options.port} (--tls starttls) if the server offers it`
        throw new MaildigError('AUTH_INSECURE', 'auth', `not sending credentials to ${this.endpoint}: ${problem}; ${fix}, or pass --allow-insecure-auth to send them anyway`, {
          subject: this.endpoint,
          command: 'login',
        })
      }
    }
    const offered = this.offeredMethods()
    const preference = this.certificateVerified ? SECURE_PREFERENCE : INSECURE_PREFERENCE
    const method = options.method ?? preference.find((m) => offered.includes(m))
    if (!method || (options.method && !this.mayTry(options.method, offered))) {
      const what = options.method ? methodLabel(options.method) : 'a login method maildig knows'
      const has = offered.length > 0 ? ` (it offers ${offered.map(methodLabel).join(', ')})` : ' (it offers none at this stage: no USER, APOP timestamp or SASL in CAPA)'
      throw new MaildigError('AUTH_NOT_OFFERED', 'auth', `${this.endpoint} does not offer ${what}${has}`, {subject: this.endpoint, command: 'login'})
    }
    if ((method === 'user' || method === 'apop') && /\s/.test(user)) {
      throw new UsageError(`--user: "${user}" contains white space, which ${method === 'user' ? 'USER' : 'APOP'} cannot carry; use --auth plain`)
    }
    const started = performance.now()
    try {
      const response = await this.runMethod(method, user, password)
      if (!response.ok) throw this.loginError(response, method, user)
      this.state = 'transaction'
      return {method, response}
    } catch (error) {
      throw scrubError(error, this.transcript)
    } finally {
      this.timings.authMs = elapsedMs(started)
    }
  }

  /** STAT (RFC 1939 §5). */
  async stat(): Promise<Pop3Stat> {
    const started = performance.now()
    try {
      const response = await this.simple('STAT')
      if (!response.ok) throw this.commandFailed(response, 'STAT')
      try {
        return parseStat(response, this.endpoint)
      } catch (error) {
        throw this.fatal(error)
      }
    } finally {
      this.timings.statMs = round((this.timings.statMs ?? 0) + elapsedMs(started))
    }
  }

  /**
   * LIST (RFC 1939 §5), the whole scan listing. `maxMessages` bounds it: a server that lists more
   * messages than STAT counted is out of protocol.
   */
  async list(maxMessages: number): Promise<ScanListing[]> {
    const started = performance.now()
    try {
      const {response, lines} = await this.multiline('LIST', {maxLines: maxMessages, maxBytes: listingBytes(maxMessages), command: 'LIST'})
      if (!lines) throw this.commandFailed(response, 'LIST')
      return this.parseLines(lines, parseScanListing)
    } finally {
      this.timings.listMs = round((this.timings.listMs ?? 0) + elapsedMs(started))
    }
  }

  /** LIST n for each message (pipelined when the server allows): for a few messages of a large maildrop. */
  async listEach(numbers: readonly number[]): Promise<Map<number, number | null>> {
    const started = performance.now()
    try {
      const responses = await this.pipeline(numbers.map((n) => `LIST ${messageNumber(n)}`), () => this.readSimple('LIST'))
      const sizes = new Map<number, number | null>()
      responses.forEach((response, i) => {
        sizes.set(numbers[i], response.ok ? this.parseOne(response, parseScanListing).size : null)
      })
      return sizes
    } finally {
      this.timings.listMs = round((this.timings.listMs ?? 0) + elapsedMs(started))
    }
  }

  /** UIDL (RFC 1939 §7), the whole listing; null when the server does not support UIDL. */
  async uidl(maxMessages: number): Promise<UniqueIdListing[] | null> {
    const started = performance.now()
    try {
      // A unique-id is at most 70 characters: each line is short.
      const {lines} = await this.multiline('UIDL', {maxLines: maxMessages, maxBytes: listingBytes(maxMessages, 70), command: 'UIDL'})
      return lines ? this.parseLines(lines, parseUniqueIdListing) : null
    } finally {
      this.timings.uidlMs = round((this.timings.uidlMs ?? 0) + elapsedMs(started))
    }
  }

  /** UIDL n for each message; an entry is null when the server answered -ERR. */
  async uidlEach(numbers: readonly number[]): Promise<Map<number, string | null>> {
    const started = performance.now()
    try {
      const responses = await this.pipeline(numbers.map((n) => `UIDL ${messageNumber(n)}`), () => this.readSimple('UIDL'))
      const uids = new Map<number, string | null>()
      responses.forEach((response, i) => uids.set(numbers[i], response.ok ? this.parseOne(response, parseUniqueIdListing).uid : null))
      return uids
    } finally {
      this.timings.uidlMs = round((this.timings.uidlMs ?? 0) + elapsedMs(started))
    }
  }

  /**
   * TOP n lines (RFC 1939 §7) for each message, pipelined when the server announces PIPELINING:
   * the header and `lines` lines of the body, unstuffed. An entry is null when the server
   * answered -ERR. TOP leaves the message unseen (unlike RETR).
   */
  async top(numbers: readonly number[], options: {lines?: number; maxLines: number; maxBytes: number}): Promise<Map<number, string[] | null>> {
    const bodyLines = options.lines ?? 0
    if (!Number.isSafeInteger(bodyLines) || bodyLines < 0) throw new UsageError(`invalid TOP line count ${bodyLines}`)
    const started = performance.now()
    try {
      const limits = {maxLines: options.maxLines, maxBytes: options.maxBytes, command: 'TOP'}
      const responses = await this.pipeline(numbers.map((n) => `TOP ${messageNumber(n)} ${bodyLines}`), () => this.readMultiline('TOP', limits))
      const result = new Map<number, string[] | null>()
      responses.forEach((r, i) => result.set(numbers[i], r.lines))
      return result
    } finally {
      this.timings.topMs = round((this.timings.topMs ?? 0) + elapsedMs(started))
    }
  }

  async noop(): Promise<Pop3Response> {
    return this.simple('NOOP')
  }

  /** RSET (RFC 1939 §5): unmarks anything marked as deleted (maildig marks nothing; this makes sure). */
  async rset(): Promise<Pop3Response> {
    const started = performance.now()
    try {
      return await this.simple('RSET')
    } finally {
      this.timings.rsetMs = elapsedMs(started)
    }
  }

  /** RSET (in the TRANSACTION state), QUIT, close. */
  async quit(): Promise<void> {
    const conn = this.requireConnection()
    try {
      if (this.state === 'transaction') await this.rset()
      const started = performance.now()
      this.quitSent = true
      await this.simple('QUIT')
      this.timings.quitMs = elapsedMs(started)
    } finally {
      this.state = 'closed'
      await conn.close()
    }
  }

  /**
   * Ends the session as politely as its state allows, within about 1 s: RSET when logged in, QUIT,
   * then close; after a fatal error, just close. Never throws.
   */
  async close(): Promise<void> {
    const conn = this.conn
    if (!conn) return
    const started = performance.now()
    if (!this.failed && !this.quitSent && !conn.closed && this.state !== 'new') {
      const polite = (async () => {
        if (this.state === 'transaction') await this.rset()
        this.quitSent = true
        const quitStarted = performance.now()
        await this.simple('QUIT')
        this.timings.quitMs = elapsedMs(quitStarted)
      })()
      try {
        await withDeadline(polite, {stage: 'reply', timeoutMs: CLOSE_GRACE_MS, subject: this.endpoint, command: 'QUIT', onTimeout: (error) => conn.abort(error)})
      } catch {
        // A server that will not say goodbye is still closed below.
      }
    }
    this.state = 'closed'
    await conn.close(Math.max(100, CLOSE_GRACE_MS - (performance.now() - started)))
  }

  // ---- commands and responses ----

  /** Sends one command and reads its one-line response. */
  private async simple(line: string, options: {label?: string; secret?: true | {keepPrefix?: string}} = {}): Promise<Pop3Response> {
    const label = options.label ?? line.split(' ')[0]
    await this.send(line, label, options.secret)
    return this.readSimple(label)
  }

  /** Sends one command and reads its response: the status, then the lines up to "." after +OK. */
  private async multiline(line: string, limits: Partial<MultilineOptions>): Promise<Pop3MultilineResponse> {
    const label = line.split(' ')[0]
    await this.send(line, label)
    return this.readMultiline(label, limits)
  }

  /**
   * Writes several commands and reads their responses in order. With PIPELINING (RFC 2449 §6.6) up
   * to PIPELINE_WINDOW are in flight; otherwise one at a time. Each response has its own deadline.
   */
  private async pipeline<T>(lines: readonly string[], read: () => Promise<T>): Promise<T[]> {
    const conn = this.requireConnection()
    const window = this.hasCapability('PIPELINING') ? PIPELINE_WINDOW : 1
    const results: T[] = []
    let sent = 0
    if (lines.length > 0) await this.checkNoStray(lines[0].split(' ')[0])
    while (results.length < lines.length) {
      while (sent < lines.length && sent - results.length < window) {
        this.write(conn, lines[sent++])
      }
      results.push(await read())
    }
    return results
  }

  private async send(line: string, label: string, secret?: true | {keepPrefix?: string}): Promise<void> {
    const conn = this.requireConnection()
    await this.checkNoStray(label)
    this.write(conn, line, secret)
  }

  /** RFC 1939 §3: one response per command. A line nobody asked for would pass for the next response. */
  private async checkNoStray(label: string): Promise<void> {
    const conn = this.requireConnection()
    if (conn.bufferedLines === 0) return
    const stray = await this.guard(conn.deadline('reply', conn.readLine(), label))
    throw this.fatal(
      new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} sent "${printable(stray)}" before ${label}, a response nobody asked for`, {
        subject: this.endpoint,
        response: stray.slice(0, 200),
      }),
    )
  }

  private write(conn: Connection, line: string, secret?: true | {keepPrefix?: string}): void {
    try {
      conn.writeLine(line, secret)
    } catch (error) {
      if (isMaildigError(error) && error.category === 'usage') throw error
      throw this.fatal(error)
    }
  }

  private async readSimple(label: string): Promise<Pop3Response> {
    const conn = this.requireConnection()
    const line = await this.guard(conn.deadline('reply', conn.readLine(), label))
    return this.parseStatus(line, label)
  }

  private async readMultiline(label: string, limits: Partial<MultilineOptions>): Promise<Pop3MultilineResponse> {
    const conn = this.requireConnection()
    const work = (async (): Promise<Pop3MultilineResponse> => {
      const response = this.parseStatus(await conn.readLine(), label)
      if (!response.ok) return {response, lines: null}
      const assembler = new MultilineAssembler({...limits, subject: this.endpoint, command: label})
      for (;;) {
        const lines = assembler.push(await conn.readLine())
        if (lines) return {response, lines}
      }
    })()
    return this.guard(conn.deadline('reply', work, label))
  }

  private async readAuthLine(label: string): Promise<Pop3AuthLine> {
    const conn = this.requireConnection()
    const line = await this.guard(conn.deadline('reply', conn.readLine(), label))
    try {
      return parseAuthLine(line, this.endpoint)
    } catch (error) {
      throw this.fatal(error)
    }
  }

  private parseStatus(line: string, label: string): Pop3Response {
    try {
      return parseStatusLine(line, this.endpoint)
    } catch {
      throw this.fatal(
        new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} answered ${label} with "${printable(line)}", which is neither +OK nor -ERR`, {
          subject: this.endpoint,
          command: label,
          response: line.slice(0, 200),
        }),
      )
    }
  }

  private parseLines<T>(lines: readonly string[], parse: (text: string, subject?: string) => T): T[] {
    try {
      return lines.map((line) => parse(line, this.endpoint))
    } catch (error) {
      throw this.fatal(error)
    }
  }

  /** "+OK n size" / "+OK n uid": the listing after the status. */
  private parseOne<T>(response: Pop3Response, parse: (text: string, subject?: string) => T): T {
    return this.parseLines([response.text], parse)[0]
  }

  // ---- login ----

  private mayTry(method: Pop3AuthMethod, offered: readonly Pop3AuthMethod[]): boolean {
    if (offered.includes(method)) return true
    // Without CAPA nothing is known: a named SASL mechanism is tried, and -ERR says the rest.
    return this.capabilityState === null && method !== 'apop'
  }

  private runMethod(method: Pop3AuthMethod, user: string, password: string): Promise<Pop3Response> {
    switch (method) {
      case 'user':
        return this.userPass(user, password)
      case 'apop': {
        const timestamp = this.greetingState?.timestamp
        if (!timestamp) throw new MaildigError('AUTH_NOT_OFFERED', 'auth', `${this.endpoint} offers no APOP (no timestamp in its greeting)`, {subject: this.endpoint})
        const digest = apopDigest(timestamp, password)
        this.transcript.protect(digest)
        return this.simple(`APOP ${user} ${digest}`, {label: 'APOP', secret: {keepPrefix: `APOP ${user} `}})
      }
      case 'plain':
        return this.sasl('PLAIN', saslPlain(user, password), () => undefined)
      case 'login': {
        const steps = [saslLoginStep(user), saslLoginStep(password)]
        this.transcript.protect(steps[1])
        return this.sasl('LOGIN', undefined, (_challenge, step) => steps[step])
      }
      case 'cram-md5':
        return this.sasl('CRAM-MD5', undefined, (challenge, step) => {
          if (step > 0) return undefined
          const payload = saslCramMd5(user, password, challenge)
          this.transcript.protect(payload)
          return payload
        })
      case 'xoauth2':
        // On failure the server sends a continuation with a base64 JSON error and waits for an empty line.
        return this.sasl('XOAUTH2', saslXoauth2(user, password), (_challenge, step) => (step === 0 ? '' : undefined))
    }
  }

  private async userPass(user: string, password: string): Promise<Pop3Response> {
    const response = await this.simple(`USER ${user}`)
    if (!response.ok) return response
    return this.simple(`PASS ${password}`, {label: 'PASS', secret: {keepPrefix: 'PASS '}})
  }

  /**
   * AUTH (RFC 5034): the mechanism with its initial response when the command fits in 255 octets
   * (else the initial response answers the first, empty, challenge), then `respond` answers each
   * continuation (`step` counts them) until the final +OK/-ERR. When `respond` has no answer, "*"
   * cancels the exchange (§4) and the server's -ERR is returned.
   */
  private async sasl(mechanism: string, initial: string | undefined, respond: (challenge: string, step: number) => string | undefined): Promise<Pop3Response> {
    const label = `AUTH ${mechanism}`
    if (initial) this.transcript.protect(initial)
    const command = initial === undefined ? undefined : `AUTH ${mechanism} ${initial || '='}`
    const inline = command !== undefined && command.length <= AUTH_COMMAND_MAX
    if (inline) await this.send(command, label, {keepPrefix: `${label} `})
    else await this.send(label, label)
    let pendingInitial = inline ? undefined : initial
    let step = 0
    for (;;) {
      const line = await this.readAuthLine(label)
      if (!line.continuation) return line
      let reply: string | undefined
      if (pendingInitial !== undefined) {
        reply = pendingInitial
        pendingInitial = undefined
      } else {
        reply = respond(line.challenge, step++)
      }
      if (reply === undefined) {
        this.write(this.requireConnection(), '*')
        const final = await this.readAuthLine(label)
        if (final.continuation) {
          throw this.fatal(new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} went on with ${label} after it was cancelled`, {subject: this.endpoint, command: label}))
        }
        return final
      }
      this.write(this.requireConnection(), reply, true)
    }
  }

  private loginError(response: Pop3Response, method: Pop3AuthMethod, user: string): MaildigError {
    const code = response.code?.toUpperCase() ?? ''
    const meaning = explainResponseCode(code)
    const text = formatResponse(response)
    const command = method === 'user' ? 'USER/PASS' : methodLabel(method)
    const base = `${this.endpoint} did not log ${user} in (${command}): ${text}`
    const options = {subject: this.endpoint, command, response: text}
    const top = code.split('/')[0]
    if (top === 'IN-USE') return new MaildigError('MAILBOX_IN_USE', 'check', `${base} — ${meaning}`, {...options, temporary: true})
    // The same code and exit code as imap-check gives a throttled login.
    if (top === 'LOGIN-DELAY') return new MaildigError('LOGIN_THROTTLED', 'auth', `${base} — ${meaning}`, {...options, temporary: true})
    if (code.startsWith('SYS/TEMP')) return new MaildigError('POP3_SYS_TEMP', 'check', `${base} — ${meaning}`, {...options, temporary: true})
    if (code.startsWith('SYS/PERM')) return new MaildigError('POP3_SYS_PERM', 'check', `${base} — ${meaning}`, options)
    const why = meaning ?? 'the server rejected the user name or the password (check them, and --auth)'
    return new MaildigError('LOGIN_FAILED', 'auth', `${base} — ${why}`, options)
  }

  private commandFailed(response: Pop3Response, command: string): MaildigError {
    const code = response.code?.toUpperCase() ?? ''
    const meaning = explainResponseCode(code)
    const text = formatResponse(response)
    const name = code.startsWith('SYS/TEMP') ? 'POP3_SYS_TEMP' : code.startsWith('SYS/PERM') ? 'POP3_SYS_PERM' : 'POP3_COMMAND_FAILED'
    return new MaildigError(name, 'check', `${this.endpoint} answered ${command} with ${text}${meaning ? ` — ${meaning}` : ''}`, {
      subject: this.endpoint,
      command,
      response: text,
      temporary: code.startsWith('SYS/TEMP'),
    })
  }

  private rejected(code: string, category: 'tls' | 'check', message: string, response: Pop3Response, command: string): MaildigError {
    const text = formatResponse(response)
    const meaning = explainResponseCode(response.code)
    return new MaildigError(code, category, `${message}: ${text}${meaning ? ` — ${meaning}` : ''}`, {subject: this.endpoint, command, response: text})
  }

  /** Why the certificate is not good enough for credentials, or undefined when it is (or there is no TLS). */
  private certificateProblem(): string | undefined {
    const socket = this.conn?.tlsSocket
    if (!socket) return undefined
    if (!socket.authorized) return `the certificate is not trusted (${String(socket.authorizationError ?? 'unknown reason')})`
    const name = serverNameFor(this.options.host) ?? bareHost(this.options.host)
    if (nodeTls().checkServerIdentity(name, socket.getPeerCertificate()) !== undefined) return `the certificate does not name ${name}`
    return undefined
  }

  // ---- failure handling ----

  private requireConnection(): Connection {
    if (!this.conn) throw new MaildigError('CONNECTION_CLOSED', 'internal', 'the POP3 client is not connected')
    return this.conn
  }

  /** Awaits `work`; a failure that breaks the session marks it broken and aborts the socket. */
  private async guard<T>(work: Promise<T>): Promise<T> {
    try {
      return await work
    } catch (error) {
      throw this.fatal(error)
    }
  }

  /** Marks the session broken for errors that leave it unusable, and aborts the socket. */
  private fatal(error: unknown): unknown {
    if (!isMaildigError(error) || FATAL_CATEGORIES.has(error.category)) {
      this.broken = true
      this.conn?.abort(error as Error)
    }
    return error
  }
}

/** How a method is called on the wire, for messages. */
export function methodLabel(method: Pop3AuthMethod): string {
  return method === 'user' ? 'USER/PASS' : method === 'apop' ? 'APOP' : `AUTH ${SASL_NAMES[method]}`
}

function messageNumber(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`invalid message number ${n}`)
  return n
}

/** Bytes a listing of `messages` lines may take: "number SP value CRLF", numbers up to 15 digits. */
function listingBytes(messages: number, valueLength = 15): number {
  return Math.max(1, messages) * (15 + 1 + valueLength + 2 + 16)
}

/** Masks any registered secret that found its way into an error's message or response. */
function scrubError(error: unknown, transcript: Transcript): unknown {
  if (!(error instanceof Error)) return error
  const message = transcript.scrub(error.message)
  if (message !== error.message) error.message = message
  if (isMaildigError(error) && error.response) {
    const response = transcript.scrub(error.response)
    if (response !== error.response) (error as {response?: string}).response = response
  }
  return error
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

export type {Stage}
