import type {SmtpProbeResult} from '../../lib/smtp/probe.js'
import type {HostProbe} from '../../lib/smtp/probe-hosts.js'
import {stageChecks, stagesOf, tlsFact, type Check, type CheckDocument, type Measurements, type TlsFact} from '../monitoring.js'

type ProbeDoc = CheckDocument & Partial<Omit<SmtpProbeResult, 'findings' | 'transcript'>> & {probes?: HostProbe[]; asciiDomain?: string}

/** probe-smtp: stages, TLS, the banner; with --mx one TLS session and one check per MX address. */
export function smtpMeasurements(doc: ProbeDoc, target: string): Measurements {
  if (doc.probes) {
    const tls: TlsFact[] = []
    const checks: Check[] = []
    for (const p of doc.probes) {
      const peer = `${p.exchange} ${p.address}`
      const fact = tlsFact(p.result?.tls ?? p.error?.partial?.tls, peer)
      if (fact) tls.push(fact)
      checks.push({name: `probe ${peer}`, status: p.ok ? 'passed' : 'failed', ms: p.result?.timings.totalMs, ...(p.error ? {message: `${p.error.code}: ${p.error.message}`} : {})})
    }
    const ok = doc.probes.filter((p) => p.ok).length
    return {
      service: 'SMTP',
      target,
      summary: `${ok} of ${doc.probes.length} MX address${doc.probes.length === 1 ? '' : 'es'} answered`,
      stages: {},
      tls,
      values: [{name: 'mx_addresses_ok', value: ok, unit: '', help: 'The number of MX addresses whose SMTP probe completed.', min: 0, max: doc.probes.length}],
      checks,
    }
  }
  const stages = stagesOf(doc.timings)
  const fact = tlsFact(doc.tls)
  const summary = doc.banner ? `${doc.banner.code} ${doc.banner.text}${doc.tls?.version ? `, ${doc.tls.version}` : ''}` : undefined
  const checks: Check[] = stageChecks(stages, doc)
  for (const r of doc.recipients ?? []) checks.push({name: `RCPT TO ${r.address}`, status: r.accepted ? 'passed' : 'failed', message: `${r.code} ${r.text}`})
  return {
    service: 'SMTP',
    target,
    ...(summary ? {summary} : {}),
    stages,
    tls: fact ? [fact] : [],
    checks,
  }
}
