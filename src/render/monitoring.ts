import type {Finding} from '../lib/findings.js'
import type {Envelope} from './json.js'
import {alerts, formatRange, type Range} from '../lib/range.js'

/**
 * The monitoring formats (--format nagios|prometheus|junit, docs/monitoring.md) all start from one
 * report: the command's JSON document (envelope, fields, findings) plus what the command says it
 * measured. A command plugs in by overriding `measure()` in its class (src/cli/base-command.ts) and
 * returning these; everything else — stage durations from `timings`, findings by severity, the exit
 * code's meaning, thresholds — is the same for every command.
 */

/** Units of the monitoring-plugins performance data: seconds, bytes, percent, a counter, or a plain number. */
export type Unit = 's' | 'B' | '%' | 'c' | ''

/** A number the command measured beyond its stage durations (a mailbox's message count, a round trip's latency). */
export interface Value {
  /** lower_snake: the performance-data label, the threshold label and (as maildig_NAME) the metric name. */
  name: string
  value: number
  unit: Unit
  /** One sentence for the metric's HELP line. */
  help: string
  /** For one value per server or mailbox: the Prometheus labels (the Nagios label gets their values in brackets). */
  labels?: Record<string, string>
  min?: number
  max?: number
}

/** The TLS session with one server: its protocol version and the earliest expiry in the chain it sent. */
export interface TlsFact {
  /** The server, when the command talked to several (an MX address). */
  peer?: string
  /** As Node names it: "TLSv1.3". */
  version: string | null
  /** ISO 8601: the earliest validTo of the certificates the server presented. */
  notAfter: string | null
}

/** One check behind the verdict, as a JUnit testcase. */
export interface Check {
  name: string
  status: 'passed' | 'failed' | 'error' | 'skipped'
  ms?: number
  message?: string
}

/** What a command's `measure()` returns. Every field but service and target is optional. */
export interface Measurements {
  /** The Nagios service name in the status line: SMTP, IMAP, POP, MX, TRACE. */
  service: string
  /** What was checked, as typed (host:port, domain, recipient): a label on every metric. */
  target: string
  /** The status text when nothing is wrong: "220 mx.example.com ESMTP, TLSv1.3". */
  summary?: string
  /** Milliseconds per stage; by default the document's `timings` (`connectMs` → `connect`). */
  stages?: Record<string, number>
  tls?: TlsFact[]
  values?: Value[]
  /** The checks the command ran; by default one per stage that ran. */
  checks?: Check[]
  /**
   * Set when the run ended without a fatal error but could check nothing (every lookup it depended on went unanswered):
   * why. Such a run is UNKNOWN, probe_success 0 and a JUnit <error>, as a fatal DNS failure is. By default: when every
   * check that was not skipped is an `error` (could not be made), the first one's message.
   */
  unchecked?: string
}

/** --warning / --critical for one measurement label. */
export interface Threshold {
  label: string
  warning?: Range
  critical?: Range
}

/** One measured number as every format shows it, with the thresholds that judged it. */
export interface Sample {
  /** The performance-data label and threshold label: `time`, `connect`, `cert_days`, a value's name. */
  label: string
  value: number
  unit: Unit
  labels?: Record<string, string>
  min?: number
  max?: number
  threshold?: Threshold
}

export interface Report {
  command: string
  service: string
  target: string
  exitCode: number
  ok: boolean
  error?: {code: string; message: string}
  /** The command could not check at all: usage, DNS failure of its target, its own error, an interruption. */
  findings: Finding[]
  totalMs: number
  summary?: string
  stages: Record<string, number>
  tls: TlsFact[]
  values: Value[]
  checks: Check[]
  thresholds: Threshold[]
  /** The run could check nothing, though it did not fail (Measurements.unchecked): why. */
  unchecked?: string
  /** When the run ended (JUnit's timestamp). */
  finishedAt: Date
}

/** The document as the base command has it: the JSON envelope with the command's fields. */
export type CheckDocument = Envelope

