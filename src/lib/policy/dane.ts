import {nodeCrypto} from '../builtins.js'
import type {DnsResolver, TlsaRecord} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import type {DaneHashes} from '../tls/inspect.js'
import {dnsFailureFinding, isDnsFailure, normalizeName} from './common.js'
import type {DaneInfo, DaneStatus, TlsaCheck} from './schema.js'

export type {DaneInfo, DaneStatus, TlsaCheck}

/**
 * DANE for SMTP (RFC 7672, RFC 6698): the TLSA records at _<port>._tcp.<mx host>, matched against
 * the certificate the MX presented. The records count only when the resolver vouches for them
 * (the AD bit, RFC 7672 §2.2): an unvalidated TLSA record proves nothing.
 */

/** RFC 6698 §2.1.1 certificate usages. SMTP uses only DANE-TA(2) and DANE-EE(3) (RFC 7672 §3.1.3). */
const USAGE_NAMES: Record<number, string> = {0: 'PKIX-TA', 1: 'PKIX-EE', 2: 'DANE-TA', 3: 'DANE-EE'}


/** The presented certificate (CertificateInfo from inspectTls has this shape). */
export interface DaneCertificate {
  subject?: string
  dane: DaneHashes
}

export interface DaneOptions {
  /**
   * The chain as presented, leaf first (TlsInfo.chain): needed for DANE-TA records, which name an
   * issuer. Without it, usage-2 records are reported as not checked.
   */
  chain?: readonly DaneCertificate[]
}

/** Why a TLSA record cannot be used for SMTP, or undefined when it can (RFC 7672 §3.1, RFC 6698 §2.1). */
export function tlsaProblem(record: Pick<TlsaRecord, 'usage' | 'selector' | 'matchingType' | 'data'>): string | undefined {
  if (record.usage === 0 || record.usage === 1) return `usage ${record.usage} (${USAGE_NAMES[record.usage]}) is not used for SMTP (RFC 7672 §3.1.3)`
  if (record.usage !== 2 && record.usage !== 3) return `usage ${record.usage} is unknown`
  if (record.selector !== 0 && record.selector !== 1) return `selector ${record.selector} is unknown`
  const data = record.data.toLowerCase()
  if (!/^([0-9a-f]{2})+$/.test(data)) return 'the association data is empty or not hexadecimal'
  if (record.matchingType === 1 && data.length !== 64) return `a SHA-256 association is 32 bytes, this one ${data.length / 2}`
  if (record.matchingType === 2 && data.length !== 128) return `a SHA-512 association is 64 bytes, this one ${data.length / 2}`
  if (record.matchingType !== 0 && record.matchingType !== 1 && record.matchingType !== 2) return `matching type ${record.matchingType} is unknown`
  return undefined
}

/**
 * Whether a (usable) TLSA record matches a certificate's hashes. Matching type 0 carries the whole
 * DER certificate or SubjectPublicKeyInfo; hashing it and comparing SHA-256 values is equivalent.
 */
export function tlsaMatches(record: Pick<TlsaRecord, 'selector' | 'matchingType' | 'data'>, hashes: DaneHashes): boolean {
  const data = record.data.toLowerCase()
  const cert = record.selector === 0
  switch (record.matchingType) {
    case 0:
      return nodeCrypto().createHash('sha256').update(Buffer.from(data, 'hex')).digest('hex') === (cert ? hashes.certSha256 : hashes.spkiSha256)
    case 1:
      return data === (cert ? hashes.certSha256 : hashes.spkiSha256)
    case 2:
      return data === (cert ? hashes.certSha512 : hashes.spkiSha512)
    default:
      return false
  }
}

/**
 * Looks up the TLSA records of an MX host and matches them against the certificate it presented
 * (`certificate` null: the MX offered no TLS). Never throws.
 */
