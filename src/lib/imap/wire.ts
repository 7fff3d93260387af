import {SECRET_MASK} from '../net/transcript.js'

/**
 * Pure pieces of IMAP's wire format (RFC 9051 §4, §7), for the transcript and for judging what a
 * server sent: splitting a byte stream into lines and literals, recognising a greeting, a
 * status response and its response code, and masking the credentials in a client command.
 * No I/O here: imapflow owns the connection, these functions read the raw log it gives us.
 */

/** One unit of the stream: a line (CRLF stripped) or the data of a literal (`{N}` then N bytes). */
export type WireItem =
  | {
      kind: 'line'
      text: string
      /** Bytes of the line without CRLF (may exceed what `text` keeps). */
      bytes: number
      /** False when the line continues a response or command after a literal. */
      first: boolean
      /** The kept text is shorter than the line. */
      truncated: boolean
    }
  | {
      kind: 'literal'
      bytes: number
      /** The first lines of the literal's data (at most `maxLiteralLines`). */
      lines: string[]
      /** More data than `lines` holds. */
      truncated: boolean
    }

export interface WireSplitterOptions {
  /** Characters of a line kept for the transcript (the line is still counted whole). Default 4096. */
  maxKeep?: number
  /** Bytes of a literal kept to show. Default 4096. */
  maxLiteralKeep?: number
  /** Lines of a literal shown. Default 40. */
  maxLiteralLines?: number
}

/** `{123}`, `{123+}` (LITERAL+, RFC 7888), `~{123}` (BINARY, RFC 3516) at the end of a line. */
const LITERAL_MARKER = /~?\{(\d{1,12})\+?\}$/

/**
 * Splits one direction of an IMAP conversation into lines and literals. Memory is bounded: a line
 * keeps at most `maxKeep` characters and a literal `maxLiteralKeep` bytes, however much arrives.
 */
export class WireSplitter {
  private readonly maxKeep: number
  private readonly maxLiteralKeep: number
  private readonly maxLiteralLines: number
  private line: Buffer[] = []
  private lineKept = 0
  private lineBytes = 0
  private lastByte = -1
  private literalLeft = 0
  private literalBytes = 0
  private literal: Buffer[] = []
  private literalKept = 0
  private afterLiteral = false

  constructor(options: WireSplitterOptions = {}) {
    this.maxKeep = options.maxKeep ?? 4096
    this.maxLiteralKeep = options.maxLiteralKeep ?? 4096
    this.maxLiteralLines = options.maxLiteralLines ?? 40
  }

  /** Bytes of an unfinished line held (0 between lines). */
  get pendingBytes(): number {
    return this.lineBytes
  }

  push(chunk: Buffer): WireItem[] {
    const items: WireItem[] = []
    let pos = 0
    while (pos < chunk.length) {
      if (this.literalLeft > 0) {
        const n = Math.min(this.literalLeft, chunk.length - pos)
        this.keepLiteral(chunk.subarray(pos, pos + n))
        this.literalLeft -= n
        pos += n
        if (this.literalLeft === 0) items.push(this.endLiteral())
        continue
      }
      const lf = chunk.indexOf(0x0a, pos)
      const end = lf === -1 ? chunk.length : lf
      this.keepLine(chunk.subarray(pos, end))
      pos = end
      if (lf === -1) break
      pos = lf + 1
      const item = this.endLine()
      items.push(item)
      const marker = LITERAL_MARKER.exec(item.text)
      if (marker && !item.truncated) {
        this.literalLeft = Number(marker[1])
        this.literalBytes = this.literalLeft
        this.afterLiteral = true
        if (this.literalLeft === 0) items.push(this.endLiteral())
      } else {
        this.afterLiteral = false
      }
    }
    return items
  }

  private keepLine(piece: Buffer): void {
    if (piece.length === 0) return
    this.lastByte = piece[piece.length - 1]
    this.lineBytes += piece.length
    if (this.lineKept < this.maxKeep * 4) {
      this.line.push(piece)
      this.lineKept += piece.length
    }
  }

  private endLine(): Extract<WireItem, {kind: 'line'}> {
    const bytes = this.lineBytes - (this.lastByte === 0x0d ? 1 : 0)
    let buffer = Buffer.concat(this.line)
    if (buffer.length > bytes) buffer = buffer.subarray(0, bytes)
    const decoded = buffer.toString('utf8')
    const truncated = decoded.length > this.maxKeep || bytes > buffer.length
    const item = {kind: 'line' as const, text: truncated ? decoded.slice(0, this.maxKeep) : decoded, bytes, first: !this.afterLiteral, truncated}
    this.line = []
    this.lineKept = 0
    this.lineBytes = 0
    this.lastByte = -1
    return item
  }

  private keepLiteral(piece: Buffer): void {
    if (this.literalKept >= this.maxLiteralKeep) return
    const take = piece.subarray(0, this.maxLiteralKeep - this.literalKept)
    this.literal.push(take)
    this.literalKept += take.length
  }

  private endLiteral(): Extract<WireItem, {kind: 'literal'}> {
    const text = Buffer.concat(this.literal).toString('utf8')
    const all = text.split(/\r?\n/)
    if (all.at(-1) === '') all.pop()
    const lines = all.slice(0, this.maxLiteralLines)
    const item = {kind: 'literal' as const, bytes: this.literalBytes, lines, truncated: this.literalKept < this.literalBytes || all.length > lines.length}
    this.literal = []
    this.literalKept = 0
    this.literalBytes = 0
    return item
  }
}

