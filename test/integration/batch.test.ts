import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import * as packet from 'dns-packet'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {BIN, runCli} from '../cli/run-cli.js'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'
import {startCountingSmtp, type CountingSmtp} from '../fixtures/counting-smtp.js'

// Batch runs (--targets) through the built CLI, against the test world's dnsmasq and Postfix, and
// counting SMTP fixtures for politeness (127.0.1.180–189).
const world = inject('world')
const resolver = `${world.dns.host}:${world.dns.port}`
const dir = mkdtempSync(join(tmpdir(), 'maildig-batch-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
const byTarget = (docs: any[]) => Object.fromEntries(docs.map((d) => [d.target, d]))

describe('mx --targets against dnsmasq', () => {
  it('one line per target, each the single-target --json document with the target echoed; one bad target never stops the run', async () => {
    const targets = file('mixed.txt', '# audit\nmail.test\n\nnullmx.test\nnosuch.test\nbad..name\n  equal.test  \n')
    const r = await runCli(['mx', '--targets', targets, '--resolver', resolver])
    expect(r.code).toBe(1)
    const docs = lines(r.stdout)
    expect(docs.map((d) => d.target).sort()).toEqual(['bad..name', 'equal.test', 'mail.test', 'nosuch.test', 'nullmx.test'])
    const t = byTarget(docs)
    const single = (await runCli(['mx', 'mail.test', '--resolver', resolver, '--json'])).json!
    const {timings: _a, ...same} = single
    const {target, timings: _b, ...batchDoc} = t['mail.test']
    expect(batchDoc).toEqual(same)
    expect(Object.keys(t['mail.test']).slice(0, 3)).toEqual(['command', 'target', 'ok'])
    expect(t['nullmx.test']).toMatchObject({ok: false, exitCode: 1, kind: 'null'})
    expect(t['nosuch.test']).toMatchObject({ok: false, exitCode: 3, error: {code: 'DOMAIN_NOT_FOUND'}})
    expect(t['bad..name']).toMatchObject({ok: false, exitCode: 2, error: {code: 'USAGE'}})
    expect(t['equal.test']).toMatchObject({ok: true, exitCode: 0})
    expect(r.stderr).toMatch(/^maildig mx: 5 targets: 2 ok, 1 with findings, 2 failed; .*\/s\n$/)
  })

  it('reads standard input with -, and exits 0 when every target is fine', async () => {
    const r = await runCli(['mx', '--targets', '-', '--resolver', resolver, '-q'], {input: 'mail.test\nequal.test\n'})
    expect(r.code).toBe(0)
    expect(lines(r.stdout).map((d) => d.exitCode)).toEqual([0, 0])
    expect(r.stderr).toBe('')
  })

  it('--format csv: a header and one row per target, RFC 4180', async () => {
    const targets = file('csv.txt', 'mail.test\nnosuch.test\nnullmx.test\n')
    const r = await runCli(['mx', '--targets', targets, '--resolver', resolver, '--format', 'csv'])
    expect(r.code).toBe(1)
    const rows = r.stdout.split('\r\n')
    expect(rows[0]).toBe('target,command,ok,exit_code,error_code,errors,warnings,finding_codes,total_ms,summary')
    expect(rows.at(-1)).toBe('')
    const byName = Object.fromEntries(rows.slice(1, -1).map((row) => [row.split(',')[0], row]))
    expect(Object.keys(byName).sort()).toEqual(['mail.test', 'nosuch.test', 'nullmx.test'])
    expect(byName['mail.test']).toMatch(/^mail\.test,mx,true,0,,0,0,,[\d.]+,10 mx\.mail\.test$/)
    expect(byName['nosuch.test']).toMatch(/^nosuch\.test,mx,false,3,DOMAIN_NOT_FOUND,1,0,DOMAIN_NOT_FOUND,/)
    expect(byName['nullmx.test']).toMatch(/^nullmx\.test,mx,false,1,,1,0,MX_NULL,[\d.]+,null MX$/)
    // One target as a CSV row, without --targets.
    const one = await runCli(['mx', 'mail.test', '--resolver', resolver, '--format', 'csv'])
    expect(one.code).toBe(0)
    expect(one.stdout.split('\r\n')).toHaveLength(3)
  })

  it('4 shards over the same input: their union is the input, their intersection empty', async () => {
    const names = ['mail.test', 'equal.test', 'fallback.test', 'implicit.test', 'nullmx.test', 'cname.test', 'lame.test', 'noptr.test', 'badptr.test', 'dual.test', 'nosuch.test', 'other.test']
    const targets = file('shards.txt', `${names.join('\n')}\n`)
    const seen: string[][] = []
    for (const shard of ['1/4', '2/4', '3/4', 'auto/4']) {
      const env = shard.startsWith('auto') ? {JOB_COMPLETION_INDEX: '3'} : {}
      const r = await runCli(['mx', '--targets', targets, '--resolver', resolver, '--shard', shard], {env})
      seen.push(lines(r.stdout).map((d) => d.target))
    }
    expect(seen.flat().sort()).toEqual([...names].sort())
    expect(new Set(seen.flat()).size).toBe(names.length)
    expect(seen.filter((s) => s.length > 0).length).toBeGreaterThan(1)
  })

  it('--resume: targets already in the file are skipped, new lines appended', async () => {
    const targets = file('resume.txt', 'mail.test\nequal.test\nnullmx.test\n')
    const out = join(dir, 'resume.ndjson')
    writeFileSync(out, `${JSON.stringify({command: 'mx', target: 'mail.test', ok: true, exitCode: 0, findings: [], timings: {totalMs: 1}})}\n{"command":"mx","target":"equal.te`)
    const r = await runCli(['mx', '--targets', targets, '--resolver', resolver, '--resume', out])
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/2 targets: 1 ok, 1 with findings, 0 failed; 1 skipped \(--resume\)/)
    const docs = lines(readFileSync(out, 'utf8'))
    expect(docs.map((d) => d.target)).toEqual(['mail.test', expect.any(String), expect.any(String)])
    expect(docs.slice(1).map((d) => d.target).sort()).toEqual(['equal.test', 'nullmx.test'])
  })
})

describe('sender --targets against dnsmasq', () => {
  it('per-target sending addresses: SPF pass for one, fail for the other; an option sender does not take is that line\'s error', async () => {
    const targets = file(
      'senders.ndjson',
      [
        JSON.stringify({target: 'mail.test', ip: ['127.0.1.25'], 'no-dnsbl': true}),
        JSON.stringify({target: 'alice@mail.test', ip: '192.0.2.9', 'no-dnsbl': true}),
        JSON.stringify({target: 'mail.test', port: 25}),
      ].join('\n'),
    )
    const r = await runCli(['sender', '--targets', targets, '--resolver', resolver])
    const docs = lines(r.stdout)
    expect(docs).toHaveLength(3)
    const pass = docs.find((d) => d.target === 'mail.test' && d.spf)
    expect(pass).toMatchObject({command: 'sender', exitCode: 0})
    expect(pass.spf.results[0]).toMatchObject({result: 'pass'})
    const fail = docs.find((d) => d.target === 'alice@mail.test')
    expect(fail).toMatchObject({command: 'sender', exitCode: 1})
    expect(fail.spf.results[0]).toMatchObject({result: 'fail'})
    expect(docs.find((d) => d.line === 3)).toMatchObject({exitCode: 2, error: {message: expect.stringMatching(/"port" is not a per-target option here \(these are: ip, helo, selector/)}})
  })
})

describe('batch runs with scripted servers', () => {
  let dns: FakeDns
  const smtp: CountingSmtp[] = []
  const domains = Array.from({length: 12}, (_, i) => `d${i}.batch.test`)
  beforeAll(async () => {
    // shared.batch.test: 12 domains, one MX host. cap.batch.test: 6 domains, each its own MX name, one address.
    smtp.push(await startCountingSmtp('127.0.1.181', {greetMs: 100}))
    smtp.push(await startCountingSmtp('127.0.1.182', {greetMs: 300}))
    smtp.push(await startCountingSmtp('127.0.1.183', {silent: true}))
    dns = await startFakeDns('127.0.1.180', (name, type) => {
      const answer = (answers: packet.Answer[]) => ({kind: 'answer' as const, answers})
      if (name === 'slow.batch.test') return {kind: 'silent'}
      if (/^s\d+\.batch\.test$/.test(name) && type === 'MX') return {kind: 'answer', delayMs: 200, answers: [{type: 'MX', name, ttl: 300, data: {preference: 10, exchange: 'mx.shared.batch.test'}}]}
      let m = /^d\d+\.batch\.test$/.exec(name)
      if (m && type === 'MX') return answer([{type: 'MX', name, ttl: 300, data: {preference: 10, exchange: 'mx.shared.batch.test'}}])
      m = /^c(\d+)\.batch\.test$/.exec(name)
      if (m && type === 'MX') return answer([{type: 'MX', name, ttl: 300, data: {preference: 10, exchange: `mx${m[1]}.cap.batch.test`}}])
      if (name === 'tarpit.batch.test' && type === 'MX') return answer([{type: 'MX', name, ttl: 300, data: {preference: 10, exchange: 'mx.tarpit.batch.test'}}])
      if (type === 'A' && name === 'mx.shared.batch.test') return answer([{type: 'A', name, ttl: 300, data: '127.0.1.181'}])
      if (type === 'A' && /^mx\d+\.cap\.batch\.test$/.test(name)) return answer([{type: 'A', name, ttl: 300, data: '127.0.1.182'}])
      if (type === 'A' && name === 'mx.tarpit.batch.test') return answer([{type: 'A', name, ttl: 300, data: '127.0.1.183'}])
      if (type === 'A' && name === 'good.batch.test') return answer([{type: 'A', name, ttl: 300, data: '127.0.1.25'}])
      if (type === 'MX' && name === 'good.batch.test') return answer([{type: 'MX', name, ttl: 300, data: {preference: 10, exchange: 'mx.shared.batch.test'}}])
      return answer([])
    })
  })
  afterAll(async () => {
    await dns.close()
    for (const s of smtp) await s.close()
  })
  const fake = () => `${dns.host}:${dns.port}`

  it('a DNS timeout costs only its own target the deadline; the DNS cache asks each shared question once', async () => {
    const targets = file('timeout.txt', `slow.batch.test\n${domains.join('\n')}\n`)
    const before = dns.queries.length
    const r = await runCli(['mx', '--targets', targets, '--resolver', fake(), '--timeout', '2s'])
    const t = byTarget(lines(r.stdout))
    expect(t['slow.batch.test']).toMatchObject({exitCode: 5, error: {code: 'DNS_TIMEOUT'}})
    for (const d of domains) expect(t[d].timings.totalMs).toBeLessThan(1000)
    const asked = dns.queries.slice(before).filter((q) => q.name === 'mx.shared.batch.test' && q.type === 'A')
    expect(asked).toHaveLength(1)
  })

  it('probe-smtp --mx: each MX server probed once, whatever number of domains use it', async () => {
    const targets = file('shared.txt', `${domains.join('\n')}\n`)
    const before = smtp[0].connections
    const r = await runCli(['probe-smtp', '--mx', '--targets', targets, '--resolver', fake(), '--tls', 'none'])
    const docs = lines(r.stdout)
    expect(docs).toHaveLength(12)
    for (const d of docs) expect(d.probes).toEqual([expect.objectContaining({address: '127.0.1.181', ok: true})])
    expect(smtp[0].connections - before).toBe(1)
  })

  it('--per-host caps the conversations one server address sees at once (counted by the server)', async () => {
    const caps = Array.from({length: 6}, (_, i) => `c${i}.batch.test`)
    const targets = file('cap.txt', `${caps.join('\n')}\n`)
    const r = await runCli(['probe-smtp', '--mx', '--targets', targets, '--resolver', fake(), '--tls', 'none', '--per-host', '2', '--concurrency', '6'])
    expect(lines(r.stdout).every((d) => d.probes[0].ok)).toBe(true)
    expect(smtp[1].connections).toBe(6)
    expect(smtp[1].maxConcurrent).toBe(2)
  })

  it('a server that never greets costs its own target the timeout, nobody else', async () => {
    const targets = file('tarpit.txt', `tarpit.batch.test\n${domains.slice(0, 4).join('\n')}\n`)
    const r = await runCli(['probe-smtp', '--mx', '--targets', targets, '--resolver', fake(), '--tls', 'none', '--timeout', '2s'])
    const t = byTarget(lines(r.stdout))
    expect(t['tarpit.batch.test'].findings).toContainEqual(expect.objectContaining({code: 'GREETING_TIMEOUT', severity: 'error'}))
    expect(t['tarpit.batch.test'].timings.totalMs).toBeGreaterThan(1900)
    for (const d of domains.slice(0, 4)) expect(t[d].timings.totalMs).toBeLessThan(1500)
  })

  it('NDJSON targets with per-target options; an unknown option or bad JSON is that line\'s error', async () => {
    const targets = file(
      'options.ndjson',
      [
        JSON.stringify({target: 'mx.mail.test', port: 587, tls: 'NONE'}),
        JSON.stringify({target: '127.0.1.181', port: '25', rcpt: ['a@b.test', 'c@b.test']}),
        JSON.stringify({target: '127.0.1.181', selector: 'x'}),
        '{"target": "oops"',
        // Each value goes through its flag's own check, as on the command line.
        JSON.stringify({target: '127.0.1.181', port: 'abc'}),
        JSON.stringify({target: '127.0.1.181', rcpt: ['a@b.test', 'not an address']}),
      ].join('\n'),
    )
    const r = await runCli(['probe-smtp', '--targets', targets, '--resolver', resolver, '--tls', 'none'])
    expect(r.code).toBe(1)
    const docs = lines(r.stdout)
    expect(docs).toHaveLength(6)
    const ok = docs.filter((d) => d.exitCode === 0)
    expect(ok.map((d) => d.port).sort()).toEqual([25, 587])
    expect(ok.find((d) => d.port === 25).recipients.map((x: any) => x.address)).toEqual(['a@b.test', 'c@b.test'])
    const bad = docs.filter((d) => d.exitCode === 2)
    expect(bad.map((d) => d.error.message).sort()).toEqual([
      expect.stringMatching(/^--targets line 3: "selector" is not a per-target option here \(these are: port, /),
      expect.stringMatching(/^--targets line 4: the line is not valid JSON/),
      '--targets line 5: "port": "abc" is not a port number',
      expect.stringMatching(/^--targets line 6: "rcpt": .*not an address/),
    ])
    expect(bad.find((d) => d.line === 4).target).toBeNull()
  })

  it('Ctrl-C finishes the targets in flight, writes them, exits 130; --resume then does only the rest', async () => {
    // Each MX answer takes 200 ms and two targets run at once: an interrupt lands mid-run.
    const names = Array.from({length: 30}, (_, i) => `s${i}.batch.test`)
    const targets = file('interrupt.txt', `${names.join('\n')}\n`)
    const out = join(dir, 'interrupt.ndjson')
    const args = ['mx', '--targets', targets, '--resolver', fake(), '--resume', out, '--concurrency', '2']
    const child = spawn(process.execPath, [BIN, ...args], {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    // Interrupted once the first lines are written (start-up on a loaded machine takes a while).
    const deadline = Date.now() + 20_000
    while (Date.now() < deadline && (!existsSync(out) || readFileSync(out, 'utf8').split('\n').length < 4)) await new Promise((resolve) => setTimeout(resolve, 20))
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    expect(stderr).toMatch(/interrupted by SIGINT/)
    const first = lines(readFileSync(out, 'utf8'))
    expect(first.length).toBeGreaterThanOrEqual(3)
    expect(first.length).toBeLessThan(30)
    // The targets in flight were finished and written: every line is a whole document of a finished check.
    expect(first.every((d) => d.exitCode === 0 && d.kind === 'mx')).toBe(true)
    const rest = await runCli(args)
    expect(rest.code).toBe(0)
    expect(rest.stderr).toContain(`${30 - first.length} targets: ${30 - first.length} ok, 0 with findings, 0 failed; ${first.length} skipped (--resume)`)
    const all = lines(readFileSync(out, 'utf8')).map((d) => d.target)
    expect(all.sort()).toEqual([...names].sort())
  })
})
