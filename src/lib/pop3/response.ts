import {nodeCrypto} from '../builtins.js'
import {MaildigError} from '../errors.js'

/**
 * POP3 responses: pure parsing, no I/O.
 *
 * RFC 1939 §3: a response is a status indicator (`+OK` or `-ERR`) and text on one line; some
 * responses go on over several lines, each ending in CRLF, the last one a single "." (lines that
 * start with "." are "byte-stuffed" with another "."). RFC 2449 §8 puts an extended response code
 * in brackets right after the indicator (`-ERR [IN-USE] …`); RFC 3206 adds SYS/TEMP, SYS/PERM and
 * AUTH. RFC 5034 §4: inside AUTH the server sends continuations, `+ ` and base64.
 */
export interface Pop3Response {
  ok: boolean
  /** RFC 2449 §8 extended response code, upper-case, without brackets: `IN-USE`, `SYS/TEMP`. */
  code: string | null
  /** The text after the indicator and the response code. */
  text: string
  /** The line as received. */
  line: string
}

/** A response line inside AUTH: a continuation with its base64 challenge, or the final status. */
export type Pop3AuthLine = {continuation: true; challenge: string} | ({continuation: false} & Pop3Response)

/**
 * RFC 2449 §8: resp-code = "[" resp-level *("/" resp-level) "]"; resp-level = 1*rchar, where rchar
 * is any printable ASCII but "/" and "]".
 */
const RESPONSE_CODE = /^\[([\x21-\x2e\x30-\x5c\x5e-\x7e]+(?:\/[\x21-\x2e\x30-\x5c\x5e-\x7e]+)*)\](?:\s+|$)/
const STATUS = /^([+-])(OK|ERR)(?=\s|$)/i

export function parseStatusLine(line: string, subject?: string): Pop3Response {
  const status = STATUS.exec(line)
  if (!status || (status[1] === '+') !== (status[2].toUpperCase() === 'OK')) {
    throw malformed(subject, line, 'it starts with neither +OK nor -ERR')
  }
  let rest = line.slice(status[0].length).replace(/^\s+/, '')
  let code: string | null = null
  const bracket = RESPONSE_CODE.exec(rest)
  if (bracket) {
    code = bracket[1].toUpperCase()
    rest = rest.slice(bracket[0].length)
  }
  return {ok: status[1] === '+', code, text: rest.trimEnd(), line}
}

/** RFC 5034 §4: `+` SP base64, or a bare `+` (an empty challenge); anything else is the final status. */
export function parseAuthLine(line: string, subject?: string): Pop3AuthLine {
  if (line === '+' || line.startsWith('+ ')) return {continuation: true, challenge: line.slice(2).trim()}
  return {continuation: false, ...parseStatusLine(line, subject)}
}

/** `+OK [CODE] text` / `-ERR …` again, one line, for messages. */
export function formatResponse(response: Pop3Response): string {
  return printable(response.line.trim(), 300)
}

/**
 * What each RFC 2449 / RFC 3206 response code means for the person running maildig. The login
 * codes say whether the credentials are at fault, which decides the exit code.
 */
export const RESPONSE_CODE_MEANINGS: Record<string, string> = {
  'IN-USE':
    'the credentials were accepted, but another POP3 session holds the mailbox lock (RFC 2449 §8.1): close the other mail client or wait for its session to end, then try again',
  'LOGIN-DELAY':
    'the credentials were accepted, but the server allows a login only every so many seconds (RFC 2449 §8.1, CAPA LOGIN-DELAY): wait and try again',
  'SYS/TEMP': 'a temporary problem on the server, not the credentials (RFC 3206 §4): try again later',
  'SYS/PERM': 'a permanent problem on the server, not the credentials (RFC 3206 §4): the server\'s administrator must fix it',
  AUTH: 'the server rejected the credentials, or the way they were sent (RFC 3206 §5): check the user name, the password and the login method',
}

/** The meaning of a response code, or of its most specific known prefix (`SYS/TEMP/X` → SYS/TEMP). */
export function explainResponseCode(code: string | null): string | undefined {
  if (!code) return undefined
  const levels = code.toUpperCase().split('/')
  for (let n = levels.length; n > 0; n--) {
    const meaning = RESPONSE_CODE_MEANINGS[levels.slice(0, n).join('/')]
    if (meaning) return meaning
  }
  return undefined
}

export interface MultilineOptions {
  /** Most lines the response may have, the terminating "." not counted; more → PROTOCOL_ERROR. */
  maxLines: number
  /** Most bytes (each line plus CRLF); more → PROTOCOL_ERROR. */
  maxBytes: number
  subject?: string
  /** The command answered, for messages. */
  command?: string
}

/** Bounds of a multi-line response when the caller names none: a CAPA or an AUTH list. */
export const DEFAULT_MULTILINE_LIMITS = {maxLines: 200, maxBytes: 64 * 1024}

/**
 * Collects the lines of a multi-line response (after its `+OK` line) until the "." that ends it,
 * undoing the byte-stuffing (RFC 1939 §3: "If any line begins with the termination octet, the line
 * is 'byte-stuffed' by pre-pending the termination octet to that line"). Bounded in lines and bytes.
 */
