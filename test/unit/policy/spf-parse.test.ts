import {describe, expect, it} from 'vitest'
import {expandMacros, isSpfRecord, parseMacroString, parseSpfRecord, type MacroPart} from '../../../src/lib/policy/spf.js'
import {inNetwork, parseIp} from '../../../src/lib/policy/ip.js'

describe('isSpfRecord (RFC 7208 §4.5)', () => {
  it('takes "v=spf1" followed by a space or the end only', () => {
    expect(isSpfRecord('v=spf1 -all')).toBe(true)
    expect(isSpfRecord('v=spf1')).toBe(true)
    expect(isSpfRecord('V=SPF1 -all')).toBe(true)
    expect(isSpfRecord('v=spf10 -all')).toBe(false)
    expect(isSpfRecord('v=spf1-all')).toBe(false)
    expect(isSpfRecord(' v=spf1 -all')).toBe(false)
    expect(isSpfRecord('google-site-verification=abc')).toBe(false)
  })
})

describe('parseSpfRecord', () => {
  it('parses qualifiers, mechanisms, CIDR lengths and modifiers', () => {
    const parsed = parseSpfRecord('v=spf1 a mx/24 -a:mail.example.com/26//64 ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 include:_spf.example.net exists:%{i}.bl.example.org ptr redirect=_spf.example.com exp=explain.example.com x-custom=1')
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    const r = parsed.record
    expect(r.directives.map((d) => [d.qualifier, d.mechanism, d.domainSpec, d.network, d.cidr4, d.cidr6])).toEqual([
      ['+', 'a', null, null, null, null],
      ['+', 'mx', null, null, 24, null],
      ['-', 'a', 'mail.example.com', null, 26, 64],
      ['~', 'ip4', null, '192.0.2.0', 24, null],
      ['?', 'ip6', null, '2001:db8::', null, 32],
      ['+', 'include', '_spf.example.net', null, null, null],
      ['+', 'exists', '%{i}.bl.example.org', null, null, null],
      ['+', 'ptr', null, null, null, null],
    ])
    expect(r.redirect).toBe('_spf.example.com')
    expect(r.exp).toBe('explain.example.com')
    expect(r.unknownModifiers).toEqual([{name: 'x-custom', value: '1'}])
  })

  it('accepts "a//64" (IPv6 length only) and several spaces between terms', () => {
    const parsed = parseSpfRecord('v=spf1  a//64   -all ')
    expect(parsed.ok && parsed.record.directives.map((d) => [d.mechanism, d.cidr4, d.cidr6])).toEqual([
      ['a', null, 64],
      ['all', null, null],
    ])
  })

  it.each([
    ['v=spf1 foo:bar -all', /unknown mechanism/],
    ['v=spf1 ip4:300.1.1.1 -all', /IPv4 address/],
    ['v=spf1 ip4:192.0.2.0/33', /prefix length \/33/],
    ['v=spf1 ip6:2001:db8::/129', /prefix length \/129/],
    ['v=spf1 ip4:192.0.2.0/024', /prefix length/],
    ['v=spf1 a/24//200', /prefix length/],
    ['v=spf1 ip6:192.0.2.1', /IPv6 address/],
    ['v=spf1 include', /needs ":domain"/],
    ['v=spf1 include:localhost', /top-level label/],
    ['v=spf1 a:10.0.0.1', /top-level label/],
    ['v=spf1 all:x', /no argument/],
    ['v=spf1 ptr/24', /no CIDR/],
    ['v=spf1 redirect=a.example redirect=b.example', /more than once/],
    ['v=spf1 exists:%{x}.example.com', /macro letter/],
    ['v=spf1 exists:%{i0}.example.com', /at least one part/],
    ['v=spf1 exists:%{i.example.com', /unterminated/],
    ['v=spf1 exists:%a.example.com', /not a valid macro/],
    ['v=spf1 exists:%{c}.example.com', /not allowed in a domain/],
  ])('rejects %s', (text, error) => {
    const parsed = parseSpfRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

describe('macros (RFC 7208 §7)', () => {
  const values = {sender: 'strong-bad@email.example.com', domain: 'email.example.com', ip: parseIp('192.0.2.3'), helo: 'mx.example.org'}
  const expand = async (text: string, v: Parameters<typeof expandMacros>[1] = values, explain = false) => {
    const parts = parseMacroString(text, explain)
    if (typeof parts === 'string') throw new Error(parts)
    return expandMacros(parts as MacroPart[], v)
  }

  // The examples of §7.4.
  it.each([
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
    ['%{h}', 'mx.example.org'],
  ])('%s → %s', async (text, expected) => {
    expect(await expand(text)).toBe(expected)
  })

  it('writes an IPv6 address as dotted nibbles (§7.4 example)', async () => {
    expect(await expand('%{ir}.%{v}._spf.%{d2}', {...values, ip: parseIp('2001:db8::cb01')})).toBe(
      '1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com',
    )
  })

  it('expands the escapes %% %_ %- and URL-escapes uppercase letters', async () => {
    expect(await expand('100%%%_sure%-', values, true)).toBe('100% sure%20')
    expect(await expand('%{L}', {...values, sender: 'a b/c@example.com'})).toBe('a%20b%2Fc')
  })

  it('allows c, r and t only in an explanation', async () => {
    expect(typeof parseMacroString('%{c}')).toBe('string')
    expect(await expand('%{c} via %{r} at %{t}', {...values, now: new Date(1_700_000_000_000)}, true)).toBe('192.0.2.3 via unknown at 1700000000')
  })
})

describe('parseIp and inNetwork', () => {
  it('matches prefixes of both families and treats IPv4-mapped IPv6 as IPv4', () => {
    const net4 = parseIp('192.0.2.0')!
    expect(inNetwork(parseIp('192.0.2.200')!, net4, 24)).toBe(true)
    expect(inNetwork(parseIp('192.0.3.1')!, net4, 24)).toBe(false)
    expect(inNetwork(parseIp('192.0.3.1')!, net4, 22)).toBe(true)
    expect(inNetwork(parseIp('::ffff:192.0.2.9')!, net4, 24)).toBe(true)
    const net6 = parseIp('2001:db8::')!
    expect(inNetwork(parseIp('2001:db8:ffff::1')!, net6, 32)).toBe(true)
    expect(inNetwork(parseIp('2001:db9::1')!, net6, 32)).toBe(false)
    expect(inNetwork(parseIp('2001:db8::1')!, net4, 0)).toBe(false)
    expect(parseIp('not-an-ip')).toBeNull()
  })
})
