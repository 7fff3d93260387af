import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {checkTlsRpt, parseTlsRptRecord} from '../../../src/lib/policy/tls-rpt.js'
import {tlsRptInfoSchema} from '../../../src/lib/policy/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone} from './zone.js'

describe('parseTlsRptRecord (RFC 8460 §3)', () => {
  it('reads mailto: and https: report URIs', () => {
    expect(parseTlsRptRecord('v=TLSRPTv1; rua=mailto:tls@example.com')).toEqual({ok: true, rua: ['mailto:tls@example.com']})
    expect(parseTlsRptRecord('v=TLSRPTv1;rua=mailto:a@example.com,https://reports.example.com/tls;ext=1')).toEqual({
      ok: true,
      rua: ['mailto:a@example.com', 'https://reports.example.com/tls'],
    })
  })
  it.each([
    ['v=TLSRPTv1', /no rua=/],
    ['v=TLSRPTv1; rua=', /empty URI/],
    ['v=TLSRPTv1; rua=http://reports.example.com/', /neither a mailto: nor an https:/],
    ['v=TLSRPTv1; rua=tls@example.com', /neither/],
    ['v=TLSRPTv2; rua=mailto:a@example.com', /begin with "v=TLSRPTv1"/],
  ])('rejects %s', (text, error) => {
    const parsed = parseTlsRptRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.216', {
    '_smtp._tls.good.test': {TXT: ['v=TLSRPTv1; rua=mailto:tlsrpt@good.test', 'unrelated']},
    '_smtp._tls.bad.test': {TXT: ['v=TLSRPTv1; rua=ftp://x']},
    '_smtp._tls.two.test': {TXT: ['v=TLSRPTv1; rua=mailto:a@two.test', 'v=TLSRPTv1; rua=mailto:b@two.test']},
    '_smtp._tls.broken.test': {rcode: 'SERVFAIL'},
  }))
})
afterAll(() => dns.close())

describe('checkTlsRpt', () => {
  it('reads the record at _smtp._tls', async () => {
    const {info, findings} = await checkTlsRpt('Good.test.', resolver())
    expect(tlsRptInfoSchema.parse(info)).toEqual(info)
    expect(info).toEqual({domain: 'good.test', record: 'v=TLSRPTv1; rua=mailto:tlsrpt@good.test', lookupError: null, rua: ['mailto:tlsrpt@good.test']})
    expect(findings).toEqual([])
  })
  it('reports a missing record as info, a bad or doubled one as invalid, and DNS failure', async () => {
    expect((await checkTlsRpt('none.test', resolver())).findings.map((f) => [f.code, f.severity])).toEqual([['TLSRPT_MISSING', 'info']])
    expect((await checkTlsRpt('bad.test', resolver())).findings.map((f) => f.code)).toEqual(['TLSRPT_INVALID'])
    expect((await checkTlsRpt('two.test', resolver())).findings.map((f) => f.code)).toEqual(['TLSRPT_INVALID'])
    expect((await checkTlsRpt('broken.test', resolver())).findings.map((f) => f.code)).toEqual(['DNS_SERVFAIL'])
  })
})
