import type {DnsAnswer, DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName, parseTagList, txtTexts} from './common.js'
import type {DmarcAlignment, DmarcIdentifier, DmarcInfo, DmarcPolicyValue, DmarcRecord, DmarcReportDestination, DmarcWalkStep} from './schema.js'

export type {DmarcAlignment, DmarcIdentifier, DmarcInfo, DmarcPolicyValue, DmarcRecord, DmarcReportDestination, DmarcWalkStep}

/**
 * DMARC as RFC 9989 defines it (it obsoletes RFC 7489 and RFC 9091): the policy record found by the
 * DNS tree walk (§4.10), the organizational domain found by the same walk instead of a public suffix
 * list, and the external report destinations' authorisation of RFC 9990 §3.
 */

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const

/** Tags RFC 9989 removed (Appendix C): still read, reported, and without effect on receivers that follow it. */
export const DMARC_REMOVED_TAGS = ['pct', 'rf', 'ri'] as const

/** §4.10: a walk asks at most eight names, however long the domain. */
export const DMARC_MAX_QUERIES = 8

export type DmarcParse = {ok: true; record: DmarcRecord; warnings: string[]} | {ok: false; error: string}

/** §4.7: "v=DMARC1" must come first and match exactly (case-sensitive); other TXT records are not DMARC records. */
export function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/.test(text)
}

const isPolicy = (value: string | undefined): value is DmarcPolicyValue => value !== undefined && (DMARC_POLICIES as readonly string[]).includes(value)

/**
 * Parses a DMARC record (RFC 9989 §4.7, §4.8). Unknown tags are ignored; a bad value of a known tag
 * is dropped in favour of its default, with a warning (§4.7: "Syntax errors in the remainder of the
 * record MUST be discarded in favor of default values"). p= is optional: without it the record reads
 * as p=none. A bad p=, sp= or np= leaves a record only when rua= holds a usable URI (then p=none,
 * §4.10.1); otherwise receivers apply no DMARC at all, so the record is invalid.
 */
export function parseDmarcRecord(text: string): DmarcParse {
  if (!isDmarcRecord(text)) return {ok: false, error: 'the record does not begin with "v=DMARC1"'}
  const list = parseTagList(text)
  if (!list.ok) return {ok: false, error: list.error}
  const tags = new Map<string, string>()
  for (const [name, value] of list.tags) if (!tags.has(name)) tags.set(name, value)
  const warnings: string[] = []
  const uris = (name: 'rua' | 'ruf'): string[] => {
    const value = tags.get(name)
    if (value === undefined) return []
    const good: string[] = []
    for (const uri of value.split(',').map((u) => u.trim()).filter(Boolean)) {
      // RFC 3986 URIs; the "!size" suffix of RFC 7489 is gone from RFC 9989's grammar, but harmless.
      if (/^[a-z][a-z0-9+.-]*:[^\s!,]+(![0-9]+[kmgt]?)?$/i.test(uri)) good.push(uri)
      else warnings.push(`${name}=: "${uri}" is not a URI and is ignored`)
    }
    return good
  }
  const rua = uris('rua')
  const ruf = uris('ruf')

  const policyProblems: string[] = []
  const policyTag = (name: 'p' | 'sp' | 'np'): DmarcPolicyValue | null | undefined => {
    const raw = tags.get(name)
    if (raw === undefined) return null
    const value = raw.toLowerCase()
    if (isPolicy(value)) return value
    policyProblems.push(`${name}=${raw} is not none, quarantine or reject`)
    return undefined
  }
  let p = policyTag('p')
  const sp = policyTag('sp')
  const np = policyTag('np')
  if (policyProblems.length > 0) {
    if (rua.length === 0) return {ok: false, error: `${policyProblems.join('; ')}, and there is no rua= address (RFC 9989 §4.10.1: receivers apply no DMARC)`}
    warnings.push(`${policyProblems.join('; ')}; with rua= present, receivers read the record as p=none (RFC 9989 §4.10.1)`)
    p = 'none'
  }
  const implicitNone = p === null
  const choice = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = tags.get(name)
    if (raw === undefined) return fallback
    const value = raw.toLowerCase() as T
    if (allowed.includes(value)) return value
    warnings.push(`${name}=${raw} is not ${allowed.join(' or ')}: the default ${name}=${fallback} applies`)
    return fallback
  }
  const adkim = choice('adkim', ['r', 's'] as const, 'r')
  const aspf = choice('aspf', ['r', 's'] as const, 'r')
  const t = choice('t', ['y', 'n'] as const, 'n')
  const psd = choice('psd', ['y', 'n', 'u'] as const, 'u')
  let fo = (tags.get('fo') ?? '0').split(':').map((o) => o.trim().toLowerCase())
  const badFo = fo.find((o) => !['0', '1', 'd', 's'].includes(o))
  if (badFo !== undefined) {
    warnings.push(`fo=${tags.get('fo')}: "${badFo}" is not 0, 1, d or s: the default fo=0 applies`)
    fo = ['0']
  }
  const removed = DMARC_REMOVED_TAGS.filter((tag) => tags.has(tag)).map((tag) => ({tag, value: tags.get(tag)!}))
  return {
    ok: true,
    record: {
      p: (p ?? 'none') as DmarcPolicyValue,
      pImplicit: implicitNone,
      sp: sp ?? null,
      np: np ?? null,
      t,
      psd,
      rua,
      ruf,
      adkim,
      aspf,
      fo,
      removed,
    },
    warnings,
  }
}

