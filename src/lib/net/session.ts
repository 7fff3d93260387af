import type {TLSSocket} from 'node:tls'
import {nodeTls} from '../builtins.js'
import {isMaildigError, MaildigError, type ErrorCategory} from '../errors.js'
import {Connection, type ConnectionTimings} from './connection.js'
import type {Endpoint, NetContext} from './context.js'
import type {HandedStream, HandOverOptions} from './hand-over.js'
import {CLOSE_GRACE_MS, elapsedMs, roundMs, withDeadline, type Stage} from './deadline.js'
import type {Finding} from '../findings.js'
import {inspectTls, type InspectTlsOptions} from '../tls/inspect.js'
import type {TlsInfo} from '../tls/schema.js'
import {Transcript, type TranscriptLine} from './transcript.js'
import {bareHost, formatEndpoint, serverNameFor} from './wire.js'

/**
 * How a protocol reads one reply: lines in, the reply out once it is complete (undefined until
 * then). A pure parser (SMTP's ReplyAssembler, POP3's status and multi-line parsers): it throws a
 * MaildigError for a line that breaks the protocol, and the session treats that as fatal.
 */
export interface ReplyParser<R> {
  push(line: string): R | undefined
}

/**
 * A protocol's rule for lines that arrive before a command is sent (RFC 5321 §4.3, RFC 1939 §3: one
 * reply per command; a line nobody asked for would pass for the next command's reply): how to read
 * one, and the error it becomes.
 */
export interface StrayRule<S> {
  parser(): ReplyParser<S>
  error(stray: S, label: string): Error
}

/** A line to mask in the transcript: all of it, or what follows `keepPrefix` (`AUTH PLAIN `). */
export type Secret = true | {keepPrefix?: string}

export interface ExecOptions {
  /** The deadline the reply is read under; 'reply' unless said otherwise. */
  stage?: Stage
  /** Masks the line in the transcript; the line never reaches an error message either. */
  secret?: Secret
  /** How the command is named in messages (never a secret). Default: the verb, or "a masked line". */
  label?: string
}

/** Where (Endpoint) and how (NetContext) one conversation connects. */
export interface SessionOptions extends Endpoint {
  /** Resolver, deadlines, CA, source address, TLS settings; default netContext(). */
  net?: NetContext
  transcript?: Transcript
  maxLineLength?: number
  /** Lines with control bytes reach the protocol's parser (which judges them) instead of failing in the line reader. */
  acceptBinary?: boolean
}

/** Errors after which a conversation cannot go on: no RSET, no QUIT, just close. */
export const FATAL_CATEGORIES: ReadonlySet<ErrorCategory> = new Set(['timeout', 'connection', 'protocol', 'tls'])

/** A timing field of a protocol's timings record (every one is milliseconds). */
type TimingKey<T> = {[K in keyof T]-?: T[K] extends number | undefined ? K : never}[keyof T]

/**
 * One conversation with a line-based server, over one Connection: the analogue of basic-ftp's
 * FtpContext. It owns what every protocol client would otherwise repeat: connecting and reading
 * the greeting, sending a command (a secret is masked where it enters, so no transcript line and no
 * error message can carry it), reading one reply through the protocol's pure parser under the
 * stage's deadline, the fatal-error bookkeeping (a timeout, reset, TLS or protocol error breaks
 * the session: the socket is aborted and no QUIT is tried), the STARTTLS upgrade, the polite close
 * within the close grace, per-stage timing, and error scrubbing. The protocol clients on top (SMTP,
 * POP3) are state machines that choose commands and judge replies.
 */
export class Session<T extends ConnectionTimings = ConnectionTimings> {
  readonly transcript: Transcript
  readonly timings: T
  private readonly options: SessionOptions
  private readonly protocol: string
  private readonly stray: StrayRule<unknown> | undefined
  private conn: Connection | undefined
  private brokenState = false
  private leaving = false
  private closing = false
  private handedOver = false

