import type {ChalkInstance} from 'chalk'
import {formatDuration} from '../lib/duration.js'
import type {Finding} from '../lib/findings.js'
import type {RoundtripResult} from '../lib/roundtrip/schema.js'
import {renderFindings} from './findings.js'
import {renderObserved} from './observed.js'
import {describeTls} from './smtp.js'
import {marks, table} from './style.js'
import {renderComparison} from './trace.js'

const STAGE_NAMES: Record<RoundtripResult['stages'][number]['name'], string> = {
  'mailbox-login': 'mailbox login',
  dns: 'DNS',
  connect: 'connect',
  auth: 'auth',
  submission: 'submission accepted',
  delivery: 'first seen in the mailbox',
}

const METHODS = {idle: 'IMAP IDLE', noop: 'IMAP NOOP polling', poll: 'POP3 polling'} as const

/** The round trip: did it arrive and how fast, the stages, the route it took beside the predicted one, the receiver's verdicts. */
export function renderRoundtrip(c: ChalkInstance, r: RoundtripResult, findings: readonly Finding[]): string {
  const m = marks(c)
  const lines: string[] = []
  // --warning/--critical judged the latency (docs/monitoring.md): THRESHOLD_* findings about it.
  const slow = findings.some((f) => f.code.startsWith('THRESHOLD_') && f.subject === 'latency')
  const head = r.delivered
    ? `${slow ? m.warn : m.ok} ${c.bold('delivered')} in ${formatDuration(r.latencyMs ?? 0)} end to end`
    : `${m.fail} ${c.bold('not delivered')} within ${formatDuration(r.waitMs)}`
  lines.push(head)
  lines.push(`  token       ${r.token}`)
  lines.push(`  message     ${r.messageId}`)
  lines.push(`  from → to   ${r.from} → ${r.to}`)
  const s = r.submission
  if (s.server) lines.push(`  submitted   ${s.server.host} [${s.server.address}]:${s.server.port}${s.route === 'mx' ? c.dim(' (MX)') : ''} · ${describeTls(c, s.tls)}`)
  if (s.response) lines.push(`  response    ${s.response}${s.queueId ? c.dim(` (queue id ${s.queueId})`) : ''}`)
  const mb = r.mailbox
  const discovery = mb.discovery === 'srv' ? ' (SRV)' : mb.discovery === 'domain' ? ' (no SRV: the domain)' : ''
  lines.push(`  mailbox     ${mb.user} at ${mb.host}${mb.address ? ` [${mb.address}]` : ''}:${mb.port}${c.dim(discovery)} · ${describeTls(c, mb.tls)} · ${METHODS[mb.method]}${mb.folder ? ` in ${mb.folder}` : ''}`)
  if (mb.uid !== null) lines.push(`  found       ${mb.protocol === 'imap' ? 'UID' : 'unique-id'} ${mb.uid} after ${mb.checks} ${mb.protocol === 'imap' ? (mb.checks === 1 ? 'search' : 'searches') : mb.checks === 1 ? 'poll' : 'polls'}`)
  if (mb.cleanup.requested) lines.push(`  cleanup     ${mb.cleanup.removed ? `${m.ok} removed (UID STORE \\Deleted, UID EXPUNGE)` : `${m.warn} not removed: ${mb.cleanup.reason ?? ''}`}`)

  lines.push('', c.bold('Stages'))
  const rows = r.stages.map((stage) => [`${stage.ok ? m.ok : m.fail} ${STAGE_NAMES[stage.name]}`, stage.ms === null ? c.dim('—') : formatDuration(stage.ms), stage.endedAtMs === null ? '' : c.dim(`at +${formatDuration(stage.endedAtMs)}`)])
  if (r.latencyMs !== null) rows.push([`${slow ? m.warn : m.ok} end to end`, c.bold(formatDuration(r.latencyMs)), ''])
  lines.push(table(c, ['stage', 'took', ''], rows))

  if (r.authentication) {
    const verdict = (name: string, value: string | null) => `${name} ${value === null ? c.dim('not recorded') : value === 'pass' ? c.green(value) : /fail|permerror/.test(value) ? c.red(value) : value}`
    lines.push('', `${c.bold('Authentication')} at ${r.authentication.authservId ?? 'the receiver'}: ${[verdict('SPF', r.authentication.spf), verdict('DKIM', r.authentication.dkim), verdict('DMARC', r.authentication.dmarc)].join(' · ')}`)
  } else if (r.delivered) {
    lines.push('', `${c.bold('Authentication')} ${c.dim('the receiver recorded no Authentication-Results')}`)
  }
  if (r.observed) lines.push('', renderObserved(c, r.observed))
  if (r.comparison) lines.push('', renderComparison(c, r.comparison))
  lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}