/**
 * The names a tree walk asks, in order (§4.10 steps 3-7): the domain itself, then, for a name of eight
 * labels or more, its last seven labels, then one label fewer at a time down to the top-level domain.
 * At most eight names.
 */
export function treeWalkTargets(domain: string): string[] {
  const labels = normalizeName(domain).split('.')
  const out = [labels.join('.')]
  let rest = labels.length >= 8 ? labels.slice(-7) : labels.slice(1)
  while (rest.length > 0) {
    out.push(rest.join('.'))
    rest = rest.slice(1)
  }
  return out
}

/** What one name of a walk holds: one valid record, none (or several: both mean none, §4.10 step 2), or unknown. */
interface WalkEntry {
  domain: string
  answer: DnsAnswer<'TXT'>
  /** The only "v=DMARC1" record there, or null. */
  text: string | null
  /** How many "v=DMARC1" records there are. */
  count: number
  parsed: DmarcParse | null
}

/**
 * The DMARC lookups of one run, shared: the walk for the From domain and those for the SPF and DKIM
 * domains (relaxed alignment, §4.10.2) ask many of the same names, and each is asked once.
 */
export class DmarcLookups {
  private readonly cache = new Map<string, Promise<WalkEntry>>()

  constructor(readonly resolver: DnsResolver) {}

  entry(domain: string): Promise<WalkEntry> {
    let found = this.cache.get(domain)
    if (!found) {
      found = this.resolver.query(`_dmarc.${domain}`, 'TXT').then((answer) => {
        const records = txtTexts(answer).filter(isDmarcRecord)
        const text = records.length === 1 ? records[0] : null
        return {domain, answer, text, count: records.length, parsed: text === null ? null : parseDmarcRecord(text)}
      })
      this.cache.set(domain, found)
    }
    return found
  }

  /**
   * The DNS tree walk (§4.10): asks each target in turn and stops at a valid record with psd=n, or (past
   * the first name) psd=y, or at a lookup that failed, since the walk cannot know what it would have found.
   */
  async walk(domain: string): Promise<WalkEntry[]> {
    const entries: WalkEntry[] = []
    for (const [index, target] of treeWalkTargets(domain).entries()) {
      const entry = await this.entry(target)
      entries.push(entry)
      if (isDnsFailure(entry.answer)) break
      const psd = entry.parsed?.ok ? entry.parsed.record.psd : undefined
      if (psd === 'n' || (index > 0 && psd === 'y')) break
    }
    return entries
  }

  /**
   * The organizational domain (§4.10.2) of a domain: from the longest name to the shortest, the first
   * valid record with psd=n; else the name one label below a record with psd=y (not the starting one);
   * else the valid record with the fewest labels; else the domain itself. Null when a lookup failed
   * before the answer was certain.
   */
  async organizationalDomain(domain: string): Promise<{domain: string | null; failed: DnsAnswer | null}> {
    const entries = await this.walk(domain)
    return organizationalDomainOf(normalizeName(domain), entries)
  }
}

