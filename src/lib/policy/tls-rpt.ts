import type {DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName, parseTagList, txtTexts} from './common.js'
import type {TlsRptInfo} from './schema.js'

export type {TlsRptInfo}

/** SMTP TLS Reporting (RFC 8460): where senders report TLS failures, from _smtp._tls.<domain>. */

export type TlsRptParse = {ok: true; rua: string[]} | {ok: false; error: string}

/** §3: only records beginning with "v=TLSRPTv1" count. */
export function isTlsRptRecord(text: string): boolean {
  return /^v=TLSRPTv1\s*(;|$)/.test(text)
}

/**
 * §3: "v=TLSRPTv1; rua=<uri>[,<uri>]": rua is required, each URI mailto: or https:, commas
 * inside a URI percent-encoded; other fields are extensions and ignored.
 */
export function parseTlsRptRecord(text: string): TlsRptParse {
  if (!isTlsRptRecord(text)) return {ok: false, error: 'the record does not begin with "v=TLSRPTv1"'}
  const list = parseTagList(text)
  if (!list.ok) return {ok: false, error: list.error}
  const rua = list.tags.find(([name]) => name === 'rua')?.[1]
  if (rua === undefined) return {ok: false, error: 'there is no rua= field'}
  const uris = rua.split(',').map((u) => u.trim())
  if (uris.length === 0 || uris.some((u) => u === '')) return {ok: false, error: `rua=${rua} has an empty URI`}
  const bad = uris.find((u) => !/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/i.test(u))
  if (bad !== undefined) return {ok: false, error: `"${bad}" is neither a mailto: nor an https: URI`}
  return {ok: true, rua: uris}
}


/** Checks a domain's TLS-RPT record. Never throws. */
export async function checkTlsRpt(domain: string, resolver: DnsResolver): Promise<{info: TlsRptInfo; findings: Finding[]}> {
  const name = normalizeName(domain)
  const qname = `_smtp._tls.${name}`
  const info: TlsRptInfo = {domain: name, record: null, lookupError: null, rua: []}
  const answer = await resolver.query(qname, 'TXT')
  if (isDnsFailure(answer)) {
    info.lookupError = lookupFailure(answer)
    return {info, findings: [dnsFailureFinding(answer, 'senders cannot find where to send TLS reports')]}
  }
  const records = txtTexts(answer).filter(isTlsRptRecord)
  if (records.length === 0) return {info, findings: [finding('TLSRPT_MISSING', `${name} publishes no TLS-RPT record (${qname} TXT): TLS failures of senders go unreported`, name)]}
  if (records.length > 1) {
    return {info, findings: [finding('TLSRPT_INVALID', `${qname} has ${records.length} "v=TLSRPTv1" records: senders send no reports (RFC 8460 §3)`, qname)]}
  }
  info.record = records[0]
  const parsed = parseTlsRptRecord(records[0])
  if (!parsed.ok) return {info, findings: [finding('TLSRPT_INVALID', `the TLS-RPT record at ${qname} is invalid: ${parsed.error}`, qname)]}
  info.rua = parsed.rua
  return {info, findings: []}
}
