import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from './run-cli.js'

// The configuration file (issue 16): values for the flags typed every time, profiles, flags and environment over it.
let dir: string
let home: string
const nothingListens = '127.0.0.1:9'

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'maildig-config-'))
  home = join(dir, 'xdg')
  mkdirSync(join(home, 'maildig'), {recursive: true})
  writeFileSync(
    join(home, 'maildig', 'config'),
    ['# every run', `resolver = ${nothingListens}`, 'timeout = 4s', '', '[profile fast]', 'timeout = 1500ms', '', '[profile other]', 'user = someone@example.test', ''].join('\n'),
  )
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const config = (args: string[], env: Record<string, string> = {}) => runCli(['config', '--json', ...args], {env: {XDG_CONFIG_HOME: home, ...env}})
const value = (doc: any, key: string) => doc.values.find((v: any) => v.key === key)

describe('maildig config', () => {
  it('shows the file, its profiles and each value with where it comes from', async () => {
    const r = await config([])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({command: 'config', ok: true, file: join(home, 'maildig', 'config'), exists: true, profile: null, profiles: ['fast', 'other']})
    expect(value(r.json, 'timeout')).toEqual({key: 'timeout', value: '4s', source: `${join(home, 'maildig', 'config')}:3`})
    expect(value(r.json, 'cert-days')).toEqual({key: 'cert-days', value: '14', source: 'default'})
  })

  it('a profile overrides the top section; the environment overrides both', async () => {
    expect(value((await config(['--profile', 'fast'])).json, 'timeout').value).toBe('1500ms')
    expect(value((await config([], {MAILDIG_PROFILE: 'fast'})).json, 'timeout').value).toBe('1500ms')
    expect(value((await config(['--profile', 'fast'], {MAILDIG_TIMEOUT: '7s'})).json, 'timeout')).toEqual({key: 'timeout', value: '7s', source: 'environment MAILDIG_TIMEOUT'})
  })

  it('without a file: the defaults, and no error', async () => {
    const r = await runCli(['config', '--json'], {env: {XDG_CONFIG_HOME: join(dir, 'none')}})
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({exists: false, profiles: []})
  })
})

describe('the values reach the commands', () => {
  it('the file\'s resolver and timeout are used; a flag overrides them', async () => {
    const fromFile = await runCli(['mx', 'example.test', '--json'], {env: {XDG_CONFIG_HOME: home}})
    expect(fromFile.code).toBe(3)
    expect(fromFile.json!.error.message).toContain(nothingListens)
    const fromFlag = await runCli(['mx', 'example.test', '--json', '--resolver', '127.0.0.1:7'], {env: {XDG_CONFIG_HOME: home}})
    expect(fromFlag.json!.error.message).toContain('127.0.0.1:7')
    expect(fromFlag.json!.error.message).not.toContain(nothingListens)
  })

  it('a key a command has no flag for is left out for that command (user for mx)', async () => {
    const r = await runCli(['mx', 'example.test', '--json', '--profile', 'other'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.json!.error.code).not.toBe('USAGE')
  })

  it('an unknown profile is a usage error naming the ones there are', async () => {
    const r = await runCli(['mx', 'example.test', '--profile', 'prod'], {env: {XDG_CONFIG_HOME: home}})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--profile: .* has no profile "prod" \(it has: fast, other\)/)
  })
})

describe('a bad configuration file is a usage error naming the file and line, before anything is sent', () => {
  const write = (name: string, text: string | Buffer) => {
    const folder = join(dir, name, 'maildig')
    mkdirSync(folder, {recursive: true})
    writeFileSync(join(folder, 'config'), text)
    return join(dir, name)
  }
  it.each([
    ['password', 'password = hunter2\n', /config:1: password: a password is never kept in the configuration file/],
    ['insecure', 'allow-insecure-auth = true\n', /config:1: allow-insecure-auth: .*command line/],
    ['unknown', '\nresolvr = 1.1.1.1\n', /config:2: "resolvr" is not a configuration key/],
    ['garbage', 'this is not ini\n', /config:1: expected "key = value"/],
    ['section', '[staging]\n', /config:1: a section is written \[profile NAME\]/],
    ['boolean', 'transcript = maybe\n', /config:1: transcript: write true or false/],
    ['large', `# ${'x'.repeat(70_000)}\n`, /larger than 64 KiB/],
    ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x41]), /not UTF-8 text/],
  ])('%s', async (name, text, message) => {
    const r = await runCli(['mx', 'example.test'], {env: {XDG_CONFIG_HOME: write(name, text)}})
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toContain('hunter2')
  })

  it('a FIFO is refused at once, not waited on', async () => {
    const folder = join(dir, 'fifo', 'maildig')
    mkdirSync(folder, {recursive: true})
    execFileSync('mkfifo', [join(folder, 'config')])
    const r = await runCli(['mx', 'example.test'], {env: {XDG_CONFIG_HOME: join(dir, 'fifo')}, timeoutMs: 10_000})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/not a regular file/)
  })

  it('MAILDIG_CONFIG naming a missing file is an error (a default location that is absent is not)', async () => {
    const r = await runCli(['mx', 'example.test'], {env: {MAILDIG_CONFIG: join(dir, 'missing.conf')}})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/missing\.conf: cannot read it \(ENOENT\)/)
  })
})