function organizationalDomainOf(start: string, entries: WalkEntry[]): {domain: string | null; failed: DnsAnswer | null} {
  let fewest: string | null = null
  for (const [index, entry] of entries.entries()) {
    if (isDnsFailure(entry.answer)) return {domain: null, failed: entry.answer}
    if (!entry.parsed?.ok) continue
    if (entry.parsed.record.psd === 'n') return {domain: entry.domain, failed: null}
    if (index > 0 && entry.parsed.record.psd === 'y') {
      const below = start.split('.').slice(-(entry.domain.split('.').length + 1)).join('.')
      return {domain: below, failed: null}
    }
    fewest = entry.domain
  }
  return {domain: fewest ?? start, failed: null}
}

export interface CheckDmarcOptions {
  /** Shared lookups, so alignment and other checks of the same run reuse the walk. */
  lookups?: DmarcLookups
}

/** Whether a domain exists for np= (RFC 9989 §3.2.9: NXDOMAIN or NODATA for A, AAAA and MX); null when a lookup failed. */
async function domainExists(domain: string, resolver: DnsResolver): Promise<boolean | null> {
  const answers = await Promise.all((['A', 'AAAA', 'MX'] as const).map((type) => resolver.query(domain, type)))
  if (answers.some((a) => a.status === 'ok')) return true
  if (answers.some(isDnsFailure)) return null
  return false
}

