import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {ImapCheckResult} from '../lib/imap/schema.js'
import {formatDuration} from '../lib/duration.js'
import {formatBytes} from '../lib/imap/check.js'
import {marks, table} from './style.js'
import {renderFindings} from './findings.js'
import {describeCertificate, describeTls} from './smtp.js'

const ms = (value: number | null | undefined) => (value === undefined || value === null ? '' : formatDuration(value))

/** `imap-check` for a person: a ✔/✖ line per stage, the mailboxes table, quota, the wait, timings, findings. */
export function renderImapCheck(c: ChalkInstance, r: ImapCheckResult, findings: readonly Finding[]): string {
  const m = marks(c)
  const t = r.timings
  const lines = [c.bold(`${r.host}${r.address !== r.host ? ` [${r.address}]` : ''} port ${r.port}`)]
  const row = (ok: boolean | null, label: string, text: string, time?: number) =>
    lines.push(`  ${ok === null ? c.dim('·') : ok ? m.ok : m.fail} ${label.padEnd(13)} ${text}${time === undefined ? '' : c.dim(`  ${ms(time)}`)}`)

  row(true, 'connect', r.address, t.connectMs)
  if (r.tlsMode === 'none') row(false, 'TLS', 'not used: the session is plaintext')
  else row(true, r.tlsMode === 'implicit' ? 'TLS' : 'STARTTLS', describeTls(c, r.tls), t.tlsMs)
  if (r.tls) row(r.tls.authorized && r.tls.hostnameMatches && (r.tls.certificate?.daysLeft ?? -1) >= 0, 'certificate', describeCertificate(c, r.tls))
  row(r.greeting.status !== 'BYE', 'greeting', `* ${r.greeting.status} ${r.greeting.text}`, t.greetingMs)
  if (r.serverId) row(null, 'server ID', Object.entries(r.serverId).map(([k, v]) => `${k}=${v}`).join(', '))
  row(null, 'capabilities', wrapList(r.capabilitiesBeforeLogin, 'before login'))
  const auth = r.auth
  const authOk = auth.result === 'ok' || auth.result === 'preauth' ? true : auth.result === 'not-tested' ? null : false
  const who = auth.user ? `${auth.user}: ` : ''
  const how = auth.method ? ` (${auth.method})` : ''
  const authText = auth.result === 'not-tested' ? c.dim('not tested (no --user)') : auth.result === 'preauth' ? 'PREAUTH: logged in by the server' : `${who}${auth.result}${how}`
  row(authOk, 'login', `${authText}${auth.mechanisms.length ? c.dim(`  offered: ${auth.mechanisms.join(' ')}`) : ''}`, t.authMs)
  if (auth.result === 'ok' && r.capabilities.join(' ') !== r.capabilitiesBeforeLogin.join(' ')) {
    row(null, 'after login', wrapList(r.capabilities.filter((cap) => !r.capabilitiesBeforeLogin.includes(cap)), 'added'))
  }

  if (r.mailboxes.length > 0) {
    lines.push('', c.bold('Mailboxes'))
    const rows = r.mailboxes.map((b) => [
      b.path,
      b.specialUse ? `${b.specialUse}${b.specialUseSource === 'name' ? c.dim(' (by name)') : ''}` : '',
      num(b.messages),
      num(b.unseen),
      num(b.uidNext),
      b.error ? c.red(b.error) : b.flags.includes('\\Noselect') ? c.dim('not selectable') : '',
    ])
    lines.push(indent(table(c, ['MAILBOX', 'ROLE', 'MESSAGES', 'UNSEEN', 'UIDNEXT', ''], rows)))
  }
  if (r.quota) {
    const q = r.quota
    const parts = [
      q.storage ? `${formatBytes(q.storage.used)} of ${q.storage.limit === null ? 'no limit' : formatBytes(q.storage.limit)}${q.storage.percent === null ? '' : ` (${q.storage.percent} %)`}` : '',
      q.messages ? `${q.messages.used} of ${q.messages.limit ?? 'unlimited'} messages${q.messages.percent === null ? '' : ` (${q.messages.percent} %)`}` : '',
    ].filter(Boolean)
    lines.push('', `${c.bold('Quota')} ${q.root ? `"${q.root}" ` : ''}for ${q.mailbox}: ${parts.join(', ') || 'no resources reported'}`)
  } else if ((auth.result === 'ok' || auth.result === 'preauth') && !r.capabilities.some((cap) => cap === 'QUOTA' || cap.startsWith('QUOTA=RES-'))) {
    lines.push('', `${c.bold('Quota')} ${c.dim('not reported (the server has no QUOTA extension)')}`)
  }
  if (r.waitFor) {
    const w = r.waitFor
    const what = w.criterion === 'message-id' ? `Message-ID <${w.value}>` : `subject "${w.value}"`
    lines.push('', c.bold(`Waiting for ${what} in ${w.mailbox}`) + c.dim(` (${w.method === 'idle' ? 'IDLE' : 'NOOP polling'}, ${w.searches} search${w.searches === 1 ? '' : 'es'})`))
    if (w.found) {
      lines.push(`  ${m.ok} found UID ${w.uid}${w.alreadyThere ? ' (already there)' : ''} after ${ms(w.latencyMs)} from the command's start`)
      if (w.message) lines.push(c.dim(`    ${w.message.subject ?? ''}${w.message.from ? ` · from ${w.message.from}` : ''}${w.message.date ? ` · Date ${w.message.date}` : ''}`))
      const delays = [
        w.deliveryMs === null ? '' : `delivered ${ms(Math.max(0, w.deliveryMs))} after its Date header`,
        w.sinceDateMs === null ? '' : `seen ${ms(Math.max(0, w.sinceDateMs))} after it`,
      ].filter(Boolean)
      if (delays.length) lines.push(`    ${delays.join(', ')}`)
    } else {
      lines.push(`  ${m.fail} not found within ${ms(w.waitedMs)}`)
    }
  }
  const phases = (['lookupMs', 'connectMs', 'tlsMs', 'greetingMs', 'authMs', 'listMs', 'quotaMs', 'waitMs'] as const)
    .filter((k) => t[k] !== undefined)
    .map((k) => `${k === 'lookupMs' ? 'dns' : k.replace(/Ms$/, '')} ${ms(t[k])}`)
  lines.push('', c.dim(`timings: ${[...phases, `total ${ms(t.totalMs)}`].join(' · ')}`))
  lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}

function num(n: number | null): string {
  return n === null ? '' : String(n)
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}

function wrapList(items: readonly string[], label: string): string {
  if (items.length === 0) return `(none ${label})`
  const shown = items.length > 24 ? [...items.slice(0, 24), `… ${items.length - 24} more`] : items
  return `${shown.join(' ')}`
}
