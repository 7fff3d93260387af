import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {spawnSync} from 'node:child_process'
import {chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

// The loader's code cache for a Node whose V8 is not the build's (Node 22 and 24 running a package built on 20): a cache of
// the user's own, in a folder only that user can write to, written once and then used. Tested on this Node by giving a
// copy of the package a build V8 that is not this one.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
let pkg: string
let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'maildig-code-cache-'))
  pkg = join(dir, 'pkg')
  mkdirSync(pkg)
  for (const entry of ['package.json', 'bin', 'dist', 'oclif.manifest.json', 'examples']) cpSync(join(ROOT, entry), join(pkg, entry), {recursive: true})
  const loader = join(pkg, 'dist', 'maildig-loader.cjs')
  const text = readFileSync(loader, 'utf8')
  const edited = text.replace(/^const BUILD_V8 = "[^"]+"$/m, 'const BUILD_V8 = "another-v8"')
  expect(edited).not.toBe(text)
  writeFileSync(loader, edited)
})

afterAll(() => rmSync(dir, {recursive: true, force: true}))

const trace = (cacheHome: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(pkg, 'bin', 'run.js'), 'trace', '--message', join(pkg, 'examples', 'skewed-clock.eml')], {
    encoding: 'utf8',
    env: {PATH: process.env.PATH, HOME: join(dir, 'home'), XDG_CACHE_HOME: cacheHome, NO_COLOR: '1', ...env},
  })
const cacheFiles = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.startsWith('code-')) : [])

describe('the code cache for another V8', () => {
  it('is written once, by the first run, in a folder only the user can read, and used by later runs', () => {
    const home = join(dir, 'cache-a')
    const first = trace(home)
    expect(first.status, first.stderr).toBe(0)
    const folder = join(home, 'maildig')
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    // One for each script the run compiled: the core and the part of the command it ran.
    const files = cacheFiles(folder).sort()
    const v8 = process.versions.v8.replace(/[.]/g, '\\.')
    expect(files).toHaveLength(2)
    expect(files[0]).toMatch(new RegExp(`^code-[0-9a-f]{16}-maildig-v8-${v8}-${process.arch}\\.cache$`))
    expect(files[1]).toMatch(new RegExp(`^code-[0-9a-f]{16}-parts-trace-v8-${v8}-${process.arch}\\.cache$`))
    const stats = files.map((file) => statSync(join(folder, file)))
    for (const stat of stats) expect(stat.mode & 0o777).toBe(0o600)
    expect(stats[0].size).toBeGreaterThan(100_000)
    expect(stats[1].size).toBeGreaterThan(10_000)
    const second = trace(home)
    expect(second.status).toBe(0)
    expect(second.stdout).toBe(first.stdout)
    // Accepted, so not written again.
    expect(files.map((file) => statSync(join(folder, file)).mtimeMs)).toEqual(stats.map((stat) => stat.mtimeMs))
    // Another command's run adds its part's cache, and leaves the core's as it was.
    const mx = spawnSync(process.execPath, [join(pkg, 'bin', 'run.js'), 'mx', 'mail.invalid', '--resolver', '127.0.0.1:9', '--timeout', '1s'], {encoding: 'utf8', env: {PATH: process.env.PATH, XDG_CACHE_HOME: home, NO_COLOR: '1'}})
    expect(mx.status, mx.stderr).toBe(3)
    expect(cacheFiles(folder).sort()).toEqual([...files.slice(0, 1), files[0].replace('-maildig-', '-parts-mx-'), ...files.slice(1)])
    expect(statSync(join(folder, files[0])).mtimeMs).toBe(stats[0].mtimeMs)
  })

  it('a damaged cache is rejected by V8 and replaced; the run is unaffected', () => {
    const home = join(dir, 'cache-b')
    expect(trace(home).status).toBe(0)
    const folder = join(home, 'maildig')
    const file = cacheFiles(folder).find((f) => f.includes('-maildig-'))!
    writeFileSync(join(folder, file), Buffer.alloc(4096, 0x41))
    const run = trace(home)
    expect(run.status, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^Observed route/)
    expect(statSync(join(folder, file)).size).toBeGreaterThan(100_000)
  })

  it('is neither read nor written in a folder that others can write to (a planted cache is code)', () => {
    const home = join(dir, 'cache-c')
    const folder = join(home, 'maildig')
    mkdirSync(folder, {recursive: true})
    chmodSync(folder, 0o777)
    const buildId = /^const BUILD_ID = "([0-9a-f]+)"$/m.exec(readFileSync(join(pkg, 'dist', 'maildig-loader.cjs'), 'utf8'))![1]
    const name = `code-${buildId}-maildig-v8-${process.versions.v8}-${process.arch}.cache`
    const planted = join(folder, name)
    writeFileSync(planted, 'planted')
    const run = trace(home)
    expect(run.status, run.stderr).toBe(0)
    expect(cacheFiles(folder)).toEqual([name])
    expect(readFileSync(planted, 'utf8')).toBe('planted')
  })

  it('MAILDIG_CODE_CACHE=0 turns it off', () => {
    const home = join(dir, 'cache-d')
    expect(trace(home, {MAILDIG_CODE_CACHE: '0'}).status).toBe(0)
    expect(existsSync(join(home, 'maildig'))).toBe(false)
  })
})
