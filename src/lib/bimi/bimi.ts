import {nodeCrypto} from '../builtins.js'
import type {DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {lookupOf, type ResolverContext} from '../net/context.js'
import {httpsGet} from '../net/https-get.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName, parseTagList, txtTexts} from '../policy/common.js'
import type {DmarcInfo} from '../policy/schema.js'
import {BIMI_MAX_SVG_BYTES, checkSvgTinyPs} from './svg.js'
import type {BimiCertificate, BimiInfo, BimiLogo} from './schema.js'

export type {BimiCertificate, BimiInfo, BimiLogo}

/**
 * BIMI (draft-brand-indicators-for-message-identification): the assertion record at
 * <selector>._bimi.<domain>, the logo it points at (an SVG Tiny PS file over HTTPS), the mark
 * certificate (a=), and the DMARC policy BIMI requires before receivers show a logo.
 */

/** A PEM chain of a VMC is a few KiB; the logo may be embedded in it, so allow a little more than the SVG bound. */
export const BIMI_MAX_CERTIFICATE_BYTES = 256 * 1024
/** id-kp-BrandIndicatorforMessageIdentification: the extended key usage of VMCs and CMCs. */
const MARK_USAGE_OID = '1.3.6.1.5.5.7.3.31'

export type BimiParse = {ok: true; logoUrl: string | null; authorityUrl: string | null} | {ok: false; error: string}

export function isBimiRecord(text: string): boolean {
  return /^v\s*=\s*BIMI1\s*(;|$)/i.test(text)
}

/** Parses an assertion record: v=BIMI1 first; l= and a= each empty or one HTTPS URL. */
export function parseBimiRecord(text: string): BimiParse {
  if (!isBimiRecord(text)) return {ok: false, error: 'the record does not begin with "v=BIMI1"'}
  const list = parseTagList(text)
  if (!list.ok) return {ok: false, error: list.error}
  const tags = new Map<string, string>()
  for (const [name, value] of list.tags) {
    if (tags.has(name)) return {ok: false, error: `the tag ${name}= appears twice`}
    tags.set(name, value)
  }
  const url = (name: 'l' | 'a'): string | null | {error: string} => {
    const value = tags.get(name)
    if (value === undefined || value === '') return null
    if (value.includes(',')) return {error: `${name}= holds several URLs; BIMI allows one`}
    let parsed: URL
    try {
      parsed = new URL(value)
    } catch {
      return {error: `${name}=${value} is not a URL`}
    }
    if (parsed.protocol !== 'https:') return {error: `${name}=${value} is not an HTTPS URL`}
    return value
  }
  const logo = url('l')
  const authority = url('a')
  if (logo !== null && typeof logo === 'object') return {ok: false, error: logo.error}
  if (authority !== null && typeof authority === 'object') return {ok: false, error: authority.error}
  if (!tags.has('l')) return {ok: false, error: 'there is no l= tag'}
  return {ok: true, logoUrl: logo, authorityUrl: authority}
}

/** What BIMI asks of DMARC: an enforced policy for the domain and its subdomains, not in test mode. */
export function bimiDmarcProblems(dmarc: DmarcInfo | null): {ok: boolean | null; problems: string[]} {
  if (!dmarc || dmarc.lookupError) return {ok: null, problems: [dmarc?.lookupError ? `DMARC is unknown (${dmarc.lookupError})` : 'DMARC was not checked']}
  const problems: string[] = []
  if (!dmarc.policy) problems.push('there is no valid DMARC record')
  else {
    if (dmarc.effectivePolicy !== 'quarantine' && dmarc.effectivePolicy !== 'reject') problems.push(`the DMARC policy is p=${dmarc.effectivePolicy ?? 'none'}, not quarantine or reject`)
    if (dmarc.policy.sp === 'none') problems.push('the DMARC record has sp=none')
    if (dmarc.testing) problems.push('the DMARC policy is in test mode (t=y)')
  }
  return {ok: problems.length === 0, problems}
}

async function fetchLogo(url: string, net: ResolverContext, port?: number): Promise<BimiLogo> {
  const parsed = new URL(url)
  const fetched = await httpsGet(parsed.hostname, `${parsed.pathname}${parsed.search}`, {
    lookup: lookupOf(net),
    ca: net.ca,
    timeoutMs: net.timeouts.connect,
    maxBytes: BIMI_MAX_SVG_BYTES,
    port: port ?? (parsed.port ? Number(parsed.port) : undefined),
    accept: 'image/svg+xml',
    purpose: 'BIMI check',
    redirectRule: 'receivers fetch the logo from l= itself',
    what: 'the logo',
  })
  const base: BimiLogo = {url, fetched: fetched.ok, status: fetched.status, contentType: null, bytes: null, error: null, tinyPs: null, title: null, square: null, problems: []}
  if (!fetched.ok) return {...base, error: fetched.error}
  const svg = checkSvgTinyPs(fetched.body)
  const problems = [...svg.problems]
  if (fetched.contentType && !/^image\/svg\+xml\b/i.test(fetched.contentType)) problems.push(`served as ${fetched.contentType}, not image/svg+xml`)
  return {...base, contentType: fetched.contentType, bytes: fetched.body.length, tinyPs: svg.tinyPs, title: svg.title, square: svg.square, problems}
}

async function fetchCertificate(url: string, net: ResolverContext, now: Date, port?: number): Promise<BimiCertificate> {
  const parsed = new URL(url)
  const fetched = await httpsGet(parsed.hostname, `${parsed.pathname}${parsed.search}`, {
    lookup: lookupOf(net),
    ca: net.ca,
    timeoutMs: net.timeouts.connect,
    maxBytes: BIMI_MAX_CERTIFICATE_BYTES,
    port: port ?? (parsed.port ? Number(parsed.port) : undefined),
    accept: 'application/pem-certificate-chain, application/x-pem-file, */*',
    purpose: 'BIMI check',
    redirectRule: 'receivers fetch the certificate from a= itself',
    what: 'the certificate',
  })
  const base: BimiCertificate = {url, fetched: fetched.ok, error: null, certificates: 0, subject: null, issuer: null, validFrom: null, validTo: null, daysLeft: null, markUsage: null, names: []}
  if (!fetched.ok) return {...base, error: fetched.error}
  const pems = fetched.body.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
  if (pems.length === 0) return {...base, error: 'the file holds no PEM certificate'}
  let certificate: import('node:crypto').X509Certificate
  try {
    certificate = new (nodeCrypto().X509Certificate)(pems[0]!)
  } catch (error) {
    return {...base, certificates: pems.length, error: `the first certificate cannot be read: ${(error as Error).message}`}
  }
  const validTo = new Date(certificate.validTo)
  const names = (certificate.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4))
  return {
    ...base,
    certificates: pems.length,
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    validFrom: new Date(certificate.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / 86_400_000),
    markUsage: Array.isArray(certificate.keyUsage) ? certificate.keyUsage.includes(MARK_USAGE_OID) : false,
    names,
  }
}

