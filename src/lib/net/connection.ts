import {connect as netConnect, type LookupFunction, type Socket} from 'node:net'
import {isIP} from './ip.js'
import type {SecureVersion, TLSSocket} from 'node:tls'
import {nodeTls} from '../builtins.js'
import {fromSocketError, isMaildigError, MaildigError} from '../errors.js'
import {secureContextFor, type CaInput} from '../tls/trust.js'
import {lookupOf, netContext, type Endpoint, type NetContext} from './context.js'
import {CLOSE_GRACE_MS, elapsedMs, withDeadline, type Stage, type StageTimeouts} from './deadline.js'
import {HandedStream, type HandOverOptions} from './hand-over.js'
import {LineReader} from './line-reader.js'
import {Transcript} from './transcript.js'
import {assertWireSafe, bareHost, formatEndpoint, serverNameFor} from './wire.js'

/** How TLS came about: STARTTLS (or STLS) inside the session, or from the first byte (RFC 8314). */
export type TlsKind = 'starttls' | 'implicit'

export interface TlsUpgradeOptions {
  /**
   * SNI and the name the certificate is checked against. Default: the host the user asked for
   * (never the address it resolved to); `false` sends no SNI. IP literals never get SNI.
   */
  servername?: string | false
  /** Extra trusted authorities (the `--ca-file` contents), added to Node's defaults. */
  ca?: CaInput
  /** Lowest TLS version offered; Node's default (TLS 1.2) when absent. */
  minVersion?: SecureVersion
  /**
   * OpenSSL cipher list. To reach a TLS 1.0/1.1-only server (and report TLS_OLD_VERSION instead
   * of a failed handshake), OpenSSL 3 needs `DEFAULT:@SECLEVEL=0` besides `minVersion: 'TLSv1'`.
   */
  ciphers?: string
}

/** One conversation's connection: where (Endpoint), how (NetContext: resolver, deadlines, CA, source address). */
export interface ConnectionOptions extends Endpoint {
  /** Default: netContext(), the system resolver and the default deadlines. */
  net?: NetContext
  /** Where the conversation is recorded; a new one when absent. */
  transcript?: Transcript
  maxLineLength?: number
  /** Lines with control bytes are read as they are (the protocol judges them) instead of failing as PROTOCOL_ERROR. */
  acceptBinary?: boolean
  /** Implicit TLS: the handshake starts right after the TCP connect (SMTPS 465, POP3S 995). */
  tls?: boolean | TlsUpgradeOptions
  /**
   * Where each stage's time is written as soon as it is measured, so that a caller keeps them when opening fails: a
   * failed stage has its own time (a refused connect is connectMs, the lookup before it lookupMs). Default: a new record.
   */
  timings?: ConnectionTimings
}

export interface ConnectionTimings {
  lookupMs?: number
  connectMs?: number
  /** The TLS handshake alone (STARTTLS's command and reply are the protocol's to time). */
  tlsMs?: number
}

/**
 * Owns one TCP (then perhaps TLS) connection to a line-based server: connects with deadlines,
 * reads bounded lines, writes validated lines, records both to the transcript, upgrades to TLS
 * without trusting what arrived before the handshake, and closes within a bounded time.
 * Protocol-neutral: the SMTP and POP3 clients sit on top of it.
 */
export class Connection {
  readonly host: string
  readonly port: number
  /** The address connected to. */
  readonly address: string
  readonly transcript: Transcript
  readonly timeouts: StageTimeouts
  readonly timings: ConnectionTimings
  /** `host [address]:port`, for messages. */
  readonly endpoint: string
  /** The context it was opened with: its CA and TLS settings apply to a later STARTTLS too. */
  readonly net: NetContext
  private current: Socket | TLSSocket
  private readonly raw: Socket
  private readonly reader: LineReader
  private upgraded: TLSSocket | undefined
  private failure: Error | undefined
  private closing: Promise<void> | undefined
  private closeStarted = false
  private handed: HandedStream | undefined

  private readonly onError = (error: NodeJS.ErrnoException) => this.fail(fromSocketError(error, this.endpoint))
  private readonly onEnd = () => {
    if (!this.failure && !this.closeStarted) this.transcript.info('the server closed the connection', this.secure)
    this.reader.end()
  }
  private readonly onClose = () => this.reader.end()

