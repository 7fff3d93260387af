import {nodeCrypto} from '../builtins.js'
import type {DnsAnswer, DnsResolver, TlsaRecord} from '../dns/resolver.js'
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


/** Certificate findings a DANE match makes moot: what DANE-EE (RFC 7672 §3.1.1) and DANE-TA (§3.2) do not check. */
export const DANE_MOOT = {
  ee: new Set(['TLS_HOSTNAME_MISMATCH', 'TLS_CERT_UNTRUSTED', 'TLS_CERT_EXPIRED']),
  ta: new Set(['TLS_HOSTNAME_MISMATCH', 'TLS_CERT_UNTRUSTED']),
}

/** The presented certificate (CertificateInfo from inspectTls has this shape). */
export interface DaneCertificate {
  subject?: string
  /** subjectAltName entries (DNS names and addresses): DANE-TA checks the name (RFC 7672 §3.2.3). */
  altNames?: readonly string[]
  dane: DaneHashes
  /** In a chain: its signature verifies with the next certificate's key (TlsInfo.chain). */
  signedByNext?: boolean | null
}

export interface DaneOptions {
  /**
   * The chain as presented, leaf first (TlsInfo.chain): needed for DANE-TA records, which name an
   * issuer. Without it, usage-2 records are reported as not checked.
   */
  chain?: readonly DaneCertificate[]
  /**
   * Whether the MX answer that named this host was DNSSEC-validated. false: senders that use DANE
   * (Postfix, Exim) do not apply it to the destination (RFC 7672 §2.2.1: they MAY, few do).
   * Undefined: the host was asked for by name, not found through MX.
   */
  mxAuthenticated?: boolean
  /** Whether the host's address answers were validated; false: DANE does not apply to it (RFC 7672 §2.2.2). */
  addressAuthenticated?: boolean
  /** The canonical name when the host is an alias: the TLSA base domain, tried first (RFC 7672 §2.2.2). */
  cname?: string | null
  /** false: the host could not be reached, so there is no certificate to compare (not "no TLS"). */
  reached?: boolean
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
 * The reference identifiers a DANE-TA certificate must name (RFC 7672 §3.2.3): the TLSA base domain,
 * and the MX host name before CNAME expansion. A "*." name stands for exactly one left-most label.
 */
export function certificateNamesHost(certificate: Pick<DaneCertificate, 'altNames' | 'subject'>, hosts: readonly string[]): boolean {
  const dnsNames = (certificate.altNames ?? []).filter((n) => !/^[0-9.]+$|:/.test(n)).map(normalizeName)
  // The subject's CN counts only when there is no DNS name at all (RFC 6125 §6.4.4).
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(certificate.subject ?? '')?.[1]
  const names = dnsNames.length > 0 ? dnsNames : cn ? [normalizeName(cn)] : []
  return hosts.map(normalizeName).some((host) =>
    names.some((name) => name === host || (name.startsWith('*.') && host.includes('.') && host.slice(host.indexOf('.')) === name.slice(1))),
  )
}

/**
 * What a sender that uses DANE does with an MX, from its check (RFC 7672 §2.2): `deliver` when DANE
 * authenticates the server (or its records are all unusable and TLS, mandatory then, was offered),
 * `skip` when it fails (the sender tries the next MX, and defers the message when none is left),
 * `no-dane` when DANE does not apply (no validated TLSA records, or the MX or address answers were
 * not validated).
 */
export function daneSenders(info: Pick<DaneInfo, 'applies' | 'status'>): DaneInfo['senders'] {
  if (!info.applies) return 'no-dane'
  switch (info.status) {
    case 'matched':
    case 'unusable':
    case 'not-checked':
      return 'deliver'
    default:
      return 'skip'
  }
}

/**
 * Looks up the TLSA records of an MX host and matches them against the certificate it presented
 * (`certificate` null: the MX offered no TLS). Never throws.
 *
 * RFC 7672 decides three things here: whether DANE applies at all (validated MX, address and TLSA
 * answers, §2.2), where the records are (the TLSA base domain: the alias's target first, §2.2.2),
 * and what a match needs (DANE-EE: the key or certificate alone, no name or date checks, §3.1.1;
 * DANE-TA: an issuer in the presented chain, and the leaf must name the MX host or the TLSA base
 * domain, §3.2.2–§3.2.3).
 */
export async function checkDane(mxHost: string, port: number, certificate: DaneCertificate | null, resolver: DnsResolver, options: DaneOptions = {}): Promise<{info: DaneInfo; findings: Finding[]}> {
  const host = normalizeName(mxHost)
  const names = [host]
  // §2.2.2: with a validated alias chain, TLSA records are looked for at its target first.
  const cname = options.cname ? normalizeName(options.cname) : null
  let answer: DnsAnswer<'TLSA'> | undefined
  let base = host
  if (cname && cname !== host && options.addressAuthenticated !== false) {
    const atTarget = await resolver.query(`_${port}._tcp.${cname}`, 'TLSA')
    if (atTarget.status === 'ok' || isDnsFailure(atTarget)) {
      answer = atTarget
      base = cname
    }
    names.push(cname)
  }
  const name = `_${port}._tcp.${base}`
  answer ??= await resolver.query(name, 'TLSA')
  const info: DaneInfo = {host, port, name, baseDomain: base, status: 'not-published', authenticated: answer.authenticated, usable: false, applies: false, senders: 'no-dane', reason: null, records: [], matched: null}
  const done = (findings: Finding[]) => {
    info.senders = daneSenders(info)
    return {info, findings}
  }
  // §2.2.1, §2.2.2: DANE needs the MX and the host's addresses validated, not only the TLSA records.
  const insecure = options.mxAuthenticated === false ? 'the MX answer' : options.addressAuthenticated === false ? `the address answers of ${host}` : null
  if (isDnsFailure(answer)) {
    info.status = 'lookup-failed'
    info.reason = `the TLSA lookup failed (${answer.detail ?? answer.status})`
    // RFC 7672 §2.2.1: a failed TLSA lookup is not "no TLSA": DANE senders skip or defer this MX.
    info.applies = insecure === null
    const failure = dnsFailureFinding(answer, insecure ? `DANE does not apply anyway, as ${insecure} ${insecure === 'the MX answer' ? 'was' : 'were'} not validated` : `senders that use DANE cannot tell whether ${host} has TLSA records and will not deliver to it (RFC 7672 §2.2.1)`)
    return done([info.applies ? failure : {...failure, severity: 'warning'}])
  }
  if (answer.status !== 'ok') {
    info.reason = answer.authenticated ? `no TLSA record at ${name} (securely absent): DANE is not published` : `no TLSA record at ${name}: DANE is not published`
    return done([])
  }
  info.records = answer.records.map((r) => {
    const problem = tlsaProblem(r)
    return {usage: r.usage, selector: r.selector, matchingType: r.matchingType, data: r.data.toLowerCase(), usable: problem === undefined, matched: null, note: problem ?? null}
  })
  if (!answer.authenticated) {
    info.status = 'unauthenticated'
    info.reason = 'the resolver did not validate (no AD bit)'
    for (const r of info.records) r.usable = false
    return done([finding('DANE_UNAUTHENTICATED', `${host} publishes ${info.records.length} TLSA record(s) at ${name}, but the resolver did not validate them (no AD bit): not checked`, host)])
  }
  info.applies = insecure === null
  const findings: Finding[] = []
  if (insecure) {
    findings.push(finding('DANE_MX_INSECURE', `${host} publishes validated TLSA records at ${name}, but ${insecure} ${insecure === 'the MX answer' ? 'was' : 'were'} not validated: senders that use DANE (Postfix, Exim) do not apply it here, so the records protect nothing (RFC 7672 §2.2.1, §2.2.2)`, host))
  }
  const usable = info.records.filter((r) => r.usable)
  if (usable.length === 0) {
    info.status = 'unusable'
    info.reason = 'none of the TLSA records is usable for SMTP'
    const notes = [...new Set(info.records.map((r) => r.note))].join('; ')
    if (info.applies && (!certificate && options.reached !== false)) info.status = 'no-certificate'
    findings.push(finding('DANE_TLSA_UNUSABLE', `none of the ${info.records.length} TLSA record(s) at ${name} is usable for SMTP (${notes}): DANE senders require TLS but authenticate nothing${info.status === 'no-certificate' ? `, and ${host} offered no TLS: they will not deliver to it` : ''}`, host))
    return done(findings)
  }
  info.usable = true
  if (options.reached === false) {
    info.status = 'not-checked'
    info.reason = `${host} could not be reached: no certificate to compare`
    info.applies = false
    return done(findings)
  }
  if (!certificate) {
    info.status = 'no-certificate'
    info.reason = 'the MX presented no certificate (no TLS)'
    findings.push(finding('DANE_TLSA_MISMATCH', `${host} publishes usable TLSA records but presented no certificate (no TLS): ${info.applies ? 'DANE senders will not deliver to it (RFC 7672 §2.2)' : 'DANE senders would not deliver to it if DANE applied'}`, host, info.applies ? 'error' : 'warning'))
    return done(findings)
  }
  // The chain as presented, leaf excluded: a DANE-TA record names an issuer (RFC 7671 §5.2.2 wants it sent).
  const issuers = options.chain ? options.chain.slice(1) : null
  const leafNamed = certificateNamesHost(certificate, names)
  let unchecked = 0
  let taWithoutName = false
  for (const r of usable) {
    if (r.usage === 3) {
      // DANE-EE: the leaf alone, with no name or expiry checks (RFC 7672 §3.1.1).
      r.matched = tlsaMatches(r, certificate.dane)
      if (r.matched && !info.matched) info.matched = {usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: 'leaf', subject: certificate.subject ?? null}
    } else if (issuers === null) {
      unchecked++
      r.note = 'DANE-TA needs the presented chain, which was not given: not checked'
    } else {
      const at = issuers.findIndex((c) => tlsaMatches(r, c.dane))
      const hit = at >= 0 ? issuers[at] : undefined
      // DANE-TA: the issuer matches, every certificate below it is signed by the one above (RFC 7671
      // §5.2.2), and the leaf names the host (RFC 7672 §3.2.2).
      const linked = at >= 0 && options.chain!.slice(0, at + 1).every((c) => c.signedByNext === true)
      r.matched = hit !== undefined && linked && leafNamed
      if (hit && !linked) {
        r.note = `matches ${hit.subject ?? 'an issuer'} in the presented chain, but the certificates below it are not signed by it`
      } else if (hit && !leafNamed) {
        taWithoutName = true
        r.note = `matches ${hit.subject ?? 'an issuer'} in the presented chain, but the certificate names neither ${names.join(' nor ')} (RFC 7672 §3.2.3)`
      } else if (hit) {
        r.note = `matches ${hit.subject ?? 'an issuer'} in the presented chain; the certificate names ${host === base ? host : `${host} or ${base}`}`
      }
      if (r.matched && !info.matched) info.matched = {usage: r.usage, selector: r.selector, matchingType: r.matchingType, certificate: 'chain', subject: hit?.subject ?? null}
    }
  }
  const severity = info.applies ? 'error' : 'warning'
  const consequence = info.applies ? 'DANE senders will not deliver to it (RFC 7672 §2.2)' : 'DANE senders would not deliver to it if DANE applied'
  if (info.matched) {
    info.status = 'matched'
    info.reason = `the certificate matches TLSA ${info.matched.usage} ${info.matched.selector} ${info.matched.matchingType} (${USAGE_NAMES[info.matched.usage]})`
    return done(findings)
  }
  if (unchecked > 0) {
    // One matching record is enough (RFC 6698 §2.1), so an unchecked DANE-TA record leaves the outcome open.
    info.status = 'not-checked'
    info.reason = unchecked === usable.length ? 'only DANE-TA records, and no certificate chain to match them against' : 'no DANE-EE record matches; the DANE-TA records need the certificate chain, which was not given'
    return done(findings)
  }
  if (taWithoutName) {
    info.status = 'name-mismatch'
    info.reason = `a DANE-TA record matches the chain, but the certificate names neither ${names.join(' nor ')}`
    findings.push(finding('DANE_NAME_MISMATCH', `a DANE-TA record at ${name} matches the chain ${host} presented, but its certificate (${(certificate.altNames ?? []).join(', ') || certificate.subject}) names neither ${names.join(' nor ')}: ${consequence}`, host, severity))
    return done(findings)
  }
  info.status = 'mismatch'
  info.reason = 'no TLSA record matches the presented certificate'
  findings.push(finding('DANE_TLSA_MISMATCH', `the certificate ${host} presented matches none of its ${usable.length} usable TLSA record(s) at ${name}: ${consequence}`, host, severity))
  return done(findings)
}
