import type {LookupFunction} from 'node:net'
import {lookupOf, type ResolverContext} from '../net/context.js'
import {finding, type Finding} from '../findings.js'
import type {CaInput} from '../tls/trust.js'
import {httpsGet} from '../net/https-get.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName, parseTagList, txtTexts} from './common.js'
import type {MtaStsInfo, MtaStsMode, MtaStsPolicy} from './schema.js'

export type {MtaStsInfo, MtaStsMode, MtaStsPolicy}

/** MTA-STS (RFC 8461): the _mta-sts TXT record, the policy served over HTTPS, and the MX hosts it covers. */

/** A policy bigger than this is refused: RFC 8461 §3.3 suggests senders limit the size, 64 KiB being ample. */
export const MTA_STS_MAX_POLICY_BYTES = 64 * 1024
/** §3.2: max_age is at most 31557600 seconds (about a year). */
const MAX_AGE_LIMIT = 31_557_600


export type MtaStsRecordParse = {ok: true; id: string} | {ok: false; error: string}
export type MtaStsPolicyParse = {ok: true; policy: MtaStsPolicy; warnings: string[]} | {ok: false; error: string}

/** §3.1: only records beginning with "v=STSv1;" count. */
export function isMtaStsRecord(text: string): boolean {
  return /^v=STSv1\s*(;|$)/.test(text)
}

/** §3.1: "v=STSv1; id=<1-32 letters and digits>", other fields allowed and ignored. */
export function parseMtaStsRecord(text: string): MtaStsRecordParse {
  if (!isMtaStsRecord(text)) return {ok: false, error: 'the record does not begin with "v=STSv1;"'}
  const list = parseTagList(text)
  if (!list.ok) return {ok: false, error: list.error}
  const id = list.tags.find(([name]) => name === 'id')?.[1]
  if (id === undefined) return {ok: false, error: 'there is no id= field'}
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) return {ok: false, error: `id=${id} is not 1 to 32 letters and digits`}
  return {ok: true, id}
}

/**
 * Parses a policy file (§3.2): "key: value" lines separated by CRLF (LF alone is accepted, as
 * senders do). version, mode and max_age are required; mx may repeat; unknown keys are ignored.
 */
export function parseMtaStsPolicy(text: string): MtaStsPolicyParse {
  const fields = new Map<string, string>()
  const mx: string[] = []
  const warnings: string[] = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/[ \t]+$/, '')
    if (line === '') continue
    const m = /^([A-Za-z0-9_.-]{1,32}):[ \t]*(.*)$/.exec(line)
    if (!m) return {ok: false, error: `line ${index + 1} ("${line.slice(0, 60)}") is not "key: value"`}
    const key = m[1]
    const value = m[2]
    if (key === 'mx') {
      if (!/^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$/.test(value)) return {ok: false, error: `mx: "${value}" is not a host name or "*." wildcard`}
      mx.push(normalizeName(value))
    } else if (fields.has(key)) {
      warnings.push(`"${key}" appears more than once; the first is used`)
    } else {
      fields.set(key, value)
    }
  }
  const version = fields.get('version')
  if (version === undefined) return {ok: false, error: 'there is no "version: STSv1" line'}
  if (version !== 'STSv1') return {ok: false, error: `version "${version}" is not STSv1`}
  const mode = fields.get('mode')
  if (mode === undefined) return {ok: false, error: 'there is no "mode:" line'}
  if (mode !== 'enforce' && mode !== 'testing' && mode !== 'none') return {ok: false, error: `mode "${mode}" is not enforce, testing or none`}
  const maxAgeText = fields.get('max_age')
  if (maxAgeText === undefined) return {ok: false, error: 'there is no "max_age:" line'}
  if (!/^\d{1,10}$/.test(maxAgeText)) return {ok: false, error: `max_age "${maxAgeText}" is not a number of seconds`}
  let maxAge = Number(maxAgeText)
  if (maxAge > MAX_AGE_LIMIT) {
    warnings.push(`max_age ${maxAge} exceeds ${MAX_AGE_LIMIT} (RFC 8461 §3.2); senders cap it`)
    maxAge = MAX_AGE_LIMIT
  }
  if (mode !== 'none' && mx.length === 0) warnings.push('the policy lists no mx: line, so it covers no MX host')
  return {ok: true, policy: {version: 'STSv1', mode, mx, maxAge}, warnings}
}

/**
 * §4.1: an MX host matches a pattern exactly (case-insensitive), or a "*.domain" pattern whose
 * wildcard stands for exactly one leftmost label: "*.example.com" covers "mx.example.com" but not
 * "a.b.example.com" nor "example.com".
 */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const p = normalizeName(pattern)
  const h = normalizeName(host)
  if (!p.startsWith('*.')) return p === h
  const dot = h.indexOf('.')
  return dot > 0 && h.slice(dot + 1) === p.slice(2)
}

/** The first pattern covering `host`, or null. */
export function matchMxPattern(patterns: readonly string[], host: string): string | null {
  return patterns.find((p) => mxPatternMatches(p, host)) ?? null
}

export type PolicyFetch =
  | {ok: true; body: string; status: number; contentType: string | null}
  | {ok: false; error: string; status: number | null}

export interface FetchPolicyOptions {
  /** Resolves mta-sts.<domain>: pass createLookup(resolver) so --resolver governs the connection. */
  lookup?: LookupFunction
  /** Extra trusted authorities (--ca-file). */
  ca?: CaInput
  /** Deadline for each stage: connection and TLS, response headers, body. */
  timeoutMs: number
  /** 443 unless a test says otherwise. */
  port?: number
}

