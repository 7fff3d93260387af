import type {DnsAnswer} from '../dns/resolver.js'
import {finding, type Finding, type Severity} from '../findings.js'

/**
 * A lookup that failed, as opposed to one that found nothing: NXDOMAIN and NODATA are answers
 * (the record does not exist), everything else leaves the question open.
 */
export function isDnsFailure(answer: DnsAnswer): boolean {
  return answer.status !== 'ok' && answer.status !== 'nodata' && answer.status !== 'nxdomain'
}

/**
 * Why a policy record is unknown, in a few words for the policy line ("DMARC unknown (lookup timed
 * out)"); the finding says more. A failed lookup is never an absent record.
 */
export function lookupFailure(answer: DnsAnswer): string {
  switch (answer.status) {
    case 'timeout':
      return 'lookup timed out'
    case 'servfail':
    case 'refused':
      return `lookup failed: ${answer.rcode ?? answer.status.toUpperCase()}`
    case 'malformed':
      return 'lookup failed: malformed answer'
    default:
      return 'lookup failed: no DNS server reachable'
  }
}

/** The DNS finding for a failed policy lookup; `consequence` says what it means for mail. */
export function dnsFailureFinding(answer: DnsAnswer, consequence: string, severity?: Severity): Finding {
  const what = `${answer.type} ${answer.name}: ${answer.detail ?? answer.status}; ${consequence}`
  if (answer.status === 'timeout') return finding('DNS_TIMEOUT', what, answer.name, severity)
  if (answer.status === 'error') return finding('DNS_UNREACHABLE', what, answer.name, severity)
  if (answer.status === 'malformed') return finding('DNS_MALFORMED', what, answer.name, severity)
  return finding('DNS_SERVFAIL', what, answer.name, severity)
}

/** The TXT strings of an answer, each record's character-strings joined (RFC 7208 §3.3, RFC 7489 §6.1). */
export function txtTexts(answer: DnsAnswer<'TXT'>): string[] {
  return answer.status === 'ok' ? answer.records.map((r) => r.text) : []
}

export type TagList = {ok: true; tags: Array<[string, string]>} | {ok: false; error: string}

/**
 * Parses a "tag=value; tag=value" list as DMARC (RFC 7489 §6.4), MTA-STS (RFC 8461 §3.1) and
 * TLS-RPT (RFC 8460 §3) records write it: white space around ";" and "=" is allowed, a trailing ";"
 * too. Tag names are compared in lower case; values are kept as written.
 */
export function parseTagList(text: string): TagList {
  const tags: Array<[string, string]> = []
  const parts = text.split(';').map((p) => p.trim())
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop()
  for (const part of parts) {
    const eq = part.indexOf('=')
    if (eq <= 0) return {ok: false, error: part === '' ? 'an empty tag (two ";" in a row)' : `"${part}" is not tag=value`}
    const name = part.slice(0, eq).trim().toLowerCase()
    // sts-ext-name / tlsrpt-ext-name (RFC 8461 §3.1, RFC 8460 §3): a letter or digit, then up to 31 of those, _ - .
    if (!/^[a-z0-9][a-z0-9_.-]{0,31}$/.test(name)) return {ok: false, error: `"${part.slice(0, eq).trim()}" is not a tag name`}
    tags.push([name, part.slice(eq + 1).trim()])
  }
  return {ok: true, tags}
}

/** Lower case without the trailing dot: how policy code compares and reports names. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '')
}