  private constructor(socket: Socket, options: ConnectionOptions, net: NetContext, address: string, transcript: Transcript, timings: ConnectionTimings) {
    this.host = options.host
    this.port = options.port
    this.address = address
    this.transcript = transcript
    this.net = net
    this.timeouts = net.timeouts
    this.timings = timings
    this.endpoint = formatEndpoint(options.host, options.port, address)
    this.raw = socket
    this.current = socket
    this.reader = new LineReader({maxLineLength: options.maxLineLength, acceptBinary: options.acceptBinary, subject: this.endpoint})
    this.bind(socket)
  }

  /** Resolves (unless `address` is given), connects, and with `tls` completes the TLS handshake. */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const transcript = options.transcript ?? new Transcript()
    const net = options.net ?? netContext()
    const {timeouts, localAddress} = net
    const timings: ConnectionTimings = options.timings ?? {}
    const host = bareHost(options.host)
    let address = options.address
    if (!address && isIP(host) !== 0) address = host
    if (!address) {
      const started = performance.now()
      try {
        address = await withDeadline(lookupOne(lookupOf(net), host, net.family ?? 0), {
          stage: 'dns',
          timeoutMs: timeouts.dns,
          subject: host,
        })
      } finally {
        timings.lookupMs = elapsedMs(started)
      }
      transcript.info(`${host} resolved to ${address}`)
    }
    const endpoint = formatEndpoint(options.host, options.port, address)
    transcript.info(`connecting to ${endpoint}${localAddress ? ` from ${localAddress}` : ''}`)
    const started = performance.now()
    const socket = netConnect({host: address, port: options.port, localAddress})
    let onConnect: (() => void) | undefined
    let onError: ((error: NodeJS.ErrnoException) => void) | undefined
    try {
      await withDeadline(
        new Promise<void>((resolve, reject) => {
          onConnect = resolve
          onError = (error) => reject(fromSocketError(error, endpoint))
          socket.once('connect', onConnect)
          socket.once('error', onError)
        }),
        {stage: 'connect', timeoutMs: timeouts.connect, subject: endpoint, onTimeout: () => socket.destroy()},
      )
    } catch (error) {
      socket.on('error', () => undefined)
      socket.destroy()
      transcript.info(`! ${(error as Error).message}`)
      throw error
    } finally {
      timings.connectMs = elapsedMs(started)
      if (onConnect) socket.off('connect', onConnect)
      if (onError) socket.off('error', onError)
    }
    const connection = new Connection(socket, options, net, address, transcript, timings)
    transcript.info(`connected from ${socket.localAddress}:${socket.localPort}`)
    if (options.tls) {
      await connection.upgradeToTls({...(typeof options.tls === 'object' ? options.tls : {}), kind: 'implicit'})
    }
    return connection
  }

  /** The socket lines travel on now: the TLS socket after an upgrade. */
  get socket(): Socket | TLSSocket {
    return this.current
  }

  get tlsSocket(): TLSSocket | undefined {
    return this.upgraded
  }

  get secure(): boolean {
    return this.upgraded !== undefined
  }

  get localAddress(): string | undefined {
    return this.raw.localAddress
  }

  /** The error that broke the connection (timeout, reset, garbage, close), if one did. */
  get failed(): Error | undefined {
    return this.failure
  }

  get closed(): boolean {
    return this.current.destroyed
  }

  /** Complete lines that arrived and were not read: non-zero before a command means out of sequence. */
  get bufferedLines(): number {
    return this.reader.bufferedLines
  }

  /** The next line (no deadline of its own: wrap reads in `deadline()`), recorded as received. */
  async readLine(): Promise<string> {
    if (this.handed) throw handedOver(this.endpoint)
    const line = await this.reader.readLine()
    this.transcript.add('recv', line, this.secure)
    return line
  }

  /**
   * Sends one line plus CRLF. `secret` masks it in the transcript (all of it, or what follows
   * `keepPrefix`); the line itself must hold no CR, LF or NUL (UsageError before anything is sent).
   */
  writeLine(line: string, secret?: true | {keepPrefix?: string}): void {
    assertWireSafe(line, secret ? 'a secret value' : 'the command')
    if (this.failure) throw this.failure
    if (this.handed) throw handedOver(this.endpoint)
    if (this.current.destroyed || !this.current.writable) {
      throw new MaildigError('CONNECTION_CLOSED', 'connection', `${this.endpoint} closed the connection unexpectedly`, {subject: this.endpoint})
    }
    this.transcript.add('send', line, this.secure, secret)
    this.current.write(`${line}\r\n`)
  }

  /**
   * Writes raw bytes (an SMTP DATA body), waiting while the socket's send buffer is full, so a
   * server that stops reading holds the writer back instead of our heap growing. No deadline of its
   * own (wrap it in one); not recorded in the transcript.
   */
  async write(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure
    const socket = this.current
    if (socket.destroyed || !socket.writable) {
      throw new MaildigError('CONNECTION_CLOSED', 'connection', `${this.endpoint} closed the connection unexpectedly`, {subject: this.endpoint})
    }
    if (socket.write(data)) return
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        socket.off('drain', done)
        socket.off('close', done)
        if (this.failure || socket.destroyed) reject(this.failure ?? new MaildigError('CONNECTION_CLOSED', 'connection', `${this.endpoint} closed the connection unexpectedly`, {subject: this.endpoint}))
        else resolve()
      }
      socket.on('drain', done)
      socket.on('close', done)
    })
  }

  /** Runs `work` under the stage's deadline; on timeout the connection is aborted. */
  deadline<T>(stage: Stage, work: Promise<T>, command?: string): Promise<T> {
    return withDeadline(work, {stage, timeoutMs: this.timeouts[stage], subject: this.endpoint, command, onTimeout: (error) => this.abort(error)})
  }

  /**
   * Starts TLS on this connection (with the context's CA and TLS settings unless `options` says otherwise) (after the server said yes to STARTTLS/STLS, or right after
   * connecting for implicit TLS). Certificate problems do not stop the handshake: they are left on
   * the socket (`authorized`, `authorizationError`) for tls/inspect to report. Whatever plaintext
   * is buffered is dropped first, so nothing sent before TLS can pass for a reply inside it.
   */
  async upgradeToTls(options: TlsUpgradeOptions & {kind?: TlsKind} = {}): Promise<TLSSocket> {
    if (this.upgraded) return this.upgraded
    if (this.failure) throw this.failure
    const kind = options.kind ?? 'starttls'
    const code = kind === 'starttls' ? 'STARTTLS_FAILED' : 'TLS_FAILED'
    const plain = this.current
    this.unbind(plain)
    const dropped = this.reader.drain()
    if (dropped.bytes > 0) {
      this.transcript.info(`discarded ${dropped.bytes} bytes (${dropped.lines} line${dropped.lines === 1 ? '' : 's'}) of plaintext that arrived before the TLS handshake`)
    }
    options = {ca: this.net.ca, minVersion: this.net.tls?.minVersion, ciphers: this.net.tls?.ciphers, ...options}
    const servername = options.servername === false ? undefined : (options.servername ?? serverNameFor(this.host))
    this.transcript.info(`TLS handshake${servername ? ` (SNI ${servername})` : ' (no SNI)'}`)
    const started = performance.now()
    const secure = nodeTls().connect({
      socket: plain,
      servername,
      // With an extra CA, a cached context holding Node's roots + the CA (and version/ciphers).
      secureContext: secureContextFor(options),
      minVersion: options.minVersion,
      ...(options.ciphers ? {ciphers: options.ciphers} : {}),
      // Report certificate problems instead of failing: tls/inspect checks the chain and the name.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    })
    this.current = secure
    plain.on('error', () => undefined)
    const handshake = new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', resolve)
      secure.once('error', (error: NodeJS.ErrnoException) => reject(tlsError(code, error, this.endpoint)))
      secure.once('close', () => reject(new MaildigError(code, 'tls', `${this.endpoint} closed the connection during the TLS handshake`, {subject: this.endpoint})))
    })
    try {
      await this.deadline('tls', handshake, kind === 'starttls' ? 'the STARTTLS handshake' : undefined)
    } catch (error) {
      this.abort(error as Error)
      throw error
    } finally {
      // Also when the handshake failed: the failed stage has its own time (ConnectionOptions.timings).
      this.timings.tlsMs = elapsedMs(started)
      secure.removeAllListeners('secureConnect')
      secure.removeAllListeners('error')
      secure.removeAllListeners('close')
    }
    this.upgraded = secure
    this.bind(secure)
    const cipher = secure.getCipher()
    this.transcript.info(
      `TLS established: ${secure.getProtocol() ?? '?'}, ${cipher?.name ?? '?'}; certificate ${secure.authorized ? 'trusted' : `not trusted (${String(secure.authorizationError)})`}`,
      true,
    )
    return secure
  }

  /**
   * Hands the socket, as it is now (after the greeting, after TLS), to a library that speaks the
   * rest of the conversation (imapflow): lines are no longer read here, and what arrived and was
   * not read yet is the stream's first data. The Connection keeps the rest: the socket's errors are
   * still mapped and recorded here, `abort()` (a deadline, garbage) breaks the stream too, and
   * destroying the stream closes the connection within the close grace. Once only.
   */
  handOver(options: HandOverOptions = {}): HandedStream {
    if (this.handed) throw new MaildigError('INTERNAL_ERROR', 'internal', `the connection to ${this.endpoint} was handed over already`)
    if (this.failure) throw this.failure
    this.reader.detach()
    // Created in the same tick as the reader let go: no 'data' event can fall between the two.
    this.handed = new HandedStream(
      {
        socket: this.current,
        tls: this.secure,
        unread: this.reader.takeUnread(),
        endpoint: this.endpoint,
        failure: () => this.failure,
        close: () => this.close(),
      },
      options,
    )
    return this.handed
  }

  /** Breaks the connection now (after a timeout, garbage or reset): reads fail with `error`. */
  abort(error?: Error): void {
    this.fail(error ?? new MaildigError('CONNECTION_CLOSED', 'connection', `connection to ${this.endpoint} closed`, {subject: this.endpoint}))
    this.current.destroy()
    this.raw.destroy()
  }

  /**
   * Ends the connection: FIN, then waits for the server's close at most `graceMs` (1 s), then
   * destroys the socket. Safe to call more than once and after a failure.
   */
  close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closing ??= this.closeOnce(graceMs)
    return this.closing
  }

  private async closeOnce(graceMs: number): Promise<void> {
    this.closeStarted = true
    const socket = this.current
    if (!socket.destroyed && !this.failure) {
      let timer: NodeJS.Timeout | undefined
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve())
        timer = setTimeout(resolve, graceMs)
        timer.unref()
        socket.end()
      })
      clearTimeout(timer)
    }
    this.fail(new MaildigError('CONNECTION_CLOSED', 'connection', `connection to ${this.endpoint} is closed`, {subject: this.endpoint}))
    socket.destroy()
    this.raw.destroy()
  }

  private fail(error: Error): void {
    if (!this.failure) {
      this.failure = error
      if (!this.closeStarted) this.transcript.info(`! ${error.message}`, this.secure)
    }
    this.reader.fail(error)
  }

  private bind(socket: Socket): void {
    socket.on('error', this.onError)
    socket.on('end', this.onEnd)
    socket.on('close', this.onClose)
    this.reader.attach(socket)
  }

  private unbind(socket: Socket): void {
    this.reader.detach()
    socket.off('error', this.onError)
    socket.off('end', this.onEnd)
    socket.off('close', this.onClose)
  }
}

