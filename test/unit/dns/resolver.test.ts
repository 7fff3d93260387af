import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as packet from 'dns-packet'
import {DnsResolver, parseServer, parseServers} from '../../../src/lib/dns/resolver.js'
import {createLookup, lookupAll, resolveAddresses} from '../../../src/lib/dns/lookup.js'
import {fromSocketError} from '../../../src/lib/errors.js'
import {startFakeDns, type FakeDns} from '../../fixtures/fake-dns.js'

const longTxt = ['v=spf1 ' + 'ip4:192.0.2.0/24 '.repeat(14), 'ip4:198.51.100.0/24 -all']

let dns: FakeDns
beforeAll(async () => {
  dns = await startFakeDns('127.0.1.201', (name, type) => {
    switch (name) {
      case 'servfail.test':
        return {kind: 'answer', answers: [], rcode: 'SERVFAIL'}
      case 'refused.test':
        return {kind: 'answer', answers: [], rcode: 'REFUSED'}
      case 'nx.test':
        return {kind: 'answer', answers: [], rcode: 'NXDOMAIN'}
      case 'silent.test':
        return {kind: 'silent'}
      case 'big-silent-tcp.test':
        return {kind: 'truncate-then-silent'}
      case 'big.test':
        return {kind: 'truncate', answers: [{type: 'TXT', name, ttl: 300, data: [...longTxt]}]}
      case 'garbage.test':
        return {kind: 'garbage-then-answer', answers: [{type: 'A', name, ttl: 60, data: '192.0.2.7'}]}
      case 'wrongid.test':
        return {kind: 'wrong-id-then-answer', answers: [{type: 'A', name, ttl: 60, data: '192.0.2.8'}]}
      case 'signed.test':
        return {kind: 'answer', ad: true, answers: [{type: 'MX', name, ttl: 3600, data: {preference: 10, exchange: 'mx.signed.test'}}]}
      case 'alias.test':
        return {
          kind: 'answer',
          answers: [
            {type: 'CNAME', name, ttl: 30, data: 'real.test'},
            ...(type === 'A' ? [{type: 'A' as const, name: 'real.test', ttl: 40, data: '192.0.2.9'}] : []),
          ],
        }
      case '_25._tcp.mx.test':
        return {kind: 'answer', answers: [{type: 'TLSA', name, ttl: 300, data: {usage: 3, selector: 1, matchingType: 1, certificate: Buffer.from('ab'.repeat(32), 'hex')}} as packet.Answer]}
      case 'garbage-only.test':
        return {kind: 'malformed', how: 'garbage'}
      case 'loop.test':
        return {kind: 'malformed', how: 'pointer-loop'}
      case 'counts.test':
        return {kind: 'malformed', how: 'bad-counts'}
      case 'big-malformed-tcp.test':
        return type === 'TXT' && dns.queries.at(-1)?.transport === 'tcp' ? {kind: 'malformed', how: 'pointer-loop'} : {kind: 'truncate', answers: []}
      case 'nodata.test':
        return {kind: 'answer', answers: []}
      default:
        return {kind: 'answer', answers: [], rcode: 'NXDOMAIN'}
    }
  })
})
afterAll(() => dns.close())

const resolver = (timeoutMs = 1500) => new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs})

