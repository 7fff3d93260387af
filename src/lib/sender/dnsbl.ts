import type {DnsAnswer} from '../dns/resolver.js'
import type {DnsQuery} from '../dns/cache.js'
import {reverseName} from '../dns/names.js'
import {finding, type Finding} from '../findings.js'
import {isDnsFailure} from '../policy/common.js'
import {parseIp} from '../policy/ip.js'
import type {SenderContext, SectionOutcome} from './context.js'
import type {DnsblEntry, DnsblZone} from './schema.js'

/**
 * DNS blocklists (RFC 5782). The default zones: lists of sending IP addresses that receivers use, free for
 * low-volume queries by their published terms, each documented in docs/cli.md. SORBS closed in 2024 and is not one of
 * them; neither are IRC-oriented lists (DroneBL). Whether each is alive is checked at every run by its RFC 5782 §5
 * test entries (zoneHealth): a dead or wildcarded zone is reported and ignored, never believed. Spamhaus answers
 * queries that come through public resolvers with an error code (127.255.255.254), reported as "could not be
 * checked", never as a listing.
 */
export const DEFAULT_DNSBL_ZONES = ['zen.spamhaus.org', 'bl.spamcop.net', 'psbl.surriel.com', 'bl.mailspike.net'] as const

/**
 * Answers that are not listings but say the query was not answered (Spamhaus, https://docs.spamhaus.com "return
 * codes"; other zones use the same block): the address could not be checked.
 */
const QUERY_ERRORS: Record<string, string> = {
  '127.255.255.252': 'the zone reports a typo in the query (127.255.255.252)',
  '127.255.255.254': 'the zone refuses queries that come through a public or open resolver (127.255.255.254): use a resolver of your own',
  '127.255.255.255': 'the zone reports too many queries from this resolver (127.255.255.255)',
}

/** The name of `ip` under `zone` (RFC 5782 §2.1 IPv4, §2.4 IPv6 nibbles). */
export function dnsblName(ip: string, zone: string): string {
  return `${reverseName(ip).replace(/\.(in-addr|ip6)\.arpa$/, '')}.${zone}`
}

/** How one A answer of a blocklist reads (RFC 5782 §2.3: only 127.0.0.0/8 answers are listings, 127.0.0.1 never). */
export function readDnsblAnswer(answer: DnsAnswer<'A'>): {status: 'listed' | 'not-listed' | 'unknown'; codes: string[]; error: string | null} {
  if (isDnsFailure(answer)) return {status: 'unknown', codes: [], error: `A ${answer.name}: ${answer.detail ?? answer.status}`}
  if (answer.status !== 'ok') return {status: 'not-listed', codes: [], error: null}
  const addresses = answer.records.map((r) => r.address)
  const queryError = addresses.find((a) => QUERY_ERRORS[a] !== undefined)
  if (queryError) return {status: 'unknown', codes: [], error: QUERY_ERRORS[queryError]}
  const loopback = addresses.filter((a) => parseIp(a)?.family === 4 && a.startsWith('127.'))
  // In numeric order: DNS servers hand records out in any order, and the same listing should read the same.
  const codes = loopback.filter((a) => a !== '127.0.0.1').sort((x, y) => parseIp(x)!.bytes[3] - parseIp(y)!.bytes[3] || x.localeCompare(y))
  if (codes.length > 0) return {status: 'listed', codes, error: null}
  if (loopback.length > 0) return {status: 'not-listed', codes: [], error: null}
  // An answer outside 127.0.0.0/8 is no DNSBL answer: a resolver that rewrites NXDOMAIN, or a zone that was retired.
  return {status: 'unknown', codes: [], error: `the zone answered ${addresses.join(', ')}, outside 127.0.0.0/8: not a blocklist answer (RFC 5782 §2.3)`}
}

/**
 * A zone's health (RFC 5782 §5): 127.0.0.2 must be listed, 127.0.0.1 must not. A zone that lists 127.0.0.1 answers
 * for everything (a retired zone is often pointed at a wildcard): its answers mean nothing and it is ignored. With
 * an IPv6 address to check, the IPv6 test entry ::ffff:7f00:2 says whether the zone lists IPv6 at all (§5): many do
 * not, and their silence about an IPv6 address is no "not listed".
 */
