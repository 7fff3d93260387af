import {describe, expect, it} from 'vitest'
import {alerts, criticalInsideWarning, formatRange, parseRange, type Range} from '../../../src/lib/range.js'
import {buildReport, judge, samplesOf, type CheckDocument, type Report} from '../../../src/render/monitoring.js'
import {nagiosState, renderNagios, renderNagiosUsage} from '../../../src/render/nagios.js'
import {escapeLabel, renderPrometheus} from '../../../src/render/prometheus.js'
import {renderJunit, xmlAttribute, xmlText} from '../../../src/render/junit.js'

function range(text: string, unit: 'number' | 'seconds' = 'number'): Range {
  const r = parseRange(text, unit)
  if ('problem' in r) throw new Error(r.problem)
  return r
}

describe('threshold ranges (monitoring-plugin guidelines)', () => {
  it.each([
    // [range, value, alerts?]
    ['10', 5, false],
    ['10', 11, true],
    ['10', -1, true],
    ['10:', 9, true],
    ['10:', 10, false],
    ['~:10', -100, false],
    ['~:10', 10.5, true],
    ['10:20', 15, false],
    ['10:20', 21, true],
    ['@10:20', 10, true],
    ['@10:20', 20, true],
    ['@10:20', 21, false],
  ] as const)('%s with %d: alert %s', (text, value, alert) => {
    expect(alerts(range(text), value)).toBe(alert)
  })

  it('reads durations for time measurements, in seconds', () => {
    expect(range('500ms', 'seconds')).toEqual({start: 0, end: 0.5, inside: false})
    expect(range('1m:', 'seconds')).toEqual({start: 60, end: Number.POSITIVE_INFINITY, inside: false})
    expect(range('2', 'seconds').end).toBe(2)
    expect(parseRange('2s', 'number')).toHaveProperty('problem')
  })

  it.each(['', '@', 'ten', '1:2:3', '20:10', '~', '1e3'])('refuses %j', (text) => {
    expect(parseRange(text, 'seconds')).toHaveProperty('problem')
  })

  it('writes ranges back in the same syntax', () => {
    for (const text of ['10', '10:', '~:10', '10:20', '@10:20', '0.5']) expect(formatRange(range(text))).toBe(text)
  })

  it('knows a critical range that alerts on less than the warning range', () => {
    expect(criticalInsideWarning(range('10'), range('5'))).toBe(true)
    expect(criticalInsideWarning(range('5'), range('10'))).toBe(false)
    expect(criticalInsideWarning(range('14:'), range('30:'))).toBe(true)
    expect(criticalInsideWarning(range('30:'), range('14:'))).toBe(false)
  })
})

const NOW = new Date('2026-12-01T12:00:00Z')

function doc(overrides: Partial<CheckDocument> = {}): CheckDocument {
  return {command: 'probe-smtp', ok: true, exitCode: 0, findings: [], timings: {connectMs: 2.5, greetingMs: 10, totalMs: 52.5}, ...overrides}
}

function report(d: CheckDocument = doc(), thresholds: Report['thresholds'] = []): Report {
  return buildReport(d, {service: 'SMTP', target: 'mx.example.test:25', summary: '220 mx ESMTP', tls: [{version: 'TLSv1.3', notAfter: '2027-01-01T00:00:00Z'}]}, thresholds, NOW)
}

/** The monitoring-plugins performance data grammar: 'label'=value[UOM];[warn];[crit];[min];[max]. */
const NUMBER = String.raw`-?\d+(\.\d+)?`
const RANGE = String.raw`@?(~|${NUMBER})?:?(${NUMBER})?`
const PERFDATA = new RegExp(String.raw`^'[^'=]+'=${NUMBER}(s|ms|us|%|B|KB|MB|TB|c)?(;(${RANGE})?){0,4}$`)

