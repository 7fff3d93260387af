import dgram from 'node:dgram'
import v8 from 'node:v8'
import * as packet from 'dns-packet'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {DnsCache, MAX_ENTRIES} from '../../../src/lib/dns/answer-cache.js'
import {resolveMx} from '../../../src/lib/mx/resolve-mx.js'
import {envelope} from '../../../src/render/json.js'

// The batch resolver (ResolverOptions.batch): shared sockets told apart by query ID, answers cached
// for their TTL (negative ones for the SOA's), in-flight questions shared, --qps pacing.
const HOST = '127.0.1.185'
let server: dgram.Socket
const asked: {name: string; type: string; port: number}[] = []

beforeAll(async () => {
  server = dgram.createSocket('udp4')
  server.on('message', (message, rinfo) => {
    const query = packet.decode(message)
    const q = query.questions![0]
    asked.push({name: q.name, type: q.type, port: rinfo.port})
    const reply = (rcode: number, answers: packet.Answer[], authorities: packet.Answer[] = []) =>
      server.send(packet.encode({type: 'response', id: query.id, flags: packet.RECURSION_AVAILABLE | rcode, questions: query.questions, answers, authorities}), rinfo.port, rinfo.address)
    const soa = {type: 'SOA', name: 'neg.test', ttl: 600, data: {mname: 'ns.neg.test', rname: 'h.neg.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 300}} as packet.Answer
    const delay = q.name.startsWith('slow') ? 50 : Math.floor(Math.random() * 5)
    setTimeout(() => {
      if (q.name === 'silent.test') return
      if (q.name === 'nx-soa.neg.test') return reply(3, [], [soa])
      if (q.name === 'nx-bare.neg.test') return reply(3, [])
      if (q.name === 'short.test') return reply(0, [{type: 'A', name: q.name, ttl: 1, data: '192.0.2.1'}])
      // Every name answers with an address derived from its own name: a mixed-up answer would show.
      const n = Number(/(\d+)/.exec(q.name)?.[1] ?? 0)
      reply(0, [{type: 'A', name: q.name, ttl: 300, data: `192.0.2.${n % 250}`}])
    }, delay)
  })
  await new Promise<void>((resolve) => server.bind(0, HOST, resolve))
})
afterAll(() => server.close())

const batchResolver = (extra: {qps?: number; timeoutMs?: number} = {}) =>
  new DnsResolver({servers: [{host: HOST, port: server.address().port}], timeoutMs: extra.timeoutMs ?? 2000, batch: {qps: extra.qps}})

describe('batch resolver', () => {
  it('500 questions at once go over a handful of sockets (4 at a time, each retired after 256 queries), each answer matched to its own question by ID', async () => {
    const resolver = batchResolver()
    const names = Array.from({length: 500}, (_, i) => `host${i}.pool.test`)
    const before = asked.length
    const answers = await Promise.all(names.map((n) => resolver.query(n, 'A')))
    answers.forEach((a, i) => expect(a.records).toEqual([{address: `192.0.2.${i % 250}`, ttl: 300}]))
    expect(resolver.pool!.opened).toBeLessThanOrEqual(6)
    expect(new Set(asked.slice(before).map((q) => q.port)).size).toBeLessThanOrEqual(6)
  })

  it('sockets are retired after a while, so the source port keeps changing (RFC 5452)', async () => {
    const resolver = batchResolver()
    for (let round = 0; round < 6; round++) await Promise.all(Array.from({length: 200}, (_, i) => resolver.query(`r${round}-${i}.pool.test`, 'A')))
    expect(resolver.pool!.opened).toBeGreaterThan(4)
  })

  it('a question asked while it is in flight, or again within its TTL, goes out once', async () => {
    const resolver = batchResolver()
    const before = asked.length
    const [a, b] = await Promise.all([resolver.query('slow1.cache.test', 'A'), resolver.query('SLOW1.cache.test.', 'A')])
    await resolver.query('slow1.cache.test', 'A')
    expect(a.records).toEqual(b.records)
    expect(asked.slice(before).filter((q) => q.name === 'slow1.cache.test')).toHaveLength(1)
    expect(resolver.cache!.hits).toBe(2)
  })

  it('an answer is asked again once its TTL has passed', async () => {
    const resolver = batchResolver()
    const before = asked.length
    await resolver.query('short.test', 'A')
    await resolver.query('short.test', 'A')
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await resolver.query('short.test', 'A')
    expect(asked.slice(before).filter((q) => q.name === 'short.test')).toHaveLength(2)
  })

  it('NXDOMAIN is kept for the SOA\'s negative TTL; without an SOA, and a timeout, never', async () => {
    const resolver = batchResolver({timeoutMs: 300})
    const before = asked.length
    for (let i = 0; i < 2; i++) {
      expect((await resolver.query('nx-soa.neg.test', 'A')).status).toBe('nxdomain')
      expect((await resolver.query('nx-bare.neg.test', 'A')).status).toBe('nxdomain')
      expect((await resolver.query('silent.test', 'A')).status).toBe('timeout')
    }
    const count = (name: string) => asked.slice(before).filter((q) => q.name === name).length
    expect(count('nx-soa.neg.test')).toBe(1)
    expect(count('nx-bare.neg.test')).toBe(2)
    expect(count('silent.test')).toBeGreaterThanOrEqual(2)
  })

  it('--qps spaces the queries that go out', async () => {
    const resolver = batchResolver({qps: 20})
    const started = performance.now()
    await Promise.all(Array.from({length: 10}, (_, i) => resolver.query(`q${i}.qps.test`, 'A')))
    expect(performance.now() - started).toBeGreaterThanOrEqual(440)
  })

  it('a single-target resolver keeps no cache and no pool', () => {
    const resolver = new DnsResolver({servers: [{host: HOST, port: 53}]})
    expect(resolver.cache).toBeUndefined()
    expect(resolver.pool).toBeUndefined()
  })
})

describe('DnsCache', () => {
  it('keeps at most maxEntries, the least recently used leaving first', async () => {
    const cache = new DnsCache<string>(2)
    const load = (v: string) => async () => ({value: v, ttl: 60})
    await cache.get('a', load('a'))
    await cache.get('b', load('b'))
    await cache.get('a', load('x'))
    await cache.get('c', load('c'))
    expect(cache.size).toBe(2)
    expect(await cache.get('a', load('again'))).toBe('a')
    expect(await cache.get('b', load('b2'))).toBe('b2')
  })

  it('a batch resolver\'s cache never holds more than MAX_ENTRIES answers, however many names a run asks', async () => {
    const resolver = batchResolver()
    let most = 0
    for (let round = 0; round < 5; round++) {
      await Promise.all(Array.from({length: 600}, (_, i) => resolver.query(`bound${round}-${i}.pool.test`, 'A')))
      most = Math.max(most, resolver.cache!.size)
    }
    expect(MAX_ENTRIES).toBeLessThanOrEqual(2_000)
    expect(most).toBe(Math.min(MAX_ENTRIES, 3_000))
  })
})

/** V8's %HaveSameMap: whether two objects share a hidden class. */
function sameShape(): (a: object, b: object) => boolean {
  v8.setFlagsFromString('--allow-natives-syntax')
  return new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean
}

describe('one hidden class per kind of object a batch run makes for every target', () => {
  // On Node 20 (V8 11.3) an object that starts with a spread and then gains a property ({...base, status}) gets a
  // hidden class of its own, allocated in the old generation: one per DNS answer, mx result and envelope of a batch
  // run, garbage that only a full collection frees (about 1.9 KB per target of a 100,000-target mx run; docs/testing.md).
  it('DNS answers (ok, nodata, NXDOMAIN, failed) share their hidden class', async () => {
    const same = sameShape()
    const resolver = batchResolver({timeoutMs: 300})
    const ok = await Promise.all(Array.from({length: 50}, (_, i) => resolver.query(`shape${i}.pool.test`, 'A')))
    for (const answer of ok.slice(1)) expect(same(answer, ok[0])).toBe(true)
    const nx = await Promise.all(['nx-bare.neg.test', 'nx-soa.neg.test'].map((n) => resolver.query(n, 'A')))
    expect(same(nx[0], nx[1])).toBe(true)
    const failed = await Promise.all(['silent.test', 'silent.test'].map((n) => new DnsResolver({servers: [{host: HOST, port: server.address().port}], timeoutMs: 100}).query(n, 'A')))
    expect(failed[0].status).toBe('timeout')
    expect(same(failed[0], failed[1])).toBe(true)
  })

  it('mx results and JSON envelopes share theirs', async () => {
    const same = sameShape()
    const resolver = batchResolver()
    // V8 gives the first few objects of a spread site a shared hidden class; the trouble starts after them.
    const mx = []
    for (let i = 0; i < 40; i++) mx.push((await resolveMx({input: `d${i}.pool.test`, ascii: `d${i}.pool.test`} as never, resolver)).result)
    for (const r of mx.slice(1)) expect(same(r, mx[0])).toBe(true)
    const docs = mx.map((r, i) => envelope('mx', 0, {...r, timings: {dnsMs: i}}, [], i))
    for (const doc of docs.slice(1)) expect(same(doc.timings, docs[0].timings)).toBe(true)
  })
})
