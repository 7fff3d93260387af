import {cachedQuery} from '../dns/cache.js'
import {finding, type Finding} from '../findings.js'
import type {SenderContext, SenderOptions, SectionOutcome} from './context.js'
import type {SenderResult} from './schema.js'
import type {SenderTarget} from './target.js'
import {checkSenderSpf} from './spf.js'
import {checkSenderDkim} from './dkim.js'
import {checkSenderDmarc} from './dmarc.js'
import {checkSenderBimi} from './bimi.js'
import {checkSenderDnsbl} from './dnsbl.js'
import {checkSenderReverse} from './reverse.js'

export type {SenderOptions} from './context.js'
export type {SenderTarget} from './target.js'

export interface SenderOutcome {
  result: SenderResult
  findings: Finding[]
  /** The sender domain does not exist (NXDOMAIN): `sender` exits 3 (docs/cli.md). */
  domainNotFound: boolean
  /**
   * DNS gave nothing to check with: every check could not be made, and the domain's own lookup got no answer in time
   * ('timeout', exit 5) or could not be resolved ('failed': no server reached, SERVFAIL, REFUSED, an unreadable answer;
   * exit 3), as for every other command's single target (docs/cli.md "Exit codes"). Undefined when anything was checked.
   */
  unresolved?: 'timeout' | 'failed'
}

/**
 * `sender`: will receivers trust mail from this domain and these addresses? One target, one document: the entry point
 * `sender` and batch runs share. Every section starts at once on one cached DNS (each question asked once per run);
 * a section that needs another's result (DMARC alignment needs SPF and DKIM, BIMI needs DMARC) awaits its promise.
 * No section throws for DNS trouble: a failed lookup is status "unknown" with the reason.
 */
export async function checkSender(target: SenderTarget, options: SenderOptions): Promise<SenderOutcome> {
  const domain = target.domain ?? options.helo
  if (!domain) throw new Error('checkSender: the null sender "<>" needs a HELO name')
  const query = cachedQuery(options.net.resolver, options.transcript)
  const context: SenderContext = {target, domain, options, query}

  const spf = checkSenderSpf(context)
  const dkim = checkSenderDkim(context)
  const dmarc = checkSenderDmarc(context, {spf, dkim})
  const bimi = checkSenderBimi(context, dmarc)
  const dnsbl = checkSenderDnsbl(context)
  const reverse = checkSenderReverse(context)
  // Whether the domain exists: its TXT answer (SPF asks the same question, so it is one query).
  const exists = query(domain, 'TXT')
  const [s, k, d, b, l, r, answer] = await Promise.all([spf, dkim, dmarc, bimi, dnsbl, reverse, exists])

  const findings: Finding[] = []
  const domainNotFound = answer.status === 'nxdomain'
  if (domainNotFound) findings.push(finding('DOMAIN_NOT_FOUND', `${domain} does not exist (NXDOMAIN): receivers reject mail from it`, domain))
  for (const section of [s, k, d, b, l, r] as SectionOutcome<unknown>[]) findings.push(...section.findings)
  const statuses = [s.value.status, k.value.status, d.value.status, b.value.status, ...r.value.map((x) => x.status)]
  const nothingChecked = statuses.every((status) => status === 'unknown') && l.value.entries.every((e) => e.status === 'unknown' || e.status === 'ignored')
  const unresolved = !nothingChecked ? undefined : answer.status === 'timeout' ? 'timeout' : ['error', 'servfail', 'refused', 'malformed'].includes(answer.status) ? 'failed' : undefined
  return {
    result: {
      target: target.input,
      kind: target.kind,
      domain,
      mailFrom: target.mailFrom,
      helo: options.helo ?? null,
      ips: options.ips,
      spf: s.value,
      dkim: k.value,
      dmarc: d.value,
      bimi: b.value,
      dnsbl: l.value.entries,
      dnsblZones: l.value.zones,
      reverse: r.value,
    },
    findings: dedupe(findings),
    domainNotFound,
    ...(unresolved ? {unresolved} : {}),
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = `${f.code}\u0000${f.subject ?? ''}\u0000${f.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
