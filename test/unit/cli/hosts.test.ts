import {describe, expect, it} from 'vitest'
import {ehloSchema, flagValue, hostSchema, parseHostPort} from '../../../src/cli/validate.js'
import {hostPortFlag} from '../../../src/cli/submission.js'
import {validateEhloName} from '../../../src/lib/smtp/client.js'
import {toDomain, toHost} from '../../../src/lib/dns/names.js'

// One validator of host names and address literals (src/lib/dns/names.ts), used by every flag and argument.
describe('--ehlo', () => {
  it.each([
    ['a 5,005-character name', `${'a'.repeat(5000)}.test`, /253/],
    ['U+0085 (NEL)', 'mail\u0085.example', /control characters/],
    ['an impossible IPv4 literal', '[999.1.1.1]', /not an address literal/],
    ['a label with outer hyphens', '-bad-.test', /letters, digits and inner hyphens/],
    ['an empty label', 'a..b', /empty label/],
    ['a space', 'has space', /one word|white space/],
    ['a trailing CR/LF', 'mail.example\r\n', /control characters|a CR character/],
    ['a bare IPv6 literal without the tag', '[2001:db8::1]', /not an address literal/],
  ])('refuses %s', (_what, name, message) => {
    expect(() => flagValue(ehloSchema, name, '--ehlo')).toThrow(message)
    // The SMTP client refuses the same names, whoever calls it.
    expect(() => validateEhloName(name)).toThrow(message)
  })

  it('converts a raw UTF-8 name to its A-label, and keeps address literals', () => {
    expect(flagValue(ehloSchema, 'bücher.example', '--ehlo')).toBe('xn--bcher-kva.example')
    expect(flagValue(ehloSchema, '[192.0.2.1]', '--ehlo')).toBe('[192.0.2.1]')
    expect(flagValue(ehloSchema, '[IPv6:2001:db8::1]', '--ehlo')).toBe('[IPv6:2001:db8::1]')
    expect(() => validateEhloName('bücher.example')).toThrow(/ASCII form \(xn--bcher-kva\.example\)/)
    expect(() => validateEhloName('mail.example')).not.toThrow()
  })
})

describe('hosts and domains', () => {
  it.each(['example.org\r\n', 'example.org\n', '\rexample.org', 'exa\u2028mple.org', 'example.org\u0085'])('a control character is refused, not trimmed: %j', (text) => {
    expect(toDomain(text)).toMatch(/control characters/)
    expect(toHost(text)).toMatch(/control characters/)
    expect(() => flagValue(hostSchema, text, 'host')).toThrow(/^host: .*control characters/)
  })

  it('takes names, IP addresses and [IPv6]', () => {
    expect(toHost(' Bücher.Example ')).toEqual({kind: 'name', input: 'Bücher.Example', ascii: 'xn--bcher-kva.example'})
    expect(toHost('192.0.2.1')).toEqual({kind: 'address', address: '192.0.2.1', family: 4})
    expect(toHost('[2001:db8::1]')).toEqual({kind: 'address', address: '2001:db8::1', family: 6})
    expect(toHost('[mail.example]')).toMatch(/not an IP address in brackets/)
  })
})

// One parser of HOST[:PORT] (validate.ts hostPort): probe-smtp's argument and the --server / --mailbox-host flags agree.
describe('HOST[:PORT]', () => {
  const flag = hostPortFlag({description: 'x'})
  const asFlag = async (text: string) => (flag.parse as (input: string, context: unknown, options: unknown) => Promise<unknown>)(text, {}, {})

  it.each([
    ['mx.example.com:587', {host: 'mx.example.com', port: 587}],
    ['192.0.2.1:25', {host: '192.0.2.1', port: 25}],
    ['[2001:db8::1]:25', {host: '2001:db8::1', port: 25}],
    ['2001:db8::1', {host: '2001:db8::1', port: undefined}],
    [' mail.example ', {host: 'mail.example', port: undefined}],
  ])('%j', async (text, expected) => {
    expect(parseHostPort(text, 'host')).toMatchObject(expected)
    expect(await asFlag(text)).toEqual(expected.port === undefined ? {host: expected.host} : expected)
  })

  it.each([
    ['mail.example:99999', /out of range/],
    ['[mail.example]:25', /not|address/],
    ['[2001:db8::1', /HOST\[:PORT\]/],
    ['mail.example:25\r\n', /port|control/],
  ])('refuses %j in both', async (text, message) => {
    expect(() => parseHostPort(text, 'host')).toThrow(message)
    await expect(asFlag(text)).rejects.toThrow(message)
  })
})
