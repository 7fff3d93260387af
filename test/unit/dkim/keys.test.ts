import {generateKeyPairSync} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {checkDkimKeys, COMMON_SELECTORS, parseDkimKeyRecord, selectorProblem} from '../../../src/lib/dkim/keys.js'
import {dkimSelectorSchema} from '../../../src/lib/dkim/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone} from '../policy/zone.js'

/** The base64 public key of a DKIM record: SubjectPublicKeyInfo for RSA, the bare 32 bytes for Ed25519 (RFC 8463). */
function rsaKey(bits: number): string {
  return generateKeyPairSync('rsa', {modulusLength: bits}).publicKey.export({type: 'spki', format: 'der'}).toString('base64')
}
const RSA2048 = rsaKey(2048)
const RSA1024 = rsaKey(1024)
const RSA768 = rsaKey(768)
const ED25519 = generateKeyPairSync('ed25519').publicKey.export({type: 'spki', format: 'der'}).subarray(-32).toString('base64')
const PKCS1 = Buffer.from(generateKeyPairSync('rsa', {modulusLength: 2048}).publicKey.export({type: 'pkcs1', format: 'der'})).toString('base64')

describe('parseDkimKeyRecord (RFC 6376 §3.6.1)', () => {
  it('reads an RSA key, its size and flags', () => {
    expect(parseDkimKeyRecord(`v=DKIM1; k=rsa; t=y:s; h=sha256; p=${RSA2048}`)).toEqual({
      ok: true,
      key: {keyType: 'rsa', keyBits: 2048, revoked: false, testing: true, strict: true, hashes: ['sha256'], services: ['*'], problems: []},
    })
    // p= folded with white space, as long TXT values often are; PKCS#1 instead of SubjectPublicKeyInfo.
    const folded = parseDkimKeyRecord(`p=${RSA1024.slice(0, 100)} ${RSA1024.slice(100)}`)
    expect(folded.ok && folded.key.keyBits).toBe(1024)
    expect(parseDkimKeyRecord(`v=DKIM1; p=${PKCS1}`)).toMatchObject({ok: true, key: {keyBits: 2048}})
  })

  it('reads an Ed25519 key (RFC 8463)', () => {
    expect(parseDkimKeyRecord(`v=DKIM1; k=ed25519; p=${ED25519}`)).toMatchObject({ok: true, key: {keyType: 'ed25519', keyBits: 256}})
    expect(parseDkimKeyRecord(`v=DKIM1; k=ed25519; p=${RSA1024}`)).toMatchObject({ok: false, error: expect.stringMatching(/32 bytes/)})
  })

  it('reads an empty p= as a revoked key, not a malformed record', () => {
    expect(parseDkimKeyRecord('v=DKIM1; k=rsa; p=')).toMatchObject({ok: true, key: {revoked: true, keyBits: null}})
  })

  it('names the problems of a key that verifiers refuse: under 1024 bits, SHA-1 only, not for email', () => {
    const short = parseDkimKeyRecord(`v=DKIM1; p=${RSA768}`)
    expect(short.ok && short.key.problems).toEqual([expect.stringMatching(/768 bits.*1024/)])
    const sha1 = parseDkimKeyRecord(`v=DKIM1; h=sha1; s=*; p=${RSA2048}`)
    expect(sha1.ok && sha1.key.problems).toEqual([expect.stringMatching(/SHA-256/)])
    const service = parseDkimKeyRecord(`v=DKIM1; s=other; p=${RSA2048}`)
    expect(service.ok && service.key.problems).toEqual([expect.stringMatching(/not for email/)])
  })

  it.each([
    ['v=DKIM2; p=abc', /v=DKIM2 is not DKIM1/],
    [`k=rsa; v=DKIM1; p=${RSA2048}`, /v= must be the first tag/],
    ['v=DKIM1; k=dsa; p=abc', /unknown key type/],
    ['v=DKIM1; k=rsa', /no p= tag/],
    ['v=DKIM1; p=not*base64', /not base64/],
    ['v=DKIM1; p=AAAA', /not an RSA public key/],
    [`v=DKIM1; p=${RSA2048}; p=${RSA2048}`, /appears twice/],
    ['v=DKIM1;; p=x', /empty tag/],
    [`v=DKIM1; k=rsa; p=${ED25519}`, /not an RSA public key/],
  ])('refuses %s', (text, error) => {
    const parsed = parseDkimKeyRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

describe('selectorProblem', () => {
  it('accepts selectors as signers write them and refuses the rest', () => {
    for (const ok of ['default', 's1', 'selector1-example-com', '2024.q1', 'mail_key']) expect(selectorProblem(ok), ok).toBeUndefined()
    expect(selectorProblem('a b')).toMatch(/white space/)
    expect(selectorProblem('')).toMatch(/empty/)
    expect(selectorProblem('a..b')).toMatch(/empty label/)
    expect(selectorProblem('x'.repeat(64))).toMatch(/64 characters/)
    expect(selectorProblem('a/b')).toMatch(/letters, digits/)
  })
})

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.231', {
    'good._domainkey.keys.test': {TXT: [`v=DKIM1; k=rsa; p=${RSA2048}`]},
    'old._domainkey.keys.test': {TXT: [`v=DKIM1; k=rsa; p=${RSA1024}`]},
    'tiny._domainkey.keys.test': {TXT: [`v=DKIM1; k=rsa; p=${RSA768}`]},
    'gone._domainkey.keys.test': {TXT: ['v=DKIM1; k=rsa; p=']},
    'trial._domainkey.keys.test': {TXT: [`v=DKIM1; t=y; p=${RSA2048}`]},
    'ed._domainkey.keys.test': {TXT: [`v=DKIM1; k=ed25519; p=${ED25519}`]},
    'broken._domainkey.keys.test': {TXT: ['v=DKIM1; k=rsa; p=AAAA']},
    'fail._domainkey.keys.test': {rcode: 'SERVFAIL'},
    '_domainkey.keys.test': {TXT: []},
    // Guessing: one domain has a key under a common selector, one under another, one has none at all.
    'selector1._domainkey.guess.test': {TXT: [`v=DKIM1; p=${RSA2048}`]},
    '_domainkey.guess.test': {TXT: []},
    'custom._domainkey.hidden.test': {TXT: [`v=DKIM1; p=${RSA2048}`]},
    '_domainkey.hidden.test': {TXT: []},
    '_domainkey.slow.test': {rcode: 'SERVFAIL'},
  }))
})
afterAll(() => dns.close())

