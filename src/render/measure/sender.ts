import type {CheckStatus, SenderResult} from '../../lib/sender/schema.js'
import type {Check, CheckDocument, Measurements, Value} from '../monitoring.js'

/**
 * sender: one check per section (SPF, DKIM, DMARC, BIMI), per SPF evaluation, blocklist entry and reverse lookup. A
 * check is an error only where it could not be made (status unknown, a temperror); what was found is judged by the
 * findings, which every format shows, so no outcome is counted twice.
 */
export function senderMeasurements(doc: CheckDocument & Partial<SenderResult>, target: string): Measurements {
  const checks: Check[] = []
  const section = (name: string, status: CheckStatus | undefined, message: string, error: string | null | undefined) => {
    if (status !== undefined) checks.push(status === 'unknown' ? {name, status: 'error', message: error ?? `${name} could not be checked`} : {name, status: 'passed', message})
  }
  section('SPF record', doc.spf?.status, doc.spf?.record ?? 'no SPF record', doc.spf?.error)
  for (const r of doc.spf?.results ?? []) {
    checks.push({name: `SPF ${r.identity} ${r.ip}`, status: r.result === 'temperror' ? 'error' : 'passed', message: `${r.result}: ${r.reason}`})
  }
  const keys = (doc.dkim?.selectors ?? []).filter((s) => s.status === 'found').length
  section('DKIM keys', doc.dkim?.status, `${keys} key${keys === 1 ? '' : 's'} found (selectors tried: ${(doc.dkim?.tried ?? []).join(', ') || 'none'})`, doc.dkim?.error)
  section('DMARC record', doc.dmarc?.status, doc.dmarc?.record ?? 'no DMARC record', doc.dmarc?.error)
  section('BIMI record', doc.bimi?.status, doc.bimi?.status === 'found' ? 'BIMI record found' : 'no BIMI record', doc.bimi?.error)
  for (const e of doc.dnsbl ?? []) {
    const name = `DNSBL ${e.zone} ${e.ip}`
    checks.push(e.status === 'unknown' ? {name, status: 'error', message: e.error ?? 'could not be checked'} : e.status === 'ignored' ? {name, status: 'skipped', message: 'the zone failed its health check'} : {name, status: 'passed', message: e.status})
  }
  for (const r of doc.reverse ?? []) section(`reverse DNS ${r.ip}`, r.status, r.ptr.length ? `PTR ${r.ptr.join(', ')}${r.fcrdns ? ' (forward-confirmed)' : ''}` : 'no PTR record', r.error)

  const listed = (doc.dnsbl ?? []).filter((e) => e.status === 'listed').length
  const values: Value[] = []
  if (doc.spf) values.push({name: 'spf_lookups', value: doc.spf.lookups, unit: '', help: 'The DNS lookups the SPF record needs in the worst case (RFC 7208 limit: 10).', min: 0})
  if (doc.dkim) values.push({name: 'dkim_keys', value: keys, unit: '', help: 'The number of usable DKIM keys found.', min: 0})
  if (doc.dnsbl) values.push({name: 'dnsbl_listed', value: listed, unit: '', help: 'The number of blocklist listings of the sending addresses.', min: 0})
  const summary = doc.spf
    ? `SPF ${doc.spf.status}, DKIM ${keys} key${keys === 1 ? '' : 's'}, DMARC ${doc.dmarc?.effectivePolicy ?? doc.dmarc?.status ?? 'unknown'}, ${listed} blocklist listing${listed === 1 ? '' : 's'}`
    : undefined
  return {service: 'SENDER', target, ...(summary ? {summary} : {}), stages: {}, values, checks}
}
