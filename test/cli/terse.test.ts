import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'
import {runCli} from './run-cli.js'

// The terse forms (issue 16): mx --short like dig +short, and -q printing only the result.
let dns: FakeDns
let resolver: string

beforeAll(async () => {
  dns = await startFakeDns('127.0.0.1', (name, type) => {
    if (type === 'MX' && name === 'two.test') {
      return {kind: 'answer', answers: [20, 10].map((preference) => ({type: 'MX', name, ttl: 60, data: {preference, exchange: `mx${preference}.two.test`}}))}
    }
    if (type === 'MX' && name === 'null.test') return {kind: 'answer', answers: [{type: 'MX', name, ttl: 60, data: {preference: 0, exchange: '.'}}]}
    if (type === 'A' && /^mx\d+\.two\.test$/.test(name)) return {kind: 'answer', answers: [{type: 'A', name, ttl: 60, data: '192.0.2.7'}]}
    return {kind: 'answer', answers: []}
  })
  resolver = `127.0.0.1:${dns.port}`
})
afterAll(() => dns?.close())

describe('mx --short', () => {
  it('prints the exchanges in preference order, one per line, nothing else', async () => {
    const r = await runCli(['mx', 'two.test', '--resolver', resolver, '--short'])
    expect(r.stdout).toBe('mx10.two.test\nmx20.two.test\n')
    expect(r.stderr).toBe('')
    // The missing PTRs are warnings (exit 0); an error finding would still be exit 1 (the null MX below).
    expect(r.code).toBe(0)
  })

  it('a null MX prints nothing and exits 1', async () => {
    const r = await runCli(['mx', 'null.test', '--resolver', resolver, '--short'])
    expect(r.stdout).toBe('')
    expect(r.code).toBe(1)
  })
})

describe('-q', () => {
  it('keeps the report and its warnings, drops the fix lines and info findings', async () => {
    const full = await runCli(['mx', 'two.test', '--resolver', resolver])
    const quiet = await runCli(['mx', 'two.test', '--resolver', resolver, '-q'])
    expect(full.stdout).toMatch(/fix: /)
    expect(full.stdout).toMatch(/PTR_MISSING/)
    expect(quiet.stdout).toMatch(/^two\.test: 2 mail exchangers/)
    expect(quiet.stdout).toMatch(/PTR_MISSING/)
    expect(quiet.stdout).not.toMatch(/fix: /)
    expect(quiet.code).toBe(full.code)
  })
})
