import type {DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName, parseTagList, txtTexts} from './common.js'
import type {DmarcInfo, DmarcPolicyValue, DmarcRecord} from './schema.js'

export type {DmarcInfo, DmarcPolicyValue, DmarcRecord}

/** DMARC (RFC 7489): the policy record at _dmarc.<domain>, or the organizational domain's. */

export const DMARC_POLICIES = ['none', 'quarantine', 'reject'] as const

export type DmarcParse = {ok: true; record: DmarcRecord; warnings: string[]} | {ok: false; error: string}

/** §6.6.3: only TXT records that begin with "v=DMARC1" are DMARC records. */
export function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/.test(text)
}

/**
 * Parses a DMARC record (RFC 7489 §6.3, §6.4). Unknown tags are ignored (§6.3); a bad value of a
 * known tag makes the record invalid, except that a missing or bad p= with a valid rua= is read as
 * p=none (§6.6.3), reported as a warning.
 */
export function parseDmarcRecord(text: string): DmarcParse {
  if (!isDmarcRecord(text)) return {ok: false, error: 'the record does not begin with "v=DMARC1"'}
  const list = parseTagList(text)
  if (!list.ok) return {ok: false, error: list.error}
  const tags = new Map<string, string>()
  for (const [name, value] of list.tags) if (!tags.has(name)) tags.set(name, value)
  const warnings: string[] = []
  const uris = (name: string): string[] | string => {
    const value = tags.get(name)
    if (value === undefined) return []
    const list = value.split(',').map((u) => u.trim()).filter(Boolean)
    // §6.2: a URI with an optional "!size" suffix; reports are sent by mailto: in practice.
    const bad = list.find((u) => !/^[a-z][a-z0-9+.-]*:[^\s!]+(![0-9]+[kmgt]?)?$/i.test(u))
    return bad ? `${name}=: "${bad}" is not a URI` : list
  }
  const rua = uris('rua')
  if (typeof rua === 'string') return {ok: false, error: rua}
  const ruf = uris('ruf')
  if (typeof ruf === 'string') return {ok: false, error: ruf}

  let p = tags.get('p')?.toLowerCase()
  if (p === undefined || !(DMARC_POLICIES as readonly string[]).includes(p)) {
    const problem = p === undefined ? 'there is no p= tag' : `p=${tags.get('p')} is not none, quarantine or reject`
    if (rua.length === 0) return {ok: false, error: problem}
    warnings.push(`${problem}; with rua= present, receivers read it as p=none (RFC 7489 §6.6.3)`)
    p = 'none'
  }
  const sp = tags.get('sp')?.toLowerCase()
  if (sp !== undefined && !(DMARC_POLICIES as readonly string[]).includes(sp)) return {ok: false, error: `sp=${tags.get('sp')} is not none, quarantine or reject`}
  const pctText = tags.get('pct')
  if (pctText !== undefined && (!/^\d{1,3}$/.test(pctText) || Number(pctText) > 100)) return {ok: false, error: `pct=${pctText} is not a whole number from 0 to 100`}
  const alignment = (name: 'adkim' | 'aspf'): 'r' | 's' | string => {
    const value = (tags.get(name) ?? 'r').toLowerCase()
    return value === 'r' || value === 's' ? value : `${name}=${tags.get(name)} is not r or s`
  }
  const adkim = alignment('adkim')
  if (adkim !== 'r' && adkim !== 's') return {ok: false, error: adkim}
  const aspf = alignment('aspf')
  if (aspf !== 'r' && aspf !== 's') return {ok: false, error: aspf}
  const fo = (tags.get('fo') ?? '0').split(':').map((o) => o.trim().toLowerCase())
  const badFo = fo.find((o) => !['0', '1', 'd', 's'].includes(o))
  if (badFo !== undefined) return {ok: false, error: `fo=${tags.get('fo')}: "${badFo}" is not 0, 1, d or s`}
  const riText = tags.get('ri')
  if (riText !== undefined && !/^\d{1,10}$/.test(riText)) return {ok: false, error: `ri=${riText} is not a number of seconds`}
  const rf = (tags.get('rf') ?? 'afrf').split(':').map((f) => f.trim().toLowerCase())
  return {
    ok: true,
    record: {
      p: p as DmarcPolicyValue,
      sp: (sp as DmarcPolicyValue | undefined) ?? null,
      pct: pctText === undefined ? 100 : Number(pctText),
      rua,
      ruf,
      adkim,
      aspf,
      fo,
      ri: riText === undefined ? 86400 : Number(riText),
      rf,
    },
    warnings,
  }
}