export type GreetingStatus = 'OK' | 'PREAUTH' | 'BYE'

export interface ImapGreeting {
  status: GreetingStatus
  /** The response code's name, e.g. CAPABILITY or ALERT, if any. */
  code: string | null
  /** The capabilities in a `[CAPABILITY …]` response code, if the greeting carries one. */
  capabilities: string[] | null
  /** The human-readable text after the response code. */
  text: string
}

/**
 * The server greeting (RFC 9051 §7.1: `greeting = "*" SP (resp-cond-auth / resp-cond-bye) CRLF`),
 * or undefined when the line is not one: another protocol, or garbage.
 */
export function parseGreeting(line: string): ImapGreeting | undefined {
  const match = /^\* (OK|PREAUTH|BYE)(?: (.*))?$/i.exec(line)
  if (!match) return undefined
  const {code, args, text} = splitResponseText(match[2] ?? '')
  const capabilities = code === 'CAPABILITY' ? splitCapabilities(args) : null
  return {status: match[1].toUpperCase() as GreetingStatus, code, capabilities, text}
}

/** `[CODE args] text` → its parts (RFC 9051 `resp-text`). */
export function splitResponseText(rest: string): {code: string | null; args: string; text: string} {
  const match = /^\[([A-Za-z0-9-]+)(?: ([^\]]*))?\] ?(.*)$/.exec(rest)
  if (!match) return {code: null, args: '', text: rest.trim()}
  return {code: match[1].toUpperCase(), args: match[2] ?? '', text: match[3].trim()}
}

export function splitCapabilities(text: string): string[] {
  return text.split(/\s+/).filter(Boolean)
}

export type ServerLine =
  | {kind: 'untagged'; status?: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH'; code: string | null; text: string}
  | {kind: 'continuation'; text: string}
  | {kind: 'tagged'; tag: string; status: 'OK' | 'NO' | 'BAD'; code: string | null; text: string}
  | {kind: 'invalid'}

/**
 * Classifies the first line of a server response (RFC 9051 `response-data`, `continue-req`,
 * `response-tagged`). A line that is none of these is garbage: not IMAP, or a broken server.
 */
export function classifyServerLine(line: string): ServerLine {
  if (line === '+' || line.startsWith('+ ')) return {kind: 'continuation', text: line.slice(2)}
  if (line.startsWith('* ')) {
    const status = /^\* (OK|NO|BAD|BYE|PREAUTH)(?: (.*))?$/i.exec(line)
    if (status) {
      const parts = splitResponseText(status[2] ?? '')
      return {kind: 'untagged', status: status[1].toUpperCase() as 'OK', code: parts.code, text: parts.text}
    }
    return /^\* [\x21-\x7e]/.test(line) ? {kind: 'untagged', code: null, text: line.slice(2)} : {kind: 'invalid'}
  }
  // tag = 1*<any ASTRING-CHAR except "+">
  const tagged = /^([^\s(){%*"\\\]+\x00-\x1f\x7f]+) (OK|NO|BAD)(?: (.*))?$/i.exec(line)
  if (tagged) {
    const parts = splitResponseText(tagged[3] ?? '')
    return {kind: 'tagged', tag: tagged[1], status: tagged[2].toUpperCase() as 'OK', code: parts.code, text: parts.text}
  }
  return {kind: 'invalid'}
}

/** A client command line: its tag and command name (two words for `UID …`). */
export function parseCommandLine(line: string): {tag: string; command: string} | undefined {
  const match = /^([A-Za-z0-9.]+) ([A-Za-z]+)(?: ([A-Za-z]+))?/.exec(line)
  if (!match) return undefined
  const verb = match[2].toUpperCase()
  return {tag: match[1], command: verb === 'UID' && match[3] ? `UID ${match[3].toUpperCase()}` : verb}
}

/** Commands whose arguments or continuation data carry credentials. */
export const SENSITIVE_COMMANDS = new Set(['LOGIN', 'AUTHENTICATE'])

/**
 * The client line with its credentials masked: LOGIN keeps the user name (when it is a plain
 * atom or quoted string) and masks the rest; AUTHENTICATE keeps the mechanism and masks an
 * initial response (SASL-IR, RFC 4959). Other lines come back unchanged.
 */
export function maskCommandLine(line: string): string {
  const login = /^(\S+ LOGIN )(.*)$/i.exec(line)
  if (login) {
    const user = /^("(?:[^"\\]|\\.)*"|[^\s"{]+) /.exec(login[2])
    return `${login[1]}${user ? `${user[1]} ` : ''}${SECRET_MASK}`
  }
  const authenticate = /^(\S+ AUTHENTICATE \S+)( .*)?$/i.exec(line)
  if (authenticate) return authenticate[2] ? `${authenticate[1]} ${SECRET_MASK}` : authenticate[1]
  return line
}

/** Shows a line's control characters (a NUL, an escape sequence) as `\xNN`, so garbage cannot forge output. */
export function visible(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const shown = text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  return shown.length > max ? `${shown.slice(0, max)}…` : shown
}

/** What a first line that is not an IMAP greeting suggests is listening instead. */
export function guessProtocol(line: string): string | undefined {
  if (/^220[ -]/.test(line)) return 'an SMTP server (a 220 greeting)'
  if (/^\+OK/.test(line)) return 'a POP3 server (+OK)'
  if (/^SSH-/.test(line)) return 'an SSH server'
  if (/^HTTP\//.test(line)) return 'an HTTP server'
  return undefined
}
