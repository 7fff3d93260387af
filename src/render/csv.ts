import type {Envelope} from './json.js'

/**
 * `--format csv`: one row per target, the columns docs/cli.md ("Batch runs") names, RFC 4180 quoting
 * (CRLF line ends, fields with a comma, quote or line break quoted). A field that a spreadsheet would
 * run as a formula (starting with =, +, -, @, a tab or CR) gets a leading apostrophe (OWASP "CSV
 * injection"): targets and server names come from outside.
 */
export const CSV_COLUMNS = ['target', 'command', 'ok', 'exit_code', 'error_code', 'errors', 'warnings', 'finding_codes', 'total_ms', 'summary'] as const

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`
}

export function csvRow(doc: Envelope): string {
  const count = (severity: string) => doc.findings.filter((f) => f.severity === severity).length
  const codes = [...new Set(doc.findings.map((f) => f.code))].join(' ')
  const cells = [
    String(doc.target ?? ''),
    doc.command,
    String(doc.ok),
    String(doc.exitCode),
    doc.error?.code ?? '',
    String(count('error')),
    String(count('warning')),
    codes,
    String(doc.timings.totalMs ?? ''),
    summaryOf(doc),
  ]
  return `${cells.map(csvField).join(',')}\r\n`
}

export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

type Exchange = {preference: number; exchange: string}
type Probe = {address: string; ok: boolean; error: {code: string} | null}

/** The command's own short answer: what a person scanning the sheet wants next to the codes. */
function summaryOf(doc: Envelope): string {
  const mx = (doc.command === 'mx' ? doc : doc.mx) as {kind?: string; exchanges?: Exchange[]} | undefined
  const exchanges = mx?.kind === undefined ? '' : mx.kind === 'null' ? 'null MX' : `${mx.kind === 'implicit' ? 'implicit ' : ''}${(mx.exchanges ?? []).map((e) => `${e.preference} ${e.exchange}`).join('; ')}`
  if (doc.command === 'mx') return exchanges
  const probes = doc.probes as Probe[] | undefined
  const probed = probes ? probes.map((p) => `${p.address} ${p.ok ? 'ok' : (p.error?.code ?? 'failed')}`).join('; ') : ''
  if (doc.command === 'trace') {
    const verdict = doc.verdict as {deliverable?: boolean; via?: {exchange: string; address: string} | null} | undefined
    return verdict ? `${verdict.deliverable ? 'deliverable' : 'not deliverable'}${verdict.via ? ` via ${verdict.via.exchange} [${verdict.via.address}]` : ''}` : ''
  }
  if (probes) return [exchanges, probed].filter(Boolean).join(' | ')
  const banner = doc.banner as {code?: number} | undefined
  return doc.address ? `${String(doc.address)}${banner?.code ? ` ${banner.code}` : ''}` : ''
}
