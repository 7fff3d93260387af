import {checkSpf, spfCheckHost} from '../policy/spf.js'
import {finding, type Finding} from '../findings.js'
import {isDnsFailure} from '../policy/common.js'
import type {SenderContext, SectionOutcome} from './context.js'
import type {SenderIdentity, SenderSpf, SpfCheck} from './schema.js'

/**
 * SPF for `sender`: the record of the MAIL FROM domain (for "<>": the HELO name) and its lookup limits over the
 * whole include tree, then check_host() (RFC 7208 §4) for each --ip with each identity: MAIL FROM (the address, or
 * postmaster@<domain>) and, with --helo, HELO (§2.3). The null reverse path is checked with HELO alone (§2.4).
 */
export async function checkSenderSpf(context: SenderContext): Promise<SectionOutcome<SenderSpf>> {
  const {target, options, query} = context
  const recordDomain = target.domain ?? options.helo ?? null
  const findings: Finding[] = []
  const add = (list: readonly Finding[]) => {
    for (const f of list) if (!findings.some((g) => g.code === f.code && g.message === f.message)) findings.push(f)
  }
  const value: SenderSpf = {status: 'absent', error: null, domain: recordDomain, record: null, records: [], lookups: 0, voidLookups: 0, domains: [], results: []}
  if (recordDomain !== null) {
    const {info, findings: recordFindings} = await checkSpf(recordDomain, null, options.net.resolver, {sender: target.mailFrom ?? undefined, heloDomain: options.helo, query})
    add(recordFindings)
    value.record = info.record
    value.records = info.records
    value.lookups = info.tree.lookups
    value.voidLookups = info.tree.voidLookups
    value.domains = info.tree.domains
    // The same answer checkSpf read (the run's cache), for the reason in the words every section uses.
    const top = await query(recordDomain, 'TXT')
    value.status = isDnsFailure(top) ? 'unknown' : info.records.length > 0 ? 'found' : 'absent'
    value.error = isDnsFailure(top) ? `TXT ${top.name}: ${top.detail ?? top.status}` : null
  }

  const identities: Array<{identity: SenderIdentity; domain: string; sender: string}> = []
  if (target.domain !== null) identities.push({identity: 'mailfrom', domain: target.domain, sender: target.mailFrom})
  // §2.3: the HELO identity is checked with postmaster@<helo> as the sender.
  if (options.helo) identities.push({identity: 'helo', domain: options.helo, sender: `postmaster@${options.helo}`})
  const checks = options.ips.flatMap((ip) => identities.map((id) => ({ip, ...id})))
  value.results = await Promise.all(
    checks.map(async ({ip, identity, domain, sender}): Promise<SpfCheck> => {
      const e = await spfCheckHost(query, {ip, domain, sender, helo: options.helo ?? domain})
      return {ip, identity, domain, sender, result: e.result, mechanism: e.mechanism, matchedIn: e.matchedIn, explanation: e.explanation, reason: e.reason, lookups: e.lookups, voidLookups: e.voidLookups}
    }),
  )
  // A record that could not be read is said once (the record's SPF_TEMPERROR), not again for every address.
  const unreadable = value.status === 'unknown' ? recordDomain : null
  for (const r of value.results) add(resultFindings(r).filter((f) => !(f.code === 'SPF_TEMPERROR' && r.domain === unreadable)))
  return {value, findings}
}

/** What one check_host() result means for mail from that address. */
function resultFindings(r: SpfCheck): Finding[] {
  const who = `${r.identity === 'helo' ? 'HELO' : 'MAIL FROM'} ${r.identity === 'helo' ? r.domain : r.sender}`
  switch (r.result) {
    case 'fail':
    case 'softfail': {
      const why = r.explanation ? ` (the domain explains: "${r.explanation}")` : ''
      return [finding('SPF_NOT_PERMITTED', `SPF ${r.result} for ${r.ip} as ${who}: ${r.reason}${why}`, r.domain, r.result === 'fail' ? 'error' : 'warning')]
    }
    case 'temperror':
      return [finding('SPF_TEMPERROR', `SPF temperror for ${r.ip} as ${who}: ${r.reason}`, r.domain)]
    case 'permerror':
      return [finding('SPF_PERMERROR', `SPF permerror for ${r.ip} as ${who}: ${r.reason}`, r.domain)]
    default:
      return []
  }
}
