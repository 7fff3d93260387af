import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {checkAlignment, checkDmarc, DmarcLookups, isDmarcRecord, parseDmarcRecord, treeWalkTargets} from '../../../src/lib/policy/dmarc.js'
import {dmarcInfoSchema} from '../../../src/lib/policy/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone} from './zone.js'

const DEFAULTS = {p: 'none', pImplicit: false, sp: null, np: null, t: 'n', psd: 'u', rua: [], ruf: [], adkim: 'r', aspf: 'r', fo: ['0'], removed: []}

describe('parseDmarcRecord (RFC 9989 §4.7)', () => {
  it('reads every tag and fills the defaults', () => {
    const parsed = parseDmarcRecord('v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; psd=n; rua=mailto:agg@example.com,mailto:x@example.net!10m; ruf=mailto:f@example.com; adkim=s; aspf=r; fo=1:d')
    expect(parsed).toEqual({
      ok: true,
      record: {...DEFAULTS, p: 'reject', sp: 'quarantine', np: 'reject', t: 'y', psd: 'n', rua: ['mailto:agg@example.com', 'mailto:x@example.net!10m'], ruf: ['mailto:f@example.com'], adkim: 's', fo: ['1', 'd']},
      warnings: [],
    })
    const minimal = parseDmarcRecord('v=DMARC1;p=none')
    expect(minimal.ok && minimal.record).toEqual(DEFAULTS)
  })

  it('allows white space around ";" and "=", a trailing ";" and unknown tags', () => {
    const parsed = parseDmarcRecord('v = DMARC1 ;  p = Quarantine ; future=1 ;')
    expect(parsed.ok && parsed.record.p).toBe('quarantine')
  })

  it('keeps pct, rf and ri as removed tags: the record is still read', () => {
    const parsed = parseDmarcRecord('v=DMARC1; p=reject; pct=10; rf=afrf; ri=3600')
    expect(parsed.ok && parsed.record.p).toBe('reject')
    expect(parsed.ok && parsed.record.removed).toEqual([{tag: 'pct', value: '10'}, {tag: 'rf', value: 'afrf'}, {tag: 'ri', value: '3600'}])
    // Their values no longer matter: a pct the old grammar refused does not spoil the record.
    expect(parseDmarcRecord('v=DMARC1; p=reject; pct=half').ok).toBe(true)
  })

  it('reads a record without p= as p=none, without a warning (p= is no longer required)', () => {
    const parsed = parseDmarcRecord('v=DMARC1; rua=mailto:d@example.com')
    expect(parsed.ok && parsed.record).toMatchObject({p: 'none', pImplicit: true})
    expect(parsed.ok && parsed.warnings).toEqual([])
    expect(parseDmarcRecord('v=DMARC1').ok).toBe(true)
  })

  it('reads a bad p=, sp= or np= as p=none when rua= is usable (§4.10.1), and refuses the record otherwise', () => {
    const withRua = parseDmarcRecord('v=DMARC1; p=maybe; rua=mailto:d@example.com')
    expect(withRua.ok && withRua.record.p).toBe('none')
    expect(withRua.ok && withRua.warnings).toEqual([expect.stringMatching(/p=maybe .*p=none/)])
    for (const text of ['v=DMARC1; p=maybe', 'v=DMARC1; p=none; sp=drop', 'v=DMARC1; p=reject; np=never']) {
      const parsed = parseDmarcRecord(text)
      expect(parsed.ok, text).toBe(false)
      if (!parsed.ok) expect(parsed.error).toMatch(/no rua= address/)
    }
  })

  it.each([
    ['v=DMARC1; p=none; adkim=x', /adkim=x .*default adkim=r/],
    ['v=DMARC1; p=none; aspf=strict', /aspf=strict/],
    ['v=DMARC1; p=none; fo=2', /fo=2/],
    ['v=DMARC1; p=none; t=yes', /t=yes .*default t=n/],
    ['v=DMARC1; p=none; psd=maybe', /psd=maybe/],
    ['v=DMARC1; p=none; rua=agg@example.com', /not a URI and is ignored/],
  ])('replaces a bad value by its default, with a warning: %s', (text, warning) => {
    const parsed = parseDmarcRecord(text)
    expect(parsed.ok).toBe(true)
    if (parsed.ok) expect(parsed.warnings).toEqual([expect.stringMatching(warning)])
  })

  it('refuses what is not a tag list', () => {
    const parsed = parseDmarcRecord('v=DMARC1; p=none;; adkim=s')
    expect(parsed.ok === false && parsed.error).toMatch(/empty tag/)
  })

  it('recognises only records that begin with v=DMARC1', () => {
    expect(isDmarcRecord('v=DMARC1; p=none')).toBe(true)
    expect(isDmarcRecord('v=DMARC1')).toBe(true)
    expect(isDmarcRecord('p=none; v=DMARC1')).toBe(false)
    expect(isDmarcRecord('v=DMARC10; p=none')).toBe(false)
    expect(isDmarcRecord('v=dmarc1; p=none')).toBe(false)
    expect(isDmarcRecord('v=spf1 -all')).toBe(false)
  })
})

