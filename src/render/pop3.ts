import type {ChalkInstance} from 'chalk'
import {printable} from '../lib/dns/names.js'
import {formatDuration} from '../lib/duration.js'
import type {Finding} from '../lib/findings.js'
import {methodLabel} from '../lib/pop3/client.js'
import type {Pop3ListResult} from '../lib/pop3/list.js'
import {renderFindings} from './findings.js'
import {describeCertificate, describeTls} from './smtp.js'
import {marks, table} from './style.js'

export type Pop3ListView = Omit<Pop3ListResult, 'transcript' | 'findings'>

/** Widest a FROM or SUBJECT cell gets before it is cut with "…". */
const FROM_WIDTH = 32
const SUBJECT_WIDTH = 48

/** `pop3-list` for a person: a ✔/✖ line per stage, the messages table (newest first), findings. */
export function renderPop3List(c: ChalkInstance, r: Pop3ListView, findings: readonly Finding[]): string {
  const m = marks(c)
  const t = r.timings
  const lines = [c.bold(`${r.host}${r.address !== r.host ? ` [${r.address}]` : ''} port ${r.port}`)]
  const row = (ok: boolean | null, label: string, text: string, time?: number) =>
    lines.push(`  ${ok === null ? c.dim('·') : ok ? m.ok : m.fail} ${label.padEnd(13)} ${text}${time === undefined ? '' : c.dim(`  ${formatDuration(time)}`)}`)

  const greeting = () => row(true, 'greeting', `+OK ${printable(r.greeting.text)}${r.greeting.apop ? c.dim('  (APOP timestamp)') : ''}`, t.greetingMs)
  row(true, 'connect', r.address, t.connectMs)
  // In the order things happened: implicit TLS before the greeting, STLS after it.
  if (r.tlsMode !== 'implicit') greeting()
  if (r.tlsMode === 'none') row(false, 'TLS', 'not used: the session is plaintext')
  else row(true, r.tlsMode === 'implicit' ? 'TLS' : 'STLS', describeTls(c, r.tls), t.tlsMs)
  if (r.tls) row(r.tls.authorized && r.tls.hostnameMatches && (r.tls.certificate?.daysLeft ?? -1) >= 0, 'certificate', describeCertificate(c, r.tls))
  if (r.tlsMode === 'implicit') greeting()
  row(null, 'capabilities', r.capabilities === null ? c.dim('CAPA not supported') : describeCapabilities(r.capabilities))
  if (r.auth) {
    const offered = r.auth.offered.length ? c.dim(`  offered: ${r.auth.offered.join(' ')}`) : ''
    row(true, 'login', `${printable(r.auth.user)} (${methodLabel(r.auth.method)})${offered}`, t.authMs)
  } else {
    row(null, 'login', c.dim('not tested (no --user)'))
  }
  if (r.stat) {
    const shown = r.limit !== null && r.limit < r.stat.messages ? c.dim(`  (the newest ${r.messages.length} shown)`) : ''
    row(true, 'maildrop', `${r.stat.messages} message${r.stat.messages === 1 ? '' : 's'}, ${formatOctets(r.stat.octets)}${shown}`, t.statMs)
  }

  if (r.messages.length > 0) {
    const rows = r.messages.map((msg) => [
      String(msg.number),
      msg.size === null ? '' : formatOctets(msg.size),
      msg.uid ?? c.dim('-'),
      cell(msg.headers?.from, FROM_WIDTH),
      cell(msg.headers?.subject, SUBJECT_WIDTH),
      cell(msg.headers?.date, 40),
    ])
    lines.push('', indent(table(c, ['#', 'SIZE', 'UID', 'FROM', 'SUBJECT', 'DATE'], rows)))
  }
  lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}

function describeCapabilities(capabilities: Record<string, string[]>): string {
  return Object.entries(capabilities)
    .map(([name, args]) => (args.length ? `${name}(${args.join(' ')})` : name))
    .map(printable)
    .join(' ')
}

/** One line, control characters escaped, cut at `width` characters. */
function cell(value: string | null | undefined, width: number): string {
  if (value === null || value === undefined) return ''
  const text = printable(value.replace(/\s+/g, ' ').trim())
  const chars = [...text]
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text
}

function formatOctets(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`
  if (bytes < 1024 ** 3) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`
  return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
