/**
 * The DATA body on the wire (RFC 5321 §4.5.2 and §2.3.8): every line ends in CRLF (a bare LF
 * becomes CRLF), a line that starts with "." gets a second one, and the message ends with
 * CRLF "." CRLF. Pure, so it is tested on buffers.
 */
export function dotStuff(message: Buffer): Buffer {
  const parts: Buffer[] = []
  let start = 0
  while (start < message.length) {
    const lf = message.indexOf(0x0a, start)
    const end = lf === -1 ? message.length : lf
    const contentEnd = end > start && message[end - 1] === 0x0d ? end - 1 : end
    if (message[start] === 0x2e) parts.push(DOT)
    parts.push(message.subarray(start, contentEnd), CRLF)
    start = end + 1
  }
  parts.push(END)
  return Buffer.concat(parts)
}

/** Whether the message holds bytes above 127 (then BODY=8BITMIME is asked for where offered, RFC 6152). */
export function hasEightBit(message: Buffer): boolean {
  for (const byte of message) if (byte > 0x7f) return true
  return false
}

/** A value as RFC 3461 §4 xtext (ENVID, ORCPT): "+", "=", controls and non-ASCII bytes become +HH. */
export function xtext(value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    out += byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d ? `+${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte)
  }
  return out
}

const DOT = Buffer.from('.')
const CRLF = Buffer.from('\r\n')
const END = Buffer.from('.\r\n')
