import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type * as packet from 'dns-packet'
import {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {resolveMx} from '../../../src/lib/mx/resolve-mx.js'
import {startFakeDns, type FakeDns} from '../../fixtures/fake-dns.js'

// Selection rules that dnsmasq cannot easily be made to serve: slow answers, mixed null MX, duplicates.
const DELAY = 200
let dns: FakeDns
beforeAll(async () => {
  dns = await startFakeDns('127.0.1.203', (name, type) => {
    const answers: packet.Answer[] = []
    if (name === 'slow.test' && type === 'MX') {
      for (let i = 1; i <= 4; i++) answers.push({type: 'MX', name, ttl: 60, data: {preference: 10 * i, exchange: `mx${i}.slow.test`}})
    }
    const host = /^mx(\d)\.slow\.test$/.exec(name)
    if (host && type === 'A') answers.push({type: 'A', name, ttl: 60, data: `192.0.2.${host[1]}`})
    const ptr = /^(\d)\.2\.0\.192\.in-addr\.arpa$/.exec(name)
    if (ptr && type === 'PTR') answers.push({type: 'PTR', name, ttl: 60, data: `mx${ptr[1]}.slow.test`})
    if (name === 'mixed.test' && type === 'MX') {
      answers.push({type: 'MX', name, ttl: 60, data: {preference: 0, exchange: '.'}}, {type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'mx1.slow.test'}})
    }
    if (name === 'dup.test' && type === 'MX') {
      answers.push({type: 'MX', name, ttl: 60, data: {preference: 20, exchange: 'mx2.slow.test'}}, {type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'MX2.slow.test'}})
    }
    if (name === 'tie.test' && type === 'MX') {
      for (const exchange of ['mx-b.tie.test', 'mx-c.tie.test', 'MX-A.tie.test', 'mx-Z.tie.test']) answers.push({type: 'MX', name, ttl: 60, data: {preference: 10, exchange}})
    }
    // unknown.test: its exchange's PTR query gets no answer; mismatch.test: the PTR name's A query fails.
    if (name === 'unknown.test' && type === 'MX') answers.push({type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'mx.unknown.test'}})
    if (name === 'mx.unknown.test' && type === 'A') answers.push({type: 'A', name, ttl: 60, data: '198.51.100.7'})
    if (name === '7.100.51.198.in-addr.arpa') return {kind: 'silent'}
    if (name === 'gone.test' && type === 'MX') answers.push({type: 'MX', name, ttl: 60, data: {preference: 10, exchange: 'mx.gone.test'}})
    if (name === 'mx.gone.test' && type === 'A') answers.push({type: 'A', name, ttl: 60, data: '198.51.100.8'})
    if (name === '8.100.51.198.in-addr.arpa' && type === 'PTR') answers.push({type: 'PTR', name, ttl: 60, data: 'other.gone.test'})
    if (name === 'other.gone.test') return {kind: 'silent'}
    return {kind: 'answer', answers, delayMs: name.endsWith('slow.test') || name.endsWith('in-addr.arpa') ? DELAY : 0}
  })
})
afterAll(() => dns.close())

const resolver = () => new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs: 3000})

describe('resolveMx', () => {
  it('looks up every exchange, address and PTR concurrently', async () => {
    const started = performance.now()
    const {result, findings} = await resolveMx({input: 'slow.test', ascii: 'slow.test'}, resolver())
    const elapsed = performance.now() - started
    expect(result.exchanges.map((e) => e.exchange)).toEqual(['mx1.slow.test', 'mx2.slow.test', 'mx3.slow.test', 'mx4.slow.test'])
    expect(result.exchanges.every((e) => e.addresses[0]?.fcrdns)).toBe(true)
    expect(findings.filter((f) => f.severity !== 'info')).toEqual([])
    // Three rounds (MX; A+AAAA; PTR) whatever the number of exchanges; serially it would be 3 × 4.
    expect(elapsed).toBeLessThan(DELAY * 6)
  })

  it('confirms a PTR that names the exchange itself with the answer it has, without asking again', async () => {
    dns.queries.length = 0
    const {result} = await resolveMx({input: 'slow.test', ascii: 'slow.test'}, resolver())
    expect(result.exchanges.every((e) => e.addresses[0]?.fcrdns)).toBe(true)
    const asked = dns.queries.filter((q) => q.name === 'mx1.slow.test' && q.type === 'A')
    expect(asked).toHaveLength(1)
  })

  it('a PTR lookup that times out is an unknown reverse DNS (fcrdns null, DNS_TIMEOUT warning), never PTR_MISSING', async () => {
    const quick = new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs: 300})
    const {result, findings} = await resolveMx({input: 'unknown.test', ascii: 'unknown.test'}, quick)
    expect(result.exchanges[0].addresses[0]).toMatchObject({address: '198.51.100.7', ptr: [], fcrdns: null})
    expect(findings.map((f) => f.code)).not.toContain('PTR_MISSING')
    expect(findings).toContainEqual(expect.objectContaining({code: 'DNS_TIMEOUT', severity: 'warning', message: expect.stringContaining('reverse DNS of 198.51.100.7 (mx.unknown.test) could not be checked')}))
  })

  it('a forward lookup of the PTR name that times out leaves fcrdns unknown, not a mismatch', async () => {
    const quick = new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs: 300})
    const {result, findings} = await resolveMx({input: 'gone.test', ascii: 'gone.test'}, quick)
    expect(result.exchanges[0].addresses[0]).toMatchObject({ptr: ['other.gone.test'], fcrdns: null})
    expect(findings.map((f) => f.code)).not.toContain('FCRDNS_MISMATCH')
    expect(findings).toContainEqual(expect.objectContaining({code: 'DNS_TIMEOUT', severity: 'warning'}))
  })

  it('treats a null MX mixed with real ones as a warning and keeps the real ones', async () => {
    const {result, findings} = await resolveMx({input: 'mixed.test', ascii: 'mixed.test'}, resolver())
    expect(result.kind).toBe('mx')
    expect(result.exchanges.map((e) => e.exchange)).toEqual(['mx1.slow.test'])
    expect(findings).toContainEqual(expect.objectContaining({code: 'MX_NULL', severity: 'warning'}))
  })

  it('sorts by preference and reports duplicates once', async () => {
    const {result, findings} = await resolveMx({input: 'dup.test', ascii: 'dup.test'}, resolver())
    expect(result.exchanges.map((e) => [e.preference, e.exchange])).toEqual([[10, 'MX2.slow.test']])
    expect(findings.filter((f) => f.code === 'MX_DUPLICATE')).toHaveLength(1)
  })

  it('orders equal preferences by name, case-insensitively and the same under every locale', async () => {
    const {result, findings} = await resolveMx({input: 'tie.test', ascii: 'tie.test'}, resolver())
    expect(result.exchanges.map((e) => e.exchange)).toEqual(['MX-A.tie.test', 'mx-b.tie.test', 'mx-c.tie.test', 'mx-Z.tie.test'])
    expect(findings).toContainEqual(expect.objectContaining({code: 'MX_EQUAL_PREFERENCE'}))
  })
})