/**
 * GETs https://<host>/.well-known/mta-sts.txt (§3.3): the certificate must be trusted and name the
 * host (rejectUnauthorized; no --insecure here: senders would not accept it either), 3xx is not
 * followed ("HTTP 3xx redirects MUST NOT be followed"), only 200 counts, and the body is bounded.
 */
export async function fetchMtaStsPolicy(host: string, options: FetchPolicyOptions): Promise<PolicyFetch> {
  const fetched = await httpsGet(host, '/.well-known/mta-sts.txt', {
    lookup: options.lookup,
    ca: options.ca,
    timeoutMs: options.timeoutMs,
    maxBytes: MTA_STS_MAX_POLICY_BYTES,
    port: options.port,
    accept: 'text/plain',
    purpose: 'MTA-STS check',
    redirectRule: 'senders do not follow redirects, RFC 8461 §3.3',
    what: 'the policy',
  })
  return fetched.ok ? {ok: true, body: fetched.body.toString('utf8'), status: fetched.status, contentType: fetched.contentType} : fetched
}


export interface MtaStsOptions {
  /** The resolver (for the TXT record and, through its lookup, the HTTPS connection), deadlines, --ca-file. */
  net: ResolverContext
  /** The HTTPS port: 443, the only one senders use; tests may change it. */
  port?: number
}

/** Checks a domain's MTA-STS record and policy, and whether the policy covers every MX host. Never throws. */
export async function checkMtaSts(domain: string, mxHosts: string[], options: MtaStsOptions): Promise<{info: MtaStsInfo; findings: Finding[]}> {
  const name = normalizeName(domain)
  const policyHost = `mta-sts.${name}`
  const findings: Finding[] = []
  const info: MtaStsInfo = {domain: name, record: null, lookupError: null, id: null, policyUrl: `https://${policyHost}/.well-known/mta-sts.txt`, fetch: null, policy: null, mode: null, mx: [], notes: []}
  const qname = `_mta-sts.${name}`
  const answer = await options.net.resolver.query(qname, 'TXT')
  if (isDnsFailure(answer)) {
    findings.push(dnsFailureFinding(answer, 'senders cannot tell whether the domain has an MTA-STS policy'))
    info.lookupError = lookupFailure(answer)
    return {info, findings}
  }
  const records = txtTexts(answer).filter(isMtaStsRecord)
  if (records.length === 0) {
    findings.push(finding('MTA_STS_MISSING', `${name} publishes no MTA-STS record (${qname} TXT)`, name))
    return {info, findings}
  }
  if (records.length > 1) {
    findings.push(finding('MTA_STS_RECORD_INVALID', `${qname} has ${records.length} "v=STSv1" records: senders act as if there were no policy (RFC 8461 §3.1)`, qname))
    return {info, findings}
  }
  info.record = records[0]
  const record = parseMtaStsRecord(records[0])
  if (!record.ok) {
    findings.push(finding('MTA_STS_RECORD_INVALID', `the MTA-STS record at ${qname} is invalid: ${record.error}; senders act as if there were no policy (RFC 8461 §3.1)`, qname))
    return {info, findings}
  }
  info.id = record.id

  const {net} = options
  const fetched = await fetchMtaStsPolicy(policyHost, {lookup: lookupOf(net), ca: net.ca, timeoutMs: net.timeouts.connect, port: options.port})
  info.fetch = {ok: fetched.ok, status: fetched.status, contentType: fetched.ok ? fetched.contentType : null, error: fetched.ok ? null : fetched.error}
  if (!fetched.ok) {
    findings.push(finding('MTA_STS_POLICY_UNAVAILABLE', `${name} announces MTA-STS but ${info.policyUrl} could not be fetched: ${fetched.error}`, policyHost))
    return {info, findings}
  }
  // §3.2: the policy is served as text/plain; a wrong type is noted, not fatal, as most senders only parse the body.
  if (!/^text\/plain\b/i.test(fetched.contentType ?? '')) info.notes.push(`the policy is served as ${fetched.contentType ?? 'no Content-Type'}, not text/plain (RFC 8461 §3.2)`)
  const parsed = parseMtaStsPolicy(fetched.body)
  if (!parsed.ok) {
    info.fetch.ok = false
    info.fetch.error = `the policy is invalid: ${parsed.error}`
    findings.push(finding('MTA_STS_POLICY_UNAVAILABLE', `${name} announces MTA-STS but the policy at ${info.policyUrl} is invalid: ${parsed.error}`, policyHost))
    return {info, findings}
  }
  info.notes.push(...parsed.warnings)
  info.policy = parsed.policy
  info.mode = parsed.policy.mode
  for (const host of mxHosts.map(normalizeName)) {
    const pattern = matchMxPattern(parsed.policy.mx, host)
    info.mx.push({host, pattern, covered: pattern !== null})
    if (pattern !== null || parsed.policy.mode === 'none') continue
    const consequence = parsed.policy.mode === 'enforce' ? 'senders that apply MTA-STS will not deliver to it' : 'in testing mode senders still deliver, and report the failure (TLS-RPT)'
    findings.push(
      finding('MTA_STS_MX_MISMATCH', `the MX host ${host} is not covered by the MTA-STS policy of ${name} (mx: ${parsed.policy.mx.join(', ') || 'none'}); ${consequence}`, host, parsed.policy.mode === 'enforce' ? 'error' : 'warning'),
    )
  }
  return {info, findings}
}
