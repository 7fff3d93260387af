import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'
import {promtool, xmllint} from '../fixtures/consumers.js'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'

// The monitoring formats through the built CLI, offline (trace --message, and mx against a resolver
// that is not there), each checked by its real consumer: promtool for Prometheus, xmllint with the
// Jenkins xUnit JUnit schema for JUnit, the plugin grammar and exit codes for Nagios.
const EXAMPLE = fileURLToPath(new URL('../../examples/postfix-relay-chain.eml', import.meta.url))
const DEAD_RESOLVER = ['--resolver', '127.0.0.1:9', '--timeout', '1s']
const dir = mkdtempSync(join(tmpdir(), 'maildig-monitoring-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('--format through the CLI', {timeout: 30_000}, () => {
  it('prometheus: promtool accepts it, for a run that worked and one that could not check', async () => {
    for (const args of [['trace', '--message', EXAMPLE], ['mx', 'example.test', ...DEAD_RESOLVER]]) {
      const r = await runCli([...args, '--format', 'prometheus'])
      expect(r.stderr).toBe('')
      expect(promtool(r.stdout)).toEqual({status: 0, output: ''})
      expect(r.stdout).toMatch(/^probe_success\{command="(trace|mx)",target="[^"]+"\} [01]$/m)
    }
  })

  it('junit: valid against the published schema, a check that could not run is an <error>', async () => {
    const ok = await runCli(['trace', '--message', EXAMPLE, '--format', 'junit'])
    expect(ok.code).toBe(0)
    expect(xmllint(ok.stdout).status).toBe(0)
    const failed = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, '--format', 'junit'])
    expect(failed.code).toBe(3)
    expect(xmllint(failed.stdout)).toMatchObject({status: 0})
    expect(failed.stdout).toContain('<error type="DNS_UNREACHABLE"')
  })

  it('nagios: the DNS failure of the target is UNKNOWN (3); a completed check OK (0) with performance data', async () => {
    const failed = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, '--format', 'nagios'])
    expect(failed.code).toBe(3)
    expect(failed.stdout).toMatch(/^MX UNKNOWN - example\.test: .* \| 'time'=[\d.]+s;;;0 /)
    const ok = await runCli(['trace', '--message', EXAMPLE, '--format', 'nagios'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/^TRACE OK - .*4 Received hops.* \| 'time'=[\d.]+s;;;0 'observed_delivery'=4s /)
  })

  it('--format json is --json; --json with another format is a usage error', async () => {
    const a = await runCli(['trace', '--message', EXAMPLE, '--format', 'json'])
    expect(JSON.parse(a.stdout)).toMatchObject({command: 'trace', ok: true})
    const both = await runCli(['trace', '--message', EXAMPLE, '--format', 'nagios', '--json'])
    expect(both.code).toBe(2)
    expect(both.json).toMatchObject({ok: false, error: {code: 'USAGE', message: '--json and --format nagios: choose one (--json is --format json)'}})
  })

  it('trace keeps its mermaid format beside the monitoring ones', async () => {
    const r = await runCli(['trace', '--message', EXAMPLE, '--format', 'mermaid'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^flowchart/m)
  })
})

describe('--output FILE', {timeout: 30_000}, () => {
  it('writes the file through a temporary file and a rename, leaving nothing else in the folder', async () => {
    const out = join(dir, 'trace.prom')
    writeFileSync(out, 'old\n')
    const r = await runCli(['trace', '--message', EXAMPLE, '--format', 'prometheus', '--output', out])
    expect(r).toMatchObject({code: 0, stdout: '', stderr: ''})
    expect(promtool(readFileSync(out, 'utf8')).status).toBe(0)
    expect(readdirSync(dir)).toEqual(['trace.prom'])
  })

  it('a missing folder is a usage error before any work: exit 2, or UNKNOWN 3 under nagios', async () => {
    const out = join(dir, 'missing', 'x.prom')
    const r = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, '--format', 'prometheus', '--output', out])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual([`✖ --output: the folder ${join(dir, 'missing')} does not exist (see: maildig mx --help)`])
    const n = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, '--format', 'nagios', '--output', out])
    expect(n.code).toBe(3)
    expect(n.stdout).toBe(`MX UNKNOWN - --output: the folder ${join(dir, 'missing')} does not exist\n`)
    expect(existsSync(join(dir, 'missing'))).toBe(false)
  })
})