/** Stage durations from a `timings` object: every `<stage>Ms` but the total. */
export function stagesOf(timings: Record<string, unknown> | undefined): Record<string, number> {
  const stages: Record<string, number> = {}
  for (const [key, value] of Object.entries(timings ?? {})) {
    const match = /^([a-z][A-Za-z0-9]*)Ms$/.exec(key)
    if (match && match[1] !== 'total' && typeof value === 'number' && Number.isFinite(value)) stages[snake(match[1])] = value
  }
  return stages
}

/**
 * One check (a JUnit test case) per stage that ran. In a run that failed, the stage the failure ended is a failure,
 * not a pass: the lookup for a DNS failure (exit 3), auth for a refused login (7), and for a connection, timeout, TLS or
 * protocol failure (4, 5, 6, 8) the last stage measured, since such an error ends the session there (no QUIT follows)
 * and a stage's time is recorded also when it fails.
 */
export function stageChecks(stages: Record<string, number>, doc: Pick<CheckDocument, 'exitCode' | 'error'>): Check[] {
  const names = Object.keys(stages)
  const {error} = doc
  const failed = !error ? undefined : doc.exitCode === 3 ? 'lookup' : doc.exitCode === 7 ? 'auth' : [4, 5, 6, 8].includes(doc.exitCode) ? names.at(-1) : undefined
  return names.map((name) => (error && name === failed ? {name, status: 'failed', ms: stages[name], message: `${error.code}: ${error.message}`} : {name, status: 'passed', ms: stages[name]}))
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}

/** Whole days from now until an ISO date (negative once past), as the certificate report counts them. */
export function daysUntil(iso: string, now: number = Date.now()): number {
  return Math.floor((Date.parse(iso) - now) / 86_400_000)
}

export function buildReport(doc: CheckDocument, measured: Measurements, thresholds: Threshold[], finishedAt = new Date()): Report {
  const stages = measured.stages ?? stagesOf(doc.timings)
  const checks = measured.checks ?? stageChecks(stages, doc)
  const unchecked = doc.error ? undefined : (measured.unchecked ?? nothingChecked(checks))
  return {
    command: doc.command,
    service: measured.service,
    target: measured.target,
    exitCode: doc.exitCode,
    ok: doc.ok,
    ...(doc.error ? {error: doc.error} : {}),
    findings: doc.findings,
    totalMs: doc.timings.totalMs ?? 0,
    ...(measured.summary ? {summary: measured.summary} : {}),
    stages,
    tls: measured.tls ?? [],
    values: measured.values ?? [],
    checks,
    thresholds,
    ...(unchecked === undefined ? {} : {unchecked}),
    finishedAt,
  }
}

/** Why nothing was checked, when every check that was not skipped could not be made (status `error`); else undefined. */
function nothingChecked(checks: readonly Check[]): string | undefined {
  const made = checks.filter((c) => c.status !== 'skipped')
  if (made.length === 0 || made.some((c) => c.status !== 'error')) return undefined
  return `nothing could be checked: ${made[0].message ?? `${made[0].name} could not run`}`
}

/**
 * The finding codes of a DNS query that got no answer at all (nothing listening, no reply in time): what the run learnt
 * is nothing about the target. A SERVFAIL or NXDOMAIN is an answer.
 */
export const NO_ANSWER_CODES: readonly string[] = ['DNS_UNREACHABLE', 'DNS_TIMEOUT']

/**
 * Every number of the report under its label, thresholds attached: `time` (the whole run, s), one per
 * stage (s), `cert_days` per TLS session, and the command's own values.
 */
export function samplesOf(report: Pick<Report, 'totalMs' | 'stages' | 'tls' | 'values' | 'thresholds' | 'finishedAt'>): Sample[] {
  const threshold = (label: string) => report.thresholds.find((t) => t.label === label)
  const samples: Sample[] = [{label: 'time', value: report.totalMs / 1000, unit: 's', min: 0, threshold: threshold('time')}]
  for (const [stage, ms] of Object.entries(report.stages)) samples.push({label: stage, value: ms / 1000, unit: 's', min: 0, threshold: threshold(stage)})
  for (const tls of report.tls) {
    if (!tls.notAfter) continue
    samples.push({label: 'cert_days', value: daysUntil(tls.notAfter, report.finishedAt.getTime()), unit: '', ...(tls.peer ? {labels: {peer: tls.peer}} : {}), threshold: threshold('cert_days')})
  }
  for (const v of report.values) samples.push({label: v.name, value: v.value, unit: v.unit, labels: v.labels, min: v.min, max: v.max, threshold: threshold(v.name)})
  return samples
}