export class MultilineAssembler {
  private readonly options: MultilineOptions
  private readonly lines: string[] = []
  private bytes = 0

  constructor(options: Partial<MultilineOptions> = {}) {
    this.options = {...DEFAULT_MULTILINE_LIMITS, ...options}
  }

  get pendingLines(): number {
    return this.lines.length
  }

  /** Adds a line; returns the unstuffed lines when it was the terminating ".". */
  push(line: string): string[] | undefined {
    if (line === '.') return this.lines
    const {maxLines, maxBytes, subject, command} = this.options
    this.bytes += Buffer.byteLength(line) + 2
    if (this.lines.length + 1 > maxLines || this.bytes > maxBytes) {
      const limit = this.lines.length + 1 > maxLines ? `${maxLines} line${maxLines === 1 ? '' : 's'}` : `${maxBytes} bytes`
      throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${subject ?? 'the server'} sent more than ${limit} in answer to ${command ?? 'a command'} without the "." that ends it`, {
        subject,
        command,
      })
    }
    this.lines.push(line.startsWith('.') ? line.slice(1) : line)
    return undefined
  }
}

/** Unstuffs a complete multi-line body (the lines after `+OK`, the final "." included). */
export function parseMultiline(lines: readonly string[], options: Partial<MultilineOptions> = {}): string[] {
  const assembler = new MultilineAssembler(options)
  for (const [i, line] of lines.entries()) {
    const done = assembler.push(line)
    if (done) {
      if (i !== lines.length - 1) throw malformed(options.subject, lines[i + 1], 'a line after the "." that ends the response')
      return done
    }
  }
  throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${options.subject ?? 'the server'} sent an incomplete multi-line response (no final ".")`, {subject: options.subject})
}

/** RFC 2449 §5: capability names (upper-case) → their arguments, as sent. */
export type Pop3Capabilities = Record<string, string[]>

/** RFC 2449 §5: one capability per line, a tag and space-separated arguments. Tags are case-insensitive. */
export function parseCapa(lines: readonly string[]): Pop3Capabilities {
  const capabilities: Pop3Capabilities = {}
  for (const line of lines) {
    const [tag, ...args] = line.trim().split(/\s+/).filter(Boolean)
    if (!tag || !/^[\x21-\x7e]+$/.test(tag)) continue
    const name = tag.toUpperCase()
    capabilities[name] = name === 'SASL' ? [...new Set([...(capabilities[name] ?? []), ...args.map((a) => a.toUpperCase())])] : args
  }
  return capabilities
}

/**
 * RFC 1939 §7: a server that supports APOP puts a timestamp in its greeting, "of the form
 * <process-ID.clock@hostname>", syntactically a msg-id (RFC 822): so "<", text with an "@", ">".
 */
const APOP_TIMESTAMP = /<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>/

export function apopTimestamp(greetingText: string): string | null {
  return APOP_TIMESTAMP.exec(greetingText)?.[0] ?? null
}

/** RFC 1939 §7: the APOP digest, MD5 of the timestamp (brackets included) and the shared secret, in lower-case hex. */
export function apopDigest(timestamp: string, password: string): string {
  return nodeCrypto().createHash('md5').update(`${timestamp}${password}`, 'utf8').digest('hex')
}

export interface Pop3Stat {
  messages: number
  octets: number
}

/** RFC 1939 §5: "+OK nn mm", the number of messages and the size of the maildrop in octets. */
export function parseStat(response: Pop3Response, subject?: string): Pop3Stat {
  const match = /^(\d{1,15})\s+(\d{1,15})(?:\s|$)/.exec(response.text)
  if (!match) throw malformed(subject, response.line, 'STAT must answer "+OK messages octets"')
  return {messages: Number(match[1]), octets: Number(match[2])}
}

export interface ScanListing {
  number: number
  size: number
}

/** RFC 1939 §5 LIST: "msg size" (whatever follows the size is allowed and ignored). */
export function parseScanListing(text: string, subject?: string): ScanListing {
  const match = /^\s*(\d{1,15})\s+(\d{1,15})(?:\s|$)/.exec(text)
  if (!match || Number(match[1]) < 1) throw malformed(subject, text, 'a LIST line must be "message-number size"')
  return {number: Number(match[1]), size: Number(match[2])}
}

export interface UniqueIdListing {
  number: number
  uid: string
}

/** RFC 1939 §7 UIDL: "msg unique-id"; the id is 1 to 70 characters in 0x21–0x7E. */
export function parseUniqueIdListing(text: string, subject?: string): UniqueIdListing {
  const match = /^\s*(\d{1,15})\s+([\x21-\x7e]{1,70})\s*$/.exec(text)
  if (!match || Number(match[1]) < 1) throw malformed(subject, text, 'a UIDL line must be "message-number unique-id" (1–70 printable characters)')
  return {number: Number(match[1]), uid: match[2]}
}

function malformed(subject: string | undefined, line: string, why: string): MaildigError {
  return new MaildigError('PROTOCOL_ERROR', 'protocol', `${subject ?? 'the server'} sent a malformed response "${printable(line, 80)}": ${why}`, {
    subject,
    response: line.slice(0, 200),
  })
}

/** Control characters as \xNN and long text cut, for messages. */
export function printable(text: string, max = 80): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text
  return shown.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
