import {isIP} from '../net/ip.js'
import {MaildigError} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure} from '../policy/common.js'
import type {DomainName} from '../dns/names.js'
import {reverseName} from '../dns/names.js'
import type {DnsAnswer, DnsResolver, RecordType} from '../dns/resolver.js'
import type {MxAddress, MxExchange, MxResult} from './schema.js'

export type {MxAddress, MxExchange, MxResult}

export interface MxOutcome {
  result: MxResult
  findings: Finding[]
}

/** Turns a failed answer for the domain itself into the error that decides the exit code. */
export function dnsFailure(answer: DnsAnswer, subject: string): MaildigError | undefined {
  switch (answer.status) {
    case 'nxdomain':
      return new MaildigError('DOMAIN_NOT_FOUND', 'dns', `${subject} does not exist (NXDOMAIN from ${answer.server})`, {subject})
    case 'timeout':
      return new MaildigError('DNS_TIMEOUT', 'timeout', `no DNS answer for ${subject} ${answer.type}: ${answer.detail}`, {subject})
    case 'servfail':
    case 'refused':
      return new MaildigError('DNS_SERVFAIL', 'dns', `the resolver could not answer for ${subject} ${answer.type}: ${answer.detail}`, {subject})
    case 'malformed':
      return new MaildigError('DNS_MALFORMED', 'dns', `no usable DNS answer for ${subject} ${answer.type}: ${answer.detail}`, {subject})
    case 'error':
      return new MaildigError('DNS_UNREACHABLE', 'dns', `DNS query for ${subject} ${answer.type} failed: ${answer.detail}`, {subject})
    default:
      return undefined
  }
}

/**
 * The mail exchangers of a domain, as a sender would choose them (RFC 5321 §5.1): MX records by
 * preference; with no MX, the domain's own address (implicit MX); a lone "0 ." MX means the domain
 * takes no mail (RFC 7505). Every exchange, address and PTR is looked up concurrently.
 */
export async function resolveMx(domain: DomainName, resolver: DnsResolver): Promise<MxOutcome> {
  const findings: Finding[] = []
  const mx = await resolver.query(domain.ascii, 'MX')
  const failure = dnsFailure(mx, domain.ascii)
  if (failure) throw failure
  // One literal per result, not {...base, kind, exchanges}: see newAnswer in src/lib/dns/resolver.ts (a map per object on Node 20).
  const result = (kind: MxResult['kind'], exchanges: MxExchange[]): MxResult => ({domain: domain.input, asciiDomain: domain.ascii, authenticated: mx.authenticated, resolver: mx.server, kind, exchanges})

  if (mx.status === 'nodata') {
    // RFC 5321 §5.1: no MX at all → the domain itself is the exchange, with preference 0.
    const implicit = await describeExchange(resolver, 0, domain.ascii, null, findings)
    findings.unshift(finding('MX_IMPLICIT', `${domain.ascii} has no MX record; mail goes to the domain's own address`, domain.ascii))
    return {result: result('implicit', [implicit]), findings}
  }

  const isNull = (exchange: string) => exchange === '.' || exchange === ''
  const nullRecords = mx.records.filter((r) => isNull(r.exchange))
  if (nullRecords.length > 0 && nullRecords.length === mx.records.length) {
    findings.push(finding('MX_NULL', `${domain.ascii} publishes a null MX (RFC 7505): it accepts no mail`, domain.ascii))
    return {result: result('null', []), findings}
  }
  if (nullRecords.length > 0) {
    findings.push(finding('MX_NULL', `${domain.ascii} mixes a null MX with other MX records; RFC 7505 §3 says a null MX must stand alone, so senders may refuse the domain`, domain.ascii, 'warning'))
  }

  const seen = new Map<string, number>()
  const records = mx.records
    .filter((r) => !isNull(r.exchange))
    // Ties in order of the name's ASCII form, case-insensitively (DNS names compare so, RFC 4343), not by locale:
    // the output is the same on every machine, and localeCompare's first call costs ~15 ms of ICU start-up.
    .sort((a, b) => a.preference - b.preference || byName(a.exchange, b.exchange))
    .filter((r) => {
      const key = r.exchange.toLowerCase()
      const count = seen.get(key) ?? 0
      seen.set(key, count + 1)
      if (count === 1) findings.push(finding('MX_DUPLICATE', `${r.exchange} is listed more than once`, r.exchange))
      return count === 0
    })

  const exchanges = await Promise.all(records.map((r) => describeExchange(resolver, r.preference, r.exchange, r.ttl, findings)))

  const byPreference = new Map<number, string[]>()
  for (const e of exchanges) byPreference.set(e.preference, [...(byPreference.get(e.preference) ?? []), e.exchange])
  for (const [preference, names] of byPreference) {
    if (names.length > 1) {
      findings.push(finding('MX_EQUAL_PREFERENCE', `${names.join(', ')} share preference ${preference}; senders choose among them at random`, domain.ascii))
    }
  }
  return {result: result('mx', exchanges), findings: sortFindings(findings)}
}

