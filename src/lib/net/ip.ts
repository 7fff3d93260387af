import {isIPv6} from 'node:net'

/**
 * net.isIP, without its cost on names: Node compiles a very large IPv6 regular expression on the first
 * isIPv6 call (≈ 8 ms of a cold start), and most strings checked here are host names. An IPv6
 * address always has a colon.
 */
export function isIP(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4
  return text.includes(':') && isIPv6(text) ? 6 : 0
}

/**
 * net.isIPv4, exactly (test/unit/net/ip.test.ts compares them): four decimal numbers of 0-255 joined by dots, without
 * leading zeros. Node checks it with a regular expression that V8 compiles on its first use, which cost every run
 * that parses an address (a --resolver) about half a millisecond.
 */
export function isIPv4(text: string): boolean {
  let parts = 0
  let i = 0
  while (parts < 4) {
    const start = i
    let value = 0
    while (i < text.length && i - start < 3) {
      const c = text.charCodeAt(i)
      if (c < 48 || c > 57) break
      value = value * 10 + (c - 48)
      i++
    }
    const digits = i - start
    if (digits === 0 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return false
    parts++
    if (parts < 4) {
      if (text.charCodeAt(i) !== 46) return false
      i++
    }
  }
  return i === text.length
}
