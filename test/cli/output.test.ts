import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {spawn, spawnSync} from 'node:child_process'
import {createSocket, type Socket} from 'node:dgram'
import {openSync, closeSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {BIN} from './run-cli.js'

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
