import {InvalidValueError} from './errors.js'
import {printable, toDomain} from './dns/names.js'

export interface MailAddress {
  /** local@domain as given, with the domain in Unicode if it was typed so. */
  address: string
  local: string
  /** The domain in IDNA form: what DNS is asked about. */
  asciiDomain: string
  /** local@asciiDomain: what goes on the wire without SMTPUTF8 (RFC 5321 domains are ASCII; RFC 5890 A-labels). */
  wireAddress: string
  /** The local part is not ASCII: the address needs SMTPUTF8 (RFC 6531). */
  needsSmtpUtf8: boolean
}

/**
 * Validates a mailbox address (RFC 5321 §4.1.2 Mailbox: Local-part "@" Domain) given on the command
 * line. Deliberately strict: no display name, no comments, no source routes, no quoted local parts
 * with spaces — a diagnostic tool should not guess what an address means. A CR, LF or NUL is always
 * a usage error (docs/cli.md, safety promises), before anything reaches the wire.
 */
export function checkMailAddress(text: string): MailAddress | {problem: string} {
  if (/[\r\n\0]/.test(text)) return {problem: 'the address contains a CR, LF or NUL character'}
  const value = text.trim()
  const at = value.lastIndexOf('@')
  if (at <= 0 || at === value.length - 1) return {problem: `"${printable(value)}" is not an address (write local@domain)`}
  const local = value.slice(0, at)
  if (local.length > 64) return {problem: `the local part of "${printable(value)}" is longer than 64 octets (RFC 5321 §4.5.3.1.1)`}
  // Dot-atom text (RFC 5322 §3.2.3) plus any non-ASCII (RFC 6531); no spaces, brackets or quotes.
  if (!/^[^\s"(),:;<>@[\\\]\x00-\x1f\x7f]+$/.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return {problem: `"${printable(value)}" has a local part that is not a plain dot-atom`}
  }
  const domain = toDomain(value.slice(at + 1))
  if (typeof domain === 'string') return {problem: domain}
  return {address: value, local, asciiDomain: domain.ascii, wireAddress: `${local}@${domain.ascii}`, needsSmtpUtf8: /[^\x00-\x7f]/.test(local)}
}

/** checkMailAddress, throwing: the error names `field`, the value's name in the caller's terms. */
export function parseMailAddress(text: string, field: string): MailAddress {
  const address = checkMailAddress(text)
  if ('problem' in address) throw new InvalidValueError(field, address.problem)
  return address
}
