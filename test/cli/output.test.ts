import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {spawn, spawnSync} from 'node:child_process'
import {createSocket, type Socket} from 'node:dgram'
import {closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {BIN} from './run-cli.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'
import {promtool, xmllint} from '../fixtures/consumers.js'

const EXAMPLE = fileURLToPath(new URL('../../examples/postfix-relay-chain.eml', import.meta.url))
const env = {PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1'}

/** Runs the CLI with standard output on /dev/full: every write to it fails with ENOSPC. */
function runToFullDisk(args: string[]) {
  const full = openSync('/dev/full', 'w')
  try {
    return spawnSync(process.execPath, [BIN, ...args], {env, stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: 30_000})
  } finally {
    closeSync(full)
  }
}

describe('a result that cannot be written (standard output on /dev/full)', {timeout: 20_000}, () => {
  it.each([
    ['a document (--json)', ['trace', '--message', EXAMPLE, '--json']],
    ['a usage error document (--json)', ['mx', 'a b', '--json']],
    ['the human output', ['trace', '--message', EXAMPLE]],
  ])('%s: one line, exit 74, no stack', (_what, args) => {
    const r = runToFullDisk(args)
    expect(r.status).toBe(74)
    expect(r.stderr).toBe('maildig: cannot write the output: no space left on device\n')
  })

  it('a failure reported on standard error keeps its own exit code', () => {
    const r = runToFullDisk(['mx', 'a b'])
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).not.toMatch(/ENOSPC|\bat .*\.c?js:\d+/)
  })
})

describe('an interrupted run', {timeout: 20_000}, () => {
  // A DNS server that reads queries and never answers: the run waits in its first lookup.
  let dns: Socket
  let port = 0
  const queried: Array<() => void> = []
  beforeAll(async () => {
    dns = createSocket('udp4')
    dns.on('message', () => queried.splice(0).forEach((f) => f()))
    await new Promise<void>((resolve) => dns.bind(0, '127.0.0.1', resolve))
    port = dns.address().port
  })
  afterAll(() => dns.close())

  async function interrupt(signal: 'SIGINT' | 'SIGTERM', json: boolean) {
    const waiting = new Promise<void>((resolve) => queried.push(resolve))
    const child = spawn(process.execPath, [BIN, 'mx', 'example.test', '--resolver', `127.0.0.1:${port}`, '--timeout', '20s', ...(json ? ['--json'] : [])], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const ended = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, sig) => resolve({code, signal: sig})))
    await waiting
    const sentAt = performance.now()
    child.kill(signal)
    const end = await ended
    return {...end, stdout, stderr, ms: performance.now() - sentAt}
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('under --json, %s prints the one document with INTERRUPTED (exit %i)', async (signal, exit) => {
    const r = await interrupt(signal, true)
    expect(r.code).toBe(exit)
    expect(r.ms).toBeLessThan(2000)
    const doc = JSON.parse(r.stdout)
    expect(doc).toMatchObject({command: 'mx', ok: false, exitCode: exit, error: {code: 'INTERRUPTED'}})
    expect(doc.findings).toEqual([expect.objectContaining({code: 'INTERRUPTED', severity: 'error'})])
    expect(r.stderr).toBe('')
  })

  it('without --json, the signal ends the run as before (no document, no stack)', async () => {
    const r = await interrupt('SIGINT', false)
    expect(r.signal).toBe('SIGINT')
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe('')
  })
})

// A monitoring system or CI job that stops a check (Icinga 2's SIGTERM at its timeout, Ctrl-C by hand) still gets a
// report in the format it reads, saying the check could not be made (docs/monitoring.md, "Interrupted runs").
describe('an interrupted run under --format nagios, prometheus and junit', {timeout: 30_000}, () => {
  // An SMTP server that accepts the connection and never says a word: the run waits for the greeting.
  let server: SmtpFixture
  const dir = mkdtempSync(join(tmpdir(), 'maildig-interrupt-'))
  beforeAll(async () => {
    server = await startSmtpFixture({behaviour: 'silent', host: '127.0.1.241'})
  })
  afterAll(async () => {
    await server?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  async function interrupt(signal: 'SIGINT' | 'SIGTERM', format: string, extra: string[] = []) {
    const before = server.connections
    const child = spawn(process.execPath, [BIN, 'probe-smtp', server.host, '--port', String(server.port), '--tls', 'none', '--timeout', '20s', '--format', format, ...extra], {env, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const ended = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('close', (code, sig) => resolve({code, signal: sig})))
    // Connected, and waiting for the greeting that never comes.
    while (server.connections === before) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const sentAt = performance.now()
    child.kill(signal)
    const end = await ended
    return {...end, stdout, stderr, ms: performance.now() - sentAt}
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('nagios, %s: one UNKNOWN status line with performance data, exit 3', async (signal) => {
    const r = await interrupt(signal, 'nagios')
    expect(r.ms).toBeLessThan(2000)
    expect([r.code, r.signal, r.stderr]).toEqual([3, null, ''])
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(new RegExp(`^SMTP UNKNOWN - 127\\.0\\.1\\.241:${server.port}: interrupted by ${signal} before the check finished \\| 'time'=[\\d.]+s;;;0 .*'findings_error'=1;;;0`))
    expect(lines.slice(1)).toEqual([`[ERROR] INTERRUPTED: interrupted by ${signal} before the check finished`])
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('prometheus, %s: a document promtool accepts, probe_success 0, maildig_exit_code %i', async (signal, exit) => {
    const r = await interrupt(signal, 'prometheus')
    expect([r.code, r.stderr]).toEqual([exit, ''])
    expect(promtool(r.stdout)).toEqual({status: 0, output: ''})
    expect(r.stdout).toContain(`probe_success{command="probe-smtp",target="127.0.1.241:${server.port}"} 0\n`)
    expect(r.stdout).toContain(`maildig_exit_code{command="probe-smtp",target="127.0.1.241:${server.port}"} ${exit}\n`)
    expect(r.stdout).toContain(`maildig_finding{command="probe-smtp",target="127.0.1.241:${server.port}",code="INTERRUPTED",severity="error"} 1\n`)
  })

  it('prometheus with --output: the file is replaced atomically by the interrupted report', async () => {
    const out = join(dir, 'smtp.prom')
    writeFileSync(out, 'old\n')
    const r = await interrupt('SIGTERM', 'prometheus', ['--output', out])
    expect([r.code, r.stdout, r.stderr]).toEqual([143, '', ''])
    const text = readFileSync(out, 'utf8')
    expect(promtool(text).status).toBe(0)
    expect(text).toMatch(/^probe_success\{[^}]*\} 0$/m)
    expect(readdirSync(dir)).toEqual(['smtp.prom'])
    expect(existsSync(out)).toBe(true)
  })

  it('junit, SIGTERM: valid against the schema, the run an <error type="INTERRUPTED">, exit 143', async () => {
    const r = await interrupt('SIGTERM', 'junit')
    expect([r.code, r.stderr]).toEqual([143, ''])
    expect(xmllint(r.stdout).status).toBe(0)
    expect(r.stdout).toMatch(/<testcase name="the check could run" classname="maildig\.probe-smtp"[^>]*>\s*<error type="INTERRUPTED" message="interrupted by SIGTERM before the check finished">exit 143<\/error>/)
  })
})
