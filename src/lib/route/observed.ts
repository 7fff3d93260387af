import {isIP} from '../net/ip.js'
import {finding, type Finding} from '../findings.js'
import {readHeaders} from '../headers/message.js'
import {hopName, observedRoute} from '../headers/route.js'
import {analyzeAuthentication} from '../headers/authentication.js'
import type {ObservedAnalysis} from './schema.js'

export type {ObservedAnalysis}


/** Results of an Authentication-Results method that mean the message failed the check (RFC 8601 §2.7). */
const FAILING_RESULTS = new Set(['fail', 'permerror', 'softfail'])

/**
 * The route a delivered message took, read from its header: Received hops oldest first with the delay
 * at each, clocks that are off, TLS per hop, and the authentication verdicts the receivers recorded.
 */
export function analyzeMessage(input: Uint8Array | string): {analysis: ObservedAnalysis; findings: Finding[]} {
  const fields = readHeaders(input)
  const route = observedRoute(fields)
  const authentication = analyzeAuthentication(fields)
  const findings: Finding[] = []

  for (const skew of route.skew) {
    const who = skew.source === 'date-header' ? 'the sender\'s clock (Date header)' : `the clock of ${skew.by ?? (skew.hop === null ? 'a hop' : hopName(skew.hop))}`
    const where = skew.hop === null || skew.by === null ? '' : ` (${hopName(skew.hop)})`
    findings.push(finding('CLOCK_SKEW', `${who}${where} is about ${formatSkew(skew.estimatedSkewMs)}${skew.confidence === 'ambiguous' ? ' (or its neighbour\'s: nothing else to compare with)' : ''}`, skew.by ?? undefined))
  }
  for (const hop of route.hops) {
    // Only hops between machines on a network matter; loopback, sockets and webmail hand-offs carry no mail over the wire.
    if (hop.tls === false && hop.fromIp && isPublicAddress(hop.fromIp) && /smtp/i.test(hop.with ?? '')) {
      findings.push(finding('HOP_WITHOUT_TLS', `${hopName(hop.index)} from ${hop.from ?? hop.fromIp} [${hop.fromIp}] to ${hop.by ?? '?'} went without TLS (${hop.with})`, hop.by ?? undefined))
    }
    if (hop.tlsVersion && ['TLSv1.0', 'TLSv1.1', 'SSLv3'].includes(hop.tlsVersion)) {
      findings.push(finding('TLS_OLD_VERSION', `${hopName(hop.index)} to ${hop.by ?? '?'} used ${hop.tlsVersion}`, hop.by ?? undefined))
    }
  }
  // The final receiver's verdicts, from every field it wrote (RFC 8601 §5: trust only your own).
  const receiver = authentication.receiver
  for (const result of receiver?.results ?? []) {
    if (FAILING_RESULTS.has(result.result)) {
      const at = receiver!.authservId ?? 'the receiver'
      findings.push(finding('AUTHENTICATION_FAILED', `${result.method}=${result.result}${result.reason ? ` (${result.reason})` : ''} at ${at}`, receiver!.authservId ?? undefined))
    }
  }
  if (authentication.arc.status === 'fail') {
    findings.push(finding('ARC_CHAIN_BROKEN', `the ARC chain is broken: ${authentication.arc.reason ?? 'unknown reason'}`))
  }
  const analysis: ObservedAnalysis = {
    observed: route.hops,
    message: {
      messageId: route.messageId,
      date: route.date,
      from: route.from,
      to: route.to,
      subject: route.subject,
      totalMs: route.totalMs,
      dateToLastHopMs: route.dateToLastHopMs,
      skew: route.skew,
    },
    authentication,
  }
  return {analysis, findings}
}

function formatSkew(ms: number): string {
  const abs = Math.abs(ms)
  const text = abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} h` : abs >= 60_000 ? `${Math.round(abs / 60_000)} min` : `${Math.round(abs / 1000)} s`
  return `${text} ${ms < 0 ? 'behind' : 'ahead'}`
}

/** Loopback, private, link-local and documentation-free ranges say nothing about the public route. */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number)
    return !(a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127))
  }
  const lower = address.toLowerCase()
  return !(lower === '::1' || lower.startsWith('fe80:') || lower.startsWith('fc') || lower.startsWith('fd'))
}