export interface CheckBimiOptions {
  selector?: string
  /** The domain's DMARC result (checkDmarc): its organizational domain and the prerequisites. */
  dmarc?: DmarcInfo | null
  /** The HTTPS port of the logo and certificate hosts: 443 unless a test says otherwise. */
  port?: number
  now?: Date
}

async function lookupRecord(resolver: DnsResolver, name: string) {
  const answer = await resolver.query(name, 'TXT')
  return {answer, records: txtTexts(answer).filter(isBimiRecord)}
}

/** Checks a domain's BIMI record, logo, certificate and DMARC prerequisites. Never throws. */
export async function checkBimi(domain: string, net: ResolverContext, options: CheckBimiOptions = {}): Promise<{info: BimiInfo; findings: Finding[]}> {
  const name = normalizeName(domain)
  const selector = options.selector ?? 'default'
  const qname = `${selector}._bimi.${name}`
  const findings: Finding[] = []
  const info: BimiInfo = {
    domain: name,
    selector,
    name: qname,
    recordDomain: null,
    status: 'absent',
    record: null,
    lookupError: null,
    logoUrl: null,
    authorityUrl: null,
    problems: [],
    logo: null,
    certificate: null,
    dmarc: bimiDmarcProblems(options.dmarc ?? null),
  }
  let found = await lookupRecord(net.resolver, qname)
  let where = name
  // Receivers fall back to the organizational domain's record when the domain has none.
  const org = options.dmarc?.organizationalDomain
  if (!isDnsFailure(found.answer) && found.records.length === 0 && org && org !== name) {
    found = await lookupRecord(net.resolver, `${selector}._bimi.${org}`)
    where = org
  }
  if (isDnsFailure(found.answer)) {
    info.status = 'unknown'
    info.lookupError = lookupFailure(found.answer)
    findings.push(dnsFailureFinding(found.answer, 'whether the domain publishes a BIMI logo is unknown', 'warning'))
    return {info, findings}
  }
  if (found.records.length === 0) {
    findings.push(finding('BIMI_MISSING', `no BIMI record at ${qname}${where !== name ? ` nor at ${selector}._bimi.${where}` : ''}: receivers show no logo`, qname))
    return {info, findings}
  }
  info.recordDomain = where
  const recordName = `${selector}._bimi.${where}`
  if (found.records.length > 1) {
    info.status = 'invalid'
    info.problems.push(`${found.records.length} BIMI records`)
    findings.push(finding('BIMI_INVALID', `${recordName} has ${found.records.length} "v=BIMI1" records: receivers use none`, recordName))
    return {info, findings}
  }
  info.record = found.records[0]
  const parsed = parseBimiRecord(found.records[0])
  if (!parsed.ok) {
    info.status = 'invalid'
    info.problems.push(parsed.error)
    findings.push(finding('BIMI_INVALID', `the BIMI record at ${recordName} is invalid: ${parsed.error}`, recordName))
    return {info, findings}
  }
  info.logoUrl = parsed.logoUrl
  info.authorityUrl = parsed.authorityUrl
  if (parsed.logoUrl === null && parsed.authorityUrl === null) {
    info.status = 'declined'
    return {info, findings}
  }
  info.status = 'found'
  const now = options.now ?? new Date()
  const [logo, certificate] = await Promise.all([
    parsed.logoUrl ? fetchLogo(parsed.logoUrl, net, options.port) : Promise.resolve(null),
    parsed.authorityUrl ? fetchCertificate(parsed.authorityUrl, net, now, options.port) : Promise.resolve(null),
  ])
  info.logo = logo
  info.certificate = certificate
  if (logo && !logo.fetched) findings.push(finding('BIMI_LOGO_UNAVAILABLE', `the BIMI logo ${logo.url} could not be fetched: ${logo.error}`, logo.url))
  else if (logo && logo.problems.length > 0) findings.push(finding('BIMI_LOGO_INVALID', `the BIMI logo ${logo.url} is not SVG Tiny PS: ${logo.problems.join('; ')}`, logo.url))
  if (!certificate) {
    findings.push(finding('BIMI_CERTIFICATE_MISSING', `the BIMI record at ${recordName} has no a= (mark certificate): Gmail, Apple Mail and Yahoo show no logo without a VMC or CMC`, recordName))
  } else if (!certificate.fetched || certificate.error) {
    findings.push(finding('BIMI_CERTIFICATE_INVALID', `the mark certificate ${certificate.url} could not be used: ${certificate.error}`, certificate.url))
  } else {
    const problems: string[] = []
    if ((certificate.daysLeft ?? 0) < 0) problems.push(`it expired on ${certificate.validTo}`)
    if (new Date(certificate.validFrom!) > now) problems.push(`it is valid only from ${certificate.validFrom}`)
    if (certificate.markUsage === false) problems.push('it lacks the BIMI extended key usage (1.3.6.1.5.5.7.3.31): not a VMC or CMC')
    if (certificate.names.length > 0 && !certificate.names.some((n) => n.toLowerCase() === where)) problems.push(`it names ${certificate.names.join(', ')}, not ${where}`)
    if (problems.length > 0) findings.push(finding('BIMI_CERTIFICATE_INVALID', `the mark certificate ${certificate.url} (issued by ${certificate.issuer}): ${problems.join('; ')}`, certificate.url))
  }
  if (info.dmarc.ok === false) findings.push(finding('BIMI_DMARC_NOT_ENFORCED', `receivers show no BIMI logo for ${name}: ${info.dmarc.problems.join('; ')}`, name))
  return {info, findings}
}
