import {describe, expect, it} from 'vitest'
import {looksGeneric} from '../../../src/lib/sender/reverse.js'

describe('generic PTR names', () => {
  it.each([
    ['192-0-2-1.dynamic.isp.example', '192.0.2.1'],
    ['1.2.0.192.in-addr.isp.example', '192.0.2.1'],
    ['c0000201.cable.example', '192.0.2.1'],
    ['host-192-000-002-001.example', '192.0.2.1'],
    ['ppp-45.pool.example.net', '198.51.100.45'],
    ['dsl.example.net', '198.51.100.45'],
    ['cust1234.isp.example', '198.51.100.45'],
    ['ip-10.example.net', '198.51.100.45'],
    ['dhcp-77.campus.example', '198.51.100.45'],
  ])('%s (%s) looks generic', (name, ip) => {
    expect(looksGeneric(name, ip)).toBe(true)
  })
  it.each([
    ['mail.example.com', '192.0.2.1'],
    ['mx1.example.com', '192.0.2.1'],
    ['smtp-out-2.example.net', '192.0.2.1'],
    ['mailhost.example.org', '192.0.2.1'],
    ['outbound.client.example', '192.0.2.1'],
    ['mx.mail.test', '127.0.1.25'],
  ])('%s (%s) does not', (name, ip) => {
    expect(looksGeneric(name, ip)).toBe(false)
  })
})
