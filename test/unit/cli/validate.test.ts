import {describe, expect, it} from 'vitest'
import {certDaysSchema, durationSchema, durationText, flagValue, hostSchema, parseHostPort, portSchema, resolverListSchema, resolverSchema} from '../../../src/cli/validate.js'

describe('flag schemas (zod)', () => {
  it('transform valid values', () => {
    expect(flagValue(portSchema, '587', '--port')).toBe(587)
    expect(flagValue(durationSchema, '1.5s', '--timeout')).toBe(1500)
    expect(flagValue(resolverSchema, '[::1]:5353', '--resolver')).toEqual({host: '::1', port: 5353})
    expect(flagValue(hostSchema, 'Bücher.Example', 'host')).toBe('xn--bcher-kva.example')
    expect(flagValue(resolverListSchema, '192.0.2.1, [::1]:5353', 'MAILDIG_RESOLVER')).toEqual([{host: '192.0.2.1', port: 53}, {host: '::1', port: 5353}])
    expect(flagValue(certDaysSchema, '30', '--cert-days')).toBe(30)
  })
  it('give one line naming the flag', () => {
    expect(() => flagValue(portSchema, '0', '--port')).toThrow(/^--port: 0 is out of range \(1-65535\)$/)
    expect(() => flagValue(durationSchema, '-1', '--timeout')).toThrow(/^--timeout: "-1" is not a duration/)
    expect(() => flagValue(resolverSchema, '1.2.3.4:99999', '--resolver')).toThrow(/^--resolver: port 99999 is out of range/)
    expect(() => flagValue(hostSchema, 'a..b', 'host')).toThrow(/^host: .*empty label/)
    expect(() => flagValue(resolverListSchema, '192.0.2.1,nope', 'MAILDIG_RESOLVER')).toThrow(/^MAILDIG_RESOLVER: "nope" is not an IP address/)
  })
})

describe('durationText', () => {
  it('writes a duration as a flag takes it', () => {
    expect([10_000, 500, 60_000, 1500, 90_000].map(durationText)).toEqual(['10s', '500ms', '1m', '1500ms', '90s'])
  })
})

describe('HOST[:PORT] (probe-smtp HOST, send --server)', () => {
  it('takes a port after the host, [IPv6]:PORT, and a bare IPv6 address as a host', () => {
    expect(parseHostPort('mx.example.com:587', 'host')).toEqual({host: 'mx.example.com', port: 587, typed: 'mx.example.com'})
    expect(parseHostPort('192.0.2.1:25', 'host')).toEqual({host: '192.0.2.1', port: 25, typed: '192.0.2.1'})
    expect(parseHostPort('[2001:db8::1]:465', 'host')).toEqual({host: '2001:db8::1', port: 465, typed: '2001:db8::1'})
    expect(parseHostPort('[2001:db8::1]', 'host')).toEqual({host: '2001:db8::1', port: undefined, typed: '2001:db8::1'})
    expect(parseHostPort('2001:db8::1', 'host')).toEqual({host: '2001:db8::1', port: undefined, typed: '2001:db8::1'})
    expect(parseHostPort('Bücher.Example:25', 'host')).toEqual({host: 'xn--bcher-kva.example', port: 25, typed: 'Bücher.Example'})
    expect(parseHostPort('mx.example.com', '--server')).toEqual({host: 'mx.example.com', port: undefined, typed: 'mx.example.com'})
  })
  it('names what was wrong, and where', () => {
    expect(() => parseHostPort('mx.example.com:smtp', 'host')).toThrow(/^host: "smtp" is not a port number$/)
    expect(() => parseHostPort('mx.example.com:0', '--server')).toThrow(/^--server: 0 is out of range/)
    expect(() => parseHostPort('[mx.example.com]:25', 'host')).toThrow(/^host: .*not an IP address in brackets/)
    expect(() => parseHostPort('[2001:db8::1', '--server')).toThrow(/^--server: "\[2001:db8::1" is not HOST\[:PORT\]/)
  })
})