describe('--format nagios', () => {
  it('prints one status line with performance data, then the findings', () => {
    const {text, exitCode} = renderNagios(report(doc({findings: [{code: 'PTR_MISSING', severity: 'warning', message: 'no PTR | at all', subject: '192.0.2.1'}]})))
    expect(exitCode).toBe(1)
    const [status, ...long] = text.trimEnd().split('\n')
    expect(status).toMatch(/^SMTP WARNING - mx\.example\.test:25: PTR_MISSING: no PTR ¦ at all \| /)
    const perf = status.split(' | ')[1].split(' ')
    for (const p of perf) expect(p).toMatch(PERFDATA)
    expect(perf).toContain("'time'=0.0525s;;;0")
    expect(perf).toContain("'cert_days'=30")
    expect(long).toEqual(['[WARNING] PTR_MISSING (192.0.2.1): no PTR ¦ at all'])
  })

  it('maps exit codes and findings to the plugin states', () => {
    expect(nagiosState({exitCode: 0, findings: []})).toBe(0)
    expect(nagiosState({exitCode: 0, findings: [{code: 'X', severity: 'info', message: ''}]})).toBe(0)
    expect(nagiosState({exitCode: 1, findings: [{code: 'X', severity: 'error', message: ''}]})).toBe(2)
    expect(nagiosState({exitCode: 1, findings: []})).toBe(2)
    expect(nagiosState({exitCode: 4, findings: [], error: {code: 'CONNECT_REFUSED', message: ''}})).toBe(2)
    expect(nagiosState({exitCode: 5, findings: [], error: {code: 'GREETING_TIMEOUT', message: ''}})).toBe(2)
    expect(nagiosState({exitCode: 3, findings: [], error: {code: 'DOMAIN_NOT_FOUND', message: ''}})).toBe(3)
    expect(nagiosState({exitCode: 5, findings: [], error: {code: 'DNS_TIMEOUT', message: ''}})).toBe(3)
    expect(nagiosState({exitCode: 7, findings: [], error: {code: 'LOGIN_FAILED', message: ''}})).toBe(3)
    expect(nagiosState({exitCode: 1, findings: [], error: {code: 'INTERNAL_ERROR', message: ''}})).toBe(3)
  })

  it('puts thresholds in the performance data and judges them', () => {
    const thresholds = [{label: 'time', warning: range('0.01', 'seconds'), critical: range('1', 'seconds')}, {label: 'cert_days', warning: range('60:'), critical: range('14:')}]
    const r = report(doc(), thresholds)
    const findings = judge(samplesOf(r))
    expect(findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['THRESHOLD_WARNING', 'warning', 'time'],
      ['THRESHOLD_WARNING', 'warning', 'cert_days'],
    ])
    const {text} = renderNagios(r)
    expect(text).toContain("'time'=0.0525s;0.01;1;0")
    expect(text).toContain("'cert_days'=30;60:;14:")
  })

  it('a usage error is one UNKNOWN line', () => {
    expect(renderNagiosUsage('probe-smtp', '--port: "x" is not a port number\n--tls: bad')).toBe('PROBE-SMTP UNKNOWN - --port: "x" is not a port number; --tls: bad\n')
  })

  it('keeps server text on one line, without control characters', () => {
    const {text} = renderNagios(report(doc({exitCode: 1, ok: false, error: {code: 'PROTOCOL_ERROR', message: 'bad reply "\u001b[31mred\r\nX|Y"'}})))
    expect(text.split('\n')[0]).toContain('bad reply "\\x1b[31mred X¦Y"')
    expect(text).not.toMatch(/\u001b/)
  })
})

describe('--format prometheus', () => {
  it('escapes label values', () => {
    expect(escapeLabel('a\\b"c\nd\u0007')).toBe('a\\\\b\\"c\\nd\\\\x07')
  })

  it('writes each family once, HELP and TYPE first, blackbox_exporter names, no timestamps', () => {
    const text = renderPrometheus(report(doc({findings: [{code: 'PTR_MISSING', severity: 'warning', message: ''}]})))
    expect(text.endsWith('\n')).toBe(true)
    expect(text).toContain('probe_success{command="probe-smtp",target="mx.example.test:25"} 1\n')
    expect(text).toContain('probe_ssl_earliest_cert_expiry{command="probe-smtp",target="mx.example.test:25"} 1798761600\n')
    expect(text).toContain('probe_tls_version_info{command="probe-smtp",target="mx.example.test:25",version="TLS 1.3"} 1\n')
    expect(text).toContain('maildig_stage_duration_seconds{command="probe-smtp",target="mx.example.test:25",stage="greeting"} 0.01\n')
    expect(text).toContain('maildig_findings{command="probe-smtp",target="mx.example.test:25",severity="warning"} 1\n')
    const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1])
    expect(new Set(names).size).toBe(names.length)
    for (const line of text.trimEnd().split('\n').filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+\{[^}]*\} -?[\d.e+-]+$/)
  })
})

