import {describe, expect, it} from 'vitest'
import {UsageError} from '../../../src/lib/errors.js'
import {assertWireSafe, formatEndpoint, serverNameFor} from '../../../src/lib/net/wire.js'

describe('assertWireSafe', () => {
  it.each([
    ['user@example.com\r\nRCPT TO:<victim@example.net>', 'CR'],
    ['user@example.com\nDATA', 'LF'],
    ['user@example.com\0', 'NUL'],
  ])('refuses %j with a usage error (exit 2) naming the %s', (value, name) => {
    expect(() => assertWireSafe(value, 'the recipient address')).toThrow(UsageError)
    try {
      assertWireSafe(value, 'the recipient address')
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(2)
      expect((error as UsageError).message).toBe(`the recipient address contains a ${name} character: refusing to send it to the server`)
    }
  })

  it('passes clean values through', () => {
    expect(assertWireSafe('grüße@example.com', 'x')).toBe('grüße@example.com')
  })
})

describe('serverNameFor (SNI)', () => {
  it('is the name asked for, without a trailing dot; none for IP literals (RFC 6066 §3)', () => {
    expect(serverNameFor('mx.example.com.')).toBe('mx.example.com')
    expect(serverNameFor('192.0.2.1')).toBeUndefined()
    expect(serverNameFor('[2001:db8::1]')).toBeUndefined()
    expect(serverNameFor('2001:db8::1')).toBeUndefined()
  })
})

describe('formatEndpoint', () => {
  it('shows name, address and port', () => {
    expect(formatEndpoint('mx.example.com', 25, '192.0.2.1')).toBe('mx.example.com [192.0.2.1]:25')
    expect(formatEndpoint('mx.example.com', 25)).toBe('mx.example.com:25')
    expect(formatEndpoint('2001:db8::1', 25, '2001:db8::1')).toBe('[2001:db8::1]:25')
  })
})
