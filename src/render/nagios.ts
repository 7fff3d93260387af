import type {Finding} from '../lib/findings.js'
import {formatRange, type Range} from '../lib/range.js'
import {couldNotCheck, countBySeverity, formatNumber, samplesOf, type Report, type Sample} from './monitoring.js'
import {escapeControls} from './sanitize.js'

/**
 * --format nagios: the monitoring plugins' output (monitoring-plugin guidelines, "Output"), as
 * check_smtp, check_imap and check_pop print it:
 *
 *   SERVICE STATE - text | 'label'=value[UOM];warn;crit;min;max …
 *   long text, one line per finding
 *
 * and the exit code 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. docs/monitoring.md has the mapping.
 */
export const NAGIOS_STATES = ['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'] as const
export type NagiosState = 0 | 1 | 2 | 3

/** Findings shown in the status line before "(+N more)"; the long text lists them all. */
const STATUS_FINDINGS = 2

/** The plugin state of a report: UNKNOWN when maildig could not check, else the worst of findings and exit code. */
export function nagiosState(report: Pick<Report, 'exitCode' | 'error' | 'findings' | 'unchecked'>): NagiosState {
  if (couldNotCheck(report)) return 3
  if (report.error || report.exitCode !== 0) return 2
  if (report.findings.some((f) => f.severity === 'error')) return 2
  if (report.findings.some((f) => f.severity === 'warning')) return 1
  return 0
}

export function renderNagios(report: Report): {text: string; exitCode: NagiosState} {
  const state = nagiosState(report)
  const perf = [...samplesOf(report).map(perfdata), ...severityPerfdata(report.findings)].join(' ')
  const lines = [`${statusText(report.service)} ${NAGIOS_STATES[state]} - ${oneLine(statusMessage(report, state))} | ${perf}`]
  for (const f of report.findings) lines.push(oneLine(`[${f.severity.toUpperCase()}] ${f.code}${f.subject ? ` (${f.subject})` : ''}: ${f.message}`))
  return {text: `${lines.join('\n')}\n`, exitCode: state}
}

/** A usage error before anything ran: `SERVICE UNKNOWN - message`, exit 3. */
export function renderNagiosUsage(service: string, message: string): string {
  return `${statusText(service)} UNKNOWN - ${oneLine(message.split('\n').join('; '))}\n`
}

function statusMessage(report: Report, state: NagiosState): string {
  const where = report.target ? `${report.target}: ` : ''
  if (report.error) return `${where}${report.error.message}`
  if (report.unchecked !== undefined) return `${where}${report.unchecked}`
  const worst: Finding['severity'] = state === 2 ? 'error' : 'warning'
  const shown = state === 0 ? [] : report.findings.filter((f) => f.severity === worst)
  if (shown.length === 0) {
    const done = report.summary ?? 'checked'
    return `${where}${done}, ${formatNumber(report.totalMs / 1000, 3)} s response time`
  }
  const words = shown.slice(0, STATUS_FINDINGS).map((f) => `${f.code}: ${f.message}`)
  const more = shown.length > STATUS_FINDINGS ? ` (+${shown.length - STATUS_FINDINGS} more)` : ''
  return `${where}${words.join('; ')}${more}`
}

/** One line of plugin output: no control characters, no line break, and no `|` (it starts the performance data). */
function oneLine(text: string): string {
  return escapeControls(text.replace(/\r?\n/g, ' ')).replaceAll('|', '¦')
}

function statusText(service: string): string {
  return oneLine(service).replace(/\s+/g, '_').toUpperCase()
}

function perfdata(sample: Sample): string {
  const labels = sample.labels ? `[${Object.values(sample.labels).join(',')}]` : ''
  const label = `${sample.label}${labels}`.replace(/['=]/g, '_')
  const range = (r: Range | undefined) => (r ? formatRange(r, (n) => formatNumber(n)) : '')
  const fields = [
    `'${escapeControls(label)}'=${formatNumber(sample.value)}${sample.unit}`,
    range(sample.threshold?.warning),
    range(sample.threshold?.critical),
    sample.min === undefined ? '' : formatNumber(sample.min),
    sample.max === undefined ? '' : formatNumber(sample.max),
  ]
  // Trailing empty fields may be left out (guidelines).
  while (fields.length > 1 && fields.at(-1) === '') fields.pop()
  return fields.join(';')
}

function severityPerfdata(findings: readonly Finding[]): string[] {
  const counts = countBySeverity(findings)
  return (['error', 'warning', 'info'] as const).map((s) => `'findings_${s}'=${counts[s]};;;0`)
}