describe('treeWalkTargets (RFC 9989 §4.10)', () => {
  it('walks one label at a time to the top-level domain', () => {
    expect(treeWalkTargets('a.b.Example.com.')).toEqual(['a.b.example.com', 'b.example.com', 'example.com', 'com'])
    expect(treeWalkTargets('example.com')).toEqual(['example.com', 'com'])
  })

  it('jumps to the last seven labels from a name of eight or more: never more than eight queries', () => {
    const long = 'l13.l12.l11.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1'
    const targets = treeWalkTargets(long)
    expect(targets).toHaveLength(8)
    expect(targets[0]).toBe(long)
    expect(targets[1]).toBe('l7.l6.l5.l4.l3.l2.l1')
    expect(targets.at(-1)).toBe('l1')
    expect(treeWalkTargets('l8.l7.l6.l5.l4.l3.l2.l1')).toHaveLength(8)
  })
})

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.211', {
    '_dmarc.example.test': {TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@example.test', 'some other text']},
    'example.test': {A: ['192.0.2.1']},
    'mail.eu.example.test': {A: ['192.0.2.1']},
    '_dmarc.nonepolicy.test': {TXT: ['v=DMARC1; p=none; rua=mailto:d@nonepolicy.test']},
    '_dmarc.subnone.test': {TXT: ['v=DMARC1; p=reject; sp=none']},
    'mail.subnone.test': {MX: [[10, 'mx.subnone.test']]},
    '_dmarc.bad.test': {TXT: ['v=DMARC1; p=maybe']},
    '_dmarc.two.test': {TXT: ['v=DMARC1; p=none', 'v=DMARC1; p=reject']},
    '_dmarc.broken.test': {rcode: 'SERVFAIL'},
    // A tree walk over several steps: the record at the organizational domain, not at the From domain's parent.
    '_dmarc.deep.org.test': {TXT: ['v=DMARC1; p=reject; sp=quarantine; np=reject']},
    'a.b.c.deep.org.test': {A: ['192.0.2.2']},
    // A public suffix domain's record (psd=y): it applies when the organizational domain has none.
    '_dmarc.psd.test': {TXT: ['v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y; rua=mailto:r@psd.test']},
    'shop.psd.test': {A: ['192.0.2.3']},
    'mail.shop.psd.test': {A: ['192.0.2.3']},
    // psd=n stops the walk: the organizational domain is this one, even under a PSD.
    '_dmarc.own.psd.test': {TXT: ['v=DMARC1; p=none; psd=n']},
    // Removed tags, test mode, report destinations inside, authorised and unauthorised outside.
    '_dmarc.legacy.test': {TXT: ['v=DMARC1; p=reject; pct=20; ri=3600; t=y; rua=mailto:a@legacy.test,mailto:b@reports.test,mailto:c@nobody.test; ruf=mailto:f@sub.legacy.test']},
    'legacy.test._report._dmarc.reports.test': {TXT: ['v=DMARC1']},
    // A failure part-way up the walk, after the domain's own record.
    '_dmarc.half.fail.test': {TXT: ['v=DMARC1; p=reject']},
    '_dmarc.fail.test': {rcode: 'SERVFAIL'},
    // Alignment: relaxed ok across subdomains of example.test, another organization, strict.
    '_dmarc.strict.test': {TXT: ['v=DMARC1; p=reject; adkim=s; aspf=s']},
  }))
})
afterAll(() => dns.close())

