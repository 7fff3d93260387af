import type * as packet from 'dns-packet'
import {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {startFakeDns, type Behaviour, type FakeDns} from '../../fixtures/fake-dns.js'

/** A name's records for the policy tests' fake DNS; a name absent from the zone is NXDOMAIN. */
export interface ZoneEntry {
  TXT?: string[]
  A?: string[]
  AAAA?: string[]
  MX?: Array<[number, string]>
  PTR?: string[]
  TLSA?: Array<{usage: number; selector: number; matchingType: number; data: string}>
  /** Answer with this response code and no records, whatever the type. */
  rcode?: 'SERVFAIL' | 'REFUSED'
  /** Set the AD bit (a validating resolver vouching for the answer). */
  ad?: boolean
}

export type Zone = Record<string, ZoneEntry>

/** Splits long TXT strings into 255-byte character-strings, as a zone file would (RFC 1035 §3.3.14). */
function chunks(text: string): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255))
  return out.length ? out : ['']
}

export function zoneScript(zone: Zone): (name: string, type: string) => Behaviour {
  return (rawName, type) => {
    const name = rawName.toLowerCase()
    const entry = zone[name]
    if (!entry) return {kind: 'answer', answers: [], rcode: 'NXDOMAIN'}
    if (entry.rcode) return {kind: 'answer', answers: [], rcode: entry.rcode}
    const answers: packet.Answer[] = []
    const ttl = 60
    if (type === 'TXT') for (const t of entry.TXT ?? []) answers.push({type: 'TXT', name: rawName, ttl, data: chunks(t)})
    if (type === 'A') for (const a of entry.A ?? []) answers.push({type: 'A', name: rawName, ttl, data: a})
    if (type === 'AAAA') for (const a of entry.AAAA ?? []) answers.push({type: 'AAAA', name: rawName, ttl, data: a})
    if (type === 'MX') for (const [preference, exchange] of entry.MX ?? []) answers.push({type: 'MX', name: rawName, ttl, data: {preference, exchange}})
    if (type === 'PTR') for (const p of entry.PTR ?? []) answers.push({type: 'PTR', name: rawName, ttl, data: p})
    if (type === 'TLSA') {
      for (const t of entry.TLSA ?? []) {
        answers.push({type: 'TLSA', name: rawName, ttl, data: {usage: t.usage, selector: t.selector, matchingType: t.matchingType, certificate: Buffer.from(t.data, 'hex')}} as packet.Answer)
      }
    }
    return {kind: 'answer', answers, ad: entry.ad}
  }
}

export async function startZone(host: string, zone: Zone): Promise<{dns: FakeDns; resolver: (timeoutMs?: number) => DnsResolver}> {
  const dns = await startFakeDns(host, zoneScript(zone))
  return {dns, resolver: (timeoutMs = 2000) => new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs})}
}