  /** `protocol` names the client in messages ("the SMTP client is not connected"). */
  constructor(protocol: string, options: SessionOptions, timings: T, stray?: StrayRule<unknown>) {
    this.protocol = protocol
    this.stray = stray
    this.options = options
    this.transcript = options.transcript ?? new Transcript()
    this.timings = timings
  }

  /** `host [address]:port` (before connecting, `host:port` or what the caller resolved). */
  get endpoint(): string {
    return this.conn?.endpoint ?? formatEndpoint(this.options.host, this.options.port, this.options.address)
  }

  get host(): string {
    return this.options.host
  }

  get port(): number {
    return this.options.port
  }

  get connection(): Connection | undefined {
    return this.conn
  }

  get remoteAddress(): string | undefined {
    return this.conn?.address
  }

  get secure(): boolean {
    return this.conn?.secure ?? false
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.conn?.tlsSocket
  }

  /**
   * Why the certificate is not good enough to send credentials over, or undefined when it is: the
   * chain verifies and it names the host asked for (not the address connected to). Also undefined
   * without TLS: ask `secure` first.
   */
  get certificateProblem(): string | undefined {
    const socket = this.conn?.tlsSocket
    if (!socket) return undefined
    if (!socket.authorized) return `the certificate is not trusted (${String(socket.authorizationError ?? 'unknown reason')})`
    const name = serverNameFor(this.options.host) ?? bareHost(this.options.host)
    if (nodeTls().checkServerIdentity(name, socket.getPeerCertificate()) !== undefined) return `the certificate does not name ${name}`
    return undefined
  }

  /** TLS with a chain that verifies and a certificate that names the host asked for. */
  get certificateVerified(): boolean {
    return this.secure && this.certificateProblem === undefined
  }

  /** Whether an error left the session unusable (so no QUIT will be tried). */
  get broken(): boolean {
    return this.brokenState
  }

  /** Broken, or the connection failed under it (a reset, a close) before we closed it. */
  get failed(): boolean {
    return this.brokenState || (!this.closing && this.conn?.failed !== undefined)
  }

  /**
   * Connects (TLS first with `implicitTls`: SMTPS 465, POP3S 995) and reads the greeting through
   * `greeting` under the greeting deadline. What was measured is kept even when connecting fails.
   */
  async open<R>(greeting: ReplyParser<R>, implicitTls = false): Promise<R> {
    if (this.conn) throw new MaildigError('INTERNAL_ERROR', 'internal', `the ${this.protocol} client is already connected`)
    const {host, port, address, net, maxLineLength, acceptBinary} = this.options
    const started = performance.now()
    net?.progress?.({stage: 'connect', endpoint: this.endpoint})
    // The connection's stages (lookup, connect, implicit TLS) as measured, also those of a failed open.
    const measured: ConnectionTimings = {}
    try {
      this.conn = await Connection.open({host, port, address, net, maxLineLength, acceptBinary, transcript: this.transcript, tls: implicitTls, timings: measured})
    } finally {
      Object.assign(this.timings, measured)
    }
    net?.progress?.({stage: 'greeting', endpoint: this.endpoint, connectMs: this.conn.timings.connectMs ?? elapsedMs(started)})
    return this.time('greetingMs' as TimingKey<T>, () => this.read(greeting, {stage: 'greeting'}))
  }

  requireConnection(): Connection {
    if (!this.conn) throw new MaildigError('CONNECTION_CLOSED', 'internal', `the ${this.protocol} client is not connected`)
    return this.conn
  }

  /**
   * Marks the session broken for an error that leaves it unusable (FATAL_CATEGORIES, or anything
   * that is not a MaildigError) and aborts the socket. Returns the error, to be thrown.
   */
  markFatal<E>(error: E): E {
    if (!isMaildigError(error) || FATAL_CATEGORIES.has(error.category)) {
      this.brokenState = true
      this.conn?.abort(error as Error)
    }
    return error
  }

  /** Marks the session broken without aborting: the server said it is closing (SMTP 421, a POP3 -ERR greeting). */
  markBroken(): void {
    this.brokenState = true
  }

