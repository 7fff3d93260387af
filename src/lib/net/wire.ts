import {isIP} from './ip.js'
import {UsageError} from '../errors.js'

/**
 * docs/cli.md, safety promises: every value that reaches the wire is validated first. A CR or LF in an
 * address or name would end the command early and let the rest run as a second command (SMTP
 * command injection, RFC 5321 §2.3.8); a NUL confuses C servers.
 */
export function assertWireSafe(value: string, what: string): string {
  const bad = /[\r\n\0]/.exec(value)
  if (bad) {
    const name = bad[0] === '\r' ? 'CR' : bad[0] === '\n' ? 'LF' : 'NUL'
    throw new UsageError(`${what} contains a ${name} character: refusing to send it to the server`)
  }
  return value
}

/** The host without brackets and trailing dot: `[::1]` → `::1`, `mx.example.com.` → `mx.example.com`. */
export function bareHost(host: string): string {
  return host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
}

/**
 * The name for SNI and for the certificate's host-name check: the name the user asked for, never
 * the address it resolved to. RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted" in
 * SNI, so an IP literal gets none.
 */
export function serverNameFor(host: string): string | undefined {
  const name = bareHost(host)
  return name === '' || isIP(name) !== 0 ? undefined : name
}

/** `mail.example.com [192.0.2.1]:25`, `[2001:db8::1]:25`, or `mail.example.com:25` before resolving. */
export function formatEndpoint(host: string, port: number, address?: string): string {
  const name = bareHost(host)
  const literal = (a: string) => (isIP(a) === 6 ? `[${a}]` : a)
  if (!address || address === name) return `${literal(name)}:${port}`
  return `${name} [${address}]:${port}`
}
