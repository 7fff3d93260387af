import type {LookupFunction} from 'node:net'
import {isIP} from '../net/ip.js'
import {nodeDns} from '../builtins.js'
import type {DnsResolver} from './resolver.js'
import {fromSocketError} from '../errors.js'
import {withDeadline} from '../net/deadline.js'

type LookupAddress = {address: string; family: number}

/**
 * A `lookup` for net.connect, tls.connect, nodemailer and imapflow. With --resolver, names are
 * resolved through maildig's own resolver, so no name reaches the system resolver (and /etc/hosts);
 * without it, the system's getaddrinfo is used as any other program would. TLS still checks the
 * certificate against the host name, since only the address is substituted.
 */
export function createLookup(resolver: DnsResolver | undefined): LookupFunction {
  // The system's getaddrinfo, node:dns loaded at the first connection rather than now.
  if (!resolver?.explicit) return ((hostname: string, options: never, callback: never) => nodeDns().lookup(hostname, options, callback)) as unknown as LookupFunction
  const lookup = (hostname: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void
    const opts = (typeof options === 'object' && options !== null ? options : {}) as {family?: number | string; all?: boolean}
    const family = opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : Number(opts.family ?? 0)
    resolveAddresses(resolver, hostname, family).then(
      (addresses) => {
        if (opts.all) cb(null, addresses)
        else cb(null, addresses[0].address, addresses[0].family)
      },
      (error: NodeJS.ErrnoException) => cb(error, opts.all ? [] : ''),
    )
  }
  return lookup as LookupFunction
}

/** A and AAAA in parallel; IPv4 first, as most networks that test mail reach it. */
export async function resolveAddresses(resolver: DnsResolver, hostname: string, family = 0): Promise<LookupAddress[]> {
  const literal = isIP(hostname.replace(/^\[|\]$/g, ''))
  if (literal) return [{address: hostname.replace(/^\[|\]$/g, ''), family: literal}]
  const [a, aaaa] = await Promise.all([
    family === 6 ? undefined : resolver.query(hostname, 'A'),
    family === 4 ? undefined : resolver.query(hostname, 'AAAA'),
  ])
  const addresses: LookupAddress[] = [
    ...(a?.records ?? []).map((r) => ({address: r.address, family: 4})),
    ...(aaaa?.records ?? []).map((r) => ({address: r.address, family: 6})),
  ]
  if (addresses.length > 0) return addresses
  const answers = [a, aaaa].filter((x) => x !== undefined)
  const worst = answers.find((x) => x.status === 'timeout') ?? answers.find((x) => x.status !== 'ok' && x.status !== 'nodata') ?? answers[0]
  // node:dns's codes, as its own resolver reports them: EBADRESP for an answer that cannot be parsed, ECONNREFUSED
  // (dns.CONNREFUSED, "could not contact DNS servers") when no server could be reached at all (DNS_UNREACHABLE, as
  // resolveMx's dnsFailure says it), ESERVFAIL for SERVFAIL and REFUSED.
  const status = worst?.status
  const code = status === 'nxdomain' || status === 'nodata' ? 'ENOTFOUND' : status === 'timeout' ? 'ETIMEOUT' : status === 'malformed' ? 'EBADRESP' : status === 'error' ? 'ECONNREFUSED' : 'ESERVFAIL'
  const error = new Error(`${hostname}: ${status === 'nodata' ? 'no A or AAAA record' : (worst?.detail ?? 'not found')}`) as NodeJS.ErrnoException & {hostname: string}
  error.code = code
  // A DNS error, not a socket's: node:dns names the query (queryA), which fromSocketError tells apart from a connect.
  error.syscall = 'queryA'
  error.hostname = hostname
  return Promise.reject(error)
}

/** Every address of a host through a connection lookup (so --resolver governs it); an IP literal is itself. */
export function lookupAll(lookup: LookupFunction, host: string, timeoutMs: number): Promise<LookupAddress[]> {
  const bare = host.replace(/^\[|\]$/g, '')
  if (isIP(bare)) return Promise.resolve([{address: bare, family: isIP(bare)}])
  const work = new Promise<LookupAddress[]>((resolve, reject) => {
    lookup(bare, {all: true}, (error, addresses) => {
      const list = addresses as unknown as LookupAddress[]
      if (error) reject(fromSocketError(error, host))
      else if (!list || list.length === 0) reject(fromSocketError(Object.assign(new Error(`${host} has no address`), {code: 'ENOTFOUND'}), host))
      else resolve(list)
    })
  })
  // The system's getaddrinfo has no deadline of its own; --timeout bounds this stage too.
  return withDeadline(work, {stage: 'dns', timeoutMs, subject: host})
}
