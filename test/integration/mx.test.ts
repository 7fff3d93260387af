import dgram from 'node:dgram'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'

// `maildig mx` through the built CLI against the real dnsmasq of the test world.
const world = inject('world')
const resolver = `${world.dns.host}:${world.dns.port}`
const mx = (domain: string, ...extra: string[]) => runCli(['mx', domain, '--resolver', resolver, '--json', ...extra])
const codes = (json: any) => json.findings.map((f: any) => f.code)

describe('mx against dnsmasq', () => {
  it('lists a normal domain with addresses, PTR and FCrDNS', async () => {
    const r = await mx('mail.test')
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({
      command: 'mx',
      ok: true,
      exitCode: 0,
      domain: 'mail.test',
      asciiDomain: 'mail.test',
      kind: 'mx',
      exchanges: [{preference: 10, exchange: 'mx.mail.test', cname: null, addresses: [{address: '127.0.1.25', family: 4, ptr: ['mx.mail.test'], fcrdns: true}]}],
    })
    expect(r.json!.timings.totalMs).toBeGreaterThan(0)
    expect(r.json!.findings).toEqual([])
  })

  it('sorts by preference', async () => {
    const r = await mx('fallback.test')
    expect(r.json!.exchanges.map((e: any) => [e.preference, e.exchange])).toEqual([
      [10, 'down.fallback.test'],
      [20, 'mx.mail.test'],
    ])
  })

  it('notes equal preferences', async () => {
    const r = await mx('equal.test')
    expect(r.code).toBe(0)
    expect(codes(r.json)).toContain('MX_EQUAL_PREFERENCE')
    expect(r.json!.exchanges).toHaveLength(2)
  })

  it('falls back to the implicit MX', async () => {
    const r = await mx('implicit.test')
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({kind: 'implicit', exchanges: [{preference: 0, exchange: 'implicit.test', addresses: [{address: '127.0.1.25'}]}]})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_IMPLICIT', severity: 'info'}))
  })

  it('recognises a null MX: no mail, exit 1', async () => {
    const r = await mx('nullmx.test')
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({kind: 'null', exchanges: [], ok: false, exitCode: 1})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_NULL', severity: 'error'}))
  })

  it('warns about a CNAME target', async () => {
    const r = await mx('cname.test')
    expect(r.code).toBe(0)
    expect(r.json!.exchanges[0]).toMatchObject({exchange: 'alias.cname.test', cname: 'mx.mail.test', addresses: [{address: '127.0.1.25'}]})
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_CNAME', severity: 'warning', subject: 'alias.cname.test'}))
  })

  it('refuses an IP literal as MX target', async () => {
    const r = await mx('literal.test')
    expect(r.code).toBe(1)
    expect(codes(r.json)).toContain('MX_IP_LITERAL')
  })

  it('reports a lame MX without address', async () => {
    const r = await mx('lame.test')
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_NO_ADDRESS', subject: 'nowhere.lame.test'}))
    expect(r.json!.exchanges[1].addresses[0].address).toBe('127.0.1.25')
  })

  it('warns about a missing PTR and a PTR that does not confirm', async () => {
    const noptr = await mx('noptr.test')
    expect(noptr.code).toBe(0)
    expect(noptr.json!.findings).toContainEqual(expect.objectContaining({code: 'PTR_MISSING', subject: '127.0.1.60'}))
    expect(noptr.json!.exchanges[0].addresses[0]).toMatchObject({ptr: [], fcrdns: false})
    const badptr = await mx('badptr.test')
    expect(badptr.json!.findings).toContainEqual(expect.objectContaining({code: 'FCRDNS_MISMATCH', subject: '127.0.1.61'}))
    expect(badptr.json!.exchanges[0].addresses[0]).toMatchObject({ptr: ['other.badptr.test'], fcrdns: false})
  })

  it('lists IPv4 and IPv6 addresses', async () => {
    const r = await mx('dual.test')
    expect(r.json!.exchanges[0].addresses.map((a: any) => [a.address, a.family])).toEqual([
      ['127.0.1.25', 4],
      ['::1', 6],
    ])
  })

  it('converts a Unicode domain to IDNA', async () => {
    const r = await mx('bücher.test')
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({domain: 'bücher.test', asciiDomain: 'xn--bcher-kva.test', kind: 'mx'})
  })

  it('exits 3 for a domain that does not exist', async () => {
    const r = await mx('nx.test')
    expect(r.code).toBe(3)
    expect(r.json).toMatchObject({ok: false, exitCode: 3, error: {code: 'DOMAIN_NOT_FOUND'}})
    expect(codes(r.json)).toEqual(['DOMAIN_NOT_FOUND'])
  })

  it('prints a table for people', async () => {
    const r = await runCli(['mx', 'badptr.test', '--resolver', resolver])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/PREF\s+EXCHANGE\s+ADDRESS\s+PTR\s+FCrDNS/)
    expect(r.stdout).toMatch(/10\s+mx\.badptr\.test\s+127\.0\.1\.61\s+other\.badptr\.test\s+✖/)
    expect(r.stdout).toMatch(/FCRDNS_MISMATCH/)
    expect(r.stdout).toMatch(/fix: /)
    expect(r.stdout).not.toMatch(/\u001b\[/) // NO_COLOR
    expect(r.stderr).toBe('')
  })
})