/** Finds and checks the DMARC policy that applies to mail from `domain`. Never throws for DNS trouble. */
export async function checkDmarc(domain: string, resolver: DnsResolver, options: CheckDmarcOptions = {}): Promise<{info: DmarcInfo; findings: Finding[]}> {
  const lookups = options.lookups ?? new DmarcLookups(resolver)
  const name = normalizeName(domain)
  const findings: Finding[] = []
  const info: DmarcInfo = {
    domain: name,
    recordDomain: null,
    inherited: false,
    source: null,
    organizationalDomain: null,
    record: null,
    lookupError: null,
    policy: null,
    effectivePolicy: null,
    testing: false,
    domainExists: null,
    queried: [],
    walk: [],
    reports: [],
    alignment: null,
  }
  const entries = await lookups.walk(name)
  info.queried = entries.map((e) => `_dmarc.${e.domain}`)
  info.walk = entries.map((e) => ({
    name: `_dmarc.${e.domain}`,
    result: isDnsFailure(e.answer) ? 'failed' : e.count > 1 ? 'multiple' : e.text === null ? 'none' : e.parsed?.ok ? 'record' : 'invalid',
    psd: e.parsed?.ok ? e.parsed.record.psd : null,
  }))
  const failedAt = entries.findIndex((e) => isDnsFailure(e.answer))
  const first = entries[0]

  // §4.10.1: the policy is the From domain's own record, else its organizational domain's, else the public suffix domain's.
  let chosen: WalkEntry | undefined
  let source: DmarcInfo['source'] = null
  if (first.text !== null || first.count > 1) chosen = first
  if (chosen) source = 'domain'
  if (!chosen && failedAt >= 0) {
    // A lookup that failed before a policy was found: receivers cannot know the policy (§4.10.1 leaves them to retry).
    findings.push(dnsFailureFinding(entries[failedAt].answer, 'the DMARC policy could not be read'))
    info.lookupError = lookupFailure(entries[failedAt].answer)
    return {info, findings}
  }
  const org = organizationalDomainOf(name, entries)
  info.organizationalDomain = org.domain
  if (!chosen) {
    const orgEntry = entries.find((e) => e.domain === org.domain && (e.text !== null || e.count > 1))
    const psdEntry = entries.find((e, i) => i > 0 && e.parsed?.ok && e.parsed.record.psd === 'y')
    if (orgEntry) {
      chosen = orgEntry
      source = 'organizational'
    } else if (psdEntry) {
      chosen = psdEntry
      source = 'psd'
    }
  } else if (failedAt >= 0) {
    // The policy is the domain's own; only the organizational domain (relaxed alignment) is unknown.
    findings.push(dnsFailureFinding(entries[failedAt].answer, 'the organizational domain (for relaxed alignment) could not be determined', 'warning'))
    info.organizationalDomain = null
  }
  if (!chosen) {
    const where = info.queried.length > 1 ? ` (nor at ${info.queried.slice(1).join(', ')})` : ''
    findings.push(finding('DMARC_MISSING', `no DMARC record at _dmarc.${name}${where}: receivers apply no policy to mail forged in the name of ${name}`, name))
    return {info, findings}
  }
  const qname = `_dmarc.${chosen.domain}`
  info.recordDomain = chosen.domain
  info.inherited = chosen.domain !== name
  info.source = source
  if (chosen.count > 1) {
    findings.push(finding('DMARC_MULTIPLE_RECORDS', `${qname} has ${chosen.count} DMARC records: receivers discard them all (RFC 9989 §4.10 step 2)`, qname))
    return {info, findings}
  }
  info.record = chosen.text
  const parsed = chosen.parsed!
  if (!parsed.ok) {
    findings.push(finding('DMARC_INVALID', `the DMARC record at ${qname} is invalid: ${parsed.error}`, qname))
    return {info, findings}
  }
  const record = parsed.record
  info.policy = record
  for (const warning of parsed.warnings) findings.push(finding('DMARC_INVALID', `the DMARC record at ${qname}: ${warning}`, qname, 'warning'))
  if (record.pImplicit && source === 'domain') {
    findings.push(finding('DMARC_INVALID', `the DMARC record at ${qname} has no p= tag: receivers read it as p=none (RFC 9989 §4.7)`, qname, 'info'))
  }
  for (const {tag, value} of record.removed) {
    findings.push(finding('DMARC_TAG_REMOVED', `the DMARC record at ${qname} has ${tag}=${value}: RFC 9989 removed the ${tag} tag, so receivers that follow it ignore it${tag === 'pct' ? ' (use t=y to test a policy)' : ''}`, qname))
  }
  if (source === 'psd') {
    findings.push(finding('DMARC_PSD_POLICY', `${name} and its organizational domain ${org.domain ?? '?'} publish no DMARC record: the policy comes from the public suffix domain ${chosen.domain} (psd=y)`, name))
  }

  // §4.10.1: p= for the domain's own record; for a parent's, np= when the domain does not exist, else sp=, else p=.
  if (!info.inherited) {
    info.effectivePolicy = record.p
  } else {
    if (record.np !== null && record.np !== (record.sp ?? record.p)) info.domainExists = await domainExists(name, lookups.resolver)
    info.effectivePolicy = info.domainExists === false ? (record.np ?? record.sp ?? record.p) : (record.sp ?? record.p)
  }
  info.testing = record.t === 'y'
  const from = info.inherited ? ` (${source === 'psd' ? 'public suffix policy' : 'inherited'} from ${chosen.domain}${info.domainExists === false ? ', np= for a domain that does not exist' : ''})` : ''
  if (info.effectivePolicy === 'none') {
    findings.push(finding('DMARC_POLICY_NONE', `the DMARC policy for ${name} is none${from}: failing mail is reported, not rejected or quarantined`, name))
  } else if (info.testing) {
    findings.push(finding('DMARC_TESTING', `the DMARC policy for ${name} is ${info.effectivePolicy}${from} in test mode (t=y): receivers do not apply it to failing mail`, name))
  }
  // A public suffix domain's record names its operator's addresses: inside is under the PSD itself.
  const reportsOrg = source === 'psd' ? chosen.domain : (info.organizationalDomain ?? chosen.domain)
  const reports = await checkReportDestinations(chosen.domain, reportsOrg, record, lookups.resolver)
  info.reports = reports.destinations
  findings.push(...reports.findings)
  return {info, findings}
}

/** The host part of a mailto: URI (RFC 6068), lower case; null for other schemes. */
function mailtoDomain(uri: string): string | null {
  const match = /^mailto:[^@]*@([^?!]+)/i.exec(uri)
  return match ? normalizeName(decodeURIComponent(match[1])) : null
}

const underDomain = (name: string, domain: string) => name === domain || name.endsWith(`.${domain}`)

/**
 * RFC 9990 §3 (aggregate) and RFC 9991 (failure reports): a report address outside the policy
 * domain's organizational domain receives reports only when the destination publishes
 * "v=DMARC1" at <policy domain>._report._dmarc.<destination domain>.
 */
