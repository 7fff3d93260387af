import {spawnSync} from 'node:child_process'
import {describe, expect, inject, it} from 'vitest'
import {runCli, type CliResult} from '../cli/run-cli.js'
import {promtool, xmllint} from '../fixtures/consumers.js'

// --format nagios|prometheus|junit against the test world's Postfix (127.0.1.25) and Dovecot
// (127.0.1.30), side by side with check_smtp, check_imap and check_pop from Debian's
// monitoring-plugins-standard on the same servers (docs/monitoring.md, "Side by side").
const world = inject('world')
const resolver = `${world.dns.host}:${world.dns.port}`
const common = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--timeout', '5s']
const alice = world.users.find((u) => u.address.startsWith('alice'))!
const PLUGINS = '/usr/lib/nagios/plugins'

function plugin(name: string, args: string[]): {status: number | null; stdout: string} {
  const r = spawnSync(`${PLUGINS}/${name}`, [...args, '-t', '5'], {encoding: 'utf8'})
  return {status: r.status, stdout: r.stdout}
}

const STATUS_LINE = /^[A-Z0-9_-]+ (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]*\| ('[^'=]+'=-?\d+(\.\d+)?(s|%|B|c)?(;[^; \n]*){0,4} ?)+\n/

function nagios(r: CliResult): string {
  expect(r.stdout, r.stderr).toMatch(STATUS_LINE)
  return r.stdout.split(' ')[1]
}

