import type {ChalkInstance} from 'chalk'
import type {ObservedAnalysis} from '../lib/route/observed.js'
import {formatDuration} from '../lib/duration.js'
import {hopNumber} from '../lib/headers/route.js'
import {foldLine, marks} from './style.js'

/** A signed duration for delays between hops: "+1.20 s", "−2.0 h". */
export function signedDuration(ms: number): string {
  const abs = Math.abs(ms)
  const text = abs >= 3_600_000 ? `${(abs / 3_600_000).toFixed(1)} h` : formatDuration(abs)
  return `${ms < 0 ? '−' : '+'}${text}`
}

const shortDate = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/\.000Z$/, 'Z') : 'no date')

/** The observed route as a vertical diagram: the sender at the top, each hop below with the delay into it. */
export function renderObserved(c: ChalkInstance, analysis: ObservedAnalysis): string {
  const m = marks(c)
  const {message, observed} = analysis
  const lines: string[] = []
  const total = message.totalMs === null ? '' : `, ${signedDuration(message.totalMs).replace('+', '')} from first to last hop`
  lines.push(...foldLine('', c.bold(`Observed route: ${observed.length} hop${observed.length === 1 ? '' : 's'}, oldest first${total}`), '  '))
  if (message.subject) lines.push(...foldLine('  Subject:    ', message.subject, '              '))
  if (message.from) lines.push(...foldLine('  From:       ', message.from, '              '))
  if (message.messageId) lines.push(...foldLine('  Message-ID: ', message.messageId, '              '))
  lines.push('')
  lines.push(`  ${c.bold('sender')} ${c.dim(`Date: ${shortDate(message.date)}`)}`)
  const skewed = new Map(message.skew.filter((s) => s.hop !== null).map((s) => [s.hop, s]))
  let previousDate = message.date
  for (const hop of observed) {
    let delay = ''
    if (hop.delayMs !== null) delay = signedDuration(hop.delayMs)
    else if (hop.index === 0 && previousDate && hop.date) delay = signedDuration(Date.parse(hop.date) - Date.parse(previousDate))
    const delayText = delay.startsWith('−') ? c.yellow(delay) : c.dim(delay)
    lines.push(`     │ ${delayText}`)
    const tls = hop.tls === true ? `${m.ok} TLS${hop.tlsDetail ? ` ${hop.tlsDetail}` : hop.tlsVersion ? ` ${hop.tlsVersion}` : ''}` : hop.tls === false ? `${m.fail} no TLS` : c.dim('TLS not stated')
    const from = [hop.from ?? hop.fromHelo ?? c.dim('(sender not stated)'), hop.fromIp ? `[${hop.fromIp}]` : ''].filter(Boolean).join(' ')
    // On a narrow terminal a hop's lines fold between words, continuations indented under the hop.
    lines.push(...foldLine('  ', `${c.bold(`[${hopNumber(hop.index)}]`)} ${c.bold(hop.by ?? '?')} ${c.dim('←')} ${from}`, '      '))
    const details = [hop.with ? `with ${hop.with}` : null, tls, hop.authenticated ? 'authenticated' : null, hop.id ? `id ${hop.id}` : null, shortDate(hop.date)].filter(Boolean)
    lines.push(...foldLine('      ', details.join(c.dim(' · ')), '        '))
    const skew = skewed.get(hop.index)
    if (skew) lines.push(...foldLine('      ', `${m.warn} ${c.yellow(skew.reason)}`, '        '))
    previousDate = hop.date ?? previousDate
  }
  const receiver = analysis.authentication.receiver
  if (receiver) {
    const verdicts = receiver.results.map((r) => {
      const colour = r.result === 'pass' ? c.green : ['fail', 'permerror', 'softfail'].includes(r.result) ? c.red : c.yellow
      return `${r.method}=${colour(r.result)}`
    })
    lines.push('', ...foldLine('', `Authentication at ${receiver.authservId ?? 'the receiver'}: ${verdicts.join(' ') || 'none'}${receiver.fields > 1 ? c.dim(` (${receiver.fields} Authentication-Results fields)`) : ''}`, '  '))
  }
  const arc = analysis.authentication.arc
  if (arc.status !== 'none') lines.push(...foldLine('', `ARC chain: ${arc.status === 'pass' ? c.green('pass') : c.red(arc.status)} (${arc.instances.length} set${arc.instances.length === 1 ? '' : 's'})${arc.reason ? ` — ${arc.reason}` : ''}`, '  '))
  return lines.join('\n')
}

/** The observed route as a Mermaid flowchart, for pasting into docs and tickets. */
export function observedMermaid(analysis: ObservedAnalysis): string {
  const label = (s: string) => s.replace(/["\[\]{}|<>]/g, ' ').trim()
  const lines = ['flowchart TD', `  S["sender${analysis.message.from ? `<br/>${label(analysis.message.from)}` : ''}"]`]
  let previous = 'S'
  for (const hop of analysis.observed) {
    const id = `H${hop.index}`
    lines.push(`  ${id}["${label(hop.by ?? '?')}"]`)
    const edge = [hop.with, hop.tls === true ? 'TLS' : hop.tls === false ? 'no TLS' : null, hop.delayMs === null ? null : signedDuration(hop.delayMs)].filter(Boolean).join(', ')
    lines.push(`  ${previous} -->|${label(edge || ' ')}| ${id}`)
    previous = id
  }
  return lines.join('\n')
}