async function zoneHealth(query: DnsQuery, zone: string, withIpv6: boolean): Promise<DnsblZone> {
  const [listed, unlisted, listed6] = await Promise.all([
    query(dnsblName('127.0.0.2', zone), 'A'),
    query(dnsblName('127.0.0.1', zone), 'A'),
    withIpv6 ? query(dnsblName(IPV6_TEST_ENTRY, zone), 'A') : undefined,
  ])
  const must = readDnsblAnswer(listed)
  const mustNot = readDnsblAnswer(unlisted)
  const ipv6 = listed6 === undefined ? null : readDnsblAnswer(listed6).status === 'listed' ? true : isDnsFailure(listed6) ? null : false
  if (mustNot.status === 'listed') return {zone, healthy: false, problem: `the zone lists its test address 127.0.0.1 (${mustNot.codes.join(', ')}): it answers for everything`, ipv6}
  if (must.status === 'unknown') return {zone, healthy: null, problem: `its test entry 127.0.0.2 could not be checked: ${must.error}`, ipv6}
  if (must.status === 'not-listed') return {zone, healthy: false, problem: 'the zone does not list its test entry 127.0.0.2: it is not working (or no longer exists)', ipv6}
  return {zone, healthy: true, problem: null, ipv6}
}

/** RFC 5782 §5: the IPv6 test entry a zone that lists IPv6 addresses answers (::FFFF:7F00:2). */
const IPV6_TEST_ENTRY = '::ffff:7f00:2'
const NO_IPV6 = 'the zone does not list IPv6 addresses'

async function lookupEntry(query: DnsQuery, ip: string, zone: string): Promise<DnsblEntry> {
  const name = dnsblName(ip, zone)
  const read = readDnsblAnswer(await query(name, 'A'))
  let reason: string | null = null
  if (read.status === 'listed') {
    // RFC 5782 §2.1: the TXT record, when the zone has one, says why.
    const txt = await query(name, 'TXT')
    reason = txt.status === 'ok' ? txt.records.map((r) => r.text).join(' ') : null
  }
  return {ip, zone, status: read.status, codes: read.codes, reason, error: read.error}
}

/** Each --ip in each zone, the zones' health checked alongside; nothing without --ip or with --no-dnsbl. */
export async function checkSenderDnsbl(context: SenderContext): Promise<SectionOutcome<{entries: DnsblEntry[]; zones: DnsblZone[]}>> {
  const {options, query} = context
  const zones = options.dnsblZones ?? [...DEFAULT_DNSBL_ZONES]
  if (options.ips.length === 0 || zones.length === 0) return {value: {entries: [], zones: []}, findings: []}
  const withIpv6 = options.ips.some((ip) => parseIp(ip)?.family === 6)
  const health = await Promise.all(zones.map((zone) => zoneHealth(query, zone, withIpv6)))
  const entries = await Promise.all(
    options.ips.flatMap((ip) =>
      health.map(async (h): Promise<DnsblEntry> => {
        if (h.healthy === false) return {ip, zone: h.zone, status: 'ignored', codes: [], reason: null, error: h.problem}
        const entry = await lookupEntry(query, ip, h.zone)
        if (entry.status === 'not-listed' && h.ipv6 === false && parseIp(ip)?.family === 6) {
          return {...entry, status: 'unknown', error: `${NO_IPV6} (it does not answer its IPv6 test entry ${IPV6_TEST_ENTRY}, RFC 5782 §5)`}
        }
        return entry
      }),
    ),
  )
  const findings: Finding[] = []
  for (const h of health) if (h.healthy === false) findings.push(finding('DNSBL_ZONE_BROKEN', `${h.zone} is ignored: ${h.problem}`, h.zone))
  for (const e of entries) {
    if (e.status === 'listed') findings.push(finding('DNSBL_LISTED', `${e.ip} is listed in ${e.zone} (${e.codes.join(', ')})${e.reason ? `: ${e.reason}` : ''}`, e.ip))
    // A zone that lists no IPv6 at all is worth knowing, not a warning: nothing failed.
    if (e.status === 'unknown') findings.push(finding('DNSBL_UNCHECKED', `${e.ip} could not be checked in ${e.zone}: ${e.error}`, e.ip, e.error?.startsWith(NO_IPV6) ? 'info' : undefined))
  }
  return {value: {entries, zones: health}, findings}
}
