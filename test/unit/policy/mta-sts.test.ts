import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {netContext, type NetContextInput} from '../../../src/lib/net/context.js'
import {checkMtaSts, matchMxPattern, mxPatternMatches, parseMtaStsPolicy, parseMtaStsRecord} from '../../../src/lib/policy/mta-sts.js'
import {mtaStsInfoSchema} from '../../../src/lib/policy/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {policy, startPolicyServer, type PolicyServer} from '../../fixtures/https-policy-server.js'
import {createTestPki, type TestPki} from '../../fixtures/test-pki.js'
import {startZone, type Zone} from './zone.js'

describe('parseMtaStsRecord (RFC 8461 §3.1)', () => {
  it('reads the id and ignores extension fields', () => {
    expect(parseMtaStsRecord('v=STSv1; id=20240101T000000')).toEqual({ok: true, id: '20240101T000000'})
    expect(parseMtaStsRecord('v=STSv1;id=abc;ext=1;')).toEqual({ok: true, id: 'abc'})
    // sts-ext-name: a letter or digit first, then letters, digits, _ - . (RFC 8461 §3.1)
    expect(parseMtaStsRecord('v=STSv1; id=abc; 2x-ext.name_1=on')).toEqual({ok: true, id: 'abc'})
  })
  it.each([
    ['v=STSv1', /no id=/],
    ['v=STSv1; id=', /1 to 32 letters/],
    ['v=STSv1; id=has-dash', /1 to 32 letters/],
    ['v=STSv1; id=' + 'a'.repeat(33), /1 to 32 letters/],
    ['v=STSv2; id=1', /begin with "v=STSv1;"/],
    ['v=STSv1; id 1', /not tag=value/],
  ])('rejects %s', (text, error) => {
    const parsed = parseMtaStsRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

describe('parseMtaStsPolicy (RFC 8461 §3.2)', () => {
  it('parses CRLF lines with several mx patterns', () => {
    const parsed = parseMtaStsPolicy('version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n')
    expect(parsed).toEqual({ok: true, policy: {version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 604800}, warnings: []})
  })
  it('accepts LF lines, spaces after the colon, and unknown fields', () => {
    const parsed = parseMtaStsPolicy('version:STSv1\nmode:    testing\nmx: MX.Example.COM.\nmax_age: 86400\nx_note: hello\n')
    expect(parsed.ok && parsed.policy).toEqual({version: 'STSv1', mode: 'testing', mx: ['mx.example.com'], maxAge: 86400})
  })
  it('warns about a repeated field (the first counts) and an over-long max_age (capped)', () => {
    const parsed = parseMtaStsPolicy('version: STSv1\nmode: none\nmode: enforce\nmax_age: 99999999\n')
    expect(parsed.ok && parsed.policy.mode).toBe('none')
    expect(parsed.ok && parsed.policy.maxAge).toBe(31557600)
    expect(parsed.ok && parsed.warnings).toHaveLength(2)
  })
  it.each([
    ['mode: enforce\nmx: a.example\nmax_age: 1\n', /no "version: STSv1"/],
    ['version: STSv2\nmode: enforce\nmax_age: 1\n', /not STSv1/],
    ['version: STSv1\nmode: strict\nmax_age: 1\n', /not enforce, testing or none/],
    ['version: STSv1\nmax_age: 1\n', /no "mode:"/],
    ['version: STSv1\nmode: enforce\nmx: a.example\n', /no "max_age:"/],
    ['version: STSv1\nmode: enforce\nmax_age: 1 day\n', /not a number/],
    ['version: STSv1\nmode: enforce\nmx: a.*.example\nmax_age: 1\n', /not a host name/],
    ['<html><body>Not found</body></html>', /not "key: value"/],
  ])('rejects %j', (text, error) => {
    const parsed = parseMtaStsPolicy(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

describe('mxPatternMatches (RFC 8461 §4.1)', () => {
  it('lets a wildcard cover exactly one leftmost label', () => {
    expect(mxPatternMatches('*.example.com', 'mx.example.com')).toBe(true)
    expect(mxPatternMatches('*.example.com', 'MX.Example.com.')).toBe(true)
    expect(mxPatternMatches('*.example.com', 'a.b.example.com')).toBe(false)
    expect(mxPatternMatches('*.example.com', 'example.com')).toBe(false)
    expect(mxPatternMatches('*.example.com', 'mxexample.com')).toBe(false)
    expect(mxPatternMatches('*.example.com', 'mx.example.com.evil')).toBe(false)
  })
  it('compares plain patterns exactly, case-insensitively', () => {
    expect(mxPatternMatches('mail.example.com', 'MAIL.example.com')).toBe(true)
    expect(mxPatternMatches('mail.example.com', 'mail2.example.com')).toBe(false)
    expect(mxPatternMatches('example.com', 'mx.example.com')).toBe(false)
    expect(matchMxPattern(['a.example', '*.example.com'], 'mx.example.com')).toBe('*.example.com')
    expect(matchMxPattern(['a.example'], 'mx.example.com')).toBeNull()
  })
})

// The HTTPS side: a policy server on 127.0.1.212:443 for the good hosts, one with a self-signed
// certificate on .214, one whose (trusted) certificate names another host on .215; DNS on .213.
const GOOD = '127.0.1.212'
const SELF = '127.0.1.214'
const WRONG_NAME = '127.0.1.215'
const ENFORCE = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.mx.good.test\r\nmax_age: 86400\r\n'
const policyDomains = ['good', 'testing', 'none', 'redirect', 'big', 'chunked', 'invalid', 'notfound', 'slow', 'html', 'selfsigned', 'wrongname', 'untrusted']

let pki: TestPki
let otherPki: TestPki
let dns: FakeDns
let resolver: (timeoutMs?: number) => DnsResolver
const servers: PolicyServer[] = []
let good: PolicyServer

beforeAll(async () => {
  pki = createTestPki({names: policyDomains.map((d) => `mta-sts.${d}.test`)})
  otherPki = createTestPki({names: ['mta-sts.elsewhere.test']})
  const zone: Zone = {
    'nosts.test': {MX: [[10, 'mx.nosts.test']]},
    '_mta-sts.twice.test': {TXT: ['v=STSv1; id=1', 'v=STSv1; id=2']},
    '_mta-sts.badrecord.test': {TXT: ['v=STSv1; id=not valid!']},
    '_mta-sts.broken.test': {rcode: 'SERVFAIL'},
  }
  for (const d of policyDomains) {
    zone[`_mta-sts.${d}.test`] = {TXT: ['v=STSv1; id=20240101']}
    zone[`mta-sts.${d}.test`] = {A: [d === 'selfsigned' ? SELF : d === 'wrongname' ? WRONG_NAME : GOOD]}
  }
  ;({dns, resolver} = await startZone('127.0.1.213', zone))
  good = await startPolicyServer(GOOD, pki.leaf, {
    'mta-sts.good.test': policy(ENFORCE),
    'mta-sts.untrusted.test': policy(ENFORCE),
    'mta-sts.testing.test': policy('version: STSv1\nmode: testing\nmx: *.testing.test\nmax_age: 86400\n'),
    'mta-sts.none.test': policy('version: STSv1\nmode: none\nmax_age: 86400\n'),
    'mta-sts.redirect.test': (_req, res) => {
      res.writeHead(301, {Location: 'https://mta-sts.good.test/.well-known/mta-sts.txt'}).end()
    },
    'mta-sts.big.test': policy(`version: STSv1\nmode: enforce\nmax_age: 86400\n${'mx: filler.big.test\n'.repeat(4000)}`),
    'mta-sts.chunked.test': (_req, res) => {
      res.writeHead(200, {'Content-Type': 'text/plain'})
      for (let i = 0; i < 80; i++) res.write('x'.repeat(1024))
      res.end()
    },
    'mta-sts.invalid.test': policy('version: STSv1\nmode: strict\nmax_age: 86400\n'),
    'mta-sts.html.test': policy('version: STSv1\nmode: enforce\nmx: mx.html.test\nmax_age: 86400\n', 'text/html'),
    'mta-sts.slow.test': () => undefined,
  })
  servers.push(good)
  servers.push(await startPolicyServer(SELF, pki.selfSigned, {'mta-sts.selfsigned.test': policy(ENFORCE)}))
  servers.push(await startPolicyServer(WRONG_NAME, otherPki.leaf, {'mta-sts.wrongname.test': policy(ENFORCE)}))
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
  await dns?.close()
  pki?.cleanup()
  otherPki?.cleanup()
})

/** The port of the server for `domain`'s policy host: 443 unless a concurrent run held it. */
const portFor = (domain: string) => servers.find((s) => s.host === (domain === 'selfsigned.test' ? SELF : domain === 'wrongname.test' ? WRONG_NAME : GOOD))?.port
const options = (domain: string, extra: NetContextInput = {}) => ({net: {...netContext({ca: [pki.ca.cert, otherPki.ca.cert], timeoutMs: 2000, ...extra}), resolver: resolver()}, port: portFor(domain)})
const codes = (findings: {code: string}[]) => findings.map((f) => f.code)

describe('checkMtaSts', () => {
  it('fetches an enforce policy and flags every MX host its patterns do not cover', async () => {
    const mx = ['mx1.good.test', 'a.mx.good.test', 'a.b.mx.good.test', 'mx.good.test', 'mx.elsewhere.test']
    const {info, findings} = await checkMtaSts('good.test', mx, options('good.test'))
    expect(mtaStsInfoSchema.parse(info)).toEqual(info)
    expect(info.record).toBe('v=STSv1; id=20240101')
    expect(info.id).toBe('20240101')
    expect(info.fetch).toEqual({ok: true, status: 200, contentType: 'text/plain; charset=utf-8', error: null})
    expect(info.mode).toBe('enforce')
    expect(info.policy?.mx).toEqual(['mx1.good.test', '*.mx.good.test'])
    expect(info.mx).toEqual([
      {host: 'mx1.good.test', pattern: 'mx1.good.test', covered: true},
      {host: 'a.mx.good.test', pattern: '*.mx.good.test', covered: true},
      {host: 'a.b.mx.good.test', pattern: null, covered: false},
      {host: 'mx.good.test', pattern: null, covered: false},
      {host: 'mx.elsewhere.test', pattern: null, covered: false},
    ])
    expect(findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['MTA_STS_MX_MISMATCH', 'error', 'a.b.mx.good.test'],
      ['MTA_STS_MX_MISMATCH', 'error', 'mx.good.test'],
      ['MTA_STS_MX_MISMATCH', 'error', 'mx.elsewhere.test'],
    ])
    expect(good.requests).toContainEqual({host: 'mta-sts.good.test', path: '/.well-known/mta-sts.txt'})
  })

  it('makes a mismatch a warning in testing mode and no finding in mode none', async () => {
    const testing = await checkMtaSts('testing.test', ['mx.testing.test', 'mx.other.test'], options('testing.test'))
    expect(testing.info.mode).toBe('testing')
    expect(testing.findings.map((f) => [f.code, f.severity, f.subject])).toEqual([['MTA_STS_MX_MISMATCH', 'warning', 'mx.other.test']])
    const none = await checkMtaSts('none.test', ['mx.none.test'], options('none.test'))
    expect(none.info.mode).toBe('none')
    expect(none.info.mx[0].covered).toBe(false)
    expect(none.findings).toEqual([])
  })

  it('refuses to follow a redirect', async () => {
    const before = good.requests.length
    const {info, findings} = await checkMtaSts('redirect.test', ['mx1.good.test'], options('redirect.test'))
    expect(info.fetch?.ok).toBe(false)
    expect(info.fetch?.status).toBe(301)
    expect(info.fetch?.error).toMatch(/redirect to https:\/\/mta-sts\.good\.test.*do not follow/)
    expect(info.policy).toBeNull()
    expect(codes(findings)).toEqual(['MTA_STS_POLICY_UNAVAILABLE'])
    // Exactly one request: the redirect's target was never asked for.
    expect(good.requests.slice(before)).toEqual([{host: 'mta-sts.redirect.test', path: '/.well-known/mta-sts.txt'}])
  })

  it('refuses a self-signed certificate, one for another name, and one from a CA not trusted', async () => {
    const self = await checkMtaSts('selfsigned.test', ['mx.selfsigned.test'], options('selfsigned.test'))
    expect(codes(self.findings)).toEqual(['MTA_STS_POLICY_UNAVAILABLE'])
    expect(self.info.fetch?.error).toMatch(/certificate of mta-sts\.selfsigned\.test is not trusted/)
    const wrong = await checkMtaSts('wrongname.test', ['mx.wrongname.test'], options('wrongname.test'))
    expect(codes(wrong.findings)).toEqual(['MTA_STS_POLICY_UNAVAILABLE'])
    expect(wrong.info.fetch?.error).toMatch(/does not name it/)
    // The same server and policy as good.test, but without the test CA in the trust store.
    const untrusted = await checkMtaSts('untrusted.test', ['mx1.good.test'], options('untrusted.test', {ca: undefined}))
    expect(untrusted.info.fetch?.error).toMatch(/not trusted/)
    expect(untrusted.info.policy).toBeNull()
  })

  it('refuses a policy over 64 KiB, declared or streamed', async () => {
    const big = await checkMtaSts('big.test', ['filler.big.test'], options('big.test'))
    expect(big.info.fetch?.error).toMatch(/more than 65536/)
    expect(codes(big.findings)).toEqual(['MTA_STS_POLICY_UNAVAILABLE'])
    const chunked = await checkMtaSts('chunked.test', ['mx.chunked.test'], options('chunked.test'))
    expect(chunked.info.fetch?.error).toMatch(/more than 65536 bytes/)
  })

  it('reports an invalid policy, a 404 and a server that never answers as unavailable', async () => {
    const invalid = await checkMtaSts('invalid.test', ['mx.invalid.test'], options('invalid.test'))
    expect(invalid.info.fetch?.error).toMatch(/invalid: mode "strict"/)
    expect(codes(invalid.findings)).toEqual(['MTA_STS_POLICY_UNAVAILABLE'])
    const missing = await checkMtaSts('notfound.test', ['mx.notfound.test'], options('notfound.test'))
    expect(missing.info.fetch).toMatchObject({ok: false, status: 404})
    const started = performance.now()
    const slow = await checkMtaSts('slow.test', ['mx.slow.test'], options('slow.test', {timeoutMs: 400}))
    expect(slow.info.fetch?.error).toMatch(/no response from mta-sts\.slow\.test within 400 ms/)
    expect(performance.now() - started).toBeLessThan(1500)
  })

  it('notes a policy served as something other than text/plain but still uses it', async () => {
    const {info, findings} = await checkMtaSts('html.test', ['mx.html.test'], options('html.test'))
    expect(info.policy?.mode).toBe('enforce')
    expect(info.notes).toEqual([expect.stringMatching(/text\/html, not text\/plain/)])
    expect(findings).toEqual([])
  })

  it('reports no record (info), a malformed or doubled record, and a DNS failure', async () => {
    const none = await checkMtaSts('nosts.test', ['mx.nosts.test'], options('nosts.test'))
    expect(none.findings.map((f) => [f.code, f.severity])).toEqual([['MTA_STS_MISSING', 'info']])
    expect(none.info.fetch).toBeNull()
    expect(codes((await checkMtaSts('twice.test', [], options('twice.test'))).findings)).toEqual(['MTA_STS_RECORD_INVALID'])
    const bad = await checkMtaSts('badrecord.test', [], options('badrecord.test'))
    expect(codes(bad.findings)).toEqual(['MTA_STS_RECORD_INVALID'])
    expect(bad.info.fetch).toBeNull()
    expect(codes((await checkMtaSts('broken.test', [], options('broken.test'))).findings)).toEqual(['DNS_SERVFAIL'])
  })
})
