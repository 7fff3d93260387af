import fs from 'node:fs'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {promtool, xmllint} from '../fixtures/consumers.js'
import {docSamples, samplePattern} from '../fixtures/doc-samples.js'
import {mailboxes} from '../world/index.js'

// `roundtrip` through the built CLI: Postfix (submission, or port 25 as the MX) delivers to Dovecot, where the
// message is awaited over IMAP or POP3. dave's and carol's mailboxes are this file's alone, so their maildirs can be
// counted; the tests here run one after another.
const world = inject('world')
const boxes = mailboxes(world)
const resolver = `${world.dns.host}:${world.dns.port}`
const dave = world.users.find((u) => u.address === 'dave@mail.test')!
const carol = world.users.find((u) => u.address === 'carol@mail.test')!
const common = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--timeout', '5s']
const submission = ['--server', 'mx.mail.test:587', '--user', dave.address, '--from', dave.address]
const roundtrip = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) => runCli(['roundtrip', ...args, ...common], {env, timeoutMs})

const names = () => boxes.messages(dave.address).map((m) => path.basename(m.path).split(':')[0]).sort()
const holding = (token: string) => boxes.messages(dave.address).filter((m) => fs.readFileSync(m.path, 'utf8').includes(`X-Maildig-Roundtrip: ${token}`))

