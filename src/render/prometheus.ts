import {couldNotCheck, countBySeverity, type Report, type Unit} from './monitoring.js'

/**
 * --format prometheus: the Prometheus text exposition format (version 0.0.4): HELP and TYPE before
 * each family, a family's samples together, label values escaped, no timestamps (node_exporter's
 * textfile collector refuses them), a newline at the end. blackbox_exporter's names where the meaning
 * is the same (probe_success, probe_duration_seconds, probe_dns_lookup_time_seconds,
 * probe_ssl_earliest_cert_expiry, probe_tls_version_info), maildig_* for the rest. Every sample has
 * the labels command and target, so several runs' files can sit side by side in one textfile folder.
 */

interface Family {
  name: string
  type: 'gauge' | 'counter'
  help: string
  samples: {labels: Record<string, string>; value: number}[]
}

export function renderPrometheus(report: Report): string {
  const base = {command: report.command, target: report.target}
  const families: Family[] = []
  const family = (name: string, type: Family['type'], help: string) => {
    let f = families.find((x) => x.name === name)
    if (!f) families.push((f = {name, type, help, samples: []}))
    return f
  }
  const add = (name: string, help: string, value: number, labels: Record<string, string> = {}, type: Family['type'] = 'gauge') => family(name, type, help).samples.push({labels: {...base, ...labels}, value})

  add('probe_success', 'Whether the check succeeded: 1 when maildig exited 0 (no error finding) and could check, else 0.', report.exitCode === 0 && !couldNotCheck(report) ? 1 : 0)
  add('probe_duration_seconds', 'How long the whole check took, in seconds.', report.totalMs / 1000)
  if (report.stages.lookup !== undefined) add('probe_dns_lookup_time_seconds', 'How long the DNS lookup of the target took, in seconds.', report.stages.lookup / 1000)
  const expiries = report.tls.filter((t) => t.notAfter && Number.isFinite(Date.parse(t.notAfter)))
  for (const t of expiries) add('probe_ssl_earliest_cert_expiry', 'The earliest expiry of the certificates the server presented, as a Unix time in seconds.', Date.parse(t.notAfter!) / 1000, peer(t.peer))
  for (const t of report.tls) if (t.version) add('probe_tls_version_info', 'The TLS version the connection used (the value is always 1).', 1, {...peer(t.peer), version: tlsVersionName(t.version)})
  add('maildig_exit_code', 'maildig\'s exit code (docs/cli.md): 0 fine, 1 a problem found, 3-8 the check could not complete.', report.exitCode)
  for (const [stage, ms] of Object.entries(report.stages)) add('maildig_stage_duration_seconds', 'How long each stage of the check took, in seconds.', ms / 1000, {stage})
  const counts = countBySeverity(report.findings)
  for (const severity of ['error', 'warning', 'info'] as const) add('maildig_findings', 'The number of findings of each severity.', counts[severity], {severity})
  const byCode = new Map<string, {severity: string; n: number}>()
  for (const f of report.findings) byCode.set(f.code, {severity: f.severity, n: (byCode.get(f.code)?.n ?? 0) + 1})
  for (const [code, {severity, n}] of byCode) add('maildig_finding', 'The findings of this run by code (docs/findings.md): how many times each was reported.', n, {code, severity})
  for (const v of report.values) {
    const name = metricName(v.name, v.unit)
    add(name, v.help, v.value, v.labels, v.unit === 'c' ? 'counter' : 'gauge')
  }
  return families.map(renderFamily).join('')
}

function peer(name: string | undefined): Record<string, string> {
  return name ? {peer: name} : {}
}

/** "TLSv1.3" → "TLS 1.3", as blackbox_exporter labels it. */
export function tlsVersionName(version: string): string {
  return version.replace(/^TLSv(\d)/, 'TLS $1')
}

/** maildig_NAME with the unit's suffix (Prometheus naming practice: base units, unit in the name). */
function metricName(name: string, unit: Unit): string {
  const clean = name.replace(/[^a-zA-Z0-9_]/g, '_')
  const suffix = {s: '_seconds', B: '_bytes', '%': '_percent', c: '_total', '': ''}[unit]
  return `maildig_${clean}${clean.endsWith(suffix) ? '' : suffix}`
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`]
  for (const s of f.samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    lines.push(`${f.name}${labels.length ? `{${labels.join(',')}}` : ''} ${formatValue(s.value)}`)
  }
  return `${lines.join('\n')}\n`
}

function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
}

/** Label values: backslash, double quote and line feed escaped (the format's rules); other control characters shown as \xNN. */
export function escapeLabel(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Number.POSITIVE_INFINITY) return '+Inf'
  if (n === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(n)
}
