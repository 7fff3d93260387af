import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {verifyMessage} from '../../../src/lib/dkim/verify.js'
import {arcVerificationSchema, dkimSignatureSchema} from '../../../src/lib/dkim/schema.js'
import {HeaderInputError} from '../../../src/lib/headers/message.js'
import {arcSeal, ed25519KeyPair, PLAIN_MESSAGE, rsaKeyPair, signMessage} from '../../fixtures/dkim.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone} from '../policy/zone.js'

const rsa = rsaKeyPair(2048)
const ed = ed25519KeyPair()
const arcKey = rsaKeyPair(2048)
const sign = (raw: string, selector: string, extra: Partial<Parameters<typeof signMessage>[1]> = {}) =>
  signMessage(raw, {domain: 'signed.test', selector, privateKey: selector === 'ed' ? ed.privateKey : rsa.privateKey, ...extra})

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.232', {
    'rsa._domainkey.signed.test': {TXT: [rsa.record]},
    'ed._domainkey.signed.test': {TXT: [ed.record]},
    'gone._domainkey.signed.test': {TXT: ['v=DKIM1; k=rsa; p=']},
    'fail._domainkey.signed.test': {rcode: 'SERVFAIL'},
    'arc._domainkey.forwarder.test': {TXT: [arcKey.record]},
  }))
})
afterAll(() => dns.close())

const codes = (findings: {code: string; severity: string}[]) => findings.map((f) => [f.code, f.severity])

describe('verifyMessage: DKIM signatures', () => {
  it('passes an RSA and an Ed25519 signature, with their keys and alignment', async () => {
    const message = await sign(await sign(PLAIN_MESSAGE, 'rsa'), 'ed', {algorithm: 'ed25519-sha256'})
    const result = await verifyMessage(Buffer.from(message), resolver())
    expect(result.fromDomain).toBe('signed.test')
    for (const s of result.signatures) expect(dkimSignatureSchema.parse(s)).toEqual(s)
    expect(result.signatures).toEqual([
      expect.objectContaining({index: 1, domain: 'signed.test', selector: 'ed', algorithm: 'ed25519-sha256', result: 'pass', reason: null, bodyHash: 'match', aligned: true}),
      expect.objectContaining({index: 2, selector: 'rsa', algorithm: 'rsa-sha256', result: 'pass', keyBits: 2048, bodyLengthLimit: null}),
    ])
    expect(result.keys).toEqual([{selector: 'ed', domain: 'signed.test'}, {selector: 'rsa', domain: 'signed.test'}])
    expect(result.arc.result).toBe('none')
    expect(result.findings).toEqual([])
  })

  it('fails a changed body (body hash) and a changed signed header (signature), each with its reason', async () => {
    const signed = await sign(PLAIN_MESSAGE, 'rsa')
    const body = await verifyMessage(Buffer.from(signed.replace('A body to hash.', 'A body changed.')), resolver())
    expect(body.signatures[0]).toMatchObject({result: 'fail', bodyHash: 'mismatch', reason: expect.stringMatching(/body hash/)})
    const header = await verifyMessage(Buffer.from(signed.replace('Subject: signed by', 'Subject: changed by')), resolver())
    expect(header.signatures[0]).toMatchObject({result: 'fail', bodyHash: 'match', reason: expect.stringMatching(/signed header fields/)})
    expect(codes(header.findings)).toEqual([['DKIM_SIGNATURE_FAILED', 'error']])
  })

  it('tells a missing, a revoked key and a failed lookup apart', async () => {
    const missing = await verifyMessage(Buffer.from(await sign(PLAIN_MESSAGE, 'nothere')), resolver())
    expect(missing.signatures[0]).toMatchObject({result: 'permerror', reason: 'no key at nothere._domainkey.signed.test'})
    const revoked = await verifyMessage(Buffer.from(await sign(PLAIN_MESSAGE, 'gone')), resolver())
    expect(revoked.signatures[0]).toMatchObject({result: 'permerror', reason: expect.stringMatching(/revoked/)})
    const failed = await verifyMessage(Buffer.from(await sign(PLAIN_MESSAGE, 'fail')), resolver())
    expect(failed.signatures[0]).toMatchObject({result: 'temperror', reason: expect.stringMatching(/could not be read: lookup failed: SERVFAIL/)})
    expect(codes(failed.findings)).toEqual([['DKIM_SIGNATURE_FAILED', 'warning']])
  })

  it('fails an expired signature and refuses rsa-sha1 (RFC 8301)', async () => {
    const expired = await sign(PLAIN_MESSAGE, 'rsa', {signTime: new Date('2026-01-01T00:00:00Z'), expires: new Date('2026-01-02T00:00:00Z')})
    const result = await verifyMessage(Buffer.from(expired), resolver(), {now: new Date('2026-06-01T00:00:00Z')})
    expect(result.signatures[0]).toMatchObject({result: 'fail', reason: expect.stringMatching(/expired at 2026-01-02/), expiresAt: '2026-01-02T00:00:00.000Z'})
    const sha1 = await verifyMessage(Buffer.from(await sign(PLAIN_MESSAGE, 'rsa', {algorithm: 'rsa-sha1'})), resolver())
    expect(sha1.signatures[0]).toMatchObject({algorithm: 'rsa-sha1', result: 'permerror', reason: expect.stringMatching(/RFC 8301/)})
  })

  it('reports l= and the body bytes it leaves unsigned, without printing anything', async () => {
    const limited = await sign(PLAIN_MESSAGE, 'rsa', {maxBodyLength: 6})
    const appended = `${limited}Appended by someone else.\r\n`
    const writes: unknown[] = []
    const log = console.log
    console.log = (...args: unknown[]) => void writes.push(args)
    let result
    try {
      result = await verifyMessage(Buffer.from(appended), resolver())
    } finally {
      console.log = log
    }
    expect(writes).toEqual([])
    expect(result.signatures[0]).toMatchObject({result: 'pass', bodyLengthLimit: 6, unsignedBodyBytes: expect.any(Number)})
    expect(result.signatures[0].unsignedBodyBytes).toBeGreaterThan(20)
    expect(codes(result.findings)).toEqual([['DKIM_BODY_LENGTH_LIMIT', 'warning']])
  })

  it('says an unsigned message is unsigned, and refuses what is not a message (a usage error)', async () => {
    const unsigned = await verifyMessage(Buffer.from(PLAIN_MESSAGE), resolver())
    expect(unsigned.signatures).toEqual([])
    expect(codes(unsigned.findings)).toEqual([['DKIM_UNSIGNED', 'warning']])
    await expect(verifyMessage(Buffer.from([0, 1, 2, 0, 255, 0]), resolver())).rejects.toBeInstanceOf(HeaderInputError)
  })
})