export async function checkDane(mxHost: string, port: number, certificate: DaneCertificate | null, resolver: DnsResolver, options: DaneOptions = {}): Promise<{info: DaneInfo; findings: Finding[]}> {
  const host = normalizeName(mxHost)
  const name = `_${port}._tcp.${host}`
  const info: DaneInfo = {host, port, name, status: 'not-published', authenticated: false, usable: false, reason: null, records: [], matched: null}
  const answer = await resolver.query(name, 'TLSA')
  info.authenticated = answer.authenticated
  if (isDnsFailure(answer)) {
    info.status = 'lookup-failed'
    info.reason = `the TLSA lookup failed (${answer.detail ?? answer.status})`
    // RFC 7672 §2.2.1: a failed TLSA lookup is not "no TLSA": DANE senders skip or defer this MX.
    return {info, findings: [dnsFailureFinding(answer, `senders that use DANE cannot tell whether ${host} has TLSA records and will not deliver to it (RFC 7672 §2.2.1)`)]}
  }
  if (answer.status !== 'ok') {
    info.reason = answer.authenticated ? `no TLSA record at ${name} (securely absent): DANE is not published` : `no TLSA record at ${name}: DANE is not published`
    return {info, findings: []}
  }
  info.records = answer.records.map((r) => {
    const problem = tlsaProblem(r)
    return {usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data.toLowerCase(), usable: problem === undefined, matched: null, note: problem ?? null}
  })
  if (!answer.authenticated) {
    info.status = 'unauthenticated'
    info.reason = 'the resolver did not validate (no AD bit)'
    for (const r of info.records) r.usable = false
    return {info, findings: [finding('DANE_UNAUTHENTICATED', `${host} publishes ${info.records.length} TLSA record(s) at ${name}, but the resolver did not validate them (no AD bit): not checked`, host)]}
  }
  const usable = info.records.filter((r) => r.usable)
  if (usable.length === 0) {
    info.status = 'unusable'
    info.reason = 'none of the TLSA records is usable for SMTP'
    const notes = [...new Set(info.records.map((r) => r.note))].join('; ')
    return {info, findings: [finding('DANE_TLSA_UNUSABLE', `none of the ${info.records.length} TLSA record(s) at ${name} is usable for SMTP (${notes}): DANE senders require TLS but authenticate nothing`, host)]}
  }
  info.usable = true
  if (!certificate) {
    info.status = 'no-certificate'
    info.reason = 'the MX presented no certificate (no TLS)'
    return {info, findings: [finding('DANE_TLSA_MISMATCH', `${host} publishes usable TLSA records but presented no certificate (no TLS): DANE senders will not deliver to it (RFC 7672 §2.2)`, host)]}
  }
  // The chain as presented, leaf excluded: a DANE-TA record names an issuer (RFC 7671 §5.2.2 wants it sent).
  const issuers = options.chain ? options.chain.slice(1) : null
  let unchecked = 0
  for (const r of usable) {
    if (r.usage === 3) {
      // DANE-EE: the leaf alone, with no name or expiry checks (RFC 7672 §3.1.1).
      r.matched = tlsaMatches(r, certificate.dane)
      if (r.matched && !info.matched) info.matched = {usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: 'leaf', subject: certificate.subject ?? null}
    } else if (issuers === null) {
      unchecked++
      r.note = 'DANE-TA needs the presented chain, which was not given: not checked'
    } else {
      const hit = issuers.find((c) => tlsaMatches(r, c.dane))
      r.matched = hit !== undefined
      if (hit && !info.matched) info.matched = {usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: 'chain', subject: hit.subject ?? null}
      if (hit) r.note = 'matched an issuer in the presented chain; that the chain validates to it and the leaf names the host was not checked (RFC 7672 §3.2.2)'
    }
  }
  if (info.matched) {
    info.status = 'matched'
    info.reason = `the certificate matches TLSA ${info.matched.usage} ${info.matched.selector} ${info.matched.matchingType} (${USAGE_NAMES[info.matched.usage]})`
    return {info, findings: []}
  }
  if (unchecked > 0) {
    // One matching record is enough (RFC 6698 §2.1), so an unchecked DANE-TA record leaves the outcome open.
    info.status = 'not-checked'
    info.reason = unchecked === usable.length ? 'only DANE-TA records, and no certificate chain to match them against' : 'no DANE-EE record matches; the DANE-TA records need the certificate chain, which was not given'
    return {info, findings: []}
  }
  info.status = 'mismatch'
  info.reason = 'no TLSA record matches the presented certificate'
  return {
    info,
    findings: [finding('DANE_TLSA_MISMATCH', `the certificate ${host} presented matches none of its ${usable.length} usable TLSA record(s) at ${name}: DANE senders will not deliver to it`, host)],
  }
}
