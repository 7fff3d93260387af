import {UsageError} from '../errors.js'
import type {HeaderField} from './schema.js'

export type {HeaderField}

/**
 * A message's header block, read the way RFC 5322 §2.2 lays it out: fields up to the first empty
 * line, folded lines joined again (§2.2.3), in the order they appear. Received fields are
 * prepended by each hop, so that order is newest first.
 */


/**
 * More header than any real message carries (Gmail and Microsoft 365 messages run to 20–60 KiB),
 * and little enough that a wrong file is refused before it costs memory.
 */
export const MAX_HEADER_BYTES = 1024 * 1024

export type HeaderInputProblem = 'binary' | 'too-large' | 'empty' | 'not-a-message'

/** The input is not a mail message's header: the command reports it as a usage error (exit 2). */
export class HeaderInputError extends UsageError {
  readonly problem: HeaderInputProblem

  constructor(problem: HeaderInputProblem, message: string) {
    super(message)
    this.name = 'HeaderInputError'
    this.problem = problem
  }
}

export interface ReadHeaderOptions {
  /** Bound on the header block, in bytes (default MAX_HEADER_BYTES). */
  maxBytes?: number
}

// mbox files start each message with a "From " line that is no header field (RFC 4155).
const MBOX_FROM = /^From \S/
const FIELD = /^([!-9;-~]+)[ \t]*:(.*)$/s

/**
 * Finds where the header ends: before the line break that precedes the first empty line, or at the
 * end of the input. Null when that is beyond `limit` bytes.
 */
function headerEnd(bytes: Uint8Array, limit: number): number | null {
  let lineStart = 0
  // The bound is on the header itself; the two line breaks that end it may lie just past it.
  const scan = Math.min(bytes.length, limit + 4)
  for (let i = 0; i < scan; i++) {
    if (bytes[i] !== 0x0a) continue
    const contentEnd = i > lineStart && bytes[i - 1] === 0x0d ? i - 1 : i
    if (contentEnd === lineStart && lineStart > 0) {
      const end = lineStart - (lineStart >= 2 && bytes[lineStart - 2] === 0x0d ? 2 : 1)
      return end <= limit ? end : null
    }
    lineStart = i + 1
  }
  if (bytes.length > limit) return null
  let end = bytes.length
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--
  return end
}

/**
 * Refuses what is not text. NUL never occurs in a header (RFC 5322 §2.2 allows printable US-ASCII,
 * RFC 6532 adds UTF-8); a sprinkle of other control characters is tolerated because broken
 * mailers leak them, but not a file made of them.
 */
function checkText(bytes: Uint8Array): void {
  let control = 0
  let high = 0
  for (const b of bytes) {
    if (b === 0) throw new HeaderInputError('binary', 'the input contains NUL bytes: it is a binary file, not a mail message')
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) || b === 0x7f) control++
    else if (b >= 0x80) high++
  }
  if (control > Math.max(8, bytes.length * 0.01)) {
    throw new HeaderInputError('binary', 'the input is mostly control characters: it is a binary file, not a mail message')
  }
  if (high > bytes.length * 0.3 && !isUtf8(bytes)) {
    throw new HeaderInputError('binary', 'the input is mostly non-ASCII bytes that are not UTF-8: it is a binary file, not a mail message')
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    return true
  } catch {
    return false
  }
}

/** UTF-8 (RFC 6532) when it is valid; otherwise the bytes one to one, as 8-bit Latin-1 mailers meant them. */
function decodeHeaderBytes(bytes: Uint8Array): string {
  return isUtf8(bytes) ? new TextDecoder('utf-8').decode(bytes) : Buffer.from(bytes).toString('latin1')
}

/**
 * Returns the header block of a message (everything before the first empty line) as text, with the
 * line breaks it had. A file with no empty line is all header: people paste just the headers.
 */
export function readHeaderBlock(input: Uint8Array | string, options: ReadHeaderOptions = {}): string {
  const maxBytes = options.maxBytes ?? MAX_HEADER_BYTES
  let bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3)
  // Copied headers often arrive with blank lines before them; an empty header block helps nobody.
  let start = 0
  while (start < bytes.length && (bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x20 || bytes[start] === 0x09)) start++
  // Back up to the start of the line so a first field's leading white space is not lost.
  while (start > 0 && bytes[start - 1] !== 0x0a) start--
  bytes = bytes.subarray(start)
  if (bytes.length === 0) throw new HeaderInputError('empty', 'the input is empty: expected a mail message or its header')
  const end = headerEnd(bytes, maxBytes)
  if (end === null) {
    // Say "binary" rather than "too large" when that is the real reason.
    checkText(bytes.subarray(0, 64 * 1024))
    throw new HeaderInputError('too-large', `the header is larger than ${maxBytes} bytes (no empty line ends it): not a mail message`)
  }
  // Only the header is checked: a body may legitimately be 8-bit binary (RFC 3030 BINARYMIME).
  const header = bytes.subarray(0, end)
  checkText(header)
  return decodeHeaderBytes(header)
}

