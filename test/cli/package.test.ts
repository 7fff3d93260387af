import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execFile, execFileSync, spawnSync} from 'node:child_process'
import {promisify} from 'node:util'
import {cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'

// The package as a user installs it (issue 16): packed as `npm pack` packs it (the manifest that scripts/pack.mjs
// writes: no prepare script, no devDependencies), installed into an empty folder from the registry cache that npm ci
// filled, and run from there. Packed from a copy of the package's files, so that the working tree, which the other CLI
// tests run from at the same time, is never rebuilt or touched.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
let dir: string
let installLog: string
let bin: string
let dns: FakeDns

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'maildig-package-'))
  const stage = join(dir, 'stage')
  mkdirSync(stage)
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'bin', 'dist', 'oclif.manifest.json', 'docs', 'examples']) {
    cpSync(join(ROOT, entry), join(stage, entry), {recursive: true})
  }
  execFileSync(process.execPath, [join(ROOT, 'scripts/pack.mjs'), 'prepack'], {cwd: stage})
  execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], {cwd: stage, encoding: 'utf8'})
  const tarball = join(dir, `${pkg.name}-${pkg.version}.tgz`)
  const app = join(dir, 'app')
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{"name": "app", "version": "1.0.0", "private": true}\n')
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {cwd: app, encoding: 'utf8', timeout: 120_000})
  installLog = `${install.stdout}\n${install.stderr}`
  expect(install.status, installLog).toBe(0)
  bin = join(app, 'node_modules', '.bin', 'maildig')
  dns = await startFakeDns('127.0.0.1', (name, type) =>
    type === 'MX' && name === 'example.test' ? {kind: 'answer', answers: [{type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'mx.example.test'}}]} : {kind: 'answer', answers: type === 'A' ? [{type: 'A', name, ttl: 60, data: '192.0.2.25'}] : []},
  )
}, 180_000)

afterAll(async () => {
  await dns?.close()
  if (dir) rmSync(dir, {recursive: true, force: true})
})

// Asynchronous: the fake DNS server answers from this process.
const run = async (args: string[]) => {
  try {
    const {stdout, stderr} = await promisify(execFile)(bin, args, {encoding: 'utf8', env: {PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1'}, timeout: 30_000})
    return {status: 0, stdout, stderr}
  } catch (error) {
    const e = error as {code?: number; stdout?: string; stderr?: string}
    return {status: e.code ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? ''}
  }
}

describe('the packed package', () => {
  it('installs without an install-script warning, with only the runtime dependencies', () => {
    expect(installLog).not.toMatch(/install-scripts|allowScripts|prepare/)
    const modules = join(dir, 'app', 'node_modules')
    // Bundled into the scripts (imapflow, mailauth and nodemailer into dist/vendor/), or needed only to build and test.
    for (const bundled of ['@oclif', 'zod', 'dns-packet', 'esbuild', 'typescript', 'vitest', 'imapflow', 'mailauth', 'nodemailer']) expect(existsSync(join(modules, bundled)), bundled).toBe(false)
    // An ES module only, loaded from node_modules when a spinner shows.
    expect(existsSync(join(modules, 'ora')), 'ora').toBe(true)
    const installed = JSON.parse(readFileSync(join(modules, pkg.name, 'package.json'), 'utf8'))
    expect(installed.scripts ?? {}).toEqual({})
    expect(installed.devDependencies).toBeUndefined()
  })

  it('ships what runs and the docs, and nothing for development', () => {
    const files = readdirSync(join(dir, 'app', 'node_modules', pkg.name), {recursive: true}).map(String)
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'bin/run.js', 'dist/maildig.cjs', 'dist/maildig.cjs.cache', 'dist/parts/mx.cjs', 'dist/parts/mx.cjs.cache', 'dist/vendor/imapflow.cjs', 'dist/vendor/imapflow.cjs.cache', 'dist/vendor/mailauth.cjs', 'dist/vendor/nodemailer.cjs', 'oclif.manifest.json', 'docs/cli.md', 'examples/postfix-relay-chain.eml']))
    expect(files.filter((f) => f.startsWith('dist/lib') || f === 'bin/dev.js' || f.startsWith('src') || f.startsWith('test'))).toEqual([])
    // The packages bundled into the scripts, each with its licence and licence text (scripts/build.mjs, writeNotices).
    const notices = readFileSync(join(dir, 'app', 'node_modules', pkg.name, 'dist', 'THIRD-PARTY-NOTICES.md'), 'utf8')
    const listed = [...notices.matchAll(/^## (\S+) \d[^\n]*\n\nLicence: (\S[^\n]*)$/gm)].map((m) => m[1])
    for (const name of ['@oclif/core', 'chalk', 'dns-packet', 'imapflow', 'mailauth', 'nodemailer', 'iconv-lite', 'pino']) expect(listed, name).toContain(name)
    expect(notices).toMatch(/^## imapflow [\d.]+\n\nLicence: MIT/m)
    expect(notices).not.toContain('ships no licence file')
    const installed = JSON.parse(readFileSync(join(dir, 'app', 'node_modules', pkg.name, 'package.json'), 'utf8'))
    for (const field of ['license', 'repository', 'homepage', 'bugs', 'keywords']) expect(installed[field], field).toBeTruthy()
  })

  it('runs --help, mx, trace --message, send --dry-run, imap-check and sender --message from the installed folder', async () => {
    const help = await run(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^EXIT CODES$/m)
    const mx = await run(['mx', 'example.test', '--resolver', `127.0.0.1:${dns.port}`, '--json'])
    expect(mx.stderr).toBe('')
    expect(mx.stdout).toContain('"exchange": "mx.example.test"')
    expect(JSON.parse(mx.stdout)).toMatchObject({command: 'mx', exchanges: [{exchange: 'mx.example.test', preference: 10}]})
    const trace = await run(['trace', '--message', join(dir, 'app', 'node_modules', pkg.name, 'examples', 'postfix-relay-chain.eml')])
    expect(trace.status).toBe(0)
    expect(trace.stdout).toMatch(/^Observed route: 4 hops/)
    // The vendor scripts, with no imapflow, mailauth or nodemailer in node_modules: nodemailer's composer,
    const send = await run(['send', '--dry-run', '--from', 'a@example.test', '--to', 'b@example.test'])
    expect(send.status, send.stderr).toBe(0)
    expect(send.stdout).toMatch(/^From: a@example\.test$/m)
    // imapflow (loaded before the connect, which nothing answers),
    const imap = await run(['imap-check', '127.0.0.1', '--port', '9', '--timeout', '2s', '--json'])
    expect(imap.status, imap.stderr).toBe(4)
    expect(JSON.parse(imap.stdout)).toMatchObject({command: 'imap-check', error: {code: 'CONNECT_REFUSED'}})
    // and mailauth, verifying a saved message's signatures (their keys unreachable: could not be checked).
    const message = join(dir, 'app', 'node_modules', pkg.name, 'examples', 'postfix-relay-chain.eml')
    const sender = await run(['sender', 'example.com', '--message', message, '--resolver', `127.0.0.1:${dns.port}`, '--timeout', '2s', '--json'])
    expect(sender.stderr).toBe('')
    expect(JSON.parse(sender.stdout).dkim.signatures.length).toBeGreaterThan(0)
  })
})
