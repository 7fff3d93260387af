import type {DnsResolver} from '../dns/resolver.js'
import {checkDkimKeys} from '../dkim/keys.js'
import {verifyMessage} from '../dkim/verify.js'
import type {SenderContext, SectionOutcome} from './context.js'
import type {SenderDkim} from './schema.js'

/** The run's cached DNS as the resolver the DKIM, DMARC and BIMI checks ask (they only call query()). */
export function runResolver(context: SenderContext): DnsResolver {
  return {query: context.query} as unknown as DnsResolver
}

/**
 * DKIM for `sender` (issue 12): with --message its signatures and ARC chain are verified and the keys they name
 * looked up; with --selector those keys; with neither, the common selectors are tried (src/lib/dkim/keys.ts).
 */
export async function checkSenderDkim(context: SenderContext): Promise<SectionOutcome<SenderDkim>> {
  const resolver = runResolver(context)
  const {message, selectors} = context.options
  const verification = message ? await verifyMessage(message, resolver) : undefined
  const requests = [
    ...selectors.map((selector) => ({selector, source: 'flag' as const})),
    ...(verification?.keys ?? []).map((k) => ({selector: k.selector, domain: k.domain, source: 'message' as const})),
  ]
  const keys = await checkDkimKeys(context.domain, resolver, {selectors: requests.length > 0 ? requests : undefined})
  const found = keys.selectors.some((k) => k.status !== 'absent' && k.status !== 'unknown') || (verification?.signatures.length ?? 0) > 0
  const failed = keys.selectors.find((k) => k.status === 'unknown') ?? (keys.domainKey?.status === 'unknown' ? keys.domainKey : undefined)
  const status = found ? 'found' : failed ? 'unknown' : 'absent'
  const error = status === 'unknown' ? ('lookupError' in failed! ? failed.lookupError : `${failed!.name}: lookup failed`) : null
  // A lookup that failed is a warning here: nothing that could not be checked fails the run.
  const findings = [...(verification?.findings ?? []), ...keys.findings].map((f) => (f.code.startsWith('DNS_') ? {...f, severity: 'warning' as const} : f))
  return {
    value: {
      status,
      error,
      domain: context.domain,
      guessed: keys.guessed,
      tried: keys.tried,
      domainKey: keys.domainKey,
      selectors: keys.selectors,
      signatures: verification?.signatures ?? [],
      arc: verification?.arc ?? null,
      messageError: null,
      messageFrom: verification?.fromDomain ?? null,
    },
    findings,
  }
}