  /** Awaits `work`; an error that breaks the session marks it broken (markFatal) on the way out. */
  async guard<R>(work: Promise<R> | (() => R)): Promise<R> {
    try {
      return await (typeof work === 'function' ? work() : work)
    } catch (error) {
      throw this.markFatal(error)
    }
  }

  /** Sends one line. A CR, LF or NUL in it is a usage error (nothing sent); a dead socket is fatal. */
  write(line: string, secret?: Secret): void {
    const conn = this.requireConnection()
    try {
      conn.writeLine(line, secret)
    } catch (error) {
      if (isMaildigError(error) && error.category === 'usage') throw error
      throw this.markFatal(error)
    }
  }

  /** Reads one reply through `parser`, under the stage's deadline (a deadline, not an idle timer). */
  read<R>(parser: ReplyParser<R>, options: {stage?: Stage; label?: string} = {}): Promise<R> {
    const conn = this.requireConnection()
    const work = (async () => {
      for (;;) {
        const reply = parser.push(await conn.readLine())
        if (reply !== undefined) return reply
      }
    })()
    return this.guard(conn.deadline(options.stage ?? 'reply', work, options.label))
  }

  /** Sends one command and reads its reply (refusing, first, a reply nobody asked for). */
  async exec<R>(line: string, parser: ReplyParser<R>, options: ExecOptions = {}): Promise<R> {
    const label = labelOf(line, options)
    await this.refuseStray(label)
    this.write(line, options.secret)
    this.options.net?.progress?.({stage: 'reply', endpoint: this.endpoint, command: label})
    return this.read(parser, {stage: options.stage, label})
  }