describe('verifyMessage: ARC (RFC 8617)', () => {
  const seal = (raw: string, i: number, cv: 'none' | 'pass') =>
    arcSeal(raw, {domain: 'forwarder.test', selector: 'arc', privateKey: arcKey.privateKey, i, cv, authResults: `forwarder.test; dkim=pass header.d=signed.test; spf=pass smtp.mailfrom=signed.test`})

  it('validates a chain of two sets', async () => {
    const sealed = await seal(await seal(await sign(PLAIN_MESSAGE, 'rsa'), 1, 'none'), 2, 'pass')
    const result = await verifyMessage(Buffer.from(sealed), resolver())
    expect(arcVerificationSchema.parse(result.arc)).toEqual(result.arc)
    expect(result.arc).toMatchObject({result: 'pass', instances: 2, reason: null})
    expect(result.arc.sealers).toEqual([
      {i: 1, domain: 'forwarder.test', selector: 'arc', cv: 'none'},
      {i: 2, domain: 'forwarder.test', selector: 'arc', cv: 'pass'},
    ])
    expect(result.signatures[0].result).toBe('pass')
  })

  it('fails a chain whose sealed content changed, and one whose sealing key is gone', async () => {
    const sealed = await seal(await sign(PLAIN_MESSAGE, 'rsa'), 1, 'none')
    const changed = await verifyMessage(Buffer.from(sealed.replace('Subject: signed by', 'Subject: changed by')), resolver())
    expect(changed.arc.result).toBe('fail')
    expect(changed.arc.reason).toBeTruthy()
    expect(codes(changed.findings)).toContainEqual(['ARC_SEAL_FAILED', 'warning'])
    const noKey = await verifyMessage(Buffer.from(sealed.replaceAll('s=arc;', 's=nokey;')), resolver())
    expect(noKey.arc).toMatchObject({result: 'fail', reason: expect.stringMatching(/nokey\._domainkey\.forwarder\.test/)})
  })
})

describe('the harness\'s signer', () => {
  // mailauth's signer, when not given a signing time, reads the clock once for the field it signs and once for the
  // field it writes, each rounded to the second: a clock that crosses a half second between the two reads made a
  // signature that fails (1 in about 150 in the test world, enough to fail CI). signMessage and arcSeal give the time.
  it('signs and seals with one signing time, even when the clock crosses a half second between mailauth\'s reads', async () => {
    // Each signer's first read of the clock is just before x.5 s, every later one just after.
    let reads = 0
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => (reads++ === 0 ? 1_796_207_310_499 : 1_796_207_310_501))
    try {
      const signed = await sign(PLAIN_MESSAGE, 'rsa')
      reads = 0
      const sealed = await arcSeal(signed, {domain: 'forwarder.test', selector: 'arc', privateKey: arcKey.privateKey, i: 1, cv: 'none', authResults: 'forwarder.test; dkim=pass header.d=signed.test'})
      expect(clock).toHaveBeenCalled()
      clock.mockRestore()
      const result = await verifyMessage(Buffer.from(sealed), resolver())
      expect(result.signatures.map((s) => s.result)).toEqual(['pass'])
      expect(result.arc).toMatchObject({result: 'pass', instances: 1})
    } finally {
      clock.mockRestore()
    }
  })
})
