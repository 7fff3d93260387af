import {describe, expect, it} from 'vitest'
import {expandIPv6, printable, reverseName, sameName, toDomain} from '../../../src/lib/dns/names.js'
import {parseDuration} from '../../../src/lib/duration.js'

describe('toDomain', () => {
  it('converts Unicode to IDNA and lower-cases', () => {
    expect(toDomain('Bücher.Example')).toEqual({input: 'Bücher.Example', ascii: 'xn--bcher-kva.example'})
    expect(toDomain('Example.COM.')).toEqual({input: 'Example.COM.', ascii: 'example.com'})
    expect(toDomain('例え.テスト')).toMatchObject({ascii: 'xn--r8jz45g.xn--zckzah'})
  })

  it.each([
    ['', /empty/],
    ['a b', /white space/],
    ['exa_mple..com', /letters, digits|empty label/],
    ['a..b', /empty label/],
    [`${'a'.repeat(64)}.test`, /63/],
    [`${'abcdefghi.'.repeat(30)}test`, /253/],
    ['-lead.test', /letters, digits/],
    ['192.0.2.1', /IP address/],
    ['x\r\ny.test', /control/],
  ])('rejects %j with a reason', (input, reason) => {
    const result = toDomain(input)
    expect(typeof result).toBe('string')
    expect(result).toMatch(reason)
  })
})

describe('reverse names', () => {
  it('builds in-addr.arpa and ip6.arpa names', () => {
    expect(reverseName('192.0.2.25')).toBe('25.2.0.192.in-addr.arpa')
    expect(reverseName('2001:db8::1')).toBe(`1.0.0.0.${'0.'.repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa`)
    expect(expandIPv6('::1')).toBe('0000:0000:0000:0000:0000:0000:0000:0001')
    expect(expandIPv6('::ffff:192.0.2.1')).toBe('0000:0000:0000:0000:0000:ffff:c000:0201')
  })
  it('compares names like DNS does', () => {
    expect(sameName('MX.Example.com.', 'mx.example.com')).toBe(true)
    expect(sameName('mx.example.com', 'mx2.example.com')).toBe(false)
  })
  it('shows control characters visibly', () => {
    expect(printable('a\r\nb')).toBe('a\\x0d\\x0ab')
  })
})

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['2m', 120_000],
    ['1.5s', 1500],
    ['3', 3000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))
  it.each(['-1', '5parsecs', '', 's', '1 2s'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined())
})
