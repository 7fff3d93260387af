import type {TLSSocket} from 'node:tls'
import {InvalidValueError, isMaildigError, MaildigError, UsageError, withPartial} from '../errors.js'
import {SessionClient, type ReplyParser, type Secret, type SessionOptions} from '../net/session.js'
import {assertWireSafe} from '../net/wire.js'
import {
  apopDigest,
  apopTimestamp,
  explainResponseCode,
  formatResponse,
  MultilineAssembler,
  parseCapa,
  parseScanListing,
  parseStat,
  parseStatusLine,
  parseUniqueIdListing,
  printable,
  type MultilineOptions,
  type Pop3Capabilities,
  type Pop3Response,
  type Pop3Stat,
  type ScanListing,
  type UniqueIdListing,
} from './response.js'
import {POP3_SASL_NAMES, pop3Sasl} from './sasl.js'

/** How to log in: RFC 1939 USER/PASS and APOP, or an RFC 5034 SASL mechanism. */
export const POP3_AUTH_METHODS = ['user', 'apop', 'plain', 'login', 'cram-md5', 'xoauth2'] as const
export type Pop3AuthMethod = (typeof POP3_AUTH_METHODS)[number]

/**
 * The order in which a method is chosen when none is named. Inside TLS with a verified certificate
 * the password may travel as it is, and PLAIN works with every password scheme a server stores;
 * without TLS (only with --allow-insecure-auth) the challenge-response methods come first, as they
 * do not put the password itself on the wire. XOAUTH2 needs a token, so it is never guessed.
 */
const SECURE_PREFERENCE: Pop3AuthMethod[] = ['plain', 'login', 'user', 'cram-md5', 'apop']
const INSECURE_PREFERENCE: Pop3AuthMethod[] = ['cram-md5', 'apop', 'plain', 'login', 'user']

/** Responses read back to back when the server announces PIPELINING (RFC 2449 §6.6). */
const PIPELINE_WINDOW = 16

/** Bounds for CAPA and other short listings. */
const SHORT_LISTING: Pick<MultilineOptions, 'maxLines' | 'maxBytes'> = {maxLines: 200, maxBytes: 64 * 1024}

export type Pop3ClientOptions = SessionOptions

export interface Pop3Greeting {
  /** The greeting line as received. */
  line: string
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
export class Pop3Client extends SessionClient<Pop3Timings> {
  private greetingState: Pop3Greeting | undefined
  private capabilityState: Pop3Capabilities | null | undefined
  private state: State = 'new'

