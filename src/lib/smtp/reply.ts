import {MaildigError} from '../errors.js'

/**
 * SMTP replies (RFC 5321 §4.2): pure parsing, no I/O.
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF
 *
 * The code is three digits, the first 2–5 and the second 0–5 (§4.2.1); every line of one reply
 * carries the same code.
 */
export interface SmtpReply {
  code: number
  /** The text of each line, without code and separator. */
  lines: string[]
  /** The lines' text joined with "\n". */
  text: string
  /** RFC 3463 enhanced status code (`5.1.1`) from the first line, when present. */
  enhancedCode?: string
}

export interface ReplyParseOptions {
  /**
   * Whether the server announced ENHANCEDSTATUSCODES (RFC 2034). `false`: never extract one;
   * otherwise one is taken when the text starts with one whose class matches the reply code's
   * first digit (RFC 3463 §2), which is how it looks when it is "obviously present".
   */
  enhancedStatusCodes?: boolean
  /** Most lines one reply may have; more → PROTOCOL_ERROR. */
  maxLines?: number
  /** The server, for error messages. */
  subject?: string
}

/** A long EHLO reply has ~20 lines; 100 means something is wrong (or hostile). */
export const DEFAULT_MAX_REPLY_LINES = 100

export interface ReplyLine {
  code: number
  /** `true` for the last line of a reply (SP or nothing after the code), `false` for `-`. */
  last: boolean
  text: string
}

const REPLY_CODE = /^[2-5][0-5][0-9]$/
/** RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5; subject and detail 1–3 digits. */
const ENHANCED_CODE = /^([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)/

export function parseReplyLine(line: string, subject?: string): ReplyLine {
  const code = line.slice(0, 3)
  if (!REPLY_CODE.test(code)) throw malformed(subject, line, 'it does not start with a reply code')
  const separator = line.charAt(3)
  if (line.length === 3) return {code: Number(code), last: true, text: ''}
  if (separator !== ' ' && separator !== '-') throw malformed(subject, line, `"${printable(separator)}" after the code, not a space or "-"`)
  return {code: Number(code), last: separator === ' ', text: line.slice(4)}
}

/** The enhanced status code at the start of `text`, if one is there and matches the reply class. */
export function extractEnhancedCode(code: number, text: string): string | undefined {
  const match = ENHANCED_CODE.exec(text)
  if (!match) return undefined
  return Number(match[1]) === Math.floor(code / 100) ? match[0] : undefined
}

/** Parses one complete reply (all its lines, in order). */
export function parseReply(lines: readonly string[], options: ReplyParseOptions = {}): SmtpReply {
  const assembler = new ReplyAssembler(options)
  let reply: SmtpReply | undefined
  for (const [i, line] of lines.entries()) {
    reply = assembler.push(line)
    if (reply && i !== lines.length - 1) throw malformed(options.subject, lines[i + 1], 'a line after the last line of the reply')
  }
  if (!reply) {
    throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${options.subject ?? 'the server'} sent an incomplete reply (no last line)`, {subject: options.subject})
  }
  return reply
}

/** Collects reply lines as they arrive and hands out the reply when its last line comes. */
export class ReplyAssembler {
  private readonly options: ReplyParseOptions
  private readonly maxLines: number
  private code: number | undefined
  private texts: string[] = []

  constructor(options: ReplyParseOptions = {}) {
    this.options = options
    this.maxLines = options.maxLines ?? DEFAULT_MAX_REPLY_LINES
  }

  /** Lines of an unfinished reply. */
  get pendingLines(): number {
    return this.texts.length
  }

  /** Adds a line; returns the reply when it was the last one. Throws PROTOCOL_ERROR on malformed input. */
  push(line: string): SmtpReply | undefined {
    const subject = this.options.subject
    const parsed = parseReplyLine(line, subject)
    if (this.code !== undefined && parsed.code !== this.code) {
      throw malformed(subject, line, `code ${parsed.code} inside a ${this.code} reply`)
    }
    this.code = parsed.code
    this.texts.push(parsed.text)
    if (this.texts.length > this.maxLines) {
      throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${subject ?? 'the server'} sent a reply of more than ${this.maxLines} lines`, {
        subject,
        responseCode: parsed.code,
      })
    }
    if (!parsed.last) return undefined
    const reply: SmtpReply = {code: parsed.code, lines: this.texts, text: this.texts.join('\n')}
    if (this.options.enhancedStatusCodes !== false) {
      const enhanced = extractEnhancedCode(parsed.code, this.texts[0])
      if (enhanced) reply.enhancedCode = enhanced
    }
    this.code = undefined
    this.texts = []
    return reply
  }
}