async function describeExchange(resolver: DnsResolver, preference: number, exchange: string, ttl: number | null, findings: Finding[]): Promise<MxExchange> {
  const entry: MxExchange = {preference, exchange, addresses: [], cname: null, ttl, authenticated: false}
  const bare = exchange.replace(/^\[|\]$/g, '')
  if (isIP(bare)) {
    // An MX target must be a host name (RFC 5321 §5.1, RFC 7505 §3): senders look the literal up as a name and fail.
    findings.push(finding('MX_IP_LITERAL', `the MX target ${exchange} is an IP address, not a host name`, exchange))
    return entry
  }
  const [a, aaaa] = await Promise.all([resolver.query(exchange, 'A'), resolver.query(exchange, 'AAAA')])
  entry.authenticated = a.authenticated && aaaa.authenticated
  const alias = a.cnames.at(-1) ?? aaaa.cnames.at(-1)
  if (alias) {
    entry.cname = alias.target
    findings.push(finding('MX_CNAME', `the MX target ${exchange} is an alias of ${alias.target} (RFC 2181 §10.3 forbids it)`, exchange))
  }
  const addresses = [
    ...a.records.map((r) => ({address: r.address, family: 4 as const})),
    ...aaaa.records.map((r) => ({address: r.address, family: 6 as const})),
  ]
  if (addresses.length === 0) {
    const timedOut = [a, aaaa].find((x) => x.status === 'timeout')
    if (timedOut) {
      findings.push(finding('DNS_TIMEOUT', `no DNS answer for the address of ${exchange}: ${timedOut.detail}`, exchange))
    } else {
      const why = a.status === 'nxdomain' ? 'the name does not exist' : [a, aaaa].find((x) => x.status !== 'nodata')?.detail ?? 'no A or AAAA record'
      findings.push(finding('MX_NO_ADDRESS', `${exchange} has no address (${why}): nobody can deliver to it`, exchange))
    }
    return entry
  }
  const known: KnownAnswers = new Map<string, DnsAnswer<'A'> | DnsAnswer<'AAAA'>>([[forwardKey(exchange, 'A'), a], [forwardKey(exchange, 'AAAA'), aaaa]])
  entry.addresses = await Promise.all(addresses.map((addr) => confirmReverse(resolver, addr.address, addr.family, exchange, findings, known)))
  return entry
}

/** Forward answers this run already has, by forwardKey: a PTR name that is the exchange itself is not asked again. */
type KnownAnswers = Map<string, DnsAnswer<'A'> | DnsAnswer<'AAAA'>>

function forwardKey(name: string, type: RecordType): string {
  return `${name.toLowerCase().replace(/\.$/, '')} ${type}`
}

/**
 * PTR for the address, then each PTR name forward again: forward-confirmed reverse DNS (RFC 8601 §3 "iprev").
 * Usually the PTR name is the exchange, whose addresses were just asked: that answer is used, saving a round trip.
 */
async function confirmReverse(resolver: DnsResolver, address: string, family: 4 | 6, exchange: string, findings: Finding[], known: KnownAnswers): Promise<MxAddress> {
  const ptr = await resolver.query(reverseName(address), 'PTR')
  // A failed lookup is not an absent record: the reverse DNS is unknown (fcrdns null), and the finding says why.
  if (isDnsFailure(ptr)) {
    findings.push(dnsFailureFinding(ptr, `the reverse DNS of ${address} (${exchange}) could not be checked`, 'warning'))
    return {address, family, ptr: [], fcrdns: null}
  }
  const names = ptr.records.map((r) => r.name.replace(/\.$/, ''))
  if (names.length === 0) {
    findings.push(finding('PTR_MISSING', `${address} (${exchange}) has no reverse DNS`, address))
    return {address, family, ptr: [], fcrdns: false}
  }
  const type: RecordType = family === 4 ? 'A' : 'AAAA'
  const forwards = await Promise.all(names.map((name) => known.get(forwardKey(name, type)) ?? resolver.query(name, type)))
  const confirmed = forwards.some((f) => f.records.some((r) => 'address' in r && sameAddress(r.address, address)))
  const failed = forwards.find((f) => isDnsFailure(f))
  if (confirmed) return {address, family, ptr: names, fcrdns: true}
  if (failed) {
    findings.push(dnsFailureFinding(failed, `whether ${names.join(', ')} resolves back to ${address} could not be checked`, 'warning'))
    return {address, family, ptr: names, fcrdns: null}
  }
  findings.push(finding('FCRDNS_MISMATCH', `${address} points back to ${names.join(', ')}, which does not resolve to ${address}`, address))
  return {address, family, ptr: names, fcrdns: false}
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || (isIP(a) === 6 && isIP(b) === 6 && expand(a) === expand(b))
}

function expand(address: string): string {
  return reverseName(address)
}

const SEVERITY_ORDER = {error: 0, warning: 1, info: 2} as const

export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((x, y) => SEVERITY_ORDER[x.severity] - SEVERITY_ORDER[y.severity])
}

/** Orders two host names by their ASCII form, case-insensitively (RFC 4343). */
function byName(x: string, y: string): number {
  const [lx, ly] = [x.toLowerCase(), y.toLowerCase()]
  return lx < ly ? -1 : lx > ly ? 1 : 0
}