describe('bad input under the monitoring formats', {timeout: 30_000}, () => {
  it('--format bogus is exit 2 (the format is unknown, so not a Nagios UNKNOWN)', async () => {
    const r = await runCli(['mx', 'example.test', '--format', 'bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--format=bogus to be one of: text, csv, json, nagios, prometheus, junit/)
  })

  it.each([
    [['--warning', '10s', '--critical', '5s'], /critical range for time alerts on less than the warning range/],
    [['--warning', 'soon'], /--warning: "soon" is not a range/],
    [['--critical', 'bogus_label=3'], /--critical: "bogus_label" is not measured by this command \(it measures time, lookup\)/],
  ])('%j: exit 2, or UNKNOWN 3 under nagios, nothing sent', async (args, message) => {
    const r = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, ...args])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
    const n = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, ...args, '--format', 'nagios'])
    expect(n.code).toBe(3)
    expect(n.stdout).toMatch(/^MX UNKNOWN - /)
    expect(n.stdout).toMatch(message)
  })

  it('each command names its own labels; a label given twice in one flag is a usage error', async () => {
    const r = await runCli(['sender', 'example.test', ...DEAD_RESOLVER, '--warning', 'latency=1s'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--warning: "latency" is not measured by this command (it measures time, spf_lookups, dnsbl_listed, dkim_keys)')
    const twice = await runCli(['mx', 'example.test', ...DEAD_RESOLVER, '--warning', '1s', '--warning', 'time=2s'])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain('--warning: time is given twice')
    const help = await runCli(['sender', '--help'])
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('Without LABEL= it judges time; other labels: spf_lookups, dnsbl_listed, dkim_keys.')
  })

  it('thresholds judge in every format: a critical response time is an error finding (exit 1)', async () => {
    const r = await runCli(['trace', '--message', EXAMPLE, '--critical', '~:0.000001', '--json'])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'THRESHOLD_CRITICAL', severity: 'error', subject: 'time'}))
    const n = await runCli(['trace', '--message', EXAMPLE, '--critical', '~:0.000001', '--format', 'nagios'])
    expect(n.code).toBe(2)
    expect(n.stdout).toMatch(/^TRACE CRITICAL - .*THRESHOLD_CRITICAL: the response time is [\d.]+ s: outside the --critical range ~:0\.000001 .*'time'=[\d.]+s;;~:0\.000001;0/)
  })
})

// The monitoring plugins' rule: a check that could not be made is UNKNOWN; one that found a problem WARNING or CRITICAL.
describe('a check that could not be made, in every command that checks through DNS', {timeout: 60_000}, () => {
  // A resolver that never answers (each query runs to --timeout), and one that answers only the SPF record.
  let silent: FakeDns
  let spfOnly: FakeDns
  let failing: FakeDns
  beforeAll(async () => {
    silent = await startFakeDns('127.0.0.1', () => ({kind: 'silent'}))
    failing = await startFakeDns('127.0.0.1', () => ({kind: 'answer', answers: [], rcode: 'SERVFAIL'}))
    spfOnly = await startFakeDns('127.0.0.1', (name, type) => (type === 'TXT' && name === 'example.test' ? {kind: 'answer', answers: [{type: 'TXT', name, ttl: 60, data: 'v=spf1 -all'}]} : {kind: 'silent'}))
  })
  afterAll(async () => {
    await silent?.close()
    await spfOnly?.close()
    await failing?.close()
  })

  const commands: [string, string[]][] = [
    ['SENDER', ['sender', 'example.test']],
    ['TRACE', ['trace', 'postmaster@example.test']],
    ['MX', ['mx', 'example.test']],
    ['SMTP', ['probe-smtp', '--mx', 'example.test']],
    ['SMTP', ['probe-smtp', 'mx.example.test']],
    ['IMAP', ['imap-check', 'imap.example.test']],
    ['POP', ['pop3-list', 'pop.example.test']],
  ]
  it.each(commands)('%s %j: no DNS answer at all (nothing listening; no reply in time) is UNKNOWN (3), probe_success 0, a JUnit <error>', async (service, args) => {
    for (const resolver of ['127.0.0.1:9', `127.0.0.1:${silent.port}`]) {
      const dns = ['--resolver', resolver, '--timeout', '1s']
      const n = await runCli([...args, ...dns, '--format', 'nagios'])
      expect([n.code, n.stdout.split('\n')[0]], n.stderr).toEqual([3, expect.stringMatching(new RegExp(`^${service} UNKNOWN - `))])
      const p = await runCli([...args, ...dns, '--format', 'prometheus'])
      expect(promtool(p.stdout)).toEqual({status: 0, output: ''})
      expect(p.stdout).toMatch(/^probe_success\{[^}]*\} 0$/m)
      const j = await runCli([...args, ...dns, '--format', 'junit'])
      expect(xmllint(j.stdout).status).toBe(0)
      expect(j.stdout).toMatch(/<testcase name="the check could run"[^>]*>\s*<error /)
    }
  })

  it('sender under --json: no DNS server reached or SERVFAIL everywhere is exit 3, no answer in time exit 5 (nothing checked), as for every single target; something answered is a report (0)', async () => {
    const unreachable = await runCli(['sender', 'example.test', '--ip', '192.0.2.1', '--resolver', '127.0.0.1:9', '--timeout', '1s', '--json'])
    expect(unreachable.code, unreachable.stderr).toBe(3)
    expect(unreachable.json!.spf.status).toBe('unknown')
    const servfail = await runCli(['sender', 'example.test', '--resolver', `127.0.0.1:${failing.port}`, '--timeout', '1s', '--json'])
    expect(servfail.code, servfail.stderr).toBe(3)
    const silentRun = await runCli(['sender', 'example.test', '--resolver', `127.0.0.1:${silent.port}`, '--timeout', '1s', '--json'])
    expect(silentRun.code, silentRun.stderr).toBe(5)
    const partly = await runCli(['sender', 'example.test', '--resolver', `127.0.0.1:${spfOnly.port}`, '--timeout', '1s', '--json'])
    expect(partly.code, partly.stderr).toBe(0)
  })

  it('sender with the SPF record answered and the rest unanswered checked something: WARNING (1), not UNKNOWN', async () => {
    const n = await runCli(['sender', 'example.test', '--resolver', `127.0.0.1:${spfOnly.port}`, '--timeout', '1s', '--format', 'nagios'])
    expect(n.code).toBe(1)
    expect(n.stdout).toMatch(/^SENDER WARNING - example\.test: /)
    expect(n.stdout).toMatch(/^\[WARNING\] DNS_TIMEOUT /m)
  })
})
