// Probe benchmarks (issues 3 and 7): parallel probes, deadlines and memory, measured side by side.
// Servers run in this process on 127.0.1.16x; the CLI runs as a child, as a user would run it.
import dgram from 'node:dgram'
import net from 'node:net'
import {readFileSync} from 'node:fs'
import * as packet from 'dns-packet'

const SLOW_HOSTS = ['127.0.1.161', '127.0.1.162', '127.0.1.163', '127.0.1.164']
const SILENT_HOST = '127.0.1.165'
const ENDLESS_HOST = '127.0.1.166'
const DRIP_HOST = '127.0.1.167'
const DNS_HOST = '127.0.1.160'
// trace always probes port 25, so the benchmark servers listen there (this needs root, as the test world does).
const PORT = 25

/**
 * An SMTP server that greets after `delayMs`, then answers EHLO/MAIL/RCPT/RSET/QUIT; `server.connections`
 * counts the connections it took (the batch benchmark checks each server is probed once).
 */
export function slowSmtp(host, delayMs) {
  const server = net.createServer((socket) => {
    server.connections++
    socket.on('error', () => {})
    const timer = setTimeout(() => socket.write('220 slow.bench.test ESMTP\r\n'), delayMs)
    socket.on('close', () => clearTimeout(timer))
    let buffer = ''
    socket.on('data', (d) => {
      buffer += d
      let i
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i).toUpperCase()
        buffer = buffer.slice(i + 2)
        if (line.startsWith('EHLO')) socket.write('250-slow.bench.test\r\n250 8BITMIME\r\n')
        else if (line.startsWith('QUIT')) socket.end('221 bye\r\n')
        else socket.write('250 ok\r\n')
      }
    })
  })
  server.connections = 0
  return new Promise((resolve) => server.listen(PORT, host, () => resolve(server)))
}

/** Greets and answers EHLO at once; every later reply comes one byte every 200 ms (a tarpit). */
function dripAfterEhloSmtp(host) {
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    const timers = new Set()
    socket.on('close', () => timers.forEach((t) => clearInterval(t)))
    const drip = (text) => {
      let i = 0
      const timer = setInterval(() => {
        if (i >= text.length || socket.destroyed) return clearInterval(timer)
        socket.write(text[i++])
      }, 200)
      timers.add(timer)
    }
    socket.write('220 drip.bench.test ESMTP\r\n')
    let buffer = ''
    socket.on('data', (d) => {
      buffer += d
      let i
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i).toUpperCase()
        buffer = buffer.slice(i + 2)
        if (line.startsWith('EHLO')) socket.write('250-drip.bench.test\r\n250 SIZE 10240000\r\n')
        else drip('250 2.0.0 ok\r\n')
      }
    })
  })
  return new Promise((resolve) => server.listen(PORT, host, () => resolve(server)))
}

function silentSmtp(host) {
  const server = net.createServer((socket) => socket.on('error', () => {}))
  return new Promise((resolve) => server.listen(PORT, host, () => resolve(server)))
}

/** Writes one line for ever (without a line end), as fast as the client reads. */
function endlessSmtp(host) {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  const server = net.createServer((socket) => {
    socket.on('error', () => {})
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
    }
    socket.on('drain', pump)
    pump()
  })
  return new Promise((resolve) => server.listen(PORT, host, () => resolve(server)))
}

function startDns() {
  const socket = dgram.createSocket('udp4')
  const mx = {'one.bench.test': SLOW_HOSTS.slice(0, 1), 'four.bench.test': SLOW_HOSTS}
  socket.on('message', (msg, rinfo) => {
    const q = packet.decode(msg)
    const {name, type} = q.questions[0]
    const answers = []
    if (mx[name] && type === 'MX') mx[name].forEach((_, i) => answers.push({type: 'MX', name, ttl: 60, data: {preference: 10 * (i + 1), exchange: `mx${i + 1}.bench.test`}}))
    const host = /^mx(\d)\.bench\.test$/.exec(name)
    if (host && type === 'A') answers.push({type: 'A', name, ttl: 60, data: SLOW_HOSTS[Number(host[1]) - 1]})
    const rcode = answers.length || name.endsWith('.bench.test') || name.endsWith('in-addr.arpa') ? 0 : 3
    socket.send(packet.encode({type: 'response', id: q.id, flags: packet.RECURSION_AVAILABLE | rcode, questions: q.questions, answers}), rinfo.port, rinfo.address)
  })
  return new Promise((resolve) => socket.bind(53, DNS_HOST, () => resolve(socket)))
}

/** Peak resident memory of a child, polled from /proc while it runs. */
async function runWithPeak(spawnRun) {
  let peak = 0
  const child = spawnRun()
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024)
    } catch {
      // exited
    }
  }, 10)
  const result = await child.done
  clearInterval(poll)
  return {...result, peak}
}