  /** Throws (fatal) when lines nobody asked for are waiting before `label` is sent; the StrayRule says what they were. */
  async refuseStray(label: string): Promise<void> {
    const conn = this.requireConnection()
    if (conn.bufferedLines === 0) return
    if (!this.stray) {
      const line = await this.read({push: (l) => l}, {label})
      throw this.markFatal(new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} sent a reply nobody asked for before ${label}`, {subject: this.endpoint, response: line.slice(0, 200)}))
    }
    const stray = await this.read(this.stray.parser(), {label})
    throw this.markFatal(this.stray.error(stray, label))
  }

  /**
   * The TLS handshake after the server agreed to STARTTLS/STLS: plaintext that arrived before it
   * is dropped (Connection.upgradeToTls); a failure is fatal.
   */
  async upgradeToTls(): Promise<TLSSocket> {
    const conn = this.requireConnection()
    this.options.net?.progress?.({stage: 'tls', endpoint: this.endpoint})
    return this.guard(conn.upgradeToTls({kind: 'starttls'}))
  }

  /**
   * Hands the connection to a library that speaks the rest of the protocol (Connection.handOver):
   * from then on this session neither reads nor writes, and `close()` only closes, within the
   * close grace (the library said goodbye, or could not).
   */
  handOver(options?: HandOverOptions): HandedStream {
    const stream = this.requireConnection().handOver(options)
    this.handedOver = true
    return stream
  }

  /**
   * Runs the protocol's goodbye (RSET/QUIT) once: after it started, `close()` only closes. Used by
   * the clients' own quit() as well as by close().
   */
  async leave(goodbye: () => Promise<void>): Promise<void> {
    this.leaving = true
    await goodbye()
  }

  /**
   * Ends the conversation as politely as its state allows, within the close grace (1 s): the
   * goodbye when the session is healthy and has not said it yet, then FIN and close. After a fatal
   * error there is no goodbye: the server is not waiting for one. Never throws.
   */
  async close(goodbye?: () => Promise<void>): Promise<void> {
    const conn = this.conn
    if (!conn) return
    const started = performance.now()
    if (goodbye && !this.failed && !this.leaving && !this.handedOver && !conn.closed) {
      try {
        await withDeadline(this.leave(goodbye), {stage: 'reply', timeoutMs: CLOSE_GRACE_MS, subject: this.endpoint, command: 'QUIT', onTimeout: (error) => conn.abort(error)})
      } catch {
        // A server that will not say goodbye is still closed below.
      }
    }
    this.closing = true
    await conn.close(Math.max(100, CLOSE_GRACE_MS - (performance.now() - started)))
  }

  /**
   * Times `work` into `timings[key]`; `add` sums several round trips (every EHLO, every LIST)
   * into one figure. The time is recorded whether `work` succeeds or fails.
   */
  async time<R>(key: TimingKey<T>, work: () => Promise<R>, add = false): Promise<R> {
    const started = performance.now()
    try {
      return await work()
    } finally {
      const previous = add ? ((this.timings[key] as number | undefined) ?? 0) : 0
      ;(this.timings as Record<TimingKey<T>, number>)[key] = roundMs(previous + elapsedMs(started))
    }
  }

  /** Masks every registered secret that found its way into an error's message or response. */
  scrub<E>(error: E): E {
    return scrubError(error, this.transcript)
  }
}

function labelOf(line: string, options: ExecOptions): string {
  return options.label ?? (options.secret ? 'a masked line' : line.split(' ')[0])
}

/** Masks any secret registered with `transcript` in an error's message and response. */
export function scrubError<E>(error: E, transcript: Transcript): E {
  if (!(error instanceof Error)) return error
  const message = transcript.scrub(error.message)
  if (message !== error.message) error.message = message
  if (isMaildigError(error) && error.response) {
    const response = transcript.scrub(error.response)
    if (response !== error.response) (error as {response?: string}).response = response
  }
  return error
}

/**
 * What a protocol client built on a Session shows of it: where it is connected, whether TLS holds
 * and the certificate is verified, whether the session broke. The client adds its state machine.
 */
export abstract class SessionClient<T extends ConnectionTimings> {
  /** Ends the session as politely as its state allows, within the close grace. Never throws. */
  abstract close(): Promise<void>

  readonly timings: T
  protected readonly session: Session<T>

  protected constructor(protocol: string, options: SessionOptions, timings: T, stray?: StrayRule<unknown>) {
    this.timings = timings
    this.session = new Session(protocol, options, timings, stray)
  }

  get transcript(): Transcript {
    return this.session.transcript
  }

  /** `host [address]:port`. */
  get endpoint(): string {
    return this.session.endpoint
  }

  get connection(): Connection | undefined {
    return this.session.connection
  }

  get remoteAddress(): string | undefined {
    return this.session.remoteAddress
  }

  get secure(): boolean {
    return this.session.secure
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.session.tlsSocket
  }

  /** TLS with a chain that verifies and a certificate that names the host asked for. */
  get certificateVerified(): boolean {
    return this.session.certificateVerified
  }

  /** Whether the session was broken by a timeout, reset, TLS or protocol error. */
  get failed(): boolean {
    return this.session.failed
  }

  /** The address, timings and transcript as they stand: what every check's partial result carries. */
  progress(started: number, address = this.remoteAddress): {address?: string; timings: T & {totalMs: number}; transcript: TranscriptLine[]} {
    return {...(address ? {address} : {}), timings: {...this.timings, totalMs: elapsedMs(started)}, transcript: [...this.transcript.lines]}
  }

  /**
   * Ends the session (close(), within the close grace) and gives the parts every check's result shares: `where` it
   * went and how (first in the result), and the timings and transcript taken after the goodbye (`record`, last).
   */
  async finish<M extends string>(started: number, target: {host: string; port: number; tlsMode: M; address?: string}) {
    await this.close()
    const address = this.remoteAddress ?? target.address ?? target.host
    const {timings, transcript} = this.progress(started, address)
    return {where: {host: target.host, address, port: target.port, tlsMode: target.tlsMode}, record: {timings, transcript}}
  }

  /** tls/inspect's report on the session's TLS, its findings added to `findings`; null without TLS. */
  inspectTls(options: InspectTlsOptions, findings: Finding[]): TlsInfo | null {
    const socket = this.tlsSocket
    if (!socket) return null
    const inspection = inspectTls(socket, options)
    findings.push(...inspection.findings)
    return inspection.tls
  }
}