/** Words for a label in a finding's message. */
const LABEL_WORDS: Record<string, string> = {time: 'the response time', cert_days: 'the certificate\'s days of validity', latency: 'the end-to-end latency'}

/**
 * Findings for the samples outside their --warning / --critical ranges: THRESHOLD_CRITICAL (error,
 * so exit 1 and CRITICAL) or THRESHOLD_WARNING (warning). Every output format sees them.
 */
export function judge(samples: Sample[]): Finding[] {
  const findings: Finding[] = []
  for (const s of samples) {
    if (!s.threshold) continue
    const which = s.threshold.critical && alerts(s.threshold.critical, s.value) ? 'critical' : s.threshold.warning && alerts(s.threshold.warning, s.value) ? 'warning' : undefined
    if (!which) continue
    const range = s.threshold[which]!
    const what = `${LABEL_WORDS[s.label] ?? s.label}${s.labels ? ` (${Object.values(s.labels).join(', ')})` : ''}`
    const shown = s.unit === 's' ? `${formatNumber(s.value, 3)} s` : `${formatNumber(s.value, 3)}${s.unit ? ` ${s.unit}` : ''}`
    findings.push({
      code: which === 'critical' ? 'THRESHOLD_CRITICAL' : 'THRESHOLD_WARNING',
      severity: which === 'critical' ? 'error' : 'warning',
      message: `${what} is ${shown}: ${range.inside ? 'inside' : 'outside'} the --${which} range ${formatRange(range, (n) => formatNumber(n))}`,
      subject: s.label,
    })
  }
  return findings
}

/** A number with dot decimals, never an exponent, without trailing zeros: 0.0123, 14, 1767225600. */
export function formatNumber(n: number, decimals = 6): string {
  if (!Number.isFinite(n)) return String(n)
  const fixed = n.toFixed(decimals)
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') || '0' : fixed
}

/** Findings counted by severity, every severity present. */
export function countBySeverity(findings: readonly Finding[]): Record<'error' | 'warning' | 'info', number> {
  const counts = {error: 0, warning: 0, info: 0}
  for (const f of findings) counts[f.severity]++
  return counts
}

/**
 * The run could not check (Nagios UNKNOWN, a JUnit error, probe_success 0): usage (2), DNS failure of the target (3),
 * authentication with the check's own credentials (7), maildig's own error, an interruption, or a run that checked
 * nothing (`unchecked`).
 * docs/monitoring.md explains the choice.
 */
export function couldNotCheck(report: Pick<Report, 'exitCode' | 'error' | 'unchecked'>): boolean {
  // A run that ended well but checked nothing (sender with every lookup unanswered, trace without the MX lookup).
  if (report.unchecked !== undefined) return true
  // Exit 2, 3 and 7 mean that for every command (docs/cli.md), with or without a fatal error (sender's domain that does not exist is exit 3 with a report).
  if ([2, 3, 7].includes(report.exitCode)) return true
  // A DNS timeout is exit 5, but it is as much a DNS failure of the target as NXDOMAIN (exit 3).
  return report.error !== undefined && /^(DNS_|DOMAIN_NOT_FOUND$|INTERNAL_ERROR$|INTERRUPTED$)/.test(report.error.code)
}

/** The TLS facts of a document's `tls` object (probe-smtp, imap-check, pop3-list): version and earliest expiry in the chain. */
export function tlsFact(tls: unknown, peer?: string): TlsFact | undefined {
  if (!tls || typeof tls !== 'object') return undefined
  const t = tls as {version?: string | null; certificate?: {validTo?: string} | null; chain?: {validTo?: string}[]}
  const dates = [t.certificate?.validTo, ...(t.chain ?? []).map((c) => c.validTo)].filter((d): d is string => typeof d === 'string' && Number.isFinite(Date.parse(d)))
  const notAfter = dates.sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? null
  return {...(peer ? {peer} : {}), version: t.version ?? null, notAfter}
}