describe('roundtrip over IMAP', () => {
  it('submission on 587 → Dovecot: every stage timed, the queue id, IDLE, the Received chain beside the prediction; the message stays, unread', async () => {
    const before = names()
    const r = await roundtrip([...submission, '--to', dave.address, '--json', '--wait', '20s'], {MAILDIG_PASSWORD: dave.password})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const j = r.json!
    expect(j).toMatchObject({command: 'roundtrip', ok: true, delivered: true, from: dave.address, to: dave.address})
    expect(j.token).toMatch(/^[0-9a-f]{16}$/)
    expect(j.messageId).toContain(j.token)
    expect(j.subject).toContain(j.token)
    expect(j.stages.map((s: any) => s.name)).toEqual(['mailbox-login', 'dns', 'connect', 'auth', 'submission', 'delivery'])
    expect(j.stages.every((s: any) => s.ok && typeof s.ms === 'number')).toBe(true)
    expect(j.submission).toMatchObject({route: 'server', server: {host: 'mx.mail.test', port: 587}, queueId: expect.stringMatching(/^[A-Z0-9]+$/)})
    expect(j.submission.response).toContain(j.submission.queueId)
    expect(j.mailbox).toMatchObject({protocol: 'imap', host: 'imap.mail.test', port: 993, discovery: 'srv', method: 'idle', folder: 'INBOX', uid: expect.stringMatching(/^\d+$/), cleanup: {requested: false, removed: false}})
    expect(j.latencyMs).toBeGreaterThan(0)
    expect(j.latencyMs).toBe(j.timings.latencyMs)
    expect(j.latencyMs).toBeGreaterThanOrEqual(j.timings.deliveryMs)
    // The delivered copy's route, as trace --message reads it, and the route trace predicts.
    expect(j.observed.observed.length).toBeGreaterThanOrEqual(2)
    expect(j.observed.observed.some((h: any) => h.by === 'mx.mail.test' && h.id === j.submission.queueId)).toBe(true)
    expect(j.observed.message.messageId).toBe(j.messageId)
    expect(j.predicted).toMatchObject({recipient: dave.address, verdict: {deliverable: true}})
    expect(j.comparison).toMatchObject({matches: true, enteredVia: 'mx.mail.test'})
    expect(j.authentication).toBeNull()
    expect(j.header.bytes).toBeGreaterThan(100)
    // Read only: the message is there, once, and not marked \Seen by the header fetch.
    const kept = holding(j.token)
    expect(kept).toHaveLength(1)
    expect(path.basename(kept[0].path)).not.toMatch(/:2,[A-Z]*S/)
    expect(names()).toEqual([...before, path.basename(kept[0].path).split(':')[0]].sort())
    expect(r.stdout).not.toContain(dave.password)
  })

  it('--cleanup removes exactly the message with this run\'s token, by UID, and leaves one flagged \\Deleted by somebody else', async () => {
    await boxes.deliver(dave.address, 'Subject: deleted by somebody else\nMessage-ID: <other-deleted@mail.test>\n\nkeep me\n')
    const other = await boxes.waitForDelivery(dave.address, (m) => m.raw.includes('<other-deleted@mail.test>'))
    // \Deleted in a maildir is the T flag (Dovecot): a plain EXPUNGE would remove this message too.
    fs.renameSync(other.path, path.join(path.dirname(path.dirname(other.path)), 'cur', `${path.basename(other.path).split(':')[0]}:2,T`))
    const before = names()
    const r = await roundtrip([...submission, '--to', dave.address, '--cleanup', '--json', '--transcript', '--wait', '20s'], {MAILDIG_PASSWORD: dave.password})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json!.mailbox.cleanup).toEqual({requested: true, removed: true, reason: null})
    const uid = r.json!.mailbox.uid
    const lines = r.json!.transcript.map((l: any) => l.line)
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`UID STORE ${uid} \\+FLAGS.* \\(\\\\Deleted\\)`)))
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`UID EXPUNGE ${uid}$`)))
    expect(r.json!.transcript.some((l: any) => l.dir === 'send' && /^\S+ EXPUNGE/.test(l.line))).toBe(false)
    // The maildir: exactly as before (the roundtrip message came and went), the \Deleted one still there.
    expect(holding(r.json!.token)).toHaveLength(0)
    expect(names()).toEqual(before)
  })

  it('straight to the MX, a receiver that records SPF and DMARC failures: an error finding (exit 1), the verdicts in the report', async () => {
    const r = await roundtrip(['--from', 'spf-fail@example.org', '--to', dave.address, '--json', '--wait', '20s', '--no-predict'], {MAILDIG_MAILBOX_PASSWORD: dave.password})
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.json).toMatchObject({delivered: true, submission: {route: 'mx', server: {host: 'mx.mail.test', port: 25}}, predicted: null, comparison: null})
    expect(r.json!.authentication).toEqual({authservId: 'mx.mail.test', spf: 'fail', dkim: 'none', dmarc: 'fail'})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'AUTHENTICATION_FAILED', severity: 'error'}))
    expect(r.json!.stages.map((s: any) => s.name)).toEqual(['mailbox-login', 'connect', 'submission', 'delivery'])
  })

  it('a message that never arrives, in the monitoring formats: CRITICAL, probe_success 0 and maildig_delivered 0, a JUnit failure', async () => {
    const args = ['--server', 'mx.mail.test:587', '--user', carol.address, '--from', carol.address, '--to', carol.address, '--wait', '3s', '--no-predict']
    const env = {MAILDIG_PASSWORD: carol.password}
    const [nagios, prom, junit] = await Promise.all(['nagios', 'prometheus', 'junit'].map((format) => roundtrip([...args, '--format', format], env)))
    expect(nagios.code, nagios.stdout).toBe(2)
    expect(nagios.stdout).toMatch(/^ROUNDTRIP CRITICAL - carol@mail\.test: ROUNDTRIP_NOT_DELIVERED: the message \(token [0-9a-f]{16}, .*was not in carol@mail\.test's mailbox within 3(\.0)? s \| /)
    expect(nagios.stdout).not.toMatch(/'latency'=/)
    expect(nagios.stdout).toMatch(/ 'delivered'=0;;;0;1 /)
    expect(promtool(prom.stdout), prom.stdout).toEqual({status: 0, output: ''})
    expect(prom.stdout).toMatch(/^probe_success\{[^}]*\} 0$/m)
    expect(prom.stdout).toMatch(/^maildig_delivered\{[^}]*\} 0$/m)
    expect(xmllint(junit.stdout), junit.stdout).toMatchObject({status: 0})
    expect(junit.stdout).toMatch(/<testcase name="delivered within --wait" classname="maildig\.roundtrip"[^>]*>\n\s+<failure message="not in the mailbox within 3 s"/)
    expect(junit.stdout).toContain('<failure type="ROUNDTRIP_NOT_DELIVERED"')
  }, 120_000)

  it('a message that never arrives (Postfix defers it): ROUNDTRIP_NOT_DELIVERED at --wait, exit 1, with the queue id', async () => {
    const started = performance.now()
    const r = await roundtrip(['--server', 'mx.mail.test:587', '--user', carol.address, '--from', carol.address, '--to', carol.address, '--wait', '3s', '--no-predict', '--json'], {MAILDIG_PASSWORD: carol.password})
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.json, r.stdout).toMatchObject({ok: false, delivered: false, latencyMs: null, observed: null})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'ROUNDTRIP_NOT_DELIVERED', severity: 'error', message: expect.stringContaining(r.json!.submission.queueId)}))
    expect(r.json!.stages.at(-1)).toMatchObject({name: 'delivery', ok: false, ms: null})
    expect(performance.now() - started).toBeLessThan(3000 + 10_000)
  })

  it('thresholds on the latency, in the plugins\' ranges: outside --warning a warning (exit 0), outside --critical an error (exit 1; CRITICAL under --format nagios)', async () => {
    const warn = await roundtrip([...submission, '--to', dave.address, '--warning', '1ms', '--no-predict', '--json', '--wait', '20s'], {MAILDIG_PASSWORD: dave.password})
    expect(warn.code, warn.stdout).toBe(0)
    expect(warn.json!.findings).toContainEqual(expect.objectContaining({code: 'THRESHOLD_WARNING', severity: 'warning', subject: 'latency'}))
    expect(warn.json!.waitMs).toBe(20_000)
    const crit = await roundtrip([...submission, '--to', dave.address, '--warning', '1ms', '--critical', '2ms', '--no-predict', '--wait', '20s'], {MAILDIG_PASSWORD: dave.password})
    expect(crit.code, crit.stdout).toBe(1)
    expect(crit.stdout).toMatch(/THRESHOLD_CRITICAL/)
    expect(crit.stdout).toMatch(/^⚠ delivered in /)
    expect(crit.stdout).toMatch(/end to end/)
    const nagios = await roundtrip([...submission, '--to', dave.address, '--warning', '1ms', '--critical', '2ms', '--no-predict', '--wait', '20s', '--format', 'nagios'], {MAILDIG_PASSWORD: dave.password})
    expect(nagios.code, nagios.stdout).toBe(2)
    expect(nagios.stdout).toMatch(/^ROUNDTRIP CRITICAL - dave@mail\.test: THRESHOLD_CRITICAL: the end-to-end latency is [\d.]+ s: outside the --critical range 0\.002 \| /)
    expect(nagios.stdout).toMatch(/ 'latency'=[\d.]+s;0\.001;0\.002;0 /)
    // A range that alerts only above 10 minutes: fine.
    const ok = await roundtrip([...submission, '--to', dave.address, '--critical', 'latency=10m', '--no-predict', '--wait', '20s', '--format', 'nagios'], {MAILDIG_PASSWORD: dave.password})
    expect(ok.code, ok.stdout).toBe(0)
    expect(ok.stdout).toMatch(/^ROUNDTRIP OK - dave@mail\.test: delivered in [\d.]+ s end to end \(queue id [A-Z0-9]+\), [\d.]+ s response time \| /)
  }, 120_000)

  it('--format prometheus and junit: promtool and xmllint accept them; the latency, the stages and delivered as metrics', async () => {
    const prom = await roundtrip([...submission, '--to', dave.address, '--no-predict', '--wait', '20s', '--format', 'prometheus'], {MAILDIG_PASSWORD: dave.password})
    expect(prom.code, prom.stdout + prom.stderr).toBe(0)
    expect(promtool(prom.stdout), prom.stdout).toEqual({status: 0, output: ''})
    expect(prom.stdout).toMatch(/^probe_success\{command="roundtrip",target="dave@mail\.test"\} 1$/m)
    expect(prom.stdout).toMatch(/^maildig_latency_seconds\{command="roundtrip",target="dave@mail\.test"\} [\d.e-]+$/m)
    expect(prom.stdout).toMatch(/^maildig_delivered\{command="roundtrip",target="dave@mail\.test"\} 1$/m)
    expect(prom.stdout).toMatch(/^maildig_stage_duration_seconds\{command="roundtrip",target="dave@mail\.test",stage="delivery"\} [\d.e-]+$/m)
    expect(prom.stdout).toMatch(/^probe_tls_version_info\{command="roundtrip",target="dave@mail\.test",peer="mailbox imap\.mail\.test",version="TLS 1\.[23]"\} 1$/m)
    const junit = await roundtrip([...submission, '--to', dave.address, '--no-predict', '--wait', '20s', '--format', 'junit'], {MAILDIG_PASSWORD: dave.password})
    expect(junit.code).toBe(0)
    expect(xmllint(junit.stdout), junit.stdout).toMatchObject({status: 0})
    for (const stage of ['mailbox-login', 'dns', 'connect', 'auth', 'submission', 'delivery', 'delivered within --wait']) {
      expect(junit.stdout).toContain(`<testcase name="${stage}" classname="maildig.roundtrip"`)
    }
    expect(junit.stdout).toMatch(/<testsuite name="maildig roundtrip dave@mail\.test" tests="\d+" failures="0" errors="0"/)
  }, 120_000)

  it('a wrong mailbox password: exit 7, and nothing was sent', async () => {
    const before = names()
    const r = await roundtrip([...submission, '--to', dave.address, '--mailbox-user', dave.address, '--json', '--transcript'], {MAILDIG_PASSWORD: dave.password, MAILDIG_MAILBOX_PASSWORD: 'not-the-password'})
    expect(r.code, r.stdout).toBe(7)
    expect(r.json).toMatchObject({ok: false, error: {code: 'LOGIN_FAILED'}})
    expect(r.json!.transcript.some((l: any) => /^(EHLO|MAIL FROM)/.test(l.line))).toBe(false)
    expect(r.json!.submission).toBeUndefined()
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(names()).toEqual(before)
    expect(r.stdout).not.toContain('not-the-password')
    // Under --format nagios: UNKNOWN (the check's own credentials), as imap-check's wrong password.
    const nagios = await roundtrip([...submission, '--to', dave.address, '--mailbox-user', dave.address, '--format', 'nagios'], {MAILDIG_PASSWORD: dave.password, MAILDIG_MAILBOX_PASSWORD: 'not-the-password'})
    expect(nagios.code, nagios.stdout).toBe(3)
    expect(nagios.stdout).toMatch(/^ROUNDTRIP UNKNOWN - dave@mail\.test: .*\| /)
    expect(nagios.stdout).not.toContain('not-the-password')
    expect(names()).toEqual(before)
  })
})