describe('checkDkimKeys', () => {
  it('judges each named selector: found, weak, too short, revoked, testing, ed25519, invalid, absent, unknown', async () => {
    const names = ['good', 'old', 'tiny', 'gone', 'trial', 'ed', 'broken', 'nothere', 'fail']
    const result = await checkDkimKeys('Keys.test.', resolver(), {selectors: names.map((selector) => ({selector, source: 'flag' as const}))})
    expect(result.guessed).toBe(false)
    expect(result.domainKey).toBeNull()
    for (const key of result.selectors) expect(dkimSelectorSchema.parse(key)).toEqual(key)
    const by = Object.fromEntries(result.selectors.map((k) => [k.selector, k]))
    expect(by.good).toMatchObject({status: 'found', keyType: 'rsa', keyBits: 2048, testing: false, revoked: false, name: 'good._domainkey.keys.test', source: 'flag'})
    expect(by.old).toMatchObject({status: 'found', keyBits: 1024})
    expect(by.tiny).toMatchObject({status: 'invalid', keyBits: 768})
    expect(by.gone).toMatchObject({status: 'revoked', revoked: true, keyBits: null})
    expect(by.trial).toMatchObject({status: 'found', testing: true})
    expect(by.ed).toMatchObject({status: 'found', keyType: 'ed25519', keyBits: 256})
    expect(by.broken).toMatchObject({status: 'invalid', problems: [expect.stringMatching(/not an RSA public key/)]})
    expect(by.nothere).toMatchObject({status: 'absent', record: null})
    expect(by.fail).toMatchObject({status: 'unknown', lookupError: expect.stringMatching(/SERVFAIL/)})
    expect(result.findings.map((f) => [f.code, f.severity, f.subject])).toEqual([
      ['DKIM_KEY_WEAK', 'warning', 'old._domainkey.keys.test'],
      ['DKIM_KEY_TOO_SHORT', 'error', 'tiny._domainkey.keys.test'],
      ['DKIM_KEY_REVOKED', 'warning', 'gone._domainkey.keys.test'],
      ['DKIM_KEY_TESTING', 'warning', 'trial._domainkey.keys.test'],
      ['DKIM_KEY_INVALID', 'error', 'broken._domainkey.keys.test'],
      ['DKIM_KEY_MISSING', 'error', 'nothere._domainkey.keys.test'],
      ['DNS_SERVFAIL', 'error', 'fail._domainkey.keys.test'],
    ])
  })

  it('a revoked key that a message signed with is an error', async () => {
    const result = await checkDkimKeys('keys.test', resolver(), {selectors: [{selector: 'gone', source: 'message'}]})
    expect(result.findings.map((f) => [f.code, f.severity])).toEqual([['DKIM_KEY_REVOKED', 'error']])
  })

  it('guesses the common selectors and shows only the keys found, with what was tried', async () => {
    const result = await checkDkimKeys('guess.test', resolver())
    expect(result.guessed).toBe(true)
    expect(result.tried).toEqual([...COMMON_SELECTORS])
    expect(result.selectors).toEqual([expect.objectContaining({selector: 'selector1', status: 'found', source: 'guess'})])
    expect(result.findings).toEqual([])
  })

  it('never claims "no DKIM" from a guess: NOERROR at _domainkey means keys may exist elsewhere', async () => {
    const hidden = await checkDkimKeys('hidden.test', resolver())
    expect(hidden.selectors).toEqual([])
    expect(hidden.domainKey).toEqual({name: '_domainkey.hidden.test', status: 'exists', rcode: 'NOERROR'})
    expect(hidden.findings.map((f) => [f.code, f.severity])).toEqual([['DKIM_SELECTOR_NOT_FOUND', 'info']])
    expect(hidden.findings[0].message).toMatch(/tried default, dkim, mail, selector1/)
    expect(hidden.findings[0].message).toMatch(/may be published under other selectors/)
  })

  it('says no key can exist only when _domainkey.<domain> is NXDOMAIN, and concludes nothing when it failed', async () => {
    const none = await checkDkimKeys('nothing.test', resolver())
    expect(none.domainKey?.status).toBe('nxdomain')
    expect(none.findings.map((f) => [f.code, f.severity])).toEqual([['DKIM_NO_KEYS', 'warning']])
    const slow = await checkDkimKeys('slow.test', resolver())
    expect(slow.domainKey?.status).toBe('unknown')
    expect(slow.findings.map((f) => f.code)).toEqual(['DNS_SERVFAIL'])
    expect(slow.findings.map((f) => f.code)).not.toContain('DKIM_NO_KEYS')
  })
})