export async function benchProbes({BIN, timeRun, median}) {
  const rows = []
  const servers = [...(await Promise.all(SLOW_HOSTS.map((h) => slowSmtp(h, 1000)))), await silentSmtp(SILENT_HOST), await endlessSmtp(ENDLESS_HOST), await dripAfterEhloSmtp(DRIP_HOST)]
  const dns = await startDns()
  const resolver = `${DNS_HOST}:53`
  const ROUNDS = 3
  try {
    // 1. probe-smtp --mx: four hosts that each greet after 1 s, against one.
    const probe = (domain) => timeRun([BIN, 'probe-smtp', domain, '--mx', '--port', String(PORT), '--tls', 'none', '--resolver', resolver, '--json'])
    const one = []
    const four = []
    for (let i = 0; i < ROUNDS; i++) {
      one.push((await probe('one.bench.test')).ms)
      const r = await probe('four.bench.test')
      if (JSON.parse(r.stdout).probes?.length !== 4) throw new Error(`probe of four hosts went wrong: ${r.stdout.slice(0, 300)}`)
      four.push(r.ms)
    }
    rows.push(`probe-smtp --mx, hosts greeting after 1 s: one host ${median(one).toFixed(0)} ms, four hosts ${median(four).toFixed(0)} ms`)
    rows.push(ratioRow('probe-smtp: 4 slow hosts / 1 slow host', median(four) / median(one), 1.2))

    // 2. trace: the same, with the recipient domain's four MX hosts.
    const trace = (domain) => timeRun([BIN, 'trace', `user@${domain}`, '--resolver', resolver, '--json'], {})
    const tOne = []
    const tFour = []
    for (let i = 0; i < ROUNDS; i++) {
      tOne.push((await trace('one.bench.test')).ms)
      tFour.push((await trace('four.bench.test')).ms)
    }
    rows.push(`trace, MX hosts greeting after 1 s: one host ${median(tOne).toFixed(0)} ms, four hosts ${median(tFour).toFixed(0)} ms`)
    rows.push(ratioRow('trace: 4 slow MX hosts / 1 slow MX host', median(tFour) / median(tOne), 1.2))

    // 3. A server that never greets, --timeout 2s: the wall time, against the timeout.
    const silent = []
    const silentOwn = []
    const nodeStart = []
    for (let i = 0; i < ROUNDS; i++) {
      const r = await timeRun([BIN, 'probe-smtp', SILENT_HOST, '--port', String(PORT), '--timeout', '2s', '--json'])
      silent.push(r.ms)
      silentOwn.push(JSON.parse(r.stdout).timings.totalMs)
      nodeStart.push((await timeRun(['-e', '0'])).ms)
    }
    rows.push(`probe-smtp against a server that never greets, --timeout 2s: ${median(silent).toFixed(0)} ms wall time (target ≤ 2200 ms), of which the command's own time ${median(silentOwn).toFixed(0)} ms; node -e 0 takes ${median(nodeStart).toFixed(0)} ms here`)
    rows.push(ratioRow('never greets: wall time / timeout', median(silent) / 2000, 1.1))

    // 4. Replies dripping one byte every 200 ms after EHLO, --timeout 2s: send and probe-smtp, side by side.
    // Both stop at MAIL FROM's deadline; the bound is the timeout + 0.2 s + the process start (node -e 0).
    const drip = {send: [], sendOwn: [], probe: [], probeOwn: [], node: []}
    const envelope = ['--from', 'bench@drip.bench.test']
    for (let i = 0; i < ROUNDS; i++) {
      const s = await timeRun([BIN, 'send', '--server', `${DRIP_HOST}:${PORT}`, '--tls', 'none', '--timeout', '2s', ...envelope, '--to', 'user@drip.bench.test', '--json'])
      const p = await timeRun([BIN, 'probe-smtp', DRIP_HOST, '--port', String(PORT), '--tls', 'none', '--timeout', '2s', ...envelope, '--rcpt', 'user@drip.bench.test', '--json'])
      for (const [name, r] of [['send', s], ['probe', p]]) {
        const doc = JSON.parse(r.stdout)
        if (doc.error?.code !== 'REPLY_TIMEOUT') throw new Error(`${name} against the dripping server went wrong: ${r.stdout.slice(0, 300)}`)
        drip[name].push(r.ms)
        drip[`${name}Own`].push(doc.timings.totalMs)
      }
      drip.node.push((await timeRun(['-e', '0'])).ms)
    }
    const bound = 2000 + 200 + median(drip.node)
    rows.push(`replies dripping after EHLO, --timeout 2s: send ${median(drip.send).toFixed(0)} ms wall (own ${median(drip.sendOwn).toFixed(0)} ms), probe-smtp ${median(drip.probe).toFixed(0)} ms wall (own ${median(drip.probeOwn).toFixed(0)} ms); bound timeout + 0.2 s + node -e 0 = ${bound.toFixed(0)} ms`)
    rows.push(ratioRow('send, drip after EHLO: wall / (timeout + 0.2 s + node start)', median(drip.send) / bound, 1.0))
    rows.push(ratioRow('probe-smtp, same server: wall / (timeout + 0.2 s + node start)', median(drip.probe) / bound, 1.0))
    rows.push(ratioRow('send / probe-smtp, same server, wall', median(drip.send) / median(drip.probe), 1.2))

    // 5. Peak memory against an endless line.
    const {spawn} = await import('node:child_process')
    const endless = await runWithPeak(() => {
      const child = spawn(process.execPath, [BIN, 'probe-smtp', ENDLESS_HOST, '--port', String(PORT), '--timeout', '5s'], {stdio: 'ignore'})
      child.done = new Promise((resolve) => child.on('close', (code) => resolve({code})))
      return child
    })
    rows.push(`probe-smtp against an endless line: peak RSS ${(endless.peak / 1024 / 1024).toFixed(1)} MiB, exit ${endless.code} (target ≤ 80 MiB) ${endless.peak <= 80 * 1024 * 1024 ? 'within target' : 'OVER target'}`)
  } finally {
    dns.close()
    for (const s of servers) s.close()
  }
  return rows
}

function ratioRow(name, value, target) {
  return `${name.padEnd(58)} ${value.toFixed(2).padStart(7)}×  (target ≤ ${target}×) ${value <= target ? 'within target' : 'OVER target'}`
}
