import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {BIN, runCli} from './run-cli.js'

// Every file or stream the user hands maildig is read within a size bound and a deadline (docs/cli.md, "Input bounds").
const EXAMPLE = fileURLToPath(new URL('../../examples/postfix-relay-chain.eml', import.meta.url))
const MIB = 1024 * 1024
let dir: string
let fifo: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'maildig-input-'))
  // A FIFO that nobody ever writes to: opening it for reading would block, reading it would wait forever.
  fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** A sparse file: its size is what stat says, without writing the bytes. */
function sparse(name: string, bytes: number): string {
  const path = join(dir, name)
  writeFileSync(path, '')
  truncateSync(path, bytes)
  return path
}

function expectUsage(r: {code: number | null; stdout: string; stderr: string}, message: RegExp) {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
}

describe('--ca-file', {timeout: 20_000}, () => {
  it('/dev/zero is refused at the bound, not read until memory runs out', async () => {
    const r = await runCli(['mx', 'example.test', '--ca-file', '/dev/zero'], {timeoutMs: 15_000})
    expectUsage(r, /--ca-file: \/dev\/zero is larger than 1 MiB/)
  })

  it('a 200 MB file is refused before it is read', async () => {
    const r = await runCli(['mx', 'example.test', '--ca-file', sparse('huge.pem', 200 * MIB)], {timeoutMs: 15_000})
    expectUsage(r, /--ca-file: .*huge\.pem is larger than 1 MiB/)
    expect(r.ms).toBeLessThan(5000)
  })

  it('a FIFO with no writer ends at the deadline instead of hanging', async () => {
    const r = await runCli(['mx', 'example.test', '--ca-file', fifo, '--timeout', '1s'], {timeoutMs: 15_000})
    expectUsage(r, /--ca-file: nothing arrived from .*fifo within 1\.00 s/)
    expect(r.ms).toBeLessThan(6000)
  })

  it('a PEM block that is not a certificate is a usage error, not silently ignored', async () => {
    const bogus = join(dir, 'bogus.pem')
    writeFileSync(bogus, '-----BEGIN CERTIFICATE-----\nMIIBbogus\n-----END CERTIFICATE-----\n')
    expectUsage(await runCli(['mx', 'example.test', '--ca-file', bogus]), /--ca-file: .*bogus\.pem is not a valid certificate/)
    const key = join(dir, 'key.pem')
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')
    expectUsage(await runCli(['mx', 'example.test', '--ca-file', key]), /--ca-file: .*key\.pem is a PRIVATE KEY, not a CERTIFICATE/)
    const text = join(dir, 'text.pem')
    writeFileSync(text, 'not pem at all\n')
    expectUsage(await runCli(['mx', 'example.test', '--ca-file', text]), /--ca-file: .*text\.pem holds no PEM certificate/)
  })

  it('a real certificate is accepted (the run goes on to DNS)', async () => {
    const cert = join(dir, 'ca.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=maildig test CA', '-days', '1', '-keyout', join(dir, 'ca.key'), '-out', cert], {stdio: 'ignore'})
    // Nothing listens at 127.0.0.1:9: the DNS failure (exit 3) shows the CA file passed.
    const r = await runCli(['mx', 'example.test', '--ca-file', cert, '--resolver', '127.0.0.1:9', '--timeout', '1s', '--json'])
    expect(r.code, r.stderr).toBe(3)
  })
})

describe('--message', {timeout: 20_000}, () => {
  it('a FIFO with no writer ends at the deadline', async () => {
    const r = await runCli(['trace', '--message', fifo, '--timeout', '1s'], {timeoutMs: 15_000})
    expectUsage(r, /--message: nothing arrived from .*fifo within 1\.00 s/)
  })

  it('a process substitution <(cat x.eml) is read like standard input', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" trace --message <(cat "${EXAMPLE}") --json`], {encoding: 'utf8', env: {PATH: process.env.PATH, NO_COLOR: '1'}, timeout: 15_000})
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).observed).toHaveLength(4)
  })

  it('/dev/stdin from a shell pipe, or a socket, is read like -', async () => {
    const piped = spawnSync('sh', ['-c', `cat "${EXAMPLE}" | "${process.execPath}" "${BIN}" trace --message /dev/stdin --json`], {encoding: 'utf8', env: {PATH: process.env.PATH, NO_COLOR: '1'}, timeout: 15_000})
    expect(piped.status, piped.stderr).toBe(0)
    expect(JSON.parse(piped.stdout).observed).toHaveLength(4)
    // Node hands a child's standard input over as a socket, which /dev/stdin cannot reopen.
    const r = await runCli(['trace', '--message', '/dev/stdin', '--json'], {input: readFileSync(EXAMPLE, 'utf8')})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.observed).toHaveLength(4)
  })
})

describe('send --dry-run inputs', {timeout: 20_000}, () => {
  it('a --body-file FIFO with no writer ends at the deadline', async () => {
    const r = await runCli(['send', '--from', 'me@mail.test', '--to', 'you@mail.test', '--dry-run', '--body-file', fifo, '--timeout', '1s'], {timeoutMs: 15_000})
    expectUsage(r, /--body-file: nothing arrived from .*fifo within 1\.00 s/)
  })

  it('eight 24 MB attachments: the total is bounded, refused before the second is read', async () => {
    const files = Array.from({length: 8}, (_, i) => sparse(`attachment-${i}.bin`, 24_000_000))
    const r = await runCli(['send', '--from', 'me@mail.test', '--to', 'you@mail.test', '--dry-run', ...files.flatMap((f) => ['--attach', f])], {timeoutMs: 30_000})
    expectUsage(r, /--attach: .*attachment-1\.bin is larger than the 25 MiB that the body and attachments may take together/)
    expect(r.ms).toBeLessThan(10_000)
  })

  it('the body counts towards the same bound', async () => {
    const body = sparse('body.txt', 20 * MIB)
    const r = await runCli(['send', '--from', 'me@mail.test', '--to', 'you@mail.test', '--dry-run', '--body-file', body, '--attach', sparse('small.bin', 6 * MIB)], {timeoutMs: 30_000})
    expectUsage(r, /--attach: .*small\.bin is larger than the 25 MiB/)
  })
})