  constructor(options: Pop3ClientOptions) {
    // RFC 1939 §3: one response per command; a line nobody asked for would pass for the next response.
    super('POP3', options, {}, {
      parser: () => ({push: (line) => line}),
      error: (stray: string, label: string) =>
        new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} sent "${printable(stray)}" before ${label}, a response nobody asked for`, {
          subject: this.endpoint,
          response: stray.slice(0, 200),
        }),
    })
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

  hasCapability(name: string): boolean {
    return this.capabilityState ? Object.hasOwn(this.capabilityState, name.toUpperCase()) : false
  }

  /** Connects (with implicit TLS if asked, POP3S on 995) and reads the greeting. */
  async connect(options: {implicitTls?: boolean} = {}): Promise<Pop3Greeting> {
    if (this.session.connection) throw new UsageError('this POP3 client is already connected')
    const greeting: ReplyParser<Pop3Response> = {
      push: (line) => {
        try {
          return parseStatusLine(line, this.endpoint)
        } catch {
          throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} greeted with "${printable(line)}", not +OK or -ERR: is this a POP3 service?`, {
            subject: this.endpoint,
            response: line.slice(0, 200),
          })
        }
      },
    }
    const response = await this.session.open(greeting, options.implicitTls)
    this.greetingState = {line: response.line, text: response.text, code: response.code, timestamp: response.ok ? apopTimestamp(response.text) : null}
    if (!response.ok) {
      // The server closes after a -ERR greeting; nothing more can be said in this session.
      this.session.markBroken()
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
    return this.session.time('capaMs', async () => {
      const {lines} = await this.multiline('CAPA', {...SHORT_LISTING, command: 'CAPA'})
      return (this.capabilityState = lines ? parseCapa(lines) : null)
    }, true)
  }

  /**
   * STLS (RFC 2595 §4): `+OK`, then the TLS handshake; plaintext that came with or after the `+OK`
   * is dropped (a man in the middle may have added it). What CAPA said before is forgotten: the
   * caller asks again inside TLS.
   */
  async stls(): Promise<TLSSocket> {
    const conn = this.session.requireConnection()
    if (conn.tlsSocket) return conn.tlsSocket
    const socket = await this.session.time('tlsMs', async () => {
      const response = await this.simple('STLS')
      if (!response.ok) throw this.rejected('STARTTLS_FAILED', 'tls', `${this.endpoint} refused STLS`, response, 'STLS')
      return this.session.upgradeToTls()
    })
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
      if (sasl.includes(POP3_SASL_NAMES[method])) methods.push(method)
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
      const problem = this.secure ? this.session.certificateProblem : 'the connection is not encrypted'
      if (problem) {
        const fix = this.secure
          ? 'trust the certificate\'s authority (an extra CA), or fix the server\'s certificate'
          : this.hasCapability('STLS')
            ? 'the server offers STLS: use it (TLS mode starttls, or the default), or port 995'
            : `use POP3 over TLS: port 995, or STLS on port ${this.session.port} (TLS mode starttls) if the server offers it`
        throw new MaildigError('AUTH_INSECURE', 'auth', `not sending credentials to ${this.endpoint}: ${problem}; ${fix}, or allow insecure authentication to send them anyway`, {
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
      throw new InvalidValueError('user', `"${user}" contains white space, which ${method === 'user' ? 'USER' : 'APOP'} cannot carry; use the login method plain`)
    }
    try {
      return await this.session.time('authMs', async () => {
        const response = await this.runMethod(method, user, password)
        if (!response.ok) throw this.loginError(response, method, user)
        this.state = 'transaction'
        return {method, response}
      })
    } catch (error) {
      throw this.session.scrub(error)
    }
  }

  /** STAT (RFC 1939 §5). */
  async stat(): Promise<Pop3Stat> {
    return this.session.time('statMs', async () => {
      const response = await this.simple('STAT')
      if (!response.ok) throw this.commandFailed(response, 'STAT')
      return this.session.guard(() => parseStat(response, this.endpoint))
    }, true)
  }

  /**
   * LIST (RFC 1939 §5), the whole scan listing. `maxMessages` bounds it: a server that lists more
   * messages than STAT counted is out of protocol.
   */
  async list(maxMessages: number): Promise<ScanListing[]> {
    return this.session.time('listMs', async () => {
      const {response, lines} = await this.multiline('LIST', {maxLines: maxMessages, maxBytes: listingBytes(maxMessages), command: 'LIST'})
      if (!lines) throw this.commandFailed(response, 'LIST')
      return this.parseLines(lines, parseScanListing)
    }, true)
  }

  /** LIST n for each message (pipelined when the server allows): for a few messages of a large maildrop. */
  async listEach(numbers: readonly number[]): Promise<Map<number, number | null>> {
    return this.session.time('listMs', async () => {
      const responses = await this.pipeline(numbers.map((n) => `LIST ${messageNumber(n)}`), () => this.readSimple('LIST'))
      return new Map(responses.map((response, i) => [numbers[i], response.ok ? this.parseOne(response, parseScanListing).size : null]))
    }, true)
  }

  /** UIDL (RFC 1939 §7), the whole listing; null when the server does not support UIDL. */
  async uidl(maxMessages: number): Promise<UniqueIdListing[] | null> {
    return this.session.time('uidlMs', async () => {
      // A unique-id is at most 70 characters: each line is short.
      const {lines} = await this.multiline('UIDL', {maxLines: maxMessages, maxBytes: listingBytes(maxMessages, 70), command: 'UIDL'})
      return lines ? this.parseLines(lines, parseUniqueIdListing) : null
    }, true)
  }

  /** UIDL n for each message; an entry is null when the server answered -ERR. */
  async uidlEach(numbers: readonly number[]): Promise<Map<number, string | null>> {
    return this.session.time('uidlMs', async () => {
      const responses = await this.pipeline(numbers.map((n) => `UIDL ${messageNumber(n)}`), () => this.readSimple('UIDL'))
      return new Map(responses.map((response, i) => [numbers[i], response.ok ? this.parseOne(response, parseUniqueIdListing).uid : null]))
    }, true)
  }

  /**
   * TOP n lines (RFC 1939 §7) for each message, pipelined when the server announces PIPELINING:
   * the header and `lines` lines of the body, unstuffed. An entry is null when the server
   * answered -ERR. TOP leaves the message unseen (unlike RETR).
   */
  async top(numbers: readonly number[], options: {lines?: number; maxLines: number; maxBytes: number}): Promise<Map<number, string[] | null>> {
    const bodyLines = options.lines ?? 0
    if (!Number.isSafeInteger(bodyLines) || bodyLines < 0) throw new UsageError(`invalid TOP line count ${bodyLines}`)
    return this.session.time('topMs', async () => {
      const limits = {maxLines: options.maxLines, maxBytes: options.maxBytes, command: 'TOP'}
      const responses = await this.pipeline(numbers.map((n) => `TOP ${messageNumber(n)} ${bodyLines}`), () => this.readMultiline('TOP', limits))
      return new Map(responses.map((r, i) => [numbers[i], r.lines]))
    }, true)
  }

  async noop(): Promise<Pop3Response> {
    return this.simple('NOOP')
  }

  /** RSET (RFC 1939 §5): unmarks anything marked as deleted (maildig marks nothing; this makes sure). */
  async rset(): Promise<Pop3Response> {
    return this.session.time('rsetMs', () => this.simple('RSET'))
  }

  /** RSET (in the TRANSACTION state), QUIT, close. */
  async quit(): Promise<void> {
    this.session.requireConnection()
    try {
      await this.session.leave(() => this.goodbye())
    } finally {
      this.state = 'closed'
      await this.session.close()
    }
  }

  /**
   * Ends the session as politely as its state allows, within about 1 s: RSET when logged in, QUIT,
   * then close; after a fatal error, just close. Never throws.
   */
  async close(): Promise<void> {
    await this.session.close(this.state === 'new' ? undefined : () => this.goodbye())
    this.state = 'closed'
  }

  private async goodbye(): Promise<void> {
    if (this.state === 'transaction') await this.rset()
    await this.session.time('quitMs', () => this.simple('QUIT'))
  }

  // ---- commands and responses ----

  /** Sends one command and reads its one-line response. */
  private simple(line: string, options: {label?: string; secret?: Secret} = {}): Promise<Pop3Response> {
    const label = options.label ?? line.split(' ')[0]
    return this.session.exec(line, this.statusParser(label), {label, secret: options.secret})
  }

  /** Sends one command and reads its response: the status, then the lines up to "." after +OK. */
  private multiline(line: string, limits: Partial<MultilineOptions>): Promise<Pop3MultilineResponse> {
    const label = line.split(' ')[0]
    return this.session.exec(line, this.multilineParser(label, limits), {label})
  }

  /**
   * Writes several commands and reads their responses in order. With PIPELINING (RFC 2449 §6.6) up
   * to PIPELINE_WINDOW are in flight; otherwise one at a time. Each response has its own deadline.
   */
  private async pipeline<T>(lines: readonly string[], read: () => Promise<T>): Promise<T[]> {
    const window = this.hasCapability('PIPELINING') ? PIPELINE_WINDOW : 1
    const results: T[] = []
    let sent = 0
    if (lines.length > 0) await this.session.refuseStray(lines[0].split(' ')[0])
    while (results.length < lines.length) {
      while (sent < lines.length && sent - results.length < window) this.session.write(lines[sent++])
      results.push(await read())
    }
    return results
  }

  private readSimple(label: string): Promise<Pop3Response> {
    return this.session.read(this.statusParser(label), {label})
  }

  private readMultiline(label: string, limits: Partial<MultilineOptions>): Promise<Pop3MultilineResponse> {
    return this.session.read(this.multilineParser(label, limits), {label})
  }

  /** One status line (+OK/-ERR); anything else is a protocol error. */
  private statusParser(label: string): ReplyParser<Pop3Response> {
    return {push: (line) => this.parseStatus(line, label)}
  }

  /** A status line, then after +OK the lines up to "." (unstuffed, bounded by `limits`). */
  private multilineParser(label: string, limits: Partial<MultilineOptions>): ReplyParser<Pop3MultilineResponse> {
    let response: Pop3Response | undefined
    let assembler: MultilineAssembler | undefined
    return {
      push: (line) => {
        if (!response) {
          response = this.parseStatus(line, label)
          if (!response.ok) return {response, lines: null}
          assembler = new MultilineAssembler({...limits, subject: this.endpoint, command: label})
          return undefined
        }
        const lines = assembler!.push(line)
        return lines ? {response, lines} : undefined
      },
    }
  }

  private parseStatus(line: string, label: string): Pop3Response {
    try {
      return parseStatusLine(line, this.endpoint)
    } catch {
      throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} answered ${label} with "${printable(line)}", which is neither +OK nor -ERR`, {
        subject: this.endpoint,
        command: label,
        response: line.slice(0, 200),
      })
    }
  }

  private parseLines<T>(lines: readonly string[], parse: (text: string, subject?: string) => T): T[] {
    try {
      return lines.map((line) => parse(line, this.endpoint))
    } catch (error) {
      throw this.session.markFatal(error)
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
      default:
        return pop3Sasl(this.session, method, user, password)
    }
  }

  private async userPass(user: string, password: string): Promise<Pop3Response> {
    const response = await this.simple(`USER ${user}`)
    if (!response.ok) return response
    return this.simple(`PASS ${password}`, {label: 'PASS', secret: {keepPrefix: 'PASS '}})
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
    const why = meaning ?? 'the server rejected the user name or the password (check them, and the login method)'
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
}

/** How a method is called on the wire, for messages. */
export function methodLabel(method: Pop3AuthMethod): string {
  return method === 'user' ? 'USER/PASS' : method === 'apop' ? 'APOP' : `AUTH ${POP3_SASL_NAMES[method]}`
}

function messageNumber(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`invalid message number ${n}`)
  return n
}

/** Bytes a listing of `messages` lines may take: "number SP value CRLF", numbers up to 15 digits. */
function listingBytes(messages: number, valueLength = 15): number {
  return Math.max(1, messages) * (15 + 1 + valueLength + 2 + 16)
}

/**
 * Greets a POP3 server and secures the session (TLS from the first byte, or STLS when the server
 * agrees), then stops before any login: what the route probe of a mailbox server needs. The
 * caller inspects `client.tlsSocket` and closes the client (QUIT).
 */
export async function greetPop3(options: Pop3ClientOptions & {implicitTls: boolean}): Promise<{client: Pop3Client; greeting: string; tlsMode: 'implicit' | 'starttls' | 'none'}> {
  const client = new Pop3Client(options)
  try {
    const {line} = await client.connect({implicitTls: options.implicitTls})
    if (options.implicitTls) return {client, greeting: line, tlsMode: 'implicit'}
    try {
      await client.stls()
      return {client, greeting: line, tlsMode: 'starttls'}
    } catch (error) {
      // -ERR to STLS: the server does not offer it (the session goes on, unencrypted).
      if (isMaildigError(error) && error.code === 'STARTTLS_FAILED' && error.command === 'STLS' && !client.failed) return {client, greeting: line, tlsMode: 'none'}
      throw error
    }
  } catch (error) {
    await client.close()
    throw isMaildigError(error) ? withPartial(error, {address: client.remoteAddress ?? null}) : error
  }
}