/** Joins folded lines: RFC 5322 §2.2.3 removes each CRLF that is followed by white space, nothing else. */
export function unfold(text: string): string {
  return text.replace(/\r?\n(?=[ \t])/g, '')
}

/**
 * Splits a header block into fields, in order. A line that is neither a field nor a continuation
 * is joined to the field before it, as if it had been folded: broken mailers and copy-and-paste
 * from webmail drop the leading white space, and losing the text would hide a hop.
 */
export function parseHeaderFields(block: string): HeaderField[] {
  const lines = block.split(/\r?\n|\r/)
  const raw: {name: string; value: string}[] = []
  for (const [index, line] of lines.entries()) {
    if (index === 0 && MBOX_FROM.test(line)) continue
    if (line.length === 0) continue
    const last = raw.at(-1)
    if (/^[ \t]/.test(line)) {
      if (last) last.value += line
      continue
    }
    const field = FIELD.exec(line)
    if (field) raw.push({name: field[1], value: field[2]})
    else if (last) last.value += ` ${line}`
  }
  return raw.map(({name, value}) => ({name, value: value.trim()}))
}

/** Reads a message (or just its header) and returns its header fields in order. */
export function readHeaders(input: Uint8Array | string, options: ReadHeaderOptions = {}): HeaderField[] {
  const fields = parseHeaderFields(readHeaderBlock(input, options))
  if (fields.length === 0) throw new HeaderInputError('not-a-message', 'no header fields found: expected a mail message ("Name: value" lines)')
  return fields
}

/** Every value of a field, in order (case-insensitive name, RFC 5322 §1.2.2). */
export function headerValues(fields: readonly HeaderField[], name: string): string[] {
  const wanted = name.toLowerCase()
  return fields.filter((f) => f.name.toLowerCase() === wanted).map((f) => f.value)
}

/** The first value of a field, or null. */
export function headerValue(fields: readonly HeaderField[], name: string): string | null {
  return headerValues(fields, name)[0] ?? null
}

const ENCODED_WORD = /=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bq])\?([^?\s]*)\?=/gi

function decodeWordBytes(encoding: string, text: string): Uint8Array | null {
  if (encoding.toLowerCase() === 'b') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null
    return Buffer.from(text, 'base64')
  }
  // RFC 2047 §4.2: "_" is a space in the Q encoding, "=XX" a byte.
  const bytes: number[] = []
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '_') bytes.push(0x20)
    else if (c === '=' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(c.charCodeAt(0) & 0xff)
  }
  return Uint8Array.from(bytes)
}

function decodeCharset(charset: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(charset.toLowerCase() === 'utf8' ? 'utf-8' : charset).decode(bytes)
  } catch {
    return null
  }
}

/**
 * Decodes RFC 2047 encoded-words (=?charset?B|Q?text?=) for display: Subject, and the display names
 * in From and To. White space between two adjacent encoded-words is dropped (§6.2), and their
 * bytes are joined before decoding, because mailers split a multi-byte character across words.
 * A word in an unknown charset, or malformed, is left as written.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value
  interface Piece {
    text: string
    charset?: string
    bytes?: Uint8Array
  }
  const pieces: Piece[] = []
  let last = 0
  for (const match of value.matchAll(ENCODED_WORD)) {
    const index = match.index ?? 0
    const between = value.slice(last, index)
    const bytes = decodeWordBytes(match[2], match[3])
    const previous = pieces.at(-1)
    // §6.2: white space between two encoded-words is not displayed.
    if (between.length > 0 && !(bytes !== null && previous?.bytes && /^[ \t\r\n]+$/.test(between))) pieces.push({text: between})
    const charset = match[1].toLowerCase()
    const tail = pieces.at(-1)
    if (bytes === null) pieces.push({text: match[0]})
    else if (tail?.bytes && tail.charset === charset) {
      tail.bytes = Buffer.concat([tail.bytes, bytes])
      tail.text += match[0]
    } else pieces.push({text: match[0], charset, bytes})
    last = index + match[0].length
  }
  pieces.push({text: value.slice(last)})
  return pieces
    .map((p) => (p.bytes && p.charset ? decodeCharset(p.charset, p.bytes) ?? p.text : p.text))
    .join('')
}