describe('roundtrip over POP3', () => {
  it('--pop3: the server from SRV (pop3s), polling sessions with UIDL and TOP, never RETR or DELE; the message stays', async () => {
    const before = names()
    const r = await roundtrip([...submission, '--to', dave.address, '--pop3', '--json', '--transcript', '--wait', '20s'], {MAILDIG_PASSWORD: dave.password})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json!.mailbox).toMatchObject({protocol: 'pop3', host: 'pop.mail.test', port: 995, discovery: 'srv', method: 'poll', folder: null, uid: expect.any(String), tlsMode: 'implicit'})
    expect(r.json!.mailbox.checks).toBeGreaterThanOrEqual(1)
    expect(r.json!.observed.message.messageId).toBe(r.json!.messageId)
    const commands = r.json!.transcript.filter((l: any) => l.dir === 'send').map((l: any) => l.line.split(' ')[0])
    expect(commands).toEqual(expect.arrayContaining(['STAT', 'UIDL', 'TOP', 'QUIT']))
    expect(commands).not.toContain('RETR')
    expect(commands).not.toContain('DELE')
    expect(holding(r.json!.token)).toHaveLength(1)
    expect(names()).toHaveLength(before.length + 1)
  })
})

// docs/monitoring.md's sample outputs are runs of the tests: each `$` line in a text block runs here against the test
// world (maildig with the world's resolver and CA; the plugins from monitoring-plugins-standard as they are), and the
// sample's lines must match the first lines it prints, numbers and `…` standing for what differs from run to run.
describe('docs/monitoring.md sample outputs', () => {
  const samples = docSamples(new URL('../../docs/monitoring.md', import.meta.url))
  it('has samples, each with its output', () => {
    expect(samples.length).toBeGreaterThanOrEqual(4)
    for (const s of samples) expect(s.output.length, s.command.join(' ')).toBeGreaterThan(0)
  })

  it.each(samples.map((s) => [s.command.join(' '), s] as const))('$ %s', async (_line, sample) => {
    const [program, ...args] = sample.command
    let stdout: string
    if (program === 'maildig') {
      stdout = (await runCli([...args, ...common], {env: {MAILDIG_PASSWORD: dave.password}, timeoutMs: 60_000})).stdout
    } else {
      expect(program).toMatch(/^check_[a-z]+$/)
      stdout = spawnSync(`/usr/lib/nagios/plugins/${program}`, args, {encoding: 'utf8', timeout: 30_000}).stdout
    }
    const lines = stdout.split('\n')
    sample.output.forEach((line, i) => expect(lines[i], `${line}\n${stdout}`).toMatch(samplePattern(line)))
  }, 90_000)
})
