// npm run bench: measurements side by side in one run (these machines are noisy, so only ratios
// between things measured together mean anything). Needs a build (npm run build).
import {execFileSync, spawn} from 'node:child_process'
import dgram from 'node:dgram'
import {fileURLToPath} from 'node:url'
import * as packet from 'dns-packet'

const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const only = process.argv.slice(2)
const want = (name) => only.length === 0 || only.includes(name)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Runs a command to its end (asynchronously, so servers in this process keep answering). */
function timeRun(args, env = {}, node = process.execPath) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint()
    const child = spawn(node, args, {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status) => resolve({ms: Number(process.hrtime.bigint() - started) / 1e6, status, stdout, stderr}))
  })
}

/** A tiny DNS responder for mail.test, so the startup benchmark measures maildig, not a network. */
async function startDns() {
  const socket = dgram.createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    const q = packet.decode(msg)
    const {name, type} = q.questions[0]
    const answers = []
    if (name === 'mail.test' && type === 'MX') answers.push({type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'mx.mail.test'}})
    if (name === 'mx.mail.test' && type === 'A') answers.push({type: 'A', name, ttl: 60, data: '127.0.1.25'})
    if (name === '25.1.0.127.in-addr.arpa' && type === 'PTR') answers.push({type: 'PTR', name, ttl: 60, data: 'mx.mail.test'})
    socket.send(packet.encode({type: 'response', id: q.id, flags: packet.RECURSION_AVAILABLE, questions: q.questions, answers}), rinfo.port, rinfo.address)
  })
  await new Promise((resolve) => socket.bind(0, '127.0.1.153', resolve))
  return socket
}

const rows = []
function report(name, value, target, unit = '×') {
  const ok = target === undefined ? '' : value <= target ? 'within target' : 'OVER target'
  rows.push(`${name.padEnd(58)} ${value.toFixed(2).padStart(7)}${unit}  ${target === undefined ? '' : `(target ≤ ${target}${unit}) ${ok}`}`)
}

if (want('startup')) {
  const dns = await startDns()
  const resolver = `127.0.1.153:${dns.address().port}`
  // Node 20 (these machines), and 22 and 24 (what users run): each against its own node -e 0. On 22 and 24 the build's
  // code cache (made by 20's V8) is rejected and the loader uses a cache of the user's own, written by the first run.
  const nodes = execFileSync(process.execPath, [fileURLToPath(new URL('node-versions.mjs', import.meta.url)), process.versions.node.split('.')[0], '22', '24'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim().split('\n')
  for (const node of nodes) {
    const label = `node ${execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()}`
    const samples = {node: [], version: [], mx: []}
    // Warm the file cache (and on 22/24 write the user's code cache) once, then interleave so that noise hits all three alike.
    await timeRun([BIN, '--version'], {}, node)
    const check = await timeRun([BIN, 'mx', 'mail.test', '--resolver', resolver], {}, node)
    if (check.status !== 0) throw new Error(`mx failed during the benchmark on ${label}: ${check.stderr}`)
    await timeRun([BIN, 'mx', 'mail.test', '--resolver', resolver], {}, node)
    for (let i = 0; i < ROUNDS; i++) {
      samples.node.push((await timeRun(['-e', '0'], {}, node)).ms)
      samples.version.push((await timeRun([BIN, '--version'], {}, node)).ms)
      samples.mx.push((await timeRun([BIN, 'mx', 'mail.test', '--resolver', resolver], {}, node)).ms)
    }
    const base = median(samples.node)
    rows.push(`startup on ${label}, median of ${ROUNDS} interleaved cold starts: node -e 0 ${base.toFixed(1)} ms, --version ${median(samples.version).toFixed(1)} ms, mx ${median(samples.mx).toFixed(1)} ms`)
    report(`[${label}] maildig --version / node -e 0`, median(samples.version) / base, 1.3)
    report(`[${label}] maildig mx mail.test (local DNS) / node -e 0`, median(samples.mx) / base, 1.5)
  }
  dns.close()
}

// Instructions (callgrind) and page faults (perf), the same measure side by side but independent of the machine's load,
// which on these shared 2-core machines moves wall-time ratios by 10 % and more. Only when asked by name (a few
// minutes under valgrind): node scripts/bench.mjs instructions.
if (only.includes('instructions')) {
  const dns = await startDns()
  const resolver = `127.0.1.153:${dns.address().port}`
  const nodes = execFileSync(process.execPath, [fileURLToPath(new URL('node-versions.mjs', import.meta.url)), process.versions.node.split('.')[0], '22', '24'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']}).trim().split('\n')
  /** Instructions of one run under callgrind, every thread; asynchronous, so the DNS responder in this process answers. */
  const instructions = (node, args) =>
    new Promise((resolve, reject) => {
      const child = spawn('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', node, ...args], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'ignore', 'pipe']})
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', () => {
        const found = /Collected : (\d+)/.exec(stderr)
        found ? resolve(Number(found[1])) : reject(new Error(`valgrind: ${stderr.slice(-500)}`))
      })
    })
  for (const node of nodes) {
    const label = `node ${execFileSync(node, ['--version'], {encoding: 'utf8'}).trim()}`
    const mx = [BIN, 'mx', 'mail.test', '--resolver', resolver]
    await timeRun(mx, {}, node) // the user's code cache, on a Node that is not the build's
    const base = await instructions(node, ['-e', '0'])
    const ran = await instructions(node, mx)
    rows.push(`instructions on ${label} (callgrind): node -e 0 ${(base / 1e6).toFixed(0)} M, mx ${(ran / 1e6).toFixed(0)} M`)
    report(`[${label}] mx instructions / node -e 0`, ran / base)
  }
  dns.close()
}

if (want('probes')) {
  const {benchProbes} = await import('./bench-probes.mjs')
  rows.push(...(await benchProbes({BIN, timeRun, median})))
}

if (want('batch')) {
  const {benchBatch} = await import('./bench-batch.mjs')
  rows.push(...(await benchBatch({BIN})))
}

console.log(rows.join('\n'))
