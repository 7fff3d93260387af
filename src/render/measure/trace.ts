import type {PredictedRoute} from '../../lib/route/predict.js'
import type {ObservedAnalysis} from '../../lib/route/observed.js'
import {NO_ANSWER_CODES, tlsFact, type Check, type CheckDocument, type Measurements, type TlsFact, type Value} from '../monitoring.js'

type TraceDoc = CheckDocument & Partial<PredictedRoute> & Partial<ObservedAnalysis>

/** trace: one check and one duration per route step, TLS per MX address; with --message the observed delivery time. */
export function traceMeasurements(doc: TraceDoc, target: string): Measurements {
  const checks: Check[] = []
  const stages: Record<string, number> = {}
  for (const step of doc.route ?? []) {
    const status = step.status === 'failed' ? 'failed' : step.status === 'skipped' ? 'skipped' : 'passed'
    checks.push({name: step.step, status, ...(step.ms === null ? {} : {ms: step.ms}), message: step.summary})
    if (step.ms !== null) stages[step.step.replace(/-/g, '_')] = step.ms
  }
  const tls: TlsFact[] = []
  for (const p of doc.probes ?? []) {
    const fact = tlsFact(p.result?.tls, `${p.exchange} ${p.address}`)
    if (fact) tls.push(fact)
  }
  const values: Value[] = []
  if (doc.verdict) values.push({name: 'deliverable', value: doc.verdict.deliverable ? 1 : 0, unit: '', help: 'Whether the route to the recipient delivers (1) or not (0), for senders with and without DANE.', min: 0, max: 1})
  const total = doc.message?.totalMs
  if (total !== null && total !== undefined) values.push({name: 'observed_delivery', value: total / 1000, unit: 's', help: 'trace --message: from the first Received hop to the last, in seconds.'})
  if (doc.observed) checks.push({name: 'observed route', status: 'passed', message: `${doc.observed.length} hops`})
  const summary = doc.verdict ? doc.verdict.reason : doc.observed ? `${doc.observed.length} Received hops` : undefined
  // The route starts at the recipient domain's MX lookup: when it got no answer at all, no step after it was checked.
  const dns = doc.route?.find((s) => s.step === 'dns')
  const unanswered = doc.mx === null && dns?.status === 'failed' ? doc.findings.find((f) => NO_ANSWER_CODES.includes(f.code) && f.message === dns.summary) : undefined
  return {service: 'TRACE', target, ...(summary ? {summary} : {}), stages, tls, values, checks, ...(unanswered ? {unchecked: `the route could not be checked: ${unanswered.message}`} : {})}
}
