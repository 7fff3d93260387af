import type {Finding} from '../lib/findings.js'
import {couldNotCheck, formatNumber, type Check, type Report} from './monitoring.js'

/**
 * --format junit: JUnit XML as CI systems read it (the Ant/Surefire form: testsuites › testsuite ›
 * testcase), valid against the Jenkins xUnit plugin's junit-10.xsd (test/fixtures/junit-10.xsd).
 * One testsuite per run; testcases are the checks the command ran (by default one per stage) and
 * one per finding: an `error` finding is a <failure>, a check that could not run (the command's
 * fatal error) is an <error>, a skipped check (`*_SKIPPED`, a skipped step) is <skipped>. Every text
 * is XML-escaped, and characters XML 1.0 does not allow (most control characters, lone surrogates)
 * are written as visible \xNN / \uNNNN, since server text reaches the report.
 */

interface Case {
  name: string
  classname: string
  ms?: number
  outcome?: {kind: 'failure' | 'error' | 'skipped'; type?: string; message: string; text?: string}
  out?: string
}

export function renderJunit(report: Report): string {
  const classname = `maildig.${report.command}`
  const cases: Case[] = report.checks.map((c) => checkCase(c, classname))
  const fatal = report.error
  for (const f of report.findings) {
    // The fatal error's own finding is the run's <error> below.
    if (fatal && f.code === fatal.code && f.severity === 'error' && f.message === fatal.message) continue
    cases.push(findingCase(f, `${classname}.findings`))
  }
  if (fatal) {
    cases.unshift({
      name: couldNotCheck(report) ? 'the check could run' : 'the check completed',
      classname,
      ms: report.totalMs,
      outcome: {kind: 'error', type: fatal.code, message: fatal.message, text: `exit ${report.exitCode}`},
    })
  } else if (report.unchecked !== undefined) {
    cases.unshift({name: 'the check could run', classname, ms: report.totalMs, outcome: {kind: 'error', message: report.unchecked, text: `exit ${report.exitCode}`}})
  }
  const count = (kind: string) => cases.filter((c) => c.outcome?.kind === kind).length
  const time = formatNumber(report.totalMs / 1000, 3)
  const suite = attrs({
    name: `maildig ${report.command} ${report.target}`.trim(),
    tests: cases.length,
    failures: count('failure'),
    errors: count('error'),
    skipped: count('skipped'),
    time,
    timestamp: report.finishedAt.toISOString().replace(/\.\d+Z$/, ''),
  })
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({name: 'maildig', tests: cases.length, failures: count('failure'), errors: count('error'), time})}>`,
    `  <testsuite${suite}>`,
    '    <properties>',
    `      <property${attrs({name: 'command', value: report.command})}/>`,
    `      <property${attrs({name: 'target', value: report.target})}/>`,
    `      <property${attrs({name: 'exitCode', value: report.exitCode})}/>`,
    '    </properties>',
    ...cases.map(renderCase),
    '  </testsuite>',
    '</testsuites>',
  ]
  return `${lines.join('\n')}\n`
}

function checkCase(c: Check, classname: string): Case {
  const base = {name: c.name, classname, ms: c.ms}
  switch (c.status) {
    case 'failed':
      return {...base, outcome: {kind: 'failure', message: c.message ?? `${c.name} failed`}}
    case 'error':
      return {...base, outcome: {kind: 'error', message: c.message ?? `${c.name} could not run`}}
    case 'skipped':
      return {...base, outcome: {kind: 'skipped', message: c.message ?? `${c.name} was skipped`}}
    default:
      return c.message ? {...base, out: c.message} : base
  }
}

function findingCase(f: Finding, classname: string): Case {
  const name = `${f.code}${f.subject ? ` ${f.subject}` : ''}`
  if (f.severity === 'error') return {name, classname, outcome: {kind: 'failure', type: f.code, message: f.message, text: f.fix}}
  if (/_SKIPPED$/.test(f.code)) return {name, classname, outcome: {kind: 'skipped', message: f.message}}
  return {name, classname, out: `[${f.severity}] ${f.message}${f.fix ? `\nfix: ${f.fix}` : ''}`}
}

function renderCase(c: Case): string {
  const open = `    <testcase${attrs({name: c.name, classname: c.classname, ...(c.ms === undefined ? {} : {time: formatNumber(c.ms / 1000, 3)})})}`
  const inner: string[] = []
  if (c.outcome) {
    const a = attrs({...(c.outcome.type ? {type: c.outcome.type} : {}), message: c.outcome.message})
    inner.push(c.outcome.text ? `      <${c.outcome.kind}${a}>${xmlText(c.outcome.text)}</${c.outcome.kind}>` : `      <${c.outcome.kind}${a}/>`)
  }
  if (c.out) inner.push(`      <system-out>${xmlText(c.out)}</system-out>`)
  return inner.length === 0 ? `${open}/>` : [`${open}>`, ...inner, '    </testcase>'].join('\n')
}

function attrs(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([k, v]) => ` ${k}="${xmlAttribute(String(v))}"`)
    .join('')
}

/**
 * Characters XML 1.0 does not allow (§2.2: every C0 control but tab, LF and CR; lone surrogates;
 * U+FFFE and U+FFFF) become visible escapes; C1 controls and DEL are allowed but escaped too, as on a
 * terminal.
 */
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

function visible(text: string): string {
  return text.replace(NOT_XML, (c) => {
    const code = c.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

export function xmlText(text: string): string {
  return visible(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Attribute values also keep their tabs and line breaks (an XML parser would turn them into spaces). */
export function xmlAttribute(text: string): string {
  return xmlText(text).replaceAll('"', '&quot;').replaceAll('\t', '&#9;').replaceAll('\n', '&#10;').replaceAll('\r', '&#13;')
}
