import {describe, expect, it} from 'vitest'
import {certDaysSchema, flagValue, hostSchema, portSchema} from '../../../src/cli/validate.js'
import {smtpRequireSchema} from '../../../src/cli/validate-smtp.js'
import {durationSchema, resolverSchema} from '../../../src/cli/options.js'

describe('flag schemas (zod)', () => {
  it('transform valid values', () => {
    expect(flagValue(portSchema, '587', '--port')).toBe(587)
    expect(flagValue(durationSchema, '1.5s', '--timeout')).toBe(1500)
    expect(flagValue(resolverSchema, '[::1]:5353', '--resolver')).toEqual({host: '::1', port: 5353})
    expect(flagValue(hostSchema, 'Bücher.Example', 'host')).toBe('xn--bcher-kva.example')
    expect(flagValue(smtpRequireSchema, 'StartTLS, tls1.3', '--require')).toEqual(['starttls', 'tls1.3'])
    expect(flagValue(certDaysSchema, '30', '--cert-days')).toBe(30)
  })
  it('give one line naming the flag', () => {
    expect(() => flagValue(portSchema, '0', '--port')).toThrow(/^--port: 0 is out of range \(1-65535\)$/)
    expect(() => flagValue(durationSchema, '-1', '--timeout')).toThrow(/^--timeout: "-1" is not a duration/)
    expect(() => flagValue(resolverSchema, '1.2.3.4:99999', '--resolver')).toThrow(/^--resolver: port 99999 is out of range/)
    expect(() => flagValue(hostSchema, 'a..b', 'host')).toThrow(/^host: .*empty label/)
    expect(() => flagValue(smtpRequireSchema, 'nonsense', '--require')).toThrow(/^--require: "nonsense" is not one of/)
  })
})
