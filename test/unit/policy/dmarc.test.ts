import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {checkDmarc, dmarcCandidates, isDmarcRecord, parseDmarcRecord} from '../../../src/lib/policy/dmarc.js'
import {dmarcInfoSchema} from '../../../src/lib/policy/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone} from './zone.js'

describe('parseDmarcRecord (RFC 7489 §6.3)', () => {
  it('reads every tag and fills the defaults', () => {
    const parsed = parseDmarcRecord('v=DMARC1; p=reject; sp=quarantine; pct=50; rua=mailto:agg@example.com,mailto:x@example.net!10m; ruf=mailto:f@example.com; adkim=s; aspf=r; fo=1:d; ri=3600')
    expect(parsed).toEqual({
      ok: true,
      record: {p: 'reject', sp: 'quarantine', pct: 50, rua: ['mailto:agg@example.com', 'mailto:x@example.net!10m'], ruf: ['mailto:f@example.com'], adkim: 's', aspf: 'r', fo: ['1', 'd'], ri: 3600, rf: ['afrf']},
      warnings: [],
    })
    const minimal = parseDmarcRecord('v=DMARC1;p=none')
    expect(minimal.ok && minimal.record).toEqual({p: 'none', sp: null, pct: 100, rua: [], ruf: [], adkim: 'r', aspf: 'r', fo: ['0'], ri: 86400, rf: ['afrf']})
  })

  it('allows white space around ";" and "=", a trailing ";" and unknown tags', () => {
    const parsed = parseDmarcRecord('v = DMARC1 ;  p = Quarantine ; future=1 ;')
    expect(parsed.ok && parsed.record.p).toBe('quarantine')
  })

  it('reads a missing p= as none when rua= is valid, with a warning (§6.6.3)', () => {
    const parsed = parseDmarcRecord('v=DMARC1; rua=mailto:d@example.com')
    expect(parsed.ok && parsed.record.p).toBe('none')
    expect(parsed.ok && parsed.warnings).toEqual([expect.stringMatching(/no p= tag/)])
  })

  it.each([
    ['v=DMARC1', /no p= tag/],
    ['v=DMARC1; p=maybe', /p=maybe is not/],
    ['v=DMARC1; p=none; sp=drop', /sp=drop/],
    ['v=DMARC1; p=none; pct=101', /pct=101/],
    ['v=DMARC1; p=none; pct=half', /pct=half/],
    ['v=DMARC1; p=none; adkim=x', /adkim=x/],
    ['v=DMARC1; p=none; aspf=strict', /aspf=strict/],
    ['v=DMARC1; p=none; fo=2', /fo=2/],
    ['v=DMARC1; p=none; rua=agg@example.com', /not a URI/],
    ['v=DMARC1; p=none; ri=daily', /ri=daily/],
    ['v=DMARC1; p=none;; pct=5', /empty tag/],
  ])('rejects %s', (text, error) => {
    const parsed = parseDmarcRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })

  it('recognises only records that begin with v=DMARC1', () => {
    expect(isDmarcRecord('v=DMARC1; p=none')).toBe(true)
    expect(isDmarcRecord('v=DMARC1')).toBe(true)
    expect(isDmarcRecord('p=none; v=DMARC1')).toBe(false)
    expect(isDmarcRecord('v=DMARC10; p=none')).toBe(false)
    expect(isDmarcRecord('v=spf1 -all')).toBe(false)
  })
})

describe('dmarcCandidates', () => {
  it('walks up to two labels (the organizational domain approximated without a public suffix list)', () => {
    expect(dmarcCandidates('a.b.Example.com.')).toEqual(['a.b.example.com', 'b.example.com', 'example.com'])
    expect(dmarcCandidates('example.com')).toEqual(['example.com'])
  })
})

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.211', {
    '_dmarc.example.test': {TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test', 'some other text']},
    '_dmarc.nonepolicy.test': {TXT: ['v=DMARC1; p=none; rua=mailto:d@nonepolicy.test']},
    '_dmarc.subnone.test': {TXT: ['v=DMARC1; p=reject; sp=none']},
    '_dmarc.bad.test': {TXT: ['v=DMARC1; p=maybe']},
    '_dmarc.two.test': {TXT: ['v=DMARC1; p=none', 'v=DMARC1; p=reject']},
    '_dmarc.broken.test': {rcode: 'SERVFAIL'},
  }))
})
afterAll(() => dns.close())

describe('checkDmarc', () => {
  it('finds the record at _dmarc.<domain> and gives its policy', async () => {
    const {info, findings} = await checkDmarc('example.test', resolver())
    expect(dmarcInfoSchema.parse(info)).toEqual(info)
    expect(info.recordDomain).toBe('example.test')
    expect(info.inherited).toBe(false)
    expect(info.effectivePolicy).toBe('reject')
    expect(info.policy?.rua).toEqual(['mailto:d@example.test'])
    expect(findings).toEqual([])
  })

  it('falls back to a parent domain for a subdomain, where sp= applies', async () => {
    const {info, findings} = await checkDmarc('mail.eu.example.test', resolver())
    expect(info.queried).toEqual(['_dmarc.mail.eu.example.test', '_dmarc.eu.example.test', '_dmarc.example.test'])
    expect(info.recordDomain).toBe('example.test')
    expect(info.inherited).toBe(true)
    expect(info.effectivePolicy).toBe('quarantine')
    expect(findings).toEqual([])
    const sub = await checkDmarc('mail.subnone.test', resolver())
    expect(sub.info.effectivePolicy).toBe('none')
    expect(sub.findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_POLICY_NONE', 'info']])
  })

  it('reports p=none (info), a missing record (warning), an invalid and a doubled one', async () => {
    expect((await checkDmarc('nonepolicy.test', resolver())).findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_POLICY_NONE', 'info']])
    const missing = await checkDmarc('nothing.test', resolver())
    expect(missing.findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_MISSING', 'warning']])
    expect(missing.info.record).toBeNull()
    const bad = await checkDmarc('bad.test', resolver())
    expect(bad.findings.map((f) => f.code)).toEqual(['DMARC_INVALID'])
    expect(bad.info.record).toBe('v=DMARC1; p=maybe')
    expect(bad.info.policy).toBeNull()
    expect((await checkDmarc('two.test', resolver())).findings.map((f) => f.code)).toEqual(['DMARC_MULTIPLE_RECORDS'])
  })

  it('reports a DNS failure instead of a missing record', async () => {
    const {findings} = await checkDmarc('broken.test', resolver())
    expect(findings.map((f) => f.code)).toEqual(['DNS_SERVFAIL'])
  })
})
