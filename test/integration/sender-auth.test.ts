import {readFileSync} from 'node:fs'
import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {DnsResolver} from '../../src/lib/dns/resolver.js'
import {checkDkimKeys} from '../../src/lib/dkim/keys.js'
import {verifyMessage} from '../../src/lib/dkim/verify.js'
import {checkAlignment, checkDmarc, DmarcLookups} from '../../src/lib/policy/dmarc.js'
import {checkBimi} from '../../src/lib/bimi/bimi.js'
import {netContext} from '../../src/lib/net/context.js'

// DKIM keys and signatures, and DMARC per RFC 9989, against the test world's DNS: keys the harness made with
// openssl, messages it signed and ARC-sealed (test/world/dkim.ts), the zones of test/world/zones.ts.
const world = inject('world')
const resolver = () => new DnsResolver({servers: [{host: world.dns.host, port: world.dns.port}], timeoutMs: 5000})
const codes = (findings: {code: string; severity: string}[]) => findings.map((f) => [f.code, f.severity])

describe('DKIM keys in the test world', () => {
  it('judges the published keys: 2048-bit RSA, 1024-bit (weak), Ed25519, testing, revoked', async () => {
    const selectors = ['s2048', 's1024', 'ed', 'trial', 'gone'].map((selector) => ({selector, source: 'flag' as const}))
    const result = await checkDkimKeys('signed.test', resolver(), {selectors})
    expect(result.selectors.map((k) => [k.selector, k.status, k.keyType, k.keyBits, k.testing, k.revoked])).toEqual([
      ['s2048', 'found', 'rsa', 2048, false, false],
      ['s1024', 'found', 'rsa', 1024, false, false],
      ['ed', 'found', 'ed25519', 256, false, false],
      ['trial', 'found', 'rsa', 2048, true, false],
      ['gone', 'revoked', 'rsa', null, false, true],
    ])
    expect(codes(result.findings)).toEqual([
      ['DKIM_KEY_WEAK', 'warning'],
      ['DKIM_KEY_TESTING', 'warning'],
      ['DKIM_KEY_REVOKED', 'warning'],
    ])
  })

  it('guesses: finds default at signed.test; at hidden.test says what was tried; at mail.test that no key can exist', async () => {
    const signed = await checkDkimKeys('signed.test', resolver())
    expect(signed.selectors.map((k) => k.selector)).toEqual(['default'])
    const hidden = await checkDkimKeys('hidden.test', resolver())
    expect(hidden.domainKey?.status).toBe('exists')
    expect(codes(hidden.findings)).toEqual([['DKIM_SELECTOR_NOT_FOUND', 'info']])
    const none = await checkDkimKeys('mail.test', resolver())
    expect(none.domainKey?.status).toBe('nxdomain')
    expect(codes(none.findings)).toEqual([['DKIM_NO_KEYS', 'warning']])
  })
})

describe('DKIM signatures and ARC of the harness\'s messages', () => {
  const verify = (name: keyof typeof world.dkim.messages) => verifyMessage(readFileSync(world.dkim.messages[name]), resolver())

  it('passes the RSA and Ed25519 signatures of the signed message', async () => {
    const result = await verify('signed')
    expect(result.signatures.map((s) => [s.selector, s.algorithm, s.result, s.bodyHash])).toEqual([
      ['ed', 'ed25519-sha256', 'pass', 'match'],
      ['s2048', 'rsa-sha256', 'pass', 'match'],
    ])
    expect(result.findings).toEqual([])
  })

  it('fails the tampered message on its body hash, and the one signed with the revoked key', async () => {
    const tampered = await verify('tampered')
    expect(tampered.signatures.map((s) => [s.result, s.bodyHash])).toEqual([
      ['fail', 'mismatch'],
      ['fail', 'mismatch'],
    ])
    const revoked = await verify('revoked')
    expect(revoked.signatures[0]).toMatchObject({selector: 'gone', result: 'permerror', reason: expect.stringMatching(/revoked/)})
    const weak = await verify('weak')
    expect(weak.signatures[0]).toMatchObject({selector: 's1024', result: 'pass', keyBits: 1024})
  })

  it('validates the two ARC sets forwarder.test added', async () => {
    const result = await verify('arc')
    expect(result.arc).toMatchObject({result: 'pass', instances: 2})
    expect(result.signatures.every((s) => s.result === 'pass')).toBe(true)
  })

  it('aligns the passing signatures with the From domain for DMARC', async () => {
    const lookups = new DmarcLookups(resolver())
    const dmarc = await checkDmarc('signed.test', resolver(), {lookups})
    const result = await verify('signed')
    const {alignment, findings} = await checkAlignment(dmarc.info, {spf: [], dkim: result.signatures.map((s) => ({domain: s.domain!, result: s.result}))}, lookups)
    expect(alignment.result).toBe('pass')
    expect(findings).toEqual([])
  })
})