describe('checkDmarc', () => {
  it('finds the record at _dmarc.<domain> and gives its policy', async () => {
    const {info, findings} = await checkDmarc('example.test', resolver())
    expect(dmarcInfoSchema.parse(info)).toEqual(info)
    expect(info).toMatchObject({recordDomain: 'example.test', inherited: false, source: 'domain', organizationalDomain: 'example.test', effectivePolicy: 'reject', testing: false})
    expect(info.queried).toEqual(['_dmarc.example.test', '_dmarc.test'])
    expect(info.policy?.rua).toEqual(['mailto:d@example.test'])
    expect(info.reports).toEqual([expect.objectContaining({uri: 'mailto:d@example.test', external: false, authorized: null})])
    expect(findings).toEqual([])
  })

  it('walks up to the organizational domain for a subdomain, where sp= applies', async () => {
    const {info, findings} = await checkDmarc('mail.eu.example.test', resolver())
    expect(info.queried).toEqual(['_dmarc.mail.eu.example.test', '_dmarc.eu.example.test', '_dmarc.example.test', '_dmarc.test'])
    expect(info).toMatchObject({recordDomain: 'example.test', inherited: true, source: 'organizational', organizationalDomain: 'example.test', effectivePolicy: 'quarantine'})
    expect(findings).toEqual([])
    const sub = await checkDmarc('mail.subnone.test', resolver())
    expect(sub.info.effectivePolicy).toBe('none')
    expect(sub.findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_POLICY_NONE', 'info']])
  })

  it('applies np= to a subdomain that does not exist, sp= to one that does', async () => {
    const exists = await checkDmarc('a.b.c.deep.org.test', resolver())
    expect(exists.info.queried).toHaveLength(6)
    expect(exists.info).toMatchObject({recordDomain: 'deep.org.test', domainExists: true, effectivePolicy: 'quarantine'})
    const missing = await checkDmarc('ghost.deep.org.test', resolver())
    expect(missing.info).toMatchObject({recordDomain: 'deep.org.test', domainExists: false, effectivePolicy: 'reject'})
    const psdMissing = await checkDmarc('nowhere.shop.psd.test', resolver())
    expect(psdMissing.info).toMatchObject({source: 'psd', domainExists: false, effectivePolicy: 'reject'})
  })

  it('takes a public suffix domain\'s policy (psd=y) when the organizational domain has none', async () => {
    const {info, findings} = await checkDmarc('mail.shop.psd.test', resolver())
    expect(info).toMatchObject({source: 'psd', recordDomain: 'psd.test', organizationalDomain: 'shop.psd.test', effectivePolicy: 'quarantine', domainExists: true})
    // The walk stops at the psd=y record: _dmarc.test is not asked.
    expect(info.queried).toEqual(['_dmarc.mail.shop.psd.test', '_dmarc.shop.psd.test', '_dmarc.psd.test'])
    expect(findings.map((f) => f.code)).toEqual(['DMARC_PSD_POLICY'])
    // psd=n: a domain under the PSD that is its own organizational domain; the walk stops there.
    const own = await checkDmarc('own.psd.test', resolver())
    expect(own.info).toMatchObject({source: 'domain', organizationalDomain: 'own.psd.test'})
    expect(own.info.queried).toEqual(['_dmarc.own.psd.test'])
  })

  it('reports removed tags and test mode, and checks report destinations outside the domain (RFC 9990)', async () => {
    const {info, findings} = await checkDmarc('legacy.test', resolver())
    expect(info).toMatchObject({effectivePolicy: 'reject', testing: true})
    expect(info.policy?.removed.map((r) => r.tag)).toEqual(['pct', 'ri'])
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['DMARC_TAG_REMOVED', 'warning'],
      ['DMARC_TAG_REMOVED', 'warning'],
      ['DMARC_TESTING', 'warning'],
      ['DMARC_REPORT_UNAUTHORIZED', 'warning'],
    ])
    expect(findings[0].message).toMatch(/pct=20.*t=y/)
    expect(info.reports).toEqual([
      expect.objectContaining({uri: 'mailto:a@legacy.test', external: false, authorized: null}),
      expect.objectContaining({uri: 'mailto:b@reports.test', external: true, authorization: 'legacy.test._report._dmarc.reports.test', authorized: true}),
      expect.objectContaining({uri: 'mailto:c@nobody.test', external: true, authorization: 'legacy.test._report._dmarc.nobody.test', authorized: false}),
      expect.objectContaining({kind: 'ruf', destination: 'sub.legacy.test', external: false}),
    ])
  })

  it('reports p=none (info), a missing record (warning), an invalid and a doubled one', async () => {
    expect((await checkDmarc('nonepolicy.test', resolver())).findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_POLICY_NONE', 'info']])
    const missing = await checkDmarc('nothing.test', resolver())
    expect(missing.findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_MISSING', 'warning']])
    expect(missing.info.record).toBeNull()
    expect(missing.info.walk).toEqual([{name: '_dmarc.nothing.test', result: 'none', psd: null}, {name: '_dmarc.test', result: 'none', psd: null}])
    const bad = await checkDmarc('bad.test', resolver())
    expect(bad.findings.map((f) => f.code)).toEqual(['DMARC_INVALID'])
    expect(bad.info.record).toBe('v=DMARC1; p=maybe')
    expect(bad.info.policy).toBeNull()
    expect((await checkDmarc('two.test', resolver())).findings.map((f) => f.code)).toEqual(['DMARC_MULTIPLE_RECORDS'])
  })

  it('reports a DNS failure instead of a missing record', async () => {
    const {info, findings} = await checkDmarc('broken.test', resolver())
    expect(findings.map((f) => f.code)).toEqual(['DNS_SERVFAIL'])
    expect(info.lookupError).toMatch(/SERVFAIL/)
    expect(info.walk).toEqual([{name: '_dmarc.broken.test', result: 'failed', psd: null}])
    // Past the domain's own record, a failure leaves the policy known and the organizational domain unknown.
    const half = await checkDmarc('half.fail.test', resolver())
    expect(half.info).toMatchObject({effectivePolicy: 'reject', organizationalDomain: null, lookupError: null})
    expect(half.findings.map((f) => [f.code, f.severity])).toEqual([['DNS_SERVFAIL', 'warning']])
  })
})

describe('checkAlignment (RFC 9989 §4.4)', () => {
  it('aligns the same domain, relaxed across one organizational domain, and fails another organization', async () => {
    const lookups = new DmarcLookups(resolver())
    const {info} = await checkDmarc('example.test', resolver(), {lookups})
    const {alignment, findings} = await checkAlignment(info, {spf: [{domain: 'bounce.mail.example.test', result: 'pass'}], dkim: [{domain: 'other.test', result: 'pass'}]}, lookups)
    expect(alignment.result).toBe('pass')
    expect(alignment.spf[0]).toMatchObject({aligned: true, organizationalDomain: 'example.test', mode: 'r'})
    expect(alignment.dkim[0]).toMatchObject({aligned: false, organizationalDomain: 'other.test'})
    expect(findings).toEqual([])
  })

  it('fails strict alignment for a subdomain, as an error under p=reject', async () => {
    const lookups = new DmarcLookups(resolver())
    const {info} = await checkDmarc('strict.test', resolver(), {lookups})
    const {alignment, findings} = await checkAlignment(info, {spf: [{domain: 'mail.strict.test', result: 'pass'}], dkim: [{domain: 'strict.test', result: 'fail'}]}, lookups)
    expect(alignment.result).toBe('fail')
    expect(alignment.spf[0]).toMatchObject({aligned: false, reason: expect.stringMatching(/aspf=s/)})
    expect(alignment.dkim[0]).toMatchObject({aligned: true})
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_NOT_ALIGNED', 'error']])
  })

  it('is a warning in test mode, and unknown when an organizational domain could not be found', async () => {
    const lookups = new DmarcLookups(resolver())
    const legacy = await checkDmarc('legacy.test', resolver(), {lookups})
    const failing = await checkAlignment(legacy.info, {spf: [], dkim: []}, lookups)
    expect(failing.findings.map((f) => [f.code, f.severity])).toEqual([['DMARC_NOT_ALIGNED', 'warning']])
    const unknown = await checkAlignment(legacy.info, {spf: [{domain: 'x.broken.test', result: 'pass'}], dkim: []}, lookups)
    expect(unknown.alignment.result).toBe('temperror')
    expect(unknown.findings).toEqual([])
  })
})
