import type {ChalkInstance} from 'chalk'
import type {PredictedRoute, RouteStep} from '../lib/route/predict.js'
import {formatDuration} from '../lib/duration.js'
import {foldLine, marks, pad} from './style.js'
import {describeTls, replyText} from './smtp.js'

const TITLES: Record<RouteStep['step'], string> = {
  submission: 'Submission',
  'local-delivery': 'Local delivery',
  dns: 'DNS',
  delivery: 'Delivery',
  policy: 'Policy',
  mailbox: 'Mailbox',
}

/** The route as a person would explain it: one block per step, top to bottom, in travel order. */
export function renderRoute(c: ChalkInstance, r: PredictedRoute): string {
  const m = marks(c)
  const icon = {ok: m.ok, warning: m.warn, failed: m.fail, skipped: c.dim('○')}
  const lines: string[] = [...foldLine('', c.bold(`Route of a message ${r.sender ? `from ${r.sender} ` : ''}to ${r.recipient}`), '  '), '']
  r.route.forEach((step, i) => {
    const time = step.ms === null ? '' : c.dim(`  ${formatDuration(step.ms)}`)
    const last = i === r.route.length - 1
    // On a narrow terminal each line folds between words, and the rail (│) goes on beside the continuations.
    const title = `  ${icon[step.status]} ${c.bold(pad(`${i + 1} ${TITLES[step.step]}`, 16))} `
    lines.push(...foldLine(title, `${step.status === 'skipped' ? c.dim(step.summary) : step.summary}${time}`, last ? '      ' : '  │   '))
    for (const detail of details(c, r, step)) lines.push(...foldLine('  │     ', detail, '  │       '))
    if (!last) lines.push('  │', '  ▼')
  })
  lines.push('', ...verdictLines(c, r.verdict).flatMap((l) => foldLine('', l, '  ')))
  return lines.join('\n')
}

/**
 * One line when every sender does the same; when senders that use DANE (RFC 7672) do otherwise
 * than those that do not, one line for each.
 */
function verdictLines(c: ChalkInstance, v: PredictedRoute['verdict']): string[] {
  const m = marks(c)
  const line = (s: {deliverable: boolean; via: {exchange: string; address: string} | null; reason: string}, who: string) =>
    `${s.deliverable ? m.ok : m.fail} ${c.bold(`${s.deliverable ? 'Deliverable' : 'Not deliverable'}${who}`)}${s.via ? ` via ${s.via.exchange} [${s.via.address}]` : ''}: ${s.reason}`
  if (!daneSplit(v)) return [line(v, '')]
  return [line(v.dane!, ' by senders that use DANE'), line(v.withoutDane, ' by senders that do not use DANE')]
}

function daneSplit(v: PredictedRoute['verdict']): boolean {
  const d = v.dane
  const o = v.withoutDane
  return d !== null && (d.deliverable !== o.deliverable || d.via?.exchange !== o.via?.exchange || d.via?.address !== o.via?.address)
}

function details(c: ChalkInstance, r: PredictedRoute, step: RouteStep): string[] {
  const m = marks(c)
  if (step.step === 'delivery' || step.step === 'local-delivery') {
    return r.probes.map((p) => {
      const rcpt = p.result?.recipients[0]
      const state = p.result ? `${rcpt?.accepted ? m.ok : m.fail} ${rcpt ? replyText(rcpt) : 'no RCPT answer'}` : `${m.fail} ${p.error?.code ?? 'failed'}`
      const dane = r.policy.dane.find((d) => d.host === p.exchange.toLowerCase().replace(/\.$/, ''))
      // A DANE match vouches for the certificate (RFC 7672 §3.1.1, §3.2); a DANE failure is what DANE senders see.
      const daneNote = dane?.applies ? ` · DANE ${dane.senders === 'deliver' ? m.ok : m.fail} ${dane.status}` : ''
      const certOk = p.result?.tls ? (p.result.tls.authorized && p.result.tls.hostnameMatches) || (dane?.senders === 'deliver' && dane.status === 'matched') : false
      const tls = p.result ? ` · ${describeTls(c, p.result.tls)}${p.result.tls ? ` · cert ${certOk ? m.ok : m.fail}` : ''}${daneNote}` : ''
      return `${pad(String(p.preference), 4)}${pad(p.exchange, 28)} ${pad(p.address, 16)} ${state}${tls}`
    })
  }
  if (step.step === 'mailbox') {
    return [...r.mailbox.imap, ...r.mailbox.pop3].map((s) => `${pad(s.service, 7)} ${pad(`${s.host}:${s.port}`, 24)} ${s.ok ? `${m.ok} ${s.tls ? describeTls(c, s.tls) : 'no TLS'}` : `${m.fail} ${s.error?.code ?? 'failed'}`}`)
  }
  if (step.step === 'submission' && r.mailbox.submission) {
    return r.mailbox.submission.servers.map((s) => `${pad(s.service, 12)} ${pad(`${s.host}:${s.port}`, 24)} ${s.ok ? `${m.ok} ${describeTls(c, s.tls)}` : `${m.fail} ${s.error?.code ?? 'failed'}`}`)
  }
  return []
}

/** The route as a Mermaid flowchart, for docs and tickets. */
export function routeMermaid(r: PredictedRoute): string {
  const label = (s: string) => s.replace(/["\[\]{}|<>]/g, ' ').replace(/\s+/g, ' ').trim()
  const lines = ['flowchart TD']
  r.route.forEach((step, i) => {
    lines.push(`  S${i}["${TITLES[step.step]}<br/>${label(step.summary).slice(0, 120)}"]:::${step.status}`)
    if (i > 0) lines.push(`  S${i - 1} --> S${i}`)
  })
  const v = r.verdict
  const via = (s: {via: {exchange: string} | null}) => (s.via ? ` via ${label(s.via.exchange)}` : '')
  const text = daneSplit(v)
    ? `${v.dane!.deliverable ? 'Deliverable' : 'Not deliverable'} by DANE senders${via(v.dane!)}; ${v.withoutDane.deliverable ? 'deliverable' : 'not deliverable'} by others${via(v.withoutDane)}`
    : `${v.deliverable ? 'Deliverable' : 'Not deliverable'}${via(v)}`
  lines.push(`  V["${text}"]:::${v.deliverable ? 'ok' : 'failed'}`)
  lines.push(`  S${r.route.length - 1} --> V`)
  lines.push('  classDef ok fill:#e6f4ea,stroke:#1e8e3e', '  classDef warning fill:#fef7e0,stroke:#f9ab00', '  classDef failed fill:#fce8e6,stroke:#d93025', '  classDef skipped fill:#f1f3f4,stroke:#9aa0a6')
  return lines.join('\n')
}

export function renderComparison(c: ChalkInstance, comparison: {matches: boolean; note: string}): string {
  const m = marks(c)
  return `${comparison.matches ? m.ok : m.warn} Predicted and observed: ${comparison.note}`
}
