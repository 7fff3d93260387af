import type {Readable} from 'node:stream'
import {MaildigError} from '../errors.js'

/**
 * RFC 5321 §4.5.3.1.5 limits a reply line to 512 octets and POP3/IMAP servers stay well below
 * this; 8 KiB leaves room for long EHLO and CAPA lines while bounding memory.
 */
export const DEFAULT_MAX_LINE_LENGTH = 8192

/**
 * Complete lines kept before the socket is paused. A server that floods short lines faster than
 * they are read then waits in the kernel instead of in our heap.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024

export interface LineReaderOptions {
  /** Longest line accepted, in bytes, without its line ending. Longer → LINE_TOO_LONG. */
  maxLineLength?: number
  /** Bytes of complete lines queued before the attached stream is paused. */
  maxBufferedBytes?: number
  /** The host or endpoint, for error messages. */
  subject?: string
  /**
   * Take lines with control bytes as they are, instead of failing on the first one: for a protocol
   * that wants to judge a garbage line itself (IMAP quotes a bad greeting back, escaped).
   */
  acceptBinary?: boolean
}

export interface DrainResult {
  lines: number
  bytes: number
}

interface Waiter {
  resolve: (line: string) => void
  reject: (error: Error) => void
}

/**
 * Splits a byte stream into lines ending in CRLF (bare LF accepted, as servers are sloppy) with
 * hard bounds: a line never grows past `maxLineLength` (an endless line fails as soon as it
 * passes the bound, and later bytes are dropped, not kept), queued lines never pass
 * `maxBufferedBytes` (the stream is paused instead), and binary data (NUL and other control
 * bytes, a TLS record sent to a plaintext client) fails as PROTOCOL_ERROR as soon as it arrives.
 *
 * Pure over `push()`/`end()`, so it is testable without sockets; `attach()` feeds it a stream.
 */