describe('DnsResolver', () => {
  it('tells NXDOMAIN, NODATA, SERVFAIL and REFUSED apart', async () => {
    const r = resolver()
    expect((await r.query('nx.test', 'MX')).status).toBe('nxdomain')
    expect((await r.query('nodata.test', 'MX')).status).toBe('nodata')
    expect((await r.query('servfail.test', 'MX')).status).toBe('servfail')
    const refused = await r.query('refused.test', 'MX')
    expect(refused.status).toBe('refused')
    expect(refused.rcode).toBe('REFUSED')
  })

  it('reports a timeout within the deadline, after retrying', async () => {
    const before = dns.queries.filter((q) => q.name === 'silent.test').length
    const started = performance.now()
    const answer = await resolver(600).query('silent.test', 'A')
    const elapsed = performance.now() - started
    expect(answer.status).toBe('timeout')
    expect(elapsed).toBeGreaterThanOrEqual(590)
    // The deadline, with room for a loaded machine's late timers.
    expect(elapsed).toBeLessThan(1200)
    // Retries within the one deadline (three when the timers are on time).
    const sent = dns.queries.filter((q) => q.name === 'silent.test').length - before
    expect(sent).toBeGreaterThanOrEqual(2)
    expect(sent).toBeLessThanOrEqual(3)
  })

  it('a TCP fallback that gets no answer in time is a timeout (DNS_TIMEOUT, exit 5), not an error', async () => {
    const answer = await resolver(600).query('big-silent-tcp.test', 'TXT')
    expect(answer.status).toBe('timeout')
  })

  it('falls back to TCP when the UDP answer is truncated, and joins TXT chunks (RFC 7208 §3.3)', async () => {
    const answer = await resolver().query('big.test', 'TXT')
    expect(answer.transport).toBe('tcp')
    expect(answer.records).toHaveLength(1)
    expect(answer.records[0].chunks).toEqual(longTxt)
    expect(answer.records[0].text).toBe(longTxt.join(''))
    expect(answer.records[0].ttl).toBe(300)
  })

  it('ignores garbage and answers with the wrong id', async () => {
    expect((await resolver().query('garbage.test', 'A')).records).toEqual([{address: '192.0.2.7', ttl: 60}])
    expect((await resolver().query('wrongid.test', 'A')).records).toEqual([{address: '192.0.2.8', ttl: 60}])
  })

  it('says an answer was malformed, not that none came: garbage, a compression-pointer loop, impossible counts', async () => {
    // Garbage may be a stray datagram: the real answer is awaited until the deadline, then it is reported.
    const garbage = await resolver(600).query('garbage-only.test', 'A')
    expect(garbage.status).toBe('malformed')
    expect(garbage.detail).toMatch(/malformed answer \(not a DNS message\)/)
    // A response with the query's id that cannot be read is the server's answer: no need to wait.
    const started = performance.now()
    const loop = await resolver(3000).query('loop.test', 'A')
    expect(loop.status).toBe('malformed')
    expect(loop.detail).toMatch(/compression pointer/)
    const counts = await resolver(3000).query('counts.test', 'A')
    expect(counts.status).toBe('malformed')
    expect(counts.detail).toMatch(/record counts/)
    expect(performance.now() - started).toBeLessThan(1500)
    const tcp = await resolver(3000).query('big-malformed-tcp.test', 'TXT')
    expect(tcp).toMatchObject({status: 'malformed', detail: expect.stringMatching(/over TCP.*compression pointer/)})
  })

  it('returns the AD flag and asks for it', async () => {
    const answer = await resolver().query('signed.test', 'MX')
    expect(answer.authenticated).toBe(true)
    expect(answer.records).toEqual([{preference: 10, exchange: 'mx.signed.test', ttl: 3600}])
    const q = dns.queries.find((x) => x.name === 'signed.test')!
    expect(q.flags & packet.AUTHENTIC_DATA).toBeTruthy()
    expect((await resolver().query('nodata.test', 'MX')).authenticated).toBe(false)
  })

  it('follows CNAME chains and keeps the alias', async () => {
    const answer = await resolver().query('alias.test', 'A')
    expect(answer.cnames).toEqual([{name: 'alias.test', target: 'real.test', ttl: 30}])
    expect(answer.records).toEqual([{address: '192.0.2.9', ttl: 40}])
    const aaaa = await resolver().query('alias.test', 'AAAA')
    expect(aaaa.status).toBe('nodata')
    expect(aaaa.cnames).toHaveLength(1)
  })

  it('decodes TLSA records', async () => {
    const answer = await resolver().query('_25._tcp.mx.test', 'TLSA')
    expect(answer.records).toEqual([{usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32), ttl: 300}])
  })

  it('reports an unreachable server quickly as an error, not a timeout', async () => {
    const r = new DnsResolver({servers: [{host: '127.0.1.202', port: 9}], timeoutMs: 3000})
    const started = performance.now()
    const answer = await r.query('x.test', 'A')
    expect(answer.status).toBe('error')
    expect(answer.detail).toMatch(/nothing answers DNS at 127\.0\.1\.202:9/)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('lookup: a resolver that cannot be reached is DNS_UNREACHABLE, as resolveMx says it, not DNS_SERVFAIL', async () => {
    const r = new DnsResolver({servers: [{host: '127.0.1.202', port: 9}], timeoutMs: 3000})
    await expect(resolveAddresses(r, 'x.test')).rejects.toMatchObject({code: 'ECONNREFUSED', syscall: 'queryA'})
    await expect(lookupAll(createLookup(r), 'x.test', 3000)).rejects.toMatchObject({code: 'DNS_UNREACHABLE', category: 'dns', subject: 'x.test'})
    // A socket's refusal stays a connection's.
    expect(fromSocketError(Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED', syscall: 'connect'}), 'h').code).toBe('CONNECT_REFUSED')
  })

  it('a server the socket cannot even connect to (no route, a broadcast address) is an error, not a crash', async () => {
    // connect() of a UDP socket fails at once for 255.255.255.255 without SO_BROADCAST (EACCES), as it does with
    // ENETUNREACH on a machine without a route to the server: the query ends as an error within its deadline.
    const r = new DnsResolver({servers: [{host: '255.255.255.255', port: 53}], timeoutMs: 2000})
    const answer = await r.query('x.test', 'A')
    expect(answer.status).toBe('error')
    expect(answer.detail).toMatch(/255\.255\.255\.255/)
  })

  it('lookup: NXDOMAIN becomes ENOTFOUND, and IP literals pass through', async () => {
    await expect(resolveAddresses(resolver(), 'nx.test')).rejects.toMatchObject({code: 'ENOTFOUND'})
    expect(await resolveAddresses(resolver(), '192.0.2.1')).toEqual([{address: '192.0.2.1', family: 4}])
    expect(await resolveAddresses(resolver(), '[2001:db8::1]')).toEqual([{address: '2001:db8::1', family: 6}])
    expect(await resolveAddresses(resolver(), 'alias.test', 4)).toEqual([{address: '192.0.2.9', family: 4}])
  })
})

describe('parseServer', () => {
  it('accepts IPv4, IPv4:port, [IPv6]:port and bare IPv6', () => {
    expect(parseServer('192.0.2.1')).toEqual({host: '192.0.2.1', port: 53})
    expect(parseServer('192.0.2.1:5353')).toEqual({host: '192.0.2.1', port: 5353})
    expect(parseServer('[::1]:5353')).toEqual({host: '::1', port: 5353})
    expect(parseServer('2001:db8::53')).toEqual({host: '2001:db8::53', port: 53})
  })
  it('rejects names, bad ports and junk with a reason', () => {
    expect(parseServer('notanip')).toMatch(/not an IP address/)
    expect(parseServer('1.2.3.4:99999')).toMatch(/out of range/)
    expect(parseServer('1.2.3.4:0')).toMatch(/out of range/)
    expect(parseServer('1.2.3.4:abc')).toMatch(/not a port/)
    expect(() => parseServers(['1.2.3.4, nope'])).toThrow(/^servers: "nope"/)
    expect(parseServers(['1.2.3.4,[::1]:53'])).toHaveLength(2)
  })
})