describe('side by side with the monitoring plugins', {timeout: 60_000}, () => {
  // [what, maildig's arguments, the plugin and its arguments, the state both report]
  const cases: [string, string[], [string, string[]], number][] = [
    ['SMTP, port 25', ['probe-smtp', 'mx.mail.test'], ['check_smtp', ['-H', '127.0.1.25']], 0],
    ['SMTP, STARTTLS on 587', ['probe-smtp', 'mx.mail.test', '--port', '587', '--tls', 'starttls'], ['check_smtp', ['-H', '127.0.1.25', '-p', '587', '-S']], 0],
    ['SMTP, nothing listening', ['probe-smtp', '127.0.1.26', '--tls', 'none'], ['check_smtp', ['-H', '127.0.1.26']], 2],
    ['SMTP, response time over -c / --critical', ['probe-smtp', 'mx.mail.test', '--critical', '0.000001'], ['check_smtp', ['-H', '127.0.1.25', '-c', '0.000001']], 2],
    ['IMAP, STARTTLS on 143', ['imap-check', 'imap.mail.test', '--port', '143'], ['check_imap', ['-H', '127.0.1.30']], 0],
    ['IMAP, TLS on 993', ['imap-check', 'imap.mail.test'], ['check_imap', ['-H', '127.0.1.30', '-p', '993', '-S']], 0],
    ['IMAP, nothing listening', ['imap-check', '127.0.1.26', '--port', '143', '--tls', 'none'], ['check_imap', ['-H', '127.0.1.26']], 2],
    ['POP3, STLS on 110', ['pop3-list', 'imap.mail.test', '--port', '110'], ['check_pop', ['-H', '127.0.1.30']], 0],
    ['POP3, TLS on 995', ['pop3-list', 'imap.mail.test'], ['check_pop', ['-H', '127.0.1.30', '-p', '995', '-S']], 0],
    ['POP3, nothing listening', ['pop3-list', '127.0.1.26', '--port', '110', '--tls', 'none'], ['check_pop', ['-H', '127.0.1.26']], 2],
  ]
  it.each(cases)('%s: the same state', async (_what, args, [name, pluginArgs], state) => {
    const r = await runCli([...args, ...common, '--format', 'nagios'])
    const p = plugin(name, pluginArgs)
    expect({maildig: r.code, plugin: p.status}, `${r.stdout}\n${p.stdout}`).toEqual({maildig: state, plugin: state})
    expect(nagios(r)).toBe(['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][state])
  })

  it('certificate days: --warning cert_days= as check_smtp -D', async () => {
    const r = await runCli(['probe-smtp', 'mx.mail.test', '--port', '587', '--tls', 'starttls', '--warning', 'cert_days=4000:', ...common, '--format', 'nagios'])
    const p = plugin('check_smtp', ['-H', '127.0.1.25', '-p', '587', '-S', '-D', '4000'])
    expect({maildig: r.code, plugin: p.status}, `${r.stdout}\n${p.stdout}`).toEqual({maildig: 1, plugin: 1})
    expect(r.stdout).toMatch(/THRESHOLD_WARNING: the certificate's days of validity is \d+: outside the --warning range 4000: /)
    expect(r.stdout).toMatch(/'cert_days'=\d+;4000:/)
  })

  it('a refused login is UNKNOWN (the check\'s own credentials), a wrong host name UNKNOWN too', async () => {
    const login = await runCli(['imap-check', 'imap.mail.test', '--user', alice.address, ...common, '--format', 'nagios'], {env: {MAILDIG_PASSWORD: 'not-the-password'}})
    expect(login.code).toBe(3)
    expect(nagios(login)).toBe('UNKNOWN')
    expect(login.stdout).toContain('LOGIN_FAILED')
    const dns = await runCli(['probe-smtp', 'nosuchhost.mail.test', ...common, '--format', 'nagios'])
    expect(dns.code).toBe(3)
    expect(plugin('check_smtp', ['-H', 'nosuchhost.mail.test']).status).toBe(3)
  })
})

describe('the lookup stage: the DNS lookup of the target, apart from the connect', {timeout: 60_000}, () => {
  // [command, the server's name, its address, the arguments that reach it with nothing listening at down.fallback.test]
  const cases: [string, string, string, string[]][] = [
    ['probe-smtp', 'mx.mail.test', '127.0.1.25', ['--tls', 'none']],
    ['imap-check', 'imap.mail.test', '127.0.1.30', ['--port', '143', '--tls', 'none']],
    ['pop3-list', 'imap.mail.test', '127.0.1.30', ['--port', '110', '--tls', 'none']],
  ]
  it.each(cases)('%s: measured for a host name, absent for an IP address, kept when the connect fails', async (command, name, address, down) => {
    // Measured, so a `lookup` range judges it (before, it judged nothing: the stage was missing).
    const byName = await runCli([command, name, ...common, '--critical', 'lookup=0.000001', '--format', 'nagios'])
    expect(nagios(byName)).toBe('CRITICAL')
    expect(byName.stdout).toMatch(/ 'lookup'=\d+(\.\d+)?s;;0\.000001;0 'connect'=/)
    expect(byName.stdout).toMatch(/THRESHOLD_CRITICAL/)
    const metrics = await runCli([command, name, ...common, '--format', 'prometheus'])
    expect(metrics.stdout).toMatch(/^probe_dns_lookup_time_seconds\{command="[a-z0-9-]+",target="[^"]+"\} \d/m)
    expect(metrics.stdout).toMatch(/^maildig_stage_duration_seconds\{command="[a-z0-9-]+",target="[^"]+",stage="lookup"\} \d/m)

    const byAddress = await runCli([command, address, ...common, '--json'])
    expect(byAddress.json?.timings, byAddress.stdout).not.toHaveProperty('lookupMs')
    expect(byAddress.json?.timings).toHaveProperty('connectMs')

    // A refused connect: the lookup before it is its own stage, the connect only the connect.
    const refused = await runCli([command, 'down.fallback.test', ...down, ...common, '--json'])
    expect(refused.code, refused.stdout).toBe(4)
    const timings = refused.json?.timings as Record<string, number>
    expect(timings).toMatchObject({lookupMs: expect.any(Number), connectMs: expect.any(Number)})
    expect(timings.lookupMs + timings.connectMs).toBeLessThanOrEqual(timings.totalMs)

    // A resolver that does not answer: the lookup is the stage that failed, with its time; no connect was made.
    const unreachable = await runCli([command, name, '--resolver', '127.0.0.1:9', '--json'])
    expect(unreachable.code, unreachable.stdout).toBe(3)
    expect(unreachable.json).toMatchObject({error: {code: 'DNS_UNREACHABLE'}, timings: {lookupMs: expect.any(Number)}})
    expect(unreachable.json?.timings).not.toHaveProperty('connectMs')
  })
})

describe('prometheus and junit from real servers', {timeout: 60_000}, () => {
  it.each([
    ['probe-smtp', ['probe-smtp', 'mx.mail.test', '--port', '587', '--tls', 'starttls']],
    ['probe-smtp --mx', ['probe-smtp', 'mail.test', '--mx']],
    ['imap-check with a login', ['imap-check', 'imap.mail.test', '--user', alice.address]],
    ['pop3-list with a login', ['pop3-list', 'imap.mail.test', '--user', alice.address]],
    ['mx', ['mx', 'mail.test']],
    ['trace', ['trace', 'bob@mail.test', '--from', alice.address]],
    ['a refused connection', ['probe-smtp', '127.0.1.26', '--tls', 'none']],
    ['sender', ['sender', 'alice@mail.test', '--ip', '127.0.1.25', '--ip', '127.0.1.66', '--dnsbl', 'bl.test']],
  ])('%s: promtool and xmllint accept them', async (_what, args) => {
    const env = {MAILDIG_PASSWORD: alice.password}
    const [prom, junit] = await Promise.all([runCli([...args, ...common, '--format', 'prometheus'], {env}), runCli([...args, ...common, '--format', 'junit'], {env})])
    expect(prom.code).toBe(junit.code)
    expect(promtool(prom.stdout), prom.stdout).toEqual({status: 0, output: ''})
    expect(xmllint(junit.stdout), junit.stdout).toMatchObject({status: 0})
    expect(prom.stdout).toMatch(new RegExp(`^probe_success\\{[^}]*\\} ${prom.code === 0 ? 1 : 0}$`, 'm'))
  })

  it('TLS facts as blackbox_exporter names them, and the mailbox numbers', async () => {
    const r = await runCli(['imap-check', 'imap.mail.test', '--user', alice.address, ...common, '--format', 'prometheus'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^probe_tls_version_info\{command="imap-check",target="imap.mail.test",version="TLS 1\.[23]"\} 1$/m)
    expect(r.stdout).toMatch(/^probe_ssl_earliest_cert_expiry\{command="imap-check",target="imap.mail.test"\} \d{10}$/m)
    expect(r.stdout).toMatch(/^probe_dns_lookup_time_seconds\{command="imap-check",target="imap.mail.test"\} [\d.e-]+$/m)
    expect(r.stdout).toMatch(/^maildig_mailbox_messages\{command="imap-check",target="imap.mail.test",mailbox="INBOX"\} \d+$/m)
  })

  it('junit: a refused recipient is a failure with its code', async () => {
    const r = await runCli(['probe-smtp', 'mx.mail.test', '--rcpt', 'nobody@mail.test', ...common, '--format', 'junit'])
    expect(r.code).toBe(1)
    expect(xmllint(r.stdout).status).toBe(0)
    expect(r.stdout).toMatch(/<testcase name="RCPT TO nobody@mail.test" classname="maildig.probe-smtp">\n\s+<failure message="55\d /)
    expect(r.stdout).toContain('<failure type="RCPT_REJECTED"')
  })
})

describe('sender in the monitoring formats', {timeout: 60_000}, () => {
  it('a listed address is CRITICAL with its code; the numbers are performance data; thresholds judge them', async () => {
    const r = await runCli(['sender', 'mail.test', '--ip', '127.0.1.66', '--dnsbl', 'bl.test', '--warning', 'spf_lookups=0', ...common, '--format', 'nagios'])
    expect(r.code, r.stdout).toBe(2)
    expect(nagios(r)).toBe('CRITICAL')
    expect(r.stdout).toMatch(/^SENDER CRITICAL - mail\.test: SPF_NOT_PERMITTED: .*\(\+1 more\) \| /)
    expect(r.stdout).toMatch(/^\[ERROR\] DNSBL_LISTED \(127\.0\.1\.66\): /m)
    expect(r.stdout).toMatch(/'dnsbl_listed'=1;;;0 /)
    expect(r.stdout).toMatch(/'spf_lookups'=0;0;;0 /)
    expect(r.stdout).not.toContain('THRESHOLD_WARNING')
  })

  it('junit: one test case per section and blocklist entry; a domain that does not exist is UNKNOWN', async () => {
    const r = await runCli(['sender', 'alice@mail.test', '--ip', '127.0.1.25', '--dnsbl', 'bl.test', ...common, '--format', 'junit'])
    expect(r.code).toBe(0)
    expect(xmllint(r.stdout)).toMatchObject({status: 0})
    for (const name of ['SPF record', 'SPF mailfrom 127.0.1.25', 'DKIM keys', 'DMARC record', 'BIMI record', 'DNSBL bl.test 127.0.1.25', 'reverse DNS 127.0.1.25']) {
      expect(r.stdout).toContain(`<testcase name="${name}" classname="maildig.sender"`)
    }
    const missing = await runCli(['sender', 'nosuchdomain.mail.test', ...common, '--format', 'nagios'])
    expect(missing.code, missing.stdout).toBe(3)
    expect(nagios(missing)).toBe('UNKNOWN')
  })
})
