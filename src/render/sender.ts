import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {CheckStatus, SenderResult, SpfCheck} from '../lib/sender/schema.js'
import {foldLine, marks, outputColumns, table} from './style.js'
import {renderFindings} from './findings.js'
import {renderBimiSection, renderDkimSection, renderDmarcSection} from './sender-auth.js'

/**
 * The `sender` report: one section per check (SPF, DKIM, DMARC, BIMI, DNSBL, reverse DNS), each headed by its mark
 * (✔ found and fine, ⚠ a warning, ✖ an error, ? could not be checked), then the findings with their fixes.
 */
export function renderSender(c: ChalkInstance, r: SenderResult, findings: readonly Finding[]): string {
  const who = r.kind === 'null' ? `the null sender <> (HELO ${r.helo})` : r.kind === 'address' ? r.mailFrom! : r.domain!
  const ips = r.ips.length > 0 ? ` from ${r.ips.join(', ')}` : ''
  const blocks = [
    c.bold(`Mail from ${who}${ips}`),
    renderSpfSection(c, r, findings),
    renderDkimSection(c, r.dkim, findings),
    renderDmarcSection(c, r.dmarc, findings),
    renderBimiSection(c, r.bimi, findings),
    renderDnsblSection(c, r, findings),
    renderReverseSection(c, r, findings),
    renderFindings(c, findings),
  ]
  return blocks.join('\n\n')
}

/** A section's heading: its mark (the worst of its findings, or ? when it could not be checked), its title, a summary. */
export function sectionHeading(c: ChalkInstance, title: string, status: CheckStatus, summary: string, own: readonly Finding[], columns = outputColumns()): string {
  const m = marks(c)
  // Absent with only info findings (BIMI_MISSING, DKIM_SELECTOR_NOT_FOUND) is information, not a warning.
  const absent = own.length > 0 && own.every((f) => f.severity === 'info') ? m.info : m.warn
  const mark = status === 'unknown' ? c.yellow('?') : own.some((f) => f.severity === 'error') ? m.fail : own.some((f) => f.severity === 'warning') ? m.warn : status === 'absent' ? absent : m.ok
  // A long summary (a lookup error, a DMARC source) folds between words, under the title.
  return foldLine(`${mark} ${c.bold(title)}  `, summary, '    ', columns).join('\n')
}

/** The findings that belong to one section, by their code's prefix. */
export function sectionFindings(findings: readonly Finding[], prefixes: readonly string[]): Finding[] {
  return findings.filter((f) => prefixes.some((p) => f.code.startsWith(p)))
}

function renderSpfSection(c: ChalkInstance, r: SenderResult, findings: readonly Finding[]): string {
  const s = r.spf
  const own = sectionFindings(findings, ['SPF_'])
  const summary =
    s.status === 'unknown'
      ? `could not be checked: ${s.error}`
      : s.status === 'absent'
        ? `${s.domain ?? 'the domain'} publishes no SPF record`
        : `${s.results.map((x) => `${x.result} for ${x.ip}${x.identity === 'helo' ? ' (HELO)' : ''}`).concat(`${s.lookups} of 10 DNS lookups, ${s.voidLookups} of 2 void`).join(' · ')}`
  const lines = [sectionHeading(c, 'SPF', s.status, summary, own)]
  if (s.record) lines.push(`  ${s.domain}: ${s.record}`)
  if (s.results.length > 0) {
    const rows = s.results.map((x) => [x.ip, x.identity === 'helo' ? `HELO ${x.domain}` : `MAIL FROM ${x.sender}`, spfResult(c, x), x.mechanism ? `${x.mechanism}${x.matchedIn && x.matchedIn !== x.domain ? ` (in ${x.matchedIn})` : ''}` : x.reason])
    lines.push(indent(table(c, ['IP', 'IDENTITY', 'RESULT', 'DECIDED BY'], rows)))
  }
  return lines.join('\n')
}

function spfResult(c: ChalkInstance, x: SpfCheck): string {
  switch (x.result) {
    case 'pass':
      return c.green('pass')
    case 'fail':
    case 'permerror':
      return c.red(x.result)
    case 'temperror':
      return c.yellow('temperror (could not be checked)')
    default:
      return c.yellow(x.result)
  }
}

function renderDnsblSection(c: ChalkInstance, r: SenderResult, findings: readonly Finding[]): string {
  const own = sectionFindings(findings, ['DNSBL_'])
  if (r.dnsblZones.length === 0) return `${c.dim('○')} ${c.bold('DNSBL')}  ${r.ips.length === 0 ? 'not checked: no --ip' : 'not checked (--no-dnsbl)'}`
  const listed = r.dnsbl.filter((e) => e.status === 'listed').length
  const unknown = r.dnsbl.filter((e) => e.status === 'unknown').length
  const allUnknown = r.dnsbl.length > 0 && r.dnsbl.every((e) => e.status === 'unknown' || e.status === 'ignored')
  const summary = `${listed} listing${listed === 1 ? '' : 's'} in ${r.dnsblZones.length} zone${r.dnsblZones.length === 1 ? '' : 's'}${unknown ? `, ${unknown} could not be checked` : ''}`
  const m = marks(c)
  const rows = r.dnsbl.map((e) => {
    const state =
      e.status === 'listed'
        ? `${m.fail} listed ${e.codes.join(', ')}${e.reason ? `: ${e.reason}` : ''}`
        : e.status === 'not-listed'
          ? `${m.ok} not listed`
          : e.status === 'ignored'
            ? `${c.dim('○')} zone ignored: ${e.error}`
            : `${c.yellow('?')} could not be checked: ${e.error}`
    return [e.ip, e.zone, state]
  })
  return [sectionHeading(c, 'DNSBL', allUnknown ? 'unknown' : 'found', summary, own), indent(table(c, ['IP', 'ZONE', 'STATUS'], rows))].join('\n')
}

function renderReverseSection(c: ChalkInstance, r: SenderResult, findings: readonly Finding[]): string {
  if (r.reverse.length === 0) return `${c.dim('○')} ${c.bold('Reverse DNS')}  not checked: no --ip`
  const own = findings.filter((f) => ['PTR_MISSING', 'PTR_GENERIC', 'FCRDNS_MISMATCH'].includes(f.code) || (f.code.startsWith('DNS_') && r.ips.includes(f.subject ?? '')))
  const m = marks(c)
  const status: CheckStatus = r.reverse.some((e) => e.status === 'unknown') ? 'unknown' : r.reverse.every((e) => e.status === 'absent') ? 'absent' : 'found'
  const rows = r.reverse.map((e) => [
    e.ip,
    e.status === 'unknown' ? `${c.yellow('?')} ${e.error}` : e.ptr.length ? e.ptr.join(', ') : c.dim('(none)'),
    e.fcrdns === null ? c.yellow('?') : e.fcrdns ? m.ok : m.fail,
    e.generic ? `${m.warn} generic` : '',
  ])
  const summary = `${r.reverse.filter((e) => e.fcrdns === true).length} of ${r.reverse.length} forward-confirmed`
  return [sectionHeading(c, 'Reverse DNS', status, summary, own), indent(table(c, ['IP', 'PTR', 'FCrDNS', 'NAME'], rows))].join('\n')
}

export function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n')
}