/** `250 2.1.0 Ok`, one line, for messages: multi-line replies joined with " / ". */
export function formatReply(reply: SmtpReply): string {
  return `${reply.code} ${reply.lines.join(' / ')}`.trim().slice(0, 300)
}

export const isPositive = (reply: SmtpReply): boolean => reply.code >= 200 && reply.code < 300
export const isIntermediate = (reply: SmtpReply): boolean => reply.code >= 300 && reply.code < 400
export const isTransient = (reply: SmtpReply): boolean => reply.code >= 400 && reply.code < 500
export const isPermanent = (reply: SmtpReply): boolean => reply.code >= 500

export interface EhloInfo {
  /** The name the server gives itself in the first line (RFC 5321 §4.1.1.1). */
  domain: string
  /** The rest of the first line ("Hello [192.0.2.1]"). */
  greeting: string
  /** Extension keywords, upper-case, with their parameters as sent. */
  extensions: Record<string, string[]>
  /** AUTH mechanisms, upper-case, from `AUTH` and the pre-RFC `AUTH=` form. */
  authMechanisms: string[]
  /** SIZE (RFC 1870) limit in bytes; 0 means "no fixed limit". */
  size?: number
}

/** ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") (RFC 5321 §4.1.1.1). */
const EHLO_KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/

/**
 * Reads a 250 EHLO reply. Lines whose keyword is not a valid ehlo-keyword are skipped. Old
 * servers send `AUTH=LOGIN PLAIN` (for Outlook Express) besides or instead of `AUTH LOGIN PLAIN`;
 * both are merged into AUTH.
 */
export function parseEhlo(reply: SmtpReply): EhloInfo {
  const [first = '', ...rest] = reply.lines
  const firstLine = first.trim()
  const space = firstLine.search(/\s/)
  const domain = space === -1 ? firstLine : firstLine.slice(0, space)
  const greeting = space === -1 ? '' : firstLine.slice(space + 1).trim()
  const extensions: Record<string, string[]> = {}
  for (const line of rest) {
    const words = line.trim().split(/\s+/).filter(Boolean)
    if (words.length === 0) continue
    let keyword = words[0]
    let params = words.slice(1)
    const equals = keyword.indexOf('=')
    if (equals > 0 && keyword.slice(0, equals).toUpperCase() === 'AUTH') {
      params = [keyword.slice(equals + 1), ...params].filter(Boolean)
      keyword = 'AUTH'
    }
    if (!EHLO_KEYWORD.test(keyword)) continue
    const name = keyword.toUpperCase()
    if (name === 'AUTH') {
      const merged = new Set([...(extensions.AUTH ?? []), ...params.map((p) => p.toUpperCase())])
      extensions.AUTH = [...merged]
    } else {
      extensions[name] = params
    }
  }
  const info: EhloInfo = {domain, greeting, extensions, authMechanisms: extensions.AUTH ?? []}
  const size = extensions.SIZE?.[0]
  if (size !== undefined && /^\d{1,15}$/.test(size)) info.size = Number(size)
  return info
}

function malformed(subject: string | undefined, line: string, why: string): MaildigError {
  return new MaildigError('PROTOCOL_ERROR', 'protocol', `${subject ?? 'the server'} sent a malformed reply line "${printable(line)}": ${why}`, {
    subject,
    response: line.slice(0, 200),
  })
}

function printable(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
  return shown.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
