import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'
import {BIN} from './run-cli.js'

// Start-up time is a feature; its times are for `npm run bench` (docs/testing.md). What a run loads does not depend on
// the machine, so that is checked here: each module below once cost milliseconds of every start.
const REPORT = fileURLToPath(new URL('./fixtures/report-modules.cjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'maildig-startup-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** The Node modules (internal ones included) that `maildig …args` loaded, and the scripts of dist/ that it compiled. */
function modulesLoadedBy(args: string[], script: string[] = [BIN]): {status: number | null; modules: string[]; scripts: string[]; fromSource: string[]; ended: string; files: string[]} {
  const file = join(dir, `${args[0] ?? 'empty'}-${Math.random().toString(36).slice(2)}.json`)
  const run = spawnSync(process.execPath, ['--require', REPORT, ...script, ...args], {env: {PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', MAILDIG_TEST_MODULES: file}, encoding: 'utf8', timeout: 30_000})
  return {status: run.status, ...(JSON.parse(readFileSync(file, 'utf8')) as {modules: string[]; scripts: string[]; fromSource: string[]; ended: string; files: string[]})}
}

// What Node itself loads for an empty script does not count against maildig (Node 24 loads its ES module loader at
// every start; Node 20 does not).
const baseline = modulesLoadedBy([], ['-e', '0']).modules
const loaded = (modules: string[], name: string) => modules.includes(`NativeModule ${name}`) && (modules === baseline || !baseline.includes(`NativeModule ${name}`))

describe('what a run loads', () => {
  // Nothing answers DNS on 127.0.0.1:9: the query is refused at once, exit 3, after the whole start.
  const mx = modulesLoadedBy(['mx', 'mail.invalid', '--resolver', '127.0.0.1:9', '--timeout', '2s', '--json'])

  it('runs mx to its end', () => {
    expect(mx.status).toBe(3)
    expect(loaded(mx.modules, 'dgram')).toBe(true)
  })

  it('compiles the core and the part of mx, not dist/extra.cjs (help, error boxes, globbing… that a run does not take)', () => {
    expect(mx.scripts).toEqual(['maildig', 'parts/mx'])
  })

  it("starts the command without oclif's configuration: reads no manifest and no theme (src/cli/direct.ts)", () => {
    const read = (files: string[]) => files.map((f) => f.split(/[\\/]/).pop())
    expect(read(mx.files)).not.toContain('oclif.manifest.json')
    expect(read(mx.files)).not.toContain('theme.json')
    // Help is oclif's, from the manifest (so the check above can see a read of it).
    const help = modulesLoadedBy(['mx', '--help'])
    expect(help.status).toBe(0)
    expect(read(help.files)).toContain('oclif.manifest.json')
  })

  it("ends as soon as its output is written, without Node's teardown of the heap (src/cli/end.ts)", () => {
    expect(mx.ended).toBe('exit')
  })

  it('loads no ES module (bin/run.js, the loader and the command stubs are CommonJS)', () => {
    // What Node loads to import an ES module, and its fs/promises with readline; its bootstrap has a few esm/ parts.
    for (const name of ['internal/modules/esm/module_job', 'internal/modules/esm/translators']) expect(loaded(mx.modules, name), name).toBe(false)
  })

  it('loads no node:module: lazily needed builtins come through process.getBuiltinModule (src/lib/builtins.ts)', () => {
    // createRequire's node:module brings Node's ES module loader and source-map support with it. Node's -e loads
    // node:module itself, so the baseline here is an empty script file (on Node 24 it loads the ES module loader too).
    const empty = join(dir, 'empty.cjs')
    writeFileSync(empty, '')
    const script = modulesLoadedBy([], [empty]).modules
    for (const name of ['module', 'internal/modules/esm/loader', 'internal/source_map/source_map']) {
      expect(mx.modules.includes(`NativeModule ${name}`) && !script.includes(`NativeModule ${name}`), name).toBe(false)
    }
  })

  it("loads no perf_hooks: maildig's clock is process.hrtime, and oclif's markers load it only when they are on", () => {
    for (const name of ['perf_hooks', 'internal/perf/performance', 'internal/perf/usertiming']) expect(loaded(mx.modules, name), name).toBe(false)
  })

  it('loads no TLS, crypto, fs/promises or readline, and with --resolver no node:dns', () => {
    for (const name of ['tls', 'crypto', 'internal/fs/promises', 'internal/readline/interface', 'dns']) expect(loaded(mx.modules, name), name).toBe(false)
  })

  it('reads a message for trace --message without TLS, HTTPS, crypto or DNS modules (it connects nowhere)', () => {
    const trace = modulesLoadedBy(['trace', '--message', fileURLToPath(new URL('../../examples/skewed-clock.eml', import.meta.url)), '--json'])
    expect(trace.status).toBe(0)
    for (const name of ['tls', 'https', 'crypto', 'dns']) expect(loaded(trace.modules, name), name).toBe(false)
    expect(trace.scripts).toEqual(['maildig', 'parts/trace'])
    expect(trace.ended).toBe('exit')
  })

  it('checks a sender through --resolver without TLS, HTTPS or node:dns (nothing answers: every check is "could not be checked", exit 3)', () => {
    const sender = modulesLoadedBy(['sender', 'mail.invalid', '--ip', '192.0.2.1', '--resolver', '127.0.0.1:9', '--timeout', '2s', '--json'])
    expect(sender.status).toBe(3)
    expect(loaded(sender.modules, 'dgram')).toBe(true)
    for (const name of ['tls', 'https', 'dns']) expect(loaded(sender.modules, name), name).toBe(false)
    expect(sender.scripts).toEqual(['maildig', 'parts/sender'])
  })

  it('loads TLS and crypto for a probe only when the conversation reaches TLS (a refused connection does not)', () => {
    const probe = modulesLoadedBy(['probe-smtp', '127.0.0.1', '--port', '9', '--timeout', '2s', '--json'])
    expect(probe.status).toBe(4)
    expect(loaded(probe.modules, 'tls')).toBe(false)
    expect(loaded(probe.modules, 'crypto')).toBe(false)
    expect(probe.scripts).toEqual(['maildig', 'parts/probe-smtp'])
    expect(probe.ended).toBe('exit')
  })

  it('takes imapflow from its vendor script, compiled from its cache, without Node\'s ES module loader (imap-check, refused)', () => {
    // Twice: on a Node other than the build's, the first run compiles from source and writes the user's caches (HOME is
    // this test's folder), which the second run reads.
    modulesLoadedBy(['imap-check', '127.0.0.1', '--port', '9', '--timeout', '2s', '--json'])
    const imap = modulesLoadedBy(['imap-check', '127.0.0.1', '--port', '9', '--timeout', '2s', '--json'])
    expect(imap.status).toBe(4)
    expect(imap.scripts).toEqual(['maildig', 'parts/imap-check', 'vendor/imapflow'])
    expect(imap.fromSource).toEqual([])
    for (const name of ['internal/modules/esm/module_job', 'internal/modules/esm/translators']) expect(loaded(imap.modules, name), name).toBe(false)
  })

  it('takes mailauth from its vendor script to verify a saved message (sender --message)', () => {
    const message = fileURLToPath(new URL('../../examples/postfix-relay-chain.eml', import.meta.url))
    const sender = modulesLoadedBy(['sender', 'example.com', '--message', message, '--resolver', '127.0.0.1:9', '--timeout', '2s', '--json'])
    expect(sender.scripts).toEqual(['maildig', 'parts/sender', 'vendor/mailauth'])
    for (const name of ['internal/modules/esm/module_job', 'internal/modules/esm/translators']) expect(loaded(sender.modules, name), name).toBe(false)
  })

  it("takes nodemailer's composer from its vendor script (send --dry-run)", () => {
    const send = modulesLoadedBy(['send', '--dry-run', '--from', 'a@b.test', '--to', 'c@d.test'])
    expect(send.status).toBe(0)
    expect(send.scripts).toEqual(['maildig', 'parts/send', 'vendor/nodemailer'])
    for (const name of ['internal/modules/esm/module_job', 'internal/modules/esm/translators']) expect(loaded(send.modules, name), name).toBe(false)
  })

  it("loads dist/extra.cjs for help, whose layout it holds (oclif's wrap-ansi, string-width…)", () => {
    const help = modulesLoadedBy(['mx', '--help'])
    expect(help.status).toBe(0)
    expect(help.scripts).toContain('extra')
  })
})

describe("oclif's debug log", () => {
  // The build replaces oclif's loggers by functions that do nothing unless DEBUG is set (the debug package costs every
  // start about 2 ms to load); DEBUG=oclif* still prints oclif's log, as it does in every oclif CLI.
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, [BIN, 'mx', 'mail.invalid', '--resolver', '127.0.0.1:9', '--timeout', '2s', '--json'], {env: {PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', ...env}, encoding: 'utf8', timeout: 30_000})

  it('prints nothing of it without DEBUG', () => {
    const quiet = run({})
    expect(quiet.status).toBe(3)
    expect(quiet.stderr).not.toContain('oclif:')
  })

  it('prints it with DEBUG=oclif*', () => {
    const loud = run({DEBUG: 'oclif*'})
    expect(loud.status).toBe(3)
    expect(loud.stderr).toMatch(/oclif:main process\.argv/)
  })
})
