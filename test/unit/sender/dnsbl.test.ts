import {describe, expect, it} from 'vitest'
import type {DnsAnswer} from '../../../src/lib/dns/resolver.js'
import {dnsblName, readDnsblAnswer} from '../../../src/lib/sender/dnsbl.js'

function answer(status: DnsAnswer['status'], addresses: string[] = []): DnsAnswer<'A'> {
  return {name: 'x.bl.test', type: 'A', status, rcode: status === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR', records: addresses.map((address) => ({address, ttl: 60})), cnames: [], authenticated: false, server: null, transport: 'udp', ms: 1, detail: status === 'timeout' ? 'no answer within 300 ms' : undefined}
}

describe('DNSBL names (RFC 5782 §2.1, §2.4)', () => {
  it('reverses IPv4 octets and IPv6 nibbles under the zone', () => {
    expect(dnsblName('192.0.2.99', 'bl.example')).toBe('99.2.0.192.bl.example')
    expect(dnsblName('2001:db8:1:2:3:4:567:89ab', 'bl.example')).toBe('b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.example')
  })
})

describe('DNSBL answers', () => {
  it('a 127.0.0.0/8 answer other than 127.0.0.1 is a listing, with its codes', () => {
    expect(readDnsblAnswer(answer('ok', ['127.0.0.2', '127.0.0.4']))).toEqual({status: 'listed', codes: ['127.0.0.2', '127.0.0.4'], error: null})
  })
  it('NXDOMAIN and NODATA are "not listed"', () => {
    expect(readDnsblAnswer(answer('nxdomain')).status).toBe('not-listed')
    expect(readDnsblAnswer(answer('nodata')).status).toBe('not-listed')
  })
  it('127.0.0.1 is never a listing', () => {
    expect(readDnsblAnswer(answer('ok', ['127.0.0.1']))).toEqual({status: 'not-listed', codes: [], error: null})
  })
  it.each([
    ['127.255.255.252', /typo/],
    ['127.255.255.254', /public or open resolver/],
    ['127.255.255.255', /too many queries/],
  ])('Spamhaus\' %s is a query error: could not be checked, never a listing', (code, why) => {
    const read = readDnsblAnswer(answer('ok', [code]))
    expect(read.status).toBe('unknown')
    expect(read.codes).toEqual([])
    expect(read.error).toMatch(why)
  })
  it('an answer outside 127.0.0.0/8 is no blocklist answer', () => {
    expect(readDnsblAnswer(answer('ok', ['192.0.2.1'])).status).toBe('unknown')
  })
  it('a timeout or SERVFAIL could not be checked (never "not listed")', () => {
    expect(readDnsblAnswer(answer('timeout'))).toMatchObject({status: 'unknown', error: expect.stringMatching(/no answer within/)})
    expect(readDnsblAnswer(answer('servfail')).status).toBe('unknown')
  })
})
