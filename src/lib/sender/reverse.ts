import {reverseName} from '../dns/names.js'
import type {DnsQuery} from '../dns/cache.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure, normalizeName} from '../policy/common.js'
import {parseIp, sameIp} from '../policy/ip.js'
import type {SenderContext, SectionOutcome} from './context.js'
import type {ReverseEntry} from './schema.js'

/** Words that name dynamic, residential or unassigned address pools in PTR names, as receivers' filters read them. */
const GENERIC_WORDS = /(?:^|[.-])(?:dyn|dynamic|dhcp|dsl|adsl|vdsl|xdsl|pool|ppp|pppoe|dialup|dialin|cable|broadband|residential|unassigned)(?=\d|[.-]|$)/i
/** Words that are generic only with a number after them (host-12, cust1234, ip-10): "mailhost" or "client." alone are not. */
const NUMBERED_WORDS = /(?:^|[.-])(?:ip|host|cust|customer|client|user|res|home|nat|dial|node)-?\d/i

/**
 * Whether a PTR name looks generic: the address written into it (192-0-2-1, 1.2.0.192, c0000201) or a pool word
 * ("dynamic", "dsl", "pool"…). Receivers score such names as end-user connections, not mail servers.
 */
export function looksGeneric(name: string, ip: string): boolean {
  const address = parseIp(ip)
  const host = name.toLowerCase()
  if (GENERIC_WORDS.test(host) || NUMBERED_WORDS.test(host)) return true
  if (!address || address.family !== 4) return false
  const b = address.bytes
  const forward = b.join('[.-]?')
  const backward = [...b].reverse().join('[.-]?')
  const padded = b.map((x) => String(x).padStart(3, '0')).join('')
  const hex = b.map((x) => x.toString(16).padStart(2, '0')).join('')
  // The last two bytes alone are too common in real names (mx1-2), so the whole address is asked for.
  return new RegExp(`(?:^|\\D)(?:${forward}|${backward})(?:\\D|$)`).test(host) || host.includes(padded) || host.includes(hex)
}

async function reverseOf(query: DnsQuery, ip: string): Promise<{entry: ReverseEntry; findings: Finding[]}> {
  const address = parseIp(ip)!
  const ptr = await query(reverseName(address.text), 'PTR')
  if (isDnsFailure(ptr)) {
    const f = dnsFailureFinding(ptr, `the reverse DNS of ${ip} could not be checked`)
    return {entry: {ip, status: 'unknown', error: `PTR ${ptr.name}: ${ptr.detail ?? ptr.status}`, ptr: [], fcrdns: null, generic: false}, findings: [{...f, severity: 'warning'}]}
  }
  const names = ptr.records.map((r) => normalizeName(r.name))
  if (names.length === 0) {
    return {entry: {ip, status: 'absent', error: null, ptr: [], fcrdns: false, generic: false}, findings: [finding('PTR_MISSING', `${ip} has no reverse DNS (PTR): many receivers refuse or distrust mail from it`, ip)]}
  }
  const forwards = await Promise.all(names.map((n) => query(n, address.family === 4 ? 'A' : 'AAAA')))
  const confirmed = forwards.some((f) => f.records.some((r) => {
    const a = parseIp(r.address)
    return a !== null && sameIp(a, address)
  }))
  const failed = forwards.find(isDnsFailure)
  const fcrdns = confirmed ? true : failed ? null : false
  const generic = names.some((n) => looksGeneric(n, ip))
  const findings: Finding[] = []
  if (fcrdns === false) findings.push(finding('FCRDNS_MISMATCH', `${ip} points back to ${names.join(', ')}, which does not resolve to ${ip}`, ip))
  if (fcrdns === null && failed) findings.push({...dnsFailureFinding(failed, `whether ${names.join(', ')} resolves back to ${ip} could not be checked`), severity: 'warning'})
  if (generic) findings.push(finding('PTR_GENERIC', `the PTR name of ${ip} (${names.join(', ')}) looks like a dynamic or generic pool name: receivers treat such senders as end-user connections`, ip))
  return {entry: {ip, status: 'found', error: null, ptr: names, fcrdns, generic}, findings}
}

/** PTR and forward-confirmed reverse DNS (RFC 8601 §3 "iprev") of each --ip. */
export async function checkSenderReverse(context: SenderContext): Promise<SectionOutcome<ReverseEntry[]>> {
  const all = await Promise.all(context.options.ips.map((ip) => reverseOf(context.query, ip)))
  return {value: all.map((r) => r.entry), findings: all.flatMap((r) => r.findings)}
}
