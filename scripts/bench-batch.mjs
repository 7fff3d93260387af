// Batch benchmarks (issue 14), measured side by side in one run: `mx --targets` over a generated zone of
// 10,000 domains served by NSD (the test world's authoritative server, test/world/dnssec.ts), against `dig -f` and a loop
// of single `maildig mx` processes; peak RSS for 10,000 and 100,000 targets; `probe-smtp --mx --targets` over 1,000
// domains sharing 20 MX servers that greet after 200 ms; resume after a kill at 50 %.
// Servers bind 127.0.3.x (apart from the test world's 127.0.1.x); port 53 and port 25 need root, as the test world does.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import {slowSmtp} from './bench-probes.mjs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const DNS = '127.0.3.53'
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 10_000)
const MX_HOSTS = 300

/** host k of MX_HOSTS: its name and address (127.0.4.x / 127.0.5.x). */
const mxHost = (k) => ({name: `mx${k}.hosting${k % 40}.bench.test`, address: `127.0.${4 + Math.floor(k / 250)}.${(k % 250) + 1}`})

/**
 * The zones the benchmark's DNS server (NSD, the test world's authoritative server) serves: bench.test with the
 * 10,000 domains (MX, SPF, DMARC), their 300 MX hosts and the 20 probe servers, and the reverse zones of their
 * addresses. Not dnsmasq: it searches its configured records one by one, so 50,000 queries over 20,000 records
 * took it minutes of CPU, and the benchmark measured dnsmasq, not maildig. NSD compiles its zones into lookup trees.
 */
