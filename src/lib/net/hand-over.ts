import type {Socket} from 'node:net'
import {Duplex} from 'node:stream'
import type {TLSSocket} from 'node:tls'
import {MaildigError} from '../errors.js'

/** How a Connection hands its socket to a client library that speaks the rest of the protocol (imapflow). */
export interface HandOverOptions {
  /**
   * Bytes the new owner reads first, before anything from the socket: what the session already
   * read and the library still expects (IMAP's greeting). Not passed to `onRead`: it was recorded
   * when it arrived.
   */
  replay?: Buffer
  /** Every chunk read from the server after the hand-over, as it arrives (for the protocol's transcript and deadlines). */
  onRead?: (chunk: Buffer, tls: boolean) => void
  /** Every chunk the new owner writes, before it is sent. */
  onWrite?: (chunk: Buffer, tls: boolean) => void
}

/** What the stream needs of the Connection that handed it over. */
export interface HandOverSource {
  socket: Socket | TLSSocket
  tls: boolean
  /** Received and not read yet (Connection's line reader gives it up). */
  unread: Buffer
  endpoint: string
  /** The error that broke the connection, if one did: the stream ends with it. */
  failure(): Error | undefined
  /** The connection's bounded close (FIN, at most the close grace, then destroy). */
  close(): Promise<void>
}

/**
 * The socket of a Connection, handed to a library that owns the rest of the conversation. It is
 * a Duplex over the connection's socket, not the socket itself, so that the Connection keeps what
 * the floor owns: the socket's lifetime (its errors are mapped and recorded by the Connection, and
 * destroying the stream closes the connection within the close grace), and a view of every byte
 * in both directions (`onRead`, `onWrite`) for the protocol's transcript and reply deadlines. It
 * looks enough like a net.Socket for imapflow's `transport` option (ImapTransportSocket): the
 * addresses, `setTimeout` (imapflow's idle watchdog), and for TLS the cipher and `authorized`.
 */
export class HandedStream extends Duplex {
  private readonly source: HandOverSource
  private readonly options: HandOverOptions
  /** The socket was paused because the reader is behind: `_read` resumes it. */
  private held = false
  private readonly onData = (chunk: Buffer) => this.incoming(chunk)
  private readonly onEnd = () => this.push(null)
  private readonly onClose = () => this.destroy(this.source.failure())
  private readonly onTimeout = () => this.emit('timeout')

  constructor(source: HandOverSource, options: HandOverOptions = {}) {
    super({allowHalfOpen: false})
    this.source = source
    this.options = options
    if (options.replay && options.replay.length > 0) this.push(options.replay)
    if (source.unread.length > 0) this.incoming(source.unread)
    const {socket} = source
    socket.on('data', this.onData)
    socket.on('end', this.onEnd)
    socket.on('close', this.onClose)
    socket.on('timeout', this.onTimeout)
    if (socket.destroyed) queueMicrotask(this.onClose)
  }

  get remoteAddress(): string | undefined {
    return this.source.socket.remoteAddress
  }

  get remotePort(): number | undefined {
    return this.source.socket.remotePort
  }

  get localAddress(): string | undefined {
    return this.source.socket.localAddress
  }

  get localPort(): number | undefined {
    return this.source.socket.localPort
  }

  /** Whether the certificate verified (TLS only; maildig judges it itself, in tls/inspect). */
  get authorized(): boolean | undefined {
    return this.source.tls ? (this.source.socket as TLSSocket).authorized : undefined
  }

  getCipher(): ReturnType<TLSSocket['getCipher']> | null {
    return this.source.tls ? (this.source.socket as TLSSocket).getCipher() : null
  }

  /** Like net.Socket#setTimeout: an inactivity timer (the library's watchdog; maildig's deadlines are its own). */
  setTimeout(ms: number): this {
    this.source.socket.setTimeout(ms)
    return this
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.source.socket.setKeepAlive(enable, initialDelay)
    return this
  }

  override _read(): void {
    if (!this.held) return
    this.held = false
    this.source.socket.resume()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const {socket} = this.source
    if (socket.destroyed || !socket.writable) {
      callback(this.source.failure() ?? new MaildigError('CONNECTION_CLOSED', 'connection', `${this.source.endpoint} closed the connection unexpectedly`, {subject: this.source.endpoint}))
      return
    }
    this.options.onWrite?.(chunk, this.source.tls)
    socket.write(chunk, callback)
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.source.socket.end()
    callback()
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const {socket} = this.source
    socket.off('data', this.onData)
    socket.off('end', this.onEnd)
    socket.off('close', this.onClose)
    socket.off('timeout', this.onTimeout)
    socket.setTimeout(0)
    void this.source.close()
    callback(error)
  }

  private incoming(chunk: Buffer): void {
    this.options.onRead?.(chunk, this.source.tls)
    // onRead may have broken the connection (a reply deadline passed, garbage): nothing more is passed on.
    if (this.destroyed || this.source.failure()) return
    if (!this.push(chunk) && !this.held) {
      this.held = true
      this.source.socket.pause()
    }
  }
}