describe('mx when DNS does not answer', () => {
  let blackHole: dgram.Socket
  beforeAll(async () => {
    // Swallows every query: the timeout path.
    blackHole = dgram.createSocket('udp4')
    await new Promise<void>((resolve) => blackHole.bind(0, '127.0.1.54', resolve))
  })
  afterAll(() => blackHole.close())

  it('exits 5 with DNS_TIMEOUT within the timeout', async () => {
    const r = await runCli(['mx', 'mail.test', '--resolver', `127.0.1.54:${blackHole.address().port}`, '--timeout', '1s', '--json'])
    expect(r.code).toBe(5)
    expect(r.json).toMatchObject({ok: false, exitCode: 5, error: {code: 'DNS_TIMEOUT'}})
    // The command's own time: the process start (seconds on a loaded machine) is not the deadline's.
    expect(r.json!.timings.totalMs).toBeGreaterThanOrEqual(1000 - 10)
    expect(r.json!.timings.totalMs).toBeLessThan(1500)
  })

  it('says so in one clear line for people', async () => {
    const r = await runCli(['mx', 'mail.test', '--resolver', `127.0.1.54:${blackHole.address().port}`, '--timeout', '500ms'])
    expect(r.code).toBe(5)
    expect(r.stderr).toMatch(/no DNS answer for mail\.test MX/)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
  })
})

describe('mx when DNS answers garbage', () => {
  let bad: FakeDns
  beforeAll(async () => {
    bad = await startFakeDns('127.0.1.55', (name) => ({kind: 'malformed', how: name.startsWith('loop') ? 'pointer-loop' : name.startsWith('counts') ? 'bad-counts' : 'garbage'}))
  })
  afterAll(() => bad.close())

  it.each([
    ['garbage.test', /not a DNS message/],
    ['loop.test', /compression pointer/],
    ['counts.test', /record counts/],
  ])('%s: exit 3 with DNS_MALFORMED, not a timeout', async (domain, why) => {
    const r = await runCli(['mx', domain, '--resolver', `${bad.host}:${bad.port}`, '--timeout', '1s', '--json'])
    expect(r.code).toBe(3)
    expect(r.json).toMatchObject({ok: false, exitCode: 3, error: {code: 'DNS_MALFORMED', message: expect.stringMatching(why)}})
    const human = await runCli(['mx', domain, '--resolver', `${bad.host}:${bad.port}`, '--timeout', '1s'])
    expect(human.code).toBe(3)
    expect(human.stderr).toMatch(/malformed answer/)
    expect(human.stderr).not.toMatch(/no DNS answer|within \d+ ms/)
  })
})