function zone(dir) {
  const records = ['$ORIGIN bench.test.', '$TTL 3600', '@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300', '@ IN NS ns.bench.test.', `ns IN A ${DNS}`]
  const reverse = new Map()
  const ptr = (address, name) => {
    const [a, b, c, d] = address.split('.')
    const origin = `${c}.${b}.${a}.in-addr.arpa`
    if (!reverse.has(origin)) reverse.set(origin, [`$ORIGIN ${origin}.`, '$TTL 3600', `@ IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 300`, '@ IN NS ns.bench.test.'])
    reverse.get(origin).push(`${d} IN PTR ${name}.`)
  }
  for (let k = 0; k < MX_HOSTS; k++) {
    const {name, address} = mxHost(k)
    records.push(`${name}. IN A ${address}`)
    ptr(address, name)
  }
  for (let i = 0; i < DOMAINS; i++) {
    const d = `d${i}.bench.test.`
    records.push(`${d} IN MX 10 ${mxHost(i % MX_HOSTS).name}.`)
    if (i % 3 === 0) records.push(`${d} IN MX 20 ${mxHost((i + 7) % MX_HOSTS).name}.`)
    records.push(`${d} IN TXT "v=spf1 mx -all"`, `_dmarc.${d} IN TXT "v=DMARC1; p=reject"`)
  }
  // The 20 SMTP servers of the probe benchmark: 1,000 domains, 50 per server.
  for (let s = 0; s < 20; s++) {
    records.push(`smtp${s}.probe.bench.test. IN A 127.0.3.${100 + s}`)
    ptr(`127.0.3.${100 + s}`, `smtp${s}.probe.bench.test`)
  }
  for (let i = 0; i < 1000; i++) records.push(`p${i}.probe.bench.test. IN MX 10 smtp${i % 20}.probe.bench.test.`)
  const zones = [['bench.test', records], ...reverse]
  const config = [
    'server:',
    `  ip-address: ${DNS}`,
    '  port: 53',
    '  username: ""',
    '  chroot: ""',
    '  database: ""',
    `  zonesdir: "${dir}"`,
    `  zonelistfile: "${join(dir, 'zone.list')}"`,
    `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
    `  xfrdir: "${dir}"`,
    `  pidfile: "${join(dir, 'nsd.pid')}"`,
    `  logfile: "${join(dir, 'nsd.log')}"`,
    '  server-count: 1',
    '  verbosity: 0',
    'remote-control:',
    '  control-enable: no',
  ]
  for (const [name, lines] of zones) {
    writeFileSync(join(dir, `${name}.zone`), `${lines.join('\n')}\n`)
    config.push('zone:', `  name: "${name}"`, `  zonefile: "${join(dir, `${name}.zone`)}"`)
  }
  writeFileSync(join(dir, 'nsd.conf'), `${config.join('\n')}\n`)
}

function run(cmd, args, {input, env} = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint()
    const child = spawn(cmd, args, {env: {...process.env, NO_COLOR: '1', ...env}, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    if (input) child.stdin.end(input)
    child.on('close', (status) => resolve({ms: Number(process.hrtime.bigint() - started) / 1e6, status, stdout, stderr, child}))
  })
}

/** Peak RSS (MiB) and wall time of one run, through GNU time. */
async function measured(args) {
  const r = await run('/usr/bin/time', ['-f', 'RSS_KB %M', process.execPath, ...args])
  const rss = Number(/RSS_KB (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024
  return {...r, rssMiB: rss}
}

export async function benchBatch({BIN}) {
  const rows = []
  const dir = mkdtempSync(join(tmpdir(), 'maildig-bench-batch-'))
  zone(dir)
  const nsd = spawn('/usr/sbin/nsd', ['-d', '-c', join(dir, 'nsd.conf')], {stdio: 'ignore'})
  try {
    for (let i = 0; i < 300; i++) {
      const probe = spawnSync('dig', ['+short', '+time=1', '+tries=1', `@${DNS}`, 'd1.bench.test', 'MX'], {encoding: 'utf8'})
      if (probe.stdout.trim()) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const names = Array.from({length: DOMAINS}, (_, i) => `d${i}.bench.test`)
    const list = join(dir, 'domains.txt')
    writeFileSync(list, `${names.join('\n')}\n`)
    const resolver = ['--resolver', DNS, '--timeout', '5s']

    // Side by side: maildig mx --targets, dig -f (sequential, MX only), a loop of single maildig mx processes (200).
    const batch = await measured([BIN, 'mx', '--targets', list, ...resolver, '-q'])
    const lines = batch.stdout.trim().split('\n')
    const failed = lines.filter((l) => !l.includes('"exitCode":0')).length
    const digList = join(dir, 'dig.txt')
    writeFileSync(digList, names.map((n) => `${n} MX`).join('\n'))
    const dig = await run('dig', ['-f', digList, `@${DNS}`, '+noall', '+answer', '+time=2', '+tries=1'])
    const sample = names.slice(0, 200)
    const loopStarted = performance.now()
    for (const n of sample) await run(process.execPath, [BIN, 'mx', n, ...resolver, '--json'])
    const loopMs = performance.now() - loopStarted
    const rate = (DOMAINS * 1000) / batch.ms
    const digRate = (DOMAINS * 1000) / dig.ms
    const loopRate = (sample.length * 1000) / loopMs
    rows.push(`mx --targets over ${DOMAINS} domains (${MX_HOSTS} MX hosts; MX, A, AAAA, PTR, FCrDNS each): ${batch.ms.toFixed(0)} ms, ${rate.toFixed(0)} domains/s, peak RSS ${batch.rssMiB.toFixed(1)} MiB, ${lines.length} lines (${failed} not exit 0)`)
    rows.push(`dig -f (one process, sequential, MX only): ${dig.ms.toFixed(0)} ms, ${digRate.toFixed(0)} domains/s`)
    rows.push(`loop of ${sample.length} single maildig mx processes: ${loopMs.toFixed(0)} ms, ${loopRate.toFixed(1)} domains/s`)
    rows.push(`mx --targets / dig -f (domains/s): ${(rate / digRate).toFixed(2)}×; mx --targets / single-process loop: ${(rate / loopRate).toFixed(1)}×`)
    rows.push(`targets: ≥ 2000 domains/s ${rate >= 2000 ? 'met' : 'NOT met'}; RSS ≤ 150 MiB ${batch.rssMiB <= 150 ? 'met' : 'NOT met'}`)

    // 100,000 targets (the 10,000 ten times over: the cache of 2,000 answers keeps turning over): RSS stays where it was.
    const big = join(dir, 'domains-100k.txt')
    writeFileSync(big, `${Array.from({length: 10}, () => names.join('\n')).join('\n')}\n`)
    const many = await measured([BIN, 'mx', '--targets', big, ...resolver, '-q'])
    rows.push(`mx --targets over ${10 * DOMAINS} targets: ${many.ms.toFixed(0)} ms, peak RSS ${many.rssMiB.toFixed(1)} MiB (10,000: ${batch.rssMiB.toFixed(1)} MiB; ratio ${(many.rssMiB / batch.rssMiB).toFixed(2)})`)

    // Resume after a kill at 50 %: the work done in both runs against the uninterrupted run.
    const out = join(dir, 'resume.ndjson')
    const killed = spawn(process.execPath, [BIN, 'mx', '--targets', list, ...resolver, '-q', '--resume', out, '--concurrency', '32'], {stdio: 'ignore'})
    const firstStarted = performance.now()
    while (!existsSync(out) || readFileSync(out, 'utf8').split('\n').length < DOMAINS / 2) await new Promise((r) => setTimeout(r, 10))
    killed.kill('SIGKILL')
    await new Promise((r) => killed.on('close', r))
    const firstMs = performance.now() - firstStarted
    const before = readFileSync(out, 'utf8').split('\n').filter(Boolean).length
    const second = await run(process.execPath, [BIN, 'mx', '--targets', list, ...resolver, '--resume', out])
    const after = readFileSync(out, 'utf8').split('\n').filter(Boolean)
    const distinct = new Set(after.map((l) => JSON.parse(l).target)).size
    const checked = before + (after.length - before)
    rows.push(`resume after SIGKILL at ${before} of ${DOMAINS}: targets checked ${checked} (${(checked / DOMAINS).toFixed(3)}× the uninterrupted run; ${distinct} distinct), time ${(firstMs + second.ms).toFixed(0)} ms (${((firstMs + second.ms) / batch.ms).toFixed(2)}× the uninterrupted ${batch.ms.toFixed(0)} ms, both runs' start-up included)`)

    // probe-smtp --mx over 1,000 domains sharing 20 servers that greet after 200 ms.
    const servers = await Promise.all(Array.from({length: 20}, (_, s) => slowSmtp(`127.0.3.${100 + s}`, 200)))
    const probeList = join(dir, 'probe.txt')
    writeFileSync(probeList, `${Array.from({length: 1000}, (_, i) => `p${i}.probe.bench.test`).join('\n')}\n`)
    const probes = await run(process.execPath, [BIN, 'probe-smtp', '--mx', '--targets', probeList, ...resolver, '--tls', 'none', '-q'])
    const connections = servers.reduce((n, s) => n + s.connections, 0)
    const one = await run(process.execPath, [BIN, 'probe-smtp', '--mx', 'p0.probe.bench.test', ...resolver, '--tls', 'none', '--json'])
    const okLines = probes.stdout.trim().split('\n').filter((l) => l.includes('"exitCode":0')).length
    rows.push(`probe-smtp --mx --targets over 1000 domains sharing 20 MX servers (greeting after 200 ms): ${connections} connections (distinct MX addresses: 20), ${okLines} lines exit 0, ${probes.ms.toFixed(0)} ms; one domain alone: ${one.ms.toFixed(0)} ms (${(probes.ms / one.ms).toFixed(1)}×)`)
    for (const s of servers) s.close()
  } finally {
    // NSD writes its state files as it stops: the folder goes once it has.
    const stopped = new Promise((resolve) => nsd.once('close', resolve))
    nsd.kill('SIGTERM')
    await stopped
    rmSync(dir, {recursive: true, force: true})
  }
  return rows
}