describe('--format junit', () => {
  it('escapes XML and writes characters XML 1.0 forbids as visible escapes', () => {
    expect(xmlText('<a & b>\u0000\u001b\ud800')).toBe('&lt;a &amp; b&gt;\\x00\\x1b\\ud800')
    expect(xmlAttribute('"x"\n\ty')).toBe('&quot;x&quot;&#10;&#9;y')
    expect(xmlText('😀 é')).toBe('😀 é')
  })

  it('an error finding is a failure, a fatal error an error, a skipped check skipped', () => {
    const failed = renderJunit(report(doc({exitCode: 1, ok: false, findings: [{code: 'TLS_CERT_EXPIRED', severity: 'error', message: 'expired'}, {code: 'LOGIN_SKIPPED', severity: 'info', message: 'no --user'}]})))
    expect(failed).toContain('<failure type="TLS_CERT_EXPIRED" message="expired"/>')
    expect(failed).toContain('<skipped message="no --user"/>')
    expect(failed).toMatch(/<testsuite [^>]*tests="4" failures="1" errors="0" skipped="1"/)
    const fatal = renderJunit(report(doc({exitCode: 4, ok: false, error: {code: 'CONNECT_REFUSED', message: 'refused'}, findings: [{code: 'CONNECT_REFUSED', severity: 'error', message: 'refused'}]})))
    expect(fatal).toContain('<error type="CONNECT_REFUSED" message="refused">exit 4</error>')
    expect(fatal).not.toContain('<failure type=')
  })

  it('the stage a failure ended is a failure, not a pass; the stages before it pass', () => {
    const failedStages = (d: CheckDocument) => buildReport(d, {service: 'SMTP', target: 't'}, [], NOW).checks.filter((c) => c.status === 'failed').map((c) => [c.name, c.message])
    const failure = (exitCode: number, code: string, timings: Record<string, number>) => doc({exitCode, ok: false, error: {code, message: 'why'}, findings: [{code, severity: 'error', message: 'why'}], timings})
    // A refused connect after the lookup: connect failed, the lookup passed.
    const refused = failure(4, 'CONNECT_REFUSED', {lookupMs: 3, connectMs: 1, totalMs: 9})
    expect(failedStages(refused)).toEqual([['connect', 'CONNECT_REFUSED: why']])
    expect(renderJunit(report(refused))).toMatch(/<testcase name="lookup" [^>]*\/>\n\s*<testcase name="connect" [^>]*>\n\s*<failure message="CONNECT_REFUSED: why"\/>/)
    expect(failedStages(failure(5, 'GREETING_TIMEOUT', {lookupMs: 3, connectMs: 1, greetingMs: 5000, totalMs: 5009}))).toEqual([['greeting', 'GREETING_TIMEOUT: why']])
    expect(failedStages(failure(3, 'DNS_UNREACHABLE', {lookupMs: 3, totalMs: 9}))).toEqual([['lookup', 'DNS_UNREACHABLE: why']])
    // A refused login goes on to QUIT: the auth stage failed, not the last one.
    expect(failedStages(failure(7, 'AUTH_FAILED', {connectMs: 1, greetingMs: 2, ehloMs: 3, authMs: 4, quitMs: 1, totalMs: 20}))).toEqual([['auth', 'AUTH_FAILED: why']])
    // A check that ran to the end and found a problem: every stage passed, the finding is the failure.
    expect(failedStages(doc({exitCode: 1, ok: false, findings: [{code: 'TLS_CERT_EXPIRED', severity: 'error', message: 'expired'}]}))).toEqual([])
  })
})
