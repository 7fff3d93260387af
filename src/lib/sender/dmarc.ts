import {finding} from '../findings.js'
import {checkAlignment, checkDmarc, DmarcLookups} from '../policy/dmarc.js'
import type {SectionDependencies, SenderContext, SectionOutcome} from './context.js'
import {runResolver} from './dkim.js'
import type {SenderDmarc} from './schema.js'

/**
 * DMARC for `sender`: the RFC 9989 policy (src/lib/policy/dmarc.ts, the code trace uses) and, when this run has
 * SPF results (--ip) or DKIM signatures (--message), their alignment with the domain.
 */
export async function checkSenderDmarc(context: SenderContext, dependencies: SectionDependencies): Promise<SectionOutcome<SenderDmarc>> {
  const resolver = runResolver(context)
  const lookups = new DmarcLookups(resolver)
  const {info, findings} = await checkDmarc(context.domain, resolver, {lookups})
  const [spf, dkim] = await Promise.all([dependencies.spf, dependencies.dkim])
  const identifiers = {
    spf: spf.value.results.map((r) => ({domain: r.domain, result: r.result})),
    dkim: dkim.value.signatures.filter((s) => s.domain).map((s) => ({domain: s.domain!, result: s.result})),
  }
  if (info.policy && identifiers.spf.length + identifiers.dkim.length > 0) {
    const aligned = await checkAlignment(info, identifiers, lookups)
    info.alignment = aligned.alignment
    findings.push(...aligned.findings)
  }
  // DMARC applies to the From domain (RFC 9989 §4.4): a message From another domain met that domain's policy, not this one.
  const from = dkim.value.messageFrom
  if (from && from.toLowerCase() !== context.domain.toLowerCase()) {
    findings.push(finding('DMARC_FROM_MISMATCH', `the message is From ${from}, not ${context.domain}: receivers applied the DMARC policy of ${from}, not the one shown here`, from))
  }
  const status = info.lookupError ? 'unknown' : info.record ? 'found' : 'absent'
  return {value: {status, error: info.lookupError, ...info}, findings: findings.map((f) => (f.code.startsWith('DNS_') ? {...f, severity: 'warning' as const} : f))}
}