/**
 * The domains asked, in order: the domain itself, then its parents down to two labels. RFC 7489
 * §6.6.3 asks only the Organizational Domain, which needs the Public Suffix List (§3.2); without one,
 * walking up the parents is an approximation (the tree walk DMARCbis adopts). It finds the same
 * record for "a.b.example.com", and merely asks one useless name ("co.uk") for "mail.example.co.uk".
 */
export function dmarcCandidates(domain: string): string[] {
  const labels = normalizeName(domain).split('.')
  const out: string[] = []
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'))
  return out.length > 0 ? out : [labels.join('.')]
}


/** Finds and checks the DMARC policy that applies to mail from `domain`. Never throws for DNS trouble. */
export async function checkDmarc(domain: string, resolver: DnsResolver): Promise<{info: DmarcInfo; findings: Finding[]}> {
  const name = normalizeName(domain)
  const findings: Finding[] = []
  const info: DmarcInfo = {domain: name, recordDomain: null, inherited: false, record: null, lookupError: null, policy: null, effectivePolicy: null, queried: []}
  for (const candidate of dmarcCandidates(name)) {
    const qname = `_dmarc.${candidate}`
    info.queried.push(qname)
    const answer = await resolver.query(qname, 'TXT')
    if (isDnsFailure(answer)) {
      // Receivers cannot tell whether a policy exists: they apply none for now (§6.6.3 step 1 is a temporary failure).
      findings.push(dnsFailureFinding(answer, 'the DMARC policy could not be read'))
      info.lookupError = lookupFailure(answer)
      return {info, findings}
    }
    const records = txtTexts(answer).filter(isDmarcRecord)
    if (records.length === 0) continue
    info.recordDomain = candidate
    info.inherited = candidate !== name
    if (records.length > 1) {
      findings.push(finding('DMARC_MULTIPLE_RECORDS', `${qname} has ${records.length} DMARC records: receivers apply no DMARC policy (RFC 7489 §6.6.3)`, qname))
      return {info, findings}
    }
    info.record = records[0]
    const parsed = parseDmarcRecord(records[0])
    if (!parsed.ok) {
      findings.push(finding('DMARC_INVALID', `the DMARC record at ${qname} is invalid: ${parsed.error}`, qname))
      return {info, findings}
    }
    for (const warning of parsed.warnings) findings.push(finding('DMARC_INVALID', `the DMARC record at ${qname}: ${warning}`, qname, 'warning'))
    info.policy = parsed.record
    // §6.3: sp= covers subdomains of the organizational domain; without it, p= does.
    info.effectivePolicy = info.inherited ? (parsed.record.sp ?? parsed.record.p) : parsed.record.p
    if (info.effectivePolicy === 'none') {
      findings.push(finding('DMARC_POLICY_NONE', `the DMARC policy for ${name} is none${info.inherited ? ` (inherited from ${candidate})` : ''}: failing mail is reported, not rejected or quarantined`, name))
    }
    return {info, findings}
  }
  const where = info.queried.length > 1 ? ` (nor at ${info.queried.slice(1).join(', ')})` : ''
  findings.push(finding('DMARC_MISSING', `no DMARC record at _dmarc.${name}${where}: receivers apply no policy to mail forged in the name of ${name}`, name))
  return {info, findings}
}
