import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {SmtpProbeResult} from '../lib/smtp/probe.js'
import type {DaneInfo} from '../lib/policy/schema.js'
import type {HostProbe} from '../lib/smtp/probe-hosts.js'
import type {TlsInfo} from '../lib/tls/inspect.js'
import {formatDuration} from '../lib/duration.js'
import {marks, table} from './style.js'
import {renderFindings} from './findings.js'

/** "250 2.1.5 Ok": the enhanced code once, whether or not the text starts with it. */
export function replyText(r: {code: number; enhancedCode: string | null; text: string}): string {
  const text = r.enhancedCode && !r.text.startsWith(r.enhancedCode) ? `${r.enhancedCode} ${r.text}` : r.text
  return `${r.code} ${text}`
}

const ms = (value: number | undefined) => (value === undefined ? '' : formatDuration(value))

export function describeTls(c: ChalkInstance, tls: TlsInfo | null): string {
  if (!tls) return c.dim('no TLS')
  return `${tls.version ?? '?'} ${c.dim(tls.cipher ?? '')}`.trim()
}

export function describeCertificate(c: ChalkInstance, tls: TlsInfo): string {
  const m = marks(c)
  const cert = tls.certificate
  if (!cert) return `${m.fail} no certificate`
  const trust = tls.authorized ? `${m.ok} trusted` : `${m.fail} ${tls.authorizationError ?? 'untrusted'}`
  const name = tls.hostnameMatches ? `${m.ok} names ${tls.servername ?? 'the host'}` : `${m.fail} does not name ${tls.servername ?? 'the host'}`
  const days = cert.daysLeft < 0 ? c.red(`expired ${-cert.daysLeft} days ago`) : cert.daysLeft < 14 ? c.yellow(`${cert.daysLeft} days left`) : `${cert.daysLeft} days left`
  return `${cert.subject} · issuer ${cert.issuer} · ${days} · ${trust} · ${name}`
}

/** One server: a ✔/✖ line per check, then the timings and the findings. */
export function renderProbe(c: ChalkInstance, r: SmtpProbeResult, findings: readonly Finding[]): string {
  const m = marks(c)
  const t = r.timings
  const lines = [c.bold(`${r.host}${r.address !== r.host ? ` [${r.address}]` : ''} port ${r.port}`)]
  const row = (ok: boolean | null, label: string, text: string, time?: number) =>
    lines.push(`  ${ok === null ? c.dim('·') : ok ? m.ok : m.fail} ${label.padEnd(12)} ${text}${time === undefined ? '' : c.dim(`  ${ms(time)}`)}`)
  row(true, 'connect', r.address, t.connectMs)
  row(r.banner.code === 220, 'greeting', `${r.banner.code} ${r.banner.text}`, t.greetingMs)
  const ext = Object.entries(r.ehlo.extensions).map(([k, v]) => (v.length ? `${k}=${v.join(' ')}` : k))
  row(true, r.ehlo.protocol === 'ESMTP' ? 'EHLO' : 'HELO', `${r.ehlo.name}: ${ext.join(', ') || c.dim('no extensions')}`, t.ehloMs)
  if (r.tlsMode === 'none') row(false, 'TLS', 'not used: the session is plaintext')
  else row(true, r.tlsMode === 'implicit' ? 'TLS' : 'STARTTLS', describeTls(c, r.tls), t.tlsMs)
  if (r.tls) row(r.tls.authorized && r.tls.hostnameMatches && (r.tls.certificate?.daysLeft ?? -1) >= 0, 'certificate', describeCertificate(c, r.tls))
  const auth = r.auth
  const authText = auth.mechanisms.length ? `${auth.mechanisms.join(' ')}` : 'not offered'
  const authOk = auth.result === 'ok' ? true : auth.result === 'failed' || auth.result === 'refused-insecure' ? false : null
  row(authOk, 'AUTH', `${authText}${auth.result !== 'not-tested' && auth.result !== 'not-offered' ? ` → ${auth.result}${auth.mechanism ? ` (${auth.mechanism})` : ''}` : ''}`, t.authMs)
  if (r.relay) row(!r.relay.accepted, 'relay test', `<${r.relay.from}> → <${r.relay.to}>: ${r.relay.accepted ? c.red('ACCEPTED (open relay)') : 'refused'} ${c.dim(`${r.relay.code} ${r.relay.text}`)}`)
  for (const rcpt of r.recipients) row(rcpt.accepted, 'RCPT', `<${rcpt.address}> ${replyText(rcpt)}`)
  const phases = (['connectMs', 'greetingMs', 'ehloMs', 'tlsMs', 'authMs', 'rcptMs'] as const).filter((k) => t[k] !== undefined).map((k) => `${k.replace(/Ms$/, '')} ${ms(t[k])}`)
  lines.push(c.dim(`  timings: ${[...phases, `total ${ms(t.totalMs)}`].join(' · ')}`))
  lines.push('', renderFindings(c, findings))
  return lines.join('\n')
}

/** Several servers (--mx, trace): one table, preference order kept. */
export function renderProbeTable(c: ChalkInstance, probes: readonly HostProbe[], dane: readonly DaneInfo[] = []): string {
  const m = marks(c)
  // A DANE column when an exchange publishes TLSA records: what a sender that uses DANE makes of it.
  const published = dane.filter((d) => d.status !== 'not-published')
  const daneCell = (p: HostProbe) => {
    const d = published.find((x) => x.host === p.exchange.toLowerCase().replace(/\.$/, ''))
    if (!d) return ''
    if (d.senders === 'no-dane') return c.dim(d.authenticated ? 'not applied' : 'no AD bit')
    return d.senders === 'deliver' ? `${m.ok} ${d.matched ? `${d.matched.usage} ${d.matched.selector} ${d.matched.matchingType}` : d.status}` : `${m.fail} ${d.status}`
  }
  const rows = probes.map((p) => {
    const r = p.result
    const state = r ? m.ok : m.fail
    const d = published.find((x) => x.host === p.exchange.toLowerCase().replace(/\.$/, ''))
    // A DANE match vouches for the certificate (RFC 7672 §3.1.1, §3.2).
    const cert = r?.tls ? ((r.tls.authorized && r.tls.hostnameMatches) || (d?.senders === 'deliver' && d.status === 'matched') ? m.ok : m.fail) : ''
    const row = [
      String(p.preference),
      p.exchange,
      p.address,
      // The greeting's first line, shortened: its host name and software are what a person compares across MX hosts.
      r ? `${r.banner.code} ${shorten(r.banner.text.split('\n')[0] ?? '', 40)}`.trimEnd() : c.red(p.error?.code ?? 'failed'),
      r ? describeTls(c, r.tls) : '',
      cert,
      `${state} ${r ? ms(r.timings.totalMs) : ms(p.error?.partial?.timings.totalMs)}`,
    ]
    if (published.length > 0) row.splice(6, 0, daneCell(p))
    return row
  })
  return table(c, ['PREF', 'EXCHANGE', 'ADDRESS', 'BANNER', 'TLS', 'CERT', ...(published.length > 0 ? ['DANE'] : []), 'RESULT'], rows)
}

function shorten(text: string, max: number): string {
  return [...text].length <= max ? text : `${[...text].slice(0, max - 1).join('')}…`
}
