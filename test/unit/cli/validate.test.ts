import {describe, expect, it} from 'vitest'
import {certDaysSchema, durationSchema, durationText, flagValue, hostSchema, portSchema, resolverListSchema, resolverSchema} from '../../../src/cli/validate.js'

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