export class LineReader {
  readonly maxLineLength: number
  readonly maxBufferedBytes: number
  private readonly subject: string
  private readonly acceptBinary: boolean
  private readonly queue: string[] = []
  private queuedBytes = 0
  /** Bytes of the line being received (no line end yet). */
  private partial: Buffer[] = []
  private partialBytes = 0
  private readonly waiters: Waiter[] = []
  private failure: Error | undefined
  private ended = false
  private stream: Readable | undefined
  private paused = false
  private readonly onData = (chunk: Buffer | string) => this.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)

  constructor(options: LineReaderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
    this.subject = options.subject ?? 'the server'
    this.acceptBinary = options.acceptBinary ?? false
  }

  /** Bytes held in memory: queued lines plus the partial line. Never much above the bounds. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.partialBytes
  }

  /** Complete lines received and not read yet. */
  get bufferedLines(): number {
    return this.queue.length
  }

  get failed(): Error | undefined {
    return this.failure
  }

  /** Reads from `stream` until detached. Only `data` is taken here: the owner maps errors and EOF. */
  attach(stream: Readable): void {
    this.detach()
    this.stream = stream
    stream.on('data', this.onData)
    this.updatePressure()
  }

  /** Stops reading from the attached stream (before a TLS upgrade takes the socket over). */
  detach(): void {
    if (!this.stream) return
    this.stream.off('data', this.onData)
    if (this.paused) this.stream.resume()
    this.paused = false
    this.stream = undefined
  }

  push(chunk: Buffer): void {
    if (this.failure || this.ended) return
    let start = 0
    while (start < chunk.length) {
      const lf = chunk.indexOf(0x0a, start)
      const end = lf === -1 ? chunk.length : lf
      const bad = this.acceptBinary ? -1 : findBinary(chunk, start, end)
      if (bad !== -1) {
        this.fail(
          new MaildigError(
            'PROTOCOL_ERROR',
            'protocol',
            `${this.subject} sent binary data (byte 0x${chunk[bad].toString(16).padStart(2, '0')}), not text lines: is this the right port and protocol (TLS or plaintext)?`,
            {subject: this.subject},
          ),
          false,
        )
        return
      }
      // Count the line without a trailing CR: the LF of its CRLF may come in the next chunk.
      const pieceBytes = end - start
      const last = pieceBytes > 0 ? chunk[end - 1] : this.partial.at(-1)?.at(-1)
      const lineBytes = this.partialBytes + pieceBytes - (last === 0x0d ? 1 : 0)
      if (lineBytes > this.maxLineLength) {
        this.fail(
          new MaildigError('LINE_TOO_LONG', 'protocol', `${this.subject} sent a line longer than ${this.maxLineLength} bytes without a line end: is this a mail service?`, {
            subject: this.subject,
          }),
          false,
        )
        return
      }
      if (lf === -1) {
        this.partial.push(chunk.subarray(start, end))
        this.partialBytes += pieceBytes
        break
      }
      const pieces = this.partialBytes > 0 ? [...this.partial, chunk.subarray(start, end)] : [chunk.subarray(start, end)]
      let bytes = Buffer.concat(pieces)
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
      this.partial = []
      this.partialBytes = 0
      this.deliver(bytes.toString('utf8'))
      start = lf + 1
    }
    this.updatePressure()
  }

  /** The stream ended: queued lines can still be read, then reads fail with CONNECTION_CLOSED. */
  end(): void {
    if (this.ended || this.failure) return
    this.ended = true
    const midLine = this.partialBytes > 0
    this.partial = []
    this.partialBytes = 0
    const error = new MaildigError(
      'CONNECTION_CLOSED',
      'connection',
      midLine ? `${this.subject} closed the connection in the middle of a line` : `${this.subject} closed the connection unexpectedly`,
      {subject: this.subject},
    )
    this.failure = error
    this.rejectWaitersIfIdle()
  }

  /**
   * Fails every pending and later read with `error`. With `discard` (the default: a timeout or a
   * reset), lines already queued are dropped too; a protocol error found in the stream keeps the
   * lines that came before it readable.
   */
  fail(error: Error, discard = true): void {
    this.failure ??= error
    this.ended = true
    this.partial = []
    this.partialBytes = 0
    if (discard) this.clearQueue()
    this.detach()
    this.rejectWaitersIfIdle()
  }

  /** The next line, without its line end. */
  readLine(): Promise<string> {
    const line = this.queue.shift()
    if (line !== undefined) {
      this.queuedBytes -= Buffer.byteLength(line)
      this.updatePressure()
      return Promise.resolve(line)
    }
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => this.waiters.push({resolve, reject}))
  }

  /** A queued line, or undefined when none is complete yet. */
  tryReadLine(): string | undefined {
    const line = this.queue.shift()
    if (line !== undefined) {
      this.queuedBytes -= Buffer.byteLength(line)
      this.updatePressure()
    }
    return line
  }

  /**
   * Drops everything received and not read yet. After STARTTLS's 220, whatever plaintext arrived
   * with or after it was not protected by TLS and must not be taken as a reply inside TLS (the
   * response-injection twin of CVE-2011-0411; RFC 3207 §4.2, RFC 8314 §4.1 ... "discard").
   */
  drain(): DrainResult {
    const result = {lines: this.queue.length + (this.partialBytes > 0 ? 1 : 0), bytes: this.bufferedBytes}
    this.clearQueue()
    this.partial = []
    this.partialBytes = 0
    this.updatePressure()
    return result
  }

  /**
   * Everything received and not read yet, as bytes (complete lines with CRLF, then the partial
   * line), and forgotten here: for a new owner of the stream (Connection.handOver) to read first.
   */
  takeUnread(): Buffer {
    const unread = Buffer.concat([...this.queue.map((line) => Buffer.from(`${line}\r\n`)), ...this.partial])
    this.drain()
    return unread
  }

  private clearQueue(): void {
    this.queue.length = 0
    this.queuedBytes = 0
  }

  private deliver(line: string): void {
    const waiter = this.waiters.shift()
    if (waiter) {
      waiter.resolve(line)
      return
    }
    this.queue.push(line)
    this.queuedBytes += Buffer.byteLength(line)
  }

  private rejectWaitersIfIdle(): void {
    if (!this.failure || this.queue.length > 0) return
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.failure)
  }

  private updatePressure(): void {
    if (!this.stream) return
    if (!this.paused && this.queuedBytes > this.maxBufferedBytes) {
      this.paused = true
      this.stream.pause()
    } else if (this.paused && this.queuedBytes <= this.maxBufferedBytes / 2) {
      this.paused = false
      this.stream.resume()
    }
  }
}

/**
 * Control bytes that real text lines carry: TAB, CR, and in message headers ESC/SO/SI (ISO-2022-JP
 * and other 7-bit encodings written without RFC 2047) and FF. NUL and the rest mean binary data.
 */
const TEXT_CONTROLS = new Set([0x09, 0x0d, 0x1b, 0x0e, 0x0f, 0x0c])

/**
 * The offset of the first byte that cannot be in a text line (C0 controls other than TAB and CR,
 * and DEL), or -1. Bytes ≥ 0x80 are allowed: UTF-8 (SMTPUTF8) and the odd Latin-1 banner.
 */
export function findBinary(buffer: Buffer, start = 0, end = buffer.length): number {
  for (let i = start; i < end; i++) {
    const byte = buffer[i]
    if ((byte < 0x20 && !TEXT_CONTROLS.has(byte)) || byte === 0x7f) return i
  }
  return -1
}