async function checkReportDestinations(recordDomain: string, orgDomain: string, record: DmarcRecord, resolver: DnsResolver): Promise<{destinations: DmarcReportDestination[]; findings: Finding[]}> {
  const findings: Finding[] = []
  const list = [...record.rua.map((uri) => ({uri, kind: 'rua' as const})), ...record.ruf.map((uri) => ({uri, kind: 'ruf' as const}))]
  const destinations = await Promise.all(
    list.map(async ({uri, kind}): Promise<DmarcReportDestination> => {
      const destination = mailtoDomain(uri)
      if (destination === null || underDomain(destination, orgDomain)) {
        return {uri, kind, destination, external: false, authorization: null, authorized: null, lookupError: null}
      }
      const authorization = `${recordDomain}._report._dmarc.${destination}`
      const answer = await resolver.query(authorization, 'TXT')
      if (isDnsFailure(answer)) {
        findings.push(dnsFailureFinding(answer, `whether ${destination} accepts ${kind} reports for ${recordDomain} is unknown`, 'warning'))
        return {uri, kind, destination, external: true, authorization, authorized: null, lookupError: lookupFailure(answer)}
      }
      const authorized = txtTexts(answer).some(isDmarcRecord)
      if (!authorized) {
        findings.push(
          finding('DMARC_REPORT_UNAUTHORIZED', `${kind}=${uri} is outside ${orgDomain}, and ${destination} publishes no "v=DMARC1" record at ${authorization}: receivers send it no reports (RFC 9990 §3)`, authorization),
        )
      }
      return {uri, kind, destination, external: true, authorization, authorized, lookupError: null}
    }),
  )
  return {destinations, findings}
}

/**
 * Identifier alignment (RFC 9989 §3.2.10, §4.4) of one run's SPF and DKIM results with the From
 * domain: strict is the same name; relaxed is the same organizational domain, each found by its own
 * tree walk. DMARC passes when one identifier that passed is aligned.
 */
export async function checkAlignment(
  info: DmarcInfo,
  identifiers: {spf: {domain: string; result: string}[]; dkim: {domain: string; result: string}[]},
  lookups: DmarcLookups,
): Promise<{alignment: DmarcAlignment; findings: Finding[]}> {
  const findings: Finding[] = []
  const policy = info.policy
  const judge = async (kind: 'spf' | 'dkim', domain: string, result: string): Promise<DmarcIdentifier> => {
    const mode = (kind === 'spf' ? policy?.aspf : policy?.adkim) ?? 'r'
    const name = normalizeName(domain)
    const base = {kind, domain: name, result, mode, organizationalDomain: null as string | null}
    if (name === info.domain) return {...base, aligned: true, reason: 'the same domain as From'}
    if (mode === 's') return {...base, aligned: false, reason: `strict alignment (${kind === 'spf' ? 'aspf' : 'adkim'}=s) needs exactly ${info.domain}`}
    const org = await lookups.organizationalDomain(name)
    if (org.domain === null) return {...base, aligned: null, reason: `its organizational domain could not be determined (${lookupFailure(org.failed!)})`}
    const fromOrg = info.organizationalDomain
    if (fromOrg === null) return {...base, organizationalDomain: org.domain, aligned: null, reason: `the organizational domain of ${info.domain} could not be determined`}
    const aligned = org.domain === fromOrg
    return {...base, organizationalDomain: org.domain, aligned, reason: aligned ? `relaxed: both belong to ${fromOrg}` : `relaxed: ${org.domain} is not ${fromOrg}`}
  }
  const spf = await Promise.all(identifiers.spf.map((i) => judge('spf', i.domain, i.result)))
  const dkim = await Promise.all(identifiers.dkim.map((i) => judge('dkim', i.domain, i.result)))
  const passing = [...spf, ...dkim].filter((i) => i.result === 'pass')
  const pass = passing.some((i) => i.aligned === true)
  const unknown = !pass && passing.some((i) => i.aligned === null)
  const result: DmarcAlignment['result'] = info.policy === null ? 'none' : pass ? 'pass' : unknown ? 'temperror' : 'fail'
  if (result === 'fail') {
    const what = passing.length === 0 ? 'neither SPF nor DKIM passed' : `what passed is not aligned with ${info.domain} (${passing.map((i) => `${i.kind} ${i.domain}`).join(', ')})`
    const enforced = (info.effectivePolicy === 'quarantine' || info.effectivePolicy === 'reject') && !info.testing
    findings.push(
      finding('DMARC_NOT_ALIGNED', `DMARC fails for ${info.domain} in this run: ${what}; receivers apply p=${info.effectivePolicy ?? 'none'}${info.testing ? ' in test mode' : ''}`, info.domain, enforced ? 'error' : 'warning'),
    )
  }
  return {alignment: {result, spf, dkim}, findings}
}