function handedOver(endpoint: string): MaildigError {
  return new MaildigError('INTERNAL_ERROR', 'internal', `the connection to ${endpoint} was handed over: its owner reads and writes it now`)
}

function lookupOne(lookup: LookupFunction, host: string, family: 0 | 4 | 6): Promise<string> {
  return new Promise((resolve, reject) => {
    lookup(host, {family, all: false}, (error, address) => {
      if (error) {
        reject(isMaildigError(error) ? error : fromSocketError(error, host))
        return
      }
      const first = Array.isArray(address) ? address[0]?.address : address
      if (!first) reject(new MaildigError('DOMAIN_NOT_FOUND', 'dns', `${host} has no address`, {subject: host}))
      else resolve(first)
    })
  })
}

/**
 * A handshake failure, with a hint for the OpenSSL reasons a person meets most. `notTlsHint`
 * replaces the hint for a server that did not answer in TLS (the protocol knows its ports best).
 */
export function tlsError(code: string, error: NodeJS.ErrnoException, endpoint: string, notTlsHint = ': the server did not answer in TLS (plaintext on a TLS port, or a broken STARTTLS)'): MaildigError {
  let hint = ''
  switch (error.code) {
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_RECORD_LAYER_FAILURE':
      hint = notTlsHint
      break
    case 'ERR_SSL_UNSUPPORTED_PROTOCOL':
    case 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION':
    case 'ERR_SSL_NO_PROTOCOLS_AVAILABLE':
      hint = ': no TLS version in common (the server may offer only TLS 1.0/1.1)'
      break
    case 'ECONNRESET':
    case 'EPIPE':
      hint = ': the server reset the connection during the handshake'
      break
  }
  // OpenSSL's message is "8027…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:…c:350:\n"; its reason reads better.
  const reason = (error as {reason?: unknown}).reason
  const text = typeof reason === 'string' && reason ? reason : error.message.split('\n')[0].trim()
  const detail = error.code && !hint.includes('reset') ? ` (${error.code})` : ''
  return new MaildigError(code, 'tls', `TLS handshake with ${endpoint} failed: ${text}${detail}${hint}`, {cause: error, subject: endpoint})
}
