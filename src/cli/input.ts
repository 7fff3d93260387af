import {closeSync, constants, createReadStream, fstatSync, openSync} from 'node:fs'
import {Socket} from 'node:net'
import type {Readable} from 'node:stream'
import {UsageError} from '../lib/errors.js'
import {formatDuration} from '../lib/duration.js'

/**
 * The one reader of files and streams the user hands maildig (--ca-file, --password-stdin,
 * --body-file, --html-file, --attach, --message, a piped body). Every read is bounded in size and
 * in time (docs/cli.md, "Input bounds"): a regular file larger than the bound is refused before a
 * byte is read; a pipe, FIFO, process substitution (`<(…)`), `/dev/stdin` or device is read as a
 * stream up to the bound, and must arrive whole within the deadline, so a FIFO nobody writes to
 * ends the run instead of hanging it.
 */
export interface InputRequest {
  /** What the input is called in errors: the flag, or "standard input". */
  label: string
  maxBytes: number
  /** The whole read, first byte to end of file. Not applied to a terminal: a person is typing. */
  deadlineMs: number
  /** Past maxBytes, keep the first maxBytes (trace needs only the header) instead of refusing. */
  truncate?: boolean
  /** How the bound is named when it is passed (default: the size, e.g. "1 MiB"). */
  limit?: string
}

/** A size as docs/cli.md writes it: 64 KiB, 25 MiB. */
export function byteSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`
  return `${bytes} bytes`
}

/** Reads `source` (a path, or `-` for standard input) within the request's bounds. */
export async function readInput(source: string, request: InputRequest): Promise<Buffer> {
  const inherited = inheritedDescriptor(source)
  if (source === '-' || inherited === 0) {
    const stdin = process.stdin
    return readBounded(stdin, 'standard input', {...request, deadlineMs: stdin.isTTY ? 0 : request.deadlineMs})
  }
  const {stream} = openInput(source, request)
  return readBounded(stream, source, request)
}

/**
 * Opens `source` (a path, or `-` for standard input) as a stream, for an input read piece by piece
 * (batch --targets): the caller bounds each piece and its deadline. `terminal`: a person is typing,
 * so no deadline applies. A missing file or a directory is a usage error naming the flag.
 */
export function openInput(source: string, request: Pick<InputRequest, 'label' | 'maxBytes'> & {truncate?: boolean; limit?: string}): {stream: Readable; terminal: boolean; size?: number} {
  const inherited = inheritedDescriptor(source)
  if (source === '-' || inherited === 0) return {stream: process.stdin, terminal: Boolean(process.stdin.isTTY)}
  let fd: number
  try {
    // Non-blocking, so that opening a FIFO that has no writer yet does not block a thread (and the exit).
    fd = openSync(source, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    // /dev/fd/N of a socket cannot be opened again (ENXIO), but the descriptor itself can be read.
    if (inherited === undefined || (error as NodeJS.ErrnoException).code !== 'ENXIO') throw cannotRead(request.label, source, error)
    fd = inherited
  }
  try {
    const stat = fstatSync(fd)
    if (stat.isDirectory()) throw new UsageError(`${request.label}: ${source} is a directory`)
    if (stat.isFile() && stat.size > request.maxBytes && !request.truncate) throw tooLarge(request, source)
    // A pipe (FIFO, <(…), /dev/stdin from a pipe) is watched by the event loop, which waits for a writer
    // without a thread; files and devices are read through the thread pool.
    const stream = stat.isFIFO() || stat.isSocket() ? new Socket({fd, readable: true, writable: false}) : createReadStream('', {fd, autoClose: true})
    return {stream, terminal: false, size: stat.isFile() ? stat.size : undefined}
  } catch (error) {
    closeSync(fd)
    if (error instanceof UsageError) throw error
    throw cannotRead(request.label, source, error)
  }
}

/** The descriptor a path names when it is one this process inherited: /dev/stdin, /dev/fd/N, /proc/self/fd/N. */
function inheritedDescriptor(source: string): number | undefined {
  if (source === '/dev/stdin') return 0
  const match = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(source)
  return match ? Number(match[1]) : undefined
}

function readBounded(stream: Readable, what: string, request: InputRequest): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let timer: NodeJS.Timeout | undefined
    const finish = (error: Error | undefined) => {
      clearTimeout(timer)
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('error', onError)
      // Standard input stays open (a later reader may want it); everything opened here is closed.
      if (stream === process.stdin) stream.pause()
      else stream.destroy()
      if (error) reject(error)
      else resolve(Buffer.concat(chunks, size))
    }
    const onData = (chunk: Buffer) => {
      const room = request.maxBytes - size
      if (chunk.length <= room) {
        chunks.push(chunk)
        size += chunk.length
        return
      }
      if (!request.truncate) return finish(tooLarge(request, what))
      chunks.push(chunk.subarray(0, room))
      size += room
      finish(undefined)
    }
    const onEnd = () => finish(undefined)
    const onError = (error: Error) => finish(cannotRead(request.label, what, error))
    if (request.deadlineMs > 0) {
      timer = setTimeout(() => {
        const late = size === 0 ? `nothing arrived from ${what}` : `${what} did not end`
        finish(new UsageError(`${request.label}: ${late} within ${formatDuration(request.deadlineMs)} (--timeout)`))
      }, request.deadlineMs)
    }
    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.resume()
  })
}

function tooLarge(request: Pick<InputRequest, 'label' | 'maxBytes' | 'limit'>, what: string): UsageError {
  return new UsageError(`${request.label}: ${what} is larger than ${request.limit ?? byteSize(request.maxBytes)}`)
}

function cannotRead(label: string, what: string, error: unknown): UsageError {
  return new UsageError(`${label}: cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
}

/** Inputs that share one bound: send's body, HTML part and attachments make one message. */
export class InputBudget {
  private used = 0

  constructor(
    readonly maxBytes: number,
    /** How the shared bound is named when an input passes it. */
    private readonly limit: string,
  ) {}

  async read(source: string, label: string, deadlineMs: number): Promise<Buffer> {
    const data = await readInput(source, {label, maxBytes: this.maxBytes - this.used, deadlineMs, limit: this.limit})
    this.used += data.length
    return data
  }
}
