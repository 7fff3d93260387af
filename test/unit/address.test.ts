import {describe, expect, it} from 'vitest'
import {parseMailAddress} from '../../src/lib/address.js'

describe('parseMailAddress', () => {
  it('accepts plain, IDN and UTF-8 addresses', () => {
    expect(parseMailAddress('alice@mail.test', '--to')).toMatchObject({local: 'alice', asciiDomain: 'mail.test', needsSmtpUtf8: false})
    expect(parseMailAddress('bob@bücher.test', '--to')).toMatchObject({asciiDomain: 'xn--bcher-kva.test', needsSmtpUtf8: false})
    expect(parseMailAddress('jörg@mail.test', '--to')).toMatchObject({needsSmtpUtf8: true})
    expect(parseMailAddress('a.b+tag@mail.test', '--to').local).toBe('a.b+tag')
  })
  it.each([
    ['not-an-address', /not an address/],
    ['a@b.example\r\nRSET', /CR, LF or NUL/],
    ['@mail.test', /not an address/],
    ['alice@', /not an address/],
    ['a b@mail.test', /dot-atom/],
    ['<alice@mail.test>', /dot-atom/],
    ['.a@mail.test', /dot-atom/],
    ['alice@exa_mple.test', /letters, digits/],
    [`${'x'.repeat(65)}@mail.test`, /64 octets/],
  ])('rejects %j', (input, reason) => {
    expect(() => parseMailAddress(input, '--to')).toThrow(reason)
    expect(() => parseMailAddress(input, '--to')).toThrow(/^--to: /)
  })
})
