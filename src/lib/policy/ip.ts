import {isIPv6} from 'node:net'
import {isIPv4} from '../net/ip.js'
import {expandIPv6} from '../dns/names.js'

/** An address as SPF compares it: a family and its bytes (4 or 16). */
export interface IpAddress {
  family: 4 | 6
  /** The address as given (IPv4-mapped IPv6 reduced to IPv4). */
  text: string
  bytes: number[]
}

/**
 * Parses an IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is IPv4: a
 * dual-stack listener reports IPv4 clients that way, and RFC 7208 §5.6 matches them as IPv4.
 */
export function parseIp(text: string): IpAddress | null {
  const bare = text.trim().replace(/^\[|\]$/g, '')
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare)
  const v4 = mapped ? mapped[1] : bare
  if (isIPv4(v4)) return {family: 4, text: v4, bytes: v4.split('.').map(Number)}
  if (!isIPv6(bare)) return null
  const groups = expandIPv6(bare).split(':').map((g) => parseInt(g, 16))
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff])
  // An IPv4-mapped address written in hexadecimal groups (::ffff:c000:201) is IPv4 too.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    const tail = bytes.slice(12)
    return {family: 4, text: tail.join('.'), bytes: tail}
  }
  return {family: 6, text: bare.toLowerCase(), bytes}
}

/** Whether `ip` lies in `network`/`bits` (same family only). */
export function inNetwork(ip: IpAddress, network: IpAddress, bits: number): boolean {
  if (ip.family !== network.family) return false
  let remaining = bits
  for (let i = 0; i < ip.bytes.length && remaining > 0; i++) {
    const take = Math.min(8, remaining)
    const mask = (0xff << (8 - take)) & 0xff
    if ((ip.bytes[i] & mask) !== (network.bytes[i] & mask)) return false
    remaining -= take
  }
  return true
}

export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((byte, i) => byte === b.bytes[i])
}

/** The dotted form the SPF "i" macro uses: IPv4 as is, IPv6 as 32 nibbles (RFC 7208 §7.3). */
export function dottedIp(ip: IpAddress): string {
  if (ip.family === 4) return ip.bytes.join('.')
  return ip.bytes.flatMap((b) => [(b >> 4).toString(16), (b & 0xf).toString(16)]).join('.')
}
