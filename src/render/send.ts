import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {SendResult} from '../lib/send/route.js'
import {formatDuration} from '../lib/duration.js'
import {marks} from './style.js'
import {renderFindings} from './findings.js'
import {describeCertificate, describeTls} from './smtp.js'

export function renderSend(c: ChalkInstance, r: SendResult, findings: readonly Finding[]): string {
  const m = marks(c)
  if (r.dryRun) return r.message ?? ''
  const lines: string[] = []
  const sent = r.accepted.length > 0
  lines.push(`${sent ? m.ok : m.fail} ${c.bold(sent ? 'sent' : 'not sent')} ${r.messageId}`)
  lines.push(`  subject   ${r.subject}`)
  lines.push(`  from      ${r.envelope.from}`)
  for (const d of r.deliveries) {
    if (d.server) lines.push(`  via       ${d.server.host} [${d.server.address}]:${d.server.port}${d.domain ? c.dim(` (MX of ${d.domain})`) : ''} · ${describeTls(c, d.tls)}`)
    if (d.tls) lines.push(`  cert      ${describeCertificate(c, d.tls)}`)
    for (const a of d.attempts) lines.push(`  ${m.warn} tried    ${a.host} [${a.address}]:${a.port}: ${a.error.message}`)
    if (d.response) lines.push(`  response  ${d.response}`)
    const t = d.timings
    const phases = (['connectMs', 'authMs', 'envelopeMs', 'messageMs'] as const).filter((k) => t[k] !== undefined).map((k) => `${k.replace(/Ms$/, '')} ${formatDuration(t[k]!)}`)
    if (phases.length) lines.push(c.dim(`  timings   ${phases.join(' · ')}`))
  }
  for (const a of r.accepted) lines.push(`  ${m.ok} accepted  ${a}`)
  for (const x of r.rejected) lines.push(`  ${m.fail} rejected  ${x.address}  ${[x.code, x.enhancedCode, x.text].filter(Boolean).join(' ')}`)
  lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}
