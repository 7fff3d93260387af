import {domainToASCII} from 'node:url'
import {isIP} from '../net/ip.js'

/** Why a name is not a usable domain, or undefined when it is. RFC 1035 §2.3.4 limits, LDH labels (RFC 5890). */
export function domainProblem(asciiName: string): string | undefined {
  const name = asciiName.endsWith('.') ? asciiName.slice(0, -1) : asciiName
  if (name.length === 0) return 'the name is empty'
  if (name.length > 253) return `the name is ${name.length} characters long; DNS allows 253`
  for (const label of name.split('.')) {
    if (label.length === 0) return 'the name has an empty label (two dots in a row, or a leading dot)'
    if (label.length > 63) return `the label "${label.slice(0, 20)}…" is ${label.length} characters long; DNS allows 63`
    if (!isHostLabel(label)) return `the label "${label}" may hold only letters, digits and inner hyphens`
  }
  return undefined
}

/**
 * Letters, digits and inner hyphens (RFC 1123's host name label), ASCII only: what /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i
 * says, without the case-insensitive regular expression that V8 compiled on the first name of every run (about half a
 * millisecond).
 */
function isHostLabel(label: string): boolean {
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i)
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) continue
    if (c === 45 && i > 0 && i < label.length - 1) continue // '-', not first or last
    return false
  }
  return label.length > 0
}

export interface DomainName {
  /** As the user typed it (Unicode allowed). */
  input: string
  /** IDNA (punycode) form, lower case, without a trailing dot. */
  ascii: string
}

/**
 * Converts a user-typed domain to its IDNA form (UTS #46 processing, as WHATWG URL does) and
 * validates it. Returns the problem as a string so callers can raise a usage error naming the flag.
 */
export function toDomain(input: string): DomainName | string {
  // A control character anywhere (a CR/LF pasted at the end included) is refused, not trimmed away.
  if (CONTROL.test(input)) return `"${printable(input)}" contains control characters`
  const trimmed = input.trim()
  if (trimmed.length === 0) return 'the domain is empty'
  if (/\s/.test(trimmed)) return `"${printable(trimmed)}" contains white space`
  if (isIP(trimmed)) return `"${trimmed}" is an IP address, not a domain`
  // Check lengths before IDNA: domainToASCII returns '' for over-long input, which hides the reason.
  const raw = trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed
  if (raw.length > 253) return `the name is ${raw.length} characters long; DNS allows 253`
  const ascii = /^[\x21-\x7e]+$/.test(raw) ? raw.toLowerCase() : domainToASCII(raw)
  if (!ascii) return `"${printable(trimmed)}" is not a valid internationalised domain name`
  const problem = domainProblem(ascii)
  if (problem) return `"${printable(trimmed)}": ${problem}`
  return {input: trimmed, ascii}
}

/** C0 and C1 controls (U+0085 NEL among them), DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/** Shows control characters visibly in messages, so a CR/LF in input cannot forge output lines. */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** A server as a user names it: a host name (Unicode allowed: `ascii` is its A-label form) or an IP address. */
export type Host = {kind: 'name'; input: string; ascii: string} | {kind: 'address'; address: string; family: 4 | 6}

/**
 * The one validator of host names and address literals typed by a user (a positional host, --server,
 * …): a name as toDomain takes it, an IP address, or an IPv6 address in brackets. Returns the problem
 * in words when it is neither.
 */
export function toHost(input: string): Host | string {
  if (CONTROL.test(input)) return `"${printable(input)}" contains control characters`
  const text = input.trim()
  const bracketed = /^\[(.*)\]$/.exec(text)
  const bare = bracketed ? bracketed[1] : text
  const family = isIP(bare)
  if (family === 4 || family === 6) return {kind: 'address', address: bare, family}
  if (bracketed) return `"${printable(text)}" is not an IP address in brackets`
  const domain = toDomain(text)
  return typeof domain === 'string' ? domain : {kind: 'name', ...domain}
}

/**
 * The EHLO/HELO argument (RFC 5321 §4.1.1.1, §4.1.3): a domain in its A-label form, an IPv4 address
 * literal `[192.0.2.1]` or an IPv6 one `[IPv6:2001:db8::1]`. A Unicode name is converted to its
 * A-label; anything else is the problem in words.
 */
export function toEhloName(input: string): string | {problem: string} {
  if (CONTROL.test(input)) return {problem: `"${printable(input)}" contains control characters`}
  const literal = /^\[(?:IPv6:(.*)|(.*))\]$/i.exec(input)
  if (literal) {
    const [, v6, v4] = literal
    if (v6 !== undefined ? isIP(v6) === 6 : isIP(v4) === 4) return input
    return {problem: `"${printable(input)}" is not an address literal (write [192.0.2.1] or [IPv6:2001:db8::1])`}
  }
  if (input === '' || /\s/.test(input)) return {problem: `"${printable(input)}" must be one word: a domain or an address literal like [192.0.2.1]`}
  const domain = toDomain(input)
  return typeof domain === 'string' ? {problem: domain} : domain.ascii
}

/** The reverse-DNS name of an IPv4 or IPv6 address (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(address: string): string {
  if (isIP(address) === 4) return `${address.split('.').reverse().join('.')}.in-addr.arpa`
  const full = expandIPv6(address)
  return `${[...full.replace(/:/g, '')].reverse().join('.')}.ip6.arpa`
}

export function expandIPv6(address: string): string {
  let [head, tail] = address.includes('::') ? address.split('::') : [address, undefined]
  const headParts = head ? head.split(':') : []
  const tailParts = tail ? tail.split(':') : []
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
  const last = tailParts.length ? tailParts : headParts
  const v4 = last.length && last[last.length - 1].includes('.') ? last.pop()! : undefined
  if (v4) {
    const [a, b, c, d] = v4.split('.').map(Number)
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16))
  }
  const missing = 8 - headParts.length - tailParts.length
  const groups = tail === undefined ? headParts : [...headParts, ...Array(Math.max(0, missing)).fill('0'), ...tailParts]
  return groups.map((g) => g.padStart(4, '0').toLowerCase()).join(':')
}

/** Compares host names the DNS way: case-insensitive, trailing dot ignored. */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\.$/, '')
  return norm(a) === norm(b)
}