describe('DMARC per RFC 9989 in the test world', () => {
  it('walks four names up from a.b.c.dmarc.test; reads np=, t=y and the removed tags; checks the report addresses', async () => {
    const {info, findings} = await checkDmarc('a.b.c.dmarc.test', resolver())
    expect(info.queried).toEqual(['_dmarc.a.b.c.dmarc.test', '_dmarc.b.c.dmarc.test', '_dmarc.c.dmarc.test', '_dmarc.dmarc.test', '_dmarc.test'])
    expect(info).toMatchObject({recordDomain: 'dmarc.test', source: 'organizational', organizationalDomain: 'dmarc.test', domainExists: true, effectivePolicy: 'quarantine', testing: true})
    expect(info.reports.map((r) => [r.destination, r.external, r.authorized])).toEqual([
      ['dmarc.test', false, null],
      ['reports.test', true, true],
      ['noauth.test', true, false],
    ])
    expect(codes(findings)).toEqual([
      ['DMARC_TAG_REMOVED', 'warning'],
      ['DMARC_TAG_REMOVED', 'warning'],
      ['DMARC_TESTING', 'warning'],
      ['DMARC_REPORT_UNAUTHORIZED', 'warning'],
    ])
  })

  it('applies np= to a name that does not exist, a PSD\'s policy (psd=y), and reads a record without p= as none', async () => {
    expect((await checkDmarc('ghost.dmarc.test', resolver())).info).toMatchObject({domainExists: false, effectivePolicy: 'reject'})
    const psd = await checkDmarc('shop.psd.test', resolver())
    expect(psd.info).toMatchObject({source: 'psd', recordDomain: 'psd.test', organizationalDomain: 'shop.psd.test', effectivePolicy: 'quarantine'})
    expect(codes(psd.findings)).toEqual([['DMARC_PSD_POLICY', 'info']])
    const nop = await checkDmarc('nop.test', resolver())
    expect(nop.info.policy).toMatchObject({p: 'none', pImplicit: true})
    expect(codes(nop.findings)).toEqual([
      ['DMARC_INVALID', 'info'],
      ['DMARC_POLICY_NONE', 'info'],
    ])
  })

  it('trace uses the same walk: its policy step shows the inherited policy in test mode', async () => {
    const r = await runCli(['trace', 'alice@mail.test', '--from', 'someone@a.b.c.dmarc.test', '--resolver', `${world.dns.host}:${world.dns.port}`, '--ca-file', world.ca.caFile, '--timeout', '5s', '--json'])
    expect(r.json!.policy.dmarc).toMatchObject({recordDomain: 'dmarc.test', effectivePolicy: 'quarantine', testing: true, alignment: null})
    const policy = r.json!.route.find((s: any) => s.step === 'policy')
    expect(policy.summary).toMatch(/DMARC p=quarantine \(t=y: test mode\)/)
    expect(r.json!.findings.map((f: any) => f.code)).toEqual(expect.arrayContaining(['DMARC_TAG_REMOVED', 'DMARC_TESTING', 'DMARC_REPORT_UNAUTHORIZED']))
  })
})

describe('BIMI in the test world', () => {
  const net = () => ({...netContext({resolver: resolver(), timeoutMs: 5000, ca: readFileSync(world.ca.caFile, 'utf8')}), resolver: resolver()})

  it('fetches signed.test\'s logo and mark certificate and checks the DMARC prerequisites', async () => {
    const dmarc = await checkDmarc('signed.test', resolver())
    const {info, findings} = await checkBimi('signed.test', net(), {dmarc: dmarc.info})
    expect(info).toMatchObject({status: 'found', recordDomain: 'signed.test', logoUrl: 'https://bimi.signed.test/logo.svg', dmarc: {ok: true, problems: []}})
    expect(info.logo).toMatchObject({fetched: true, status: 200, tinyPs: true, title: 'Signed Test', square: true, problems: []})
    expect(info.certificate).toMatchObject({fetched: true, certificates: 1, markUsage: true, names: ['signed.test'], subject: expect.stringMatching(/Signed Test Mark/)})
    expect(info.certificate!.daysLeft).toBeGreaterThan(300)
    expect(findings).toEqual([])
  })

  it('a declining selector, and a logo that is not SVG Tiny PS, without a certificate, under DMARC in test mode', async () => {
    const declined = await checkBimi('signed.test', net(), {selector: 'brand'})
    expect(declined.info).toMatchObject({status: 'declined', name: 'brand._bimi.signed.test', logo: null})
    const dmarc = await checkDmarc('dmarc.test', resolver())
    const bad = await checkBimi('dmarc.test', net(), {dmarc: dmarc.info})
    expect(bad.info.logo).toMatchObject({fetched: true, tinyPs: false})
    expect(codes(bad.findings)).toEqual([
      ['BIMI_LOGO_INVALID', 'error'],
      ['BIMI_CERTIFICATE_MISSING', 'info'],
      ['BIMI_DMARC_NOT_ENFORCED', 'error'],
    ])
    expect(bad.findings[2].message).toMatch(/t=y/)
    const none = await checkBimi('hidden.test', net())
    expect(none.info.status).toBe('absent')
    expect(codes(none.findings)).toEqual([['BIMI_MISSING', 'info']])
  })
})
