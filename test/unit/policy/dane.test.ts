import {execFileSync} from 'node:child_process'
import {join} from 'node:path'
import {createServer, type Server, type TLSSocket} from 'node:tls'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {Connection} from '../../../src/lib/net/connection.js'
import {certificateNamesHost, checkDane, daneSenders, tlsaMatches, tlsaProblem} from '../../../src/lib/policy/dane.js'
import {daneInfoSchema} from '../../../src/lib/policy/schema.js'
import {inspectTls, type TlsInfo} from '../../../src/lib/tls/inspect.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {createTestPki, type TestPki} from '../../fixtures/test-pki.js'
import {startZone, type Zone} from './zone.js'
import {netContext} from '../../../src/lib/net/context.js'

const TLS_HOST = '127.0.1.218'
let pki: TestPki
let server: Server
let tls: TlsInfo
let dns: FakeDns
let resolver: () => DnsResolver

/** The hashes computed by the openssl CLI, independently of the code under test. */
function openssl(file: string) {
  const run = (args: string[], input?: Buffer) => execFileSync('openssl', args, {input, stdio: ['pipe', 'pipe', 'pipe']})
  const der = run(['x509', '-in', file, '-outform', 'DER'])
  const spki = run(['pkey', '-pubin', '-outform', 'DER'], run(['x509', '-in', file, '-pubkey', '-noout']))
  const digest = (alg: string, data: Buffer) => run(['dgst', `-${alg}`, '-r'], data).toString().split(' ')[0]
  return {der: der.toString('hex'), spkiDer: spki.toString('hex'), certSha256: digest('sha256', der), certSha512: digest('sha512', der), spkiSha256: digest('sha256', spki), spkiSha512: digest('sha512', spki)}
}

let leaf: ReturnType<typeof openssl>
let ca: ReturnType<typeof openssl>

beforeAll(async () => {
  pki = createTestPki({names: ['mx.dane.test']})
  leaf = openssl(join(pki.dir, 'leaf.pem'))
  ca = openssl(join(pki.dir, 'ca.pem'))
  // The server sends its chain (leaf, then the CA), as RFC 7671 §5.2.2 asks of DANE-TA servers.
  server = createServer({key: pki.leaf.key, cert: pki.leaf.cert + pki.ca.cert}, (socket) => {
    socket.on('error', () => undefined)
    socket.end('220 ok\r\n')
  })
  server.on('tlsClientError', () => undefined)
  await new Promise<void>((resolve) => server.listen(0, TLS_HOST, resolve))
  const connection = await Connection.open({host: 'mx.dane.test', port: (server.address() as {port: number}).port, address: TLS_HOST, net: netContext({timeoutMs: 3000, ca: pki.ca.cert}), tls: true})
  tls = inspectTls(connection.tlsSocket as TLSSocket, {hostname: 'mx.dane.test'}).tls
  await connection.close()

  const tlsa = (usage: number, selector: number, matchingType: number, data: string) => ({usage, selector, matchingType, data})
  const zone: Zone = {
    '_25._tcp.ee.test': {ad: true, TLSA: [tlsa(3, 1, 1, 'ab'.repeat(32)), tlsa(3, 1, 1, leaf.spkiSha256)]},
    '_25._tcp.ee512.test': {ad: true, TLSA: [tlsa(3, 0, 2, leaf.certSha512)]},
    '_25._tcp.full.test': {ad: true, TLSA: [tlsa(3, 0, 0, leaf.der)]},
    '_25._tcp.fullspki.test': {ad: true, TLSA: [tlsa(3, 1, 0, leaf.spkiDer)]},
    '_25._tcp.mismatch.test': {ad: true, TLSA: [tlsa(3, 1, 1, 'cd'.repeat(32)), tlsa(3, 0, 1, ca.certSha256)]},
    '_25._tcp.unsigned.test': {ad: false, TLSA: [tlsa(3, 1, 1, leaf.spkiSha256)]},
    '_25._tcp.pkix.test': {ad: true, TLSA: [tlsa(1, 1, 1, leaf.spkiSha256), tlsa(3, 1, 1, 'abcd')]},
    '_25._tcp.ta.test': {ad: true, TLSA: [tlsa(2, 1, 1, ca.spkiSha256)]},
    '_25._tcp.mx.dane.test': {ad: true, TLSA: [tlsa(2, 1, 1, ca.spkiSha256)]},
    '_25._tcp.alias.test': {ad: true, TLSA: [tlsa(3, 1, 1, 'ab'.repeat(32))]},
    '_25._tcp.lonealias.test': {ad: true, TLSA: [tlsa(2, 0, 1, ca.certSha256)]},
    '_25._tcp.tawrong.test': {ad: true, TLSA: [tlsa(2, 1, 1, leaf.spkiSha256), tlsa(2, 0, 1, 'ef'.repeat(32))]},
    '_25._tcp.broken.test': {rcode: 'SERVFAIL'},
    '_465._tcp.ee.test': {ad: true, TLSA: [tlsa(3, 1, 2, leaf.spkiSha512)]},
  }
  ;({dns, resolver} = await startZone('127.0.1.217', zone))
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await dns?.close()
  pki?.cleanup()
})

describe('inspectTls: the DANE hashes of the presented certificates', () => {
  it('match what openssl computes, for the leaf and the chain', () => {
    expect(tls.certificate?.dane).toEqual({certSha256: leaf.certSha256, certSha512: leaf.certSha512, spkiSha256: leaf.spkiSha256, spkiSha512: leaf.spkiSha512})
    expect(tls.chain.map((c) => c.dane.spkiSha256)).toEqual([leaf.spkiSha256, ca.spkiSha256])
    expect(tls.chain.map((c) => c.signedByNext)).toEqual([true, null])
    // fingerprint256 and certSha256 are the same digest, written differently.
    expect(tls.certificate?.fingerprint256.replace(/:/g, '').toLowerCase()).toBe(leaf.certSha256)
  })
})

describe('tlsaProblem and tlsaMatches (RFC 6698 §2.1, RFC 7672 §3.1.3)', () => {
  const hashes = () => tls.certificate!.dane
  it('accepts DANE-TA and DANE-EE records with known selectors and matching types', () => {
    expect(tlsaProblem({usage: 3, selector: 1, matchingType: 1, data: 'AB'.repeat(32)})).toBeUndefined()
    expect(tlsaProblem({usage: 2, selector: 0, matchingType: 2, data: 'ab'.repeat(64)})).toBeUndefined()
    expect(tlsaProblem({usage: 3, selector: 0, matchingType: 0, data: 'abcd'})).toBeUndefined()
  })
  it.each([
    [{usage: 0, selector: 1, matchingType: 1, data: 'ab'.repeat(32)}, /PKIX-TA.*not used for SMTP/],
    [{usage: 1, selector: 1, matchingType: 1, data: 'ab'.repeat(32)}, /PKIX-EE/],
    [{usage: 4, selector: 1, matchingType: 1, data: 'ab'.repeat(32)}, /usage 4 is unknown/],
    [{usage: 3, selector: 2, matchingType: 1, data: 'ab'.repeat(32)}, /selector 2/],
    [{usage: 3, selector: 1, matchingType: 3, data: 'ab'.repeat(32)}, /matching type 3/],
    [{usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(31)}, /32 bytes, this one 31/],
    [{usage: 3, selector: 1, matchingType: 2, data: 'ab'.repeat(32)}, /64 bytes/],
    [{usage: 3, selector: 1, matchingType: 0, data: ''}, /empty/],
  ])('finds %j unusable', (record, problem) => {
    expect(tlsaProblem(record)).toMatch(problem)
  })
  it('matches each selector and matching type against the right hash, full DER included', () => {
    expect(tlsaMatches({selector: 1, matchingType: 1, data: leaf.spkiSha256.toUpperCase()}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 0, matchingType: 1, data: leaf.spkiSha256}, hashes())).toBe(false)
    expect(tlsaMatches({selector: 0, matchingType: 1, data: leaf.certSha256}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 0, matchingType: 2, data: leaf.certSha512}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 1, matchingType: 2, data: leaf.spkiSha512}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 0, matchingType: 0, data: leaf.der}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 1, matchingType: 0, data: leaf.spkiDer}, hashes())).toBe(true)
    expect(tlsaMatches({selector: 1, matchingType: 0, data: leaf.der}, hashes())).toBe(false)
  })
})

describe('checkDane', () => {
  const codes = (findings: {code: string}[]) => findings.map((f) => f.code)

  it('matches a DANE-EE SPKI SHA-256 record when the answer is authenticated', async () => {
    const {info, findings} = await checkDane('ee.test', 25, tls.certificate, resolver(), {chain: tls.chain})
    expect(daneInfoSchema.parse(info)).toEqual(info)
    expect(info.name).toBe('_25._tcp.ee.test')
    expect(info.authenticated).toBe(true)
    expect(info.usable).toBe(true)
    expect(info.status).toBe('matched')
    expect(info.matched).toEqual({usage: 3, selector: 1, matchingType: 1, certificate: 'leaf', subject: 'CN=mx.dane.test'})
    expect(info.records.map((r) => r.matched)).toEqual([false, true])
    expect(findings).toEqual([])
  })

  it('matches SHA-512 and full-DER records, and asks the port given', async () => {
    expect((await checkDane('ee512.test', 25, tls.certificate, resolver())).info.status).toBe('matched')
    expect((await checkDane('full.test', 25, tls.certificate, resolver())).info.status).toBe('matched')
    expect((await checkDane('fullspki.test', 25, tls.certificate, resolver())).info.status).toBe('matched')
    const submission = await checkDane('ee.test', 465, tls.certificate, resolver())
    expect(submission.info.name).toBe('_465._tcp.ee.test')
    expect(submission.info.matched?.matchingType).toBe(2)
  })

  it('reports DANE_TLSA_MISMATCH when no usable record matches', async () => {
    const {info, findings} = await checkDane('mismatch.test', 25, tls.certificate, resolver(), {chain: tls.chain})
    expect(info.status).toBe('mismatch')
    expect(info.records.map((r) => r.matched)).toEqual([false, false])
    expect(findings.map((f) => [f.code, f.severity, f.subject])).toEqual([['DANE_TLSA_MISMATCH', 'error', 'mismatch.test']])
  })

  it('does not use records the resolver did not validate', async () => {
    const {info, findings} = await checkDane('unsigned.test', 25, tls.certificate, resolver())
    expect(info.authenticated).toBe(false)
    expect(info.usable).toBe(false)
    expect(info.status).toBe('unauthenticated')
    expect(info.reason).toBe('the resolver did not validate (no AD bit)')
    expect(info.records).toHaveLength(1)
    expect(info.records[0].matched).toBeNull()
    expect(codes(findings)).toEqual(['DANE_UNAUTHENTICATED'])
  })

  it('says DANE is not published when there is no TLSA record', async () => {
    const {info, findings} = await checkDane('nothing.test', 25, tls.certificate, resolver())
    expect(info.status).toBe('not-published')
    expect(info.usable).toBe(false)
    expect(info.records).toEqual([])
    expect(findings).toEqual([])
  })

  it('reports only PKIX usages and malformed records as unusable', async () => {
    const {info, findings} = await checkDane('pkix.test', 25, tls.certificate, resolver())
    expect(info.status).toBe('unusable')
    expect(info.records.map((r) => r.usable)).toEqual([false, false])
    expect(codes(findings)).toEqual(['DANE_TLSA_UNUSABLE'])
  })

  it('matches DANE-TA against the issuer in the presented chain when the certificate names the host, and leaves it unchecked without the chain', async () => {
    const ta = await checkDane('mx.dane.test', 25, tls.certificate, resolver(), {chain: tls.chain})
    expect(ta.info.status).toBe('matched')
    expect(ta.info.matched).toEqual({usage: 2, selector: 1, matchingType: 1, certificate: 'chain', subject: 'CN=maildig test CA'})
    expect([ta.info.applies, ta.info.senders]).toEqual([true, 'deliver'])
    expect(ta.findings).toEqual([])
    const without = await checkDane('mx.dane.test', 25, tls.certificate, resolver())
    expect(without.info.status).toBe('not-checked')
    expect(without.info.records[0].note).toMatch(/needs the presented chain/)
    expect(without.findings).toEqual([])
    // The issuer must have signed the certificate below it: a CA certificate merely appended to the chain is no match.
    const forged = await checkDane('mx.dane.test', 25, tls.certificate, resolver(), {chain: tls.chain.map((c) => ({...c, signedByNext: c.signedByNext === null ? null : false}))})
    expect(forged.info.status).toBe('mismatch')
    expect(forged.info.records[0].note).toMatch(/not signed by it/)
    // A DANE-TA record naming the leaf's own key is not an issuer: no match.
    const wrong = await checkDane('tawrong.test', 25, tls.certificate, resolver(), {chain: tls.chain})
    expect(wrong.info.status).toBe('mismatch')
    expect(codes(wrong.findings)).toEqual(['DANE_TLSA_MISMATCH'])
  })

  it('checks the name with DANE-TA (RFC 7672 §3.2.2): the issuer matches, but the certificate names mx.dane.test, not ta.test', async () => {
    const {info, findings} = await checkDane('ta.test', 25, tls.certificate, resolver(), {chain: tls.chain})
    expect(info.status).toBe('name-mismatch')
    expect(info.senders).toBe('skip')
    expect(info.matched).toBeNull()
    expect(info.records[0]).toMatchObject({matched: false, note: expect.stringMatching(/names neither ta\.test/)})
    expect(findings.map((f) => [f.code, f.severity])).toEqual([['DANE_NAME_MISMATCH', 'error']])
    expect(findings[0].message).toMatch(/DANE senders will not deliver to it/)
  })

  it('looks for TLSA records at the alias target first, and accepts its name as the DANE-TA reference identifier (RFC 7672 §2.2.2, §3.2.3)', async () => {
    // alias.test is an alias of mx.dane.test: the target's DANE-TA record is used, and the certificate names the target.
    const viaTarget = await checkDane('alias.test', 25, tls.certificate, resolver(), {chain: tls.chain, cname: 'mx.dane.test', addressAuthenticated: true, mxAuthenticated: true})
    expect([viaTarget.info.name, viaTarget.info.baseDomain, viaTarget.info.status]).toEqual(['_25._tcp.mx.dane.test', 'mx.dane.test', 'matched'])
    // No TLSA records at the target: the original name's, and the certificate may name the target.
    const fallback = await checkDane('lonealias.test', 25, tls.certificate, resolver(), {chain: tls.chain, cname: 'nothing.test', addressAuthenticated: true, mxAuthenticated: true})
    expect([fallback.info.name, fallback.info.baseDomain, fallback.info.status]).toEqual(['_25._tcp.lonealias.test', 'lonealias.test', 'name-mismatch'])
    // An alias chain that was not validated is not followed for TLSA records: the MX name's own are used.
    const insecureAlias = await checkDane('alias.test', 25, tls.certificate, resolver(), {chain: tls.chain, cname: 'mx.dane.test', addressAuthenticated: false})
    expect([insecureAlias.info.baseDomain, insecureAlias.info.status, insecureAlias.info.applies]).toEqual(['alias.test', 'mismatch', false])
  })

  it('does not apply DANE when the MX answer or the address answers were not validated (RFC 7672 §2.2.1, §2.2.2)', async () => {
    for (const options of [{mxAuthenticated: false, addressAuthenticated: true}, {mxAuthenticated: true, addressAuthenticated: false}]) {
      const {info, findings} = await checkDane('mismatch.test', 25, tls.certificate, resolver(), {chain: tls.chain, ...options})
      expect([info.status, info.applies, info.senders]).toEqual(['mismatch', false, 'no-dane'])
      expect(findings.map((f) => [f.code, f.severity])).toEqual([['DANE_MX_INSECURE', 'warning'], ['DANE_TLSA_MISMATCH', 'warning']])
      expect(findings[1].message).toMatch(/would not deliver to it if DANE applied/)
    }
    const secure = await checkDane('mismatch.test', 25, tls.certificate, resolver(), {chain: tls.chain, mxAuthenticated: true, addressAuthenticated: true})
    expect([secure.info.applies, secure.info.senders]).toEqual([true, 'skip'])
  })

  it('matches DANE-EE whatever the certificate names (RFC 7672 §3.1.1)', async () => {
    const {info} = await checkDane('ee.test', 25, tls.certificate, resolver(), {chain: tls.chain, mxAuthenticated: true, addressAuthenticated: true})
    expect(certificateNamesHost(tls.certificate!, ['ee.test'])).toBe(false)
    expect([info.status, info.senders]).toEqual(['matched', 'deliver'])
  })

  it('an MX that could not be reached is not a DANE failure', async () => {
    const {info, findings} = await checkDane('ee.test', 25, null, resolver(), {reached: false, mxAuthenticated: true, addressAuthenticated: true})
    expect([info.status, info.senders]).toEqual(['not-checked', 'no-dane'])
    expect(findings).toEqual([])
  })

  it('fails an MX that publishes usable TLSA records but offered no TLS', async () => {
    const {info, findings} = await checkDane('ee.test', 25, null, resolver())
    expect(info.status).toBe('no-certificate')
    expect(findings.map((f) => [f.code, f.message])).toEqual([['DANE_TLSA_MISMATCH', expect.stringMatching(/presented no certificate/)]])
  })

  it('reports a failed TLSA lookup as a DNS failure, not as "not published"', async () => {
    const {info, findings} = await checkDane('broken.test', 25, tls.certificate, resolver())
    expect(info.status).toBe('lookup-failed')
    expect(codes(findings)).toEqual(['DNS_SERVFAIL'])
    expect(findings[0].message).toMatch(/RFC 7672 §2\.2\.1/)
    expect([info.applies, info.senders, findings[0].severity]).toEqual([true, 'skip', 'error'])
    // Under an MX answer that was not validated, DANE does not apply: the failure is only a warning.
    const insecure = await checkDane('broken.test', 25, tls.certificate, resolver(), {mxAuthenticated: false, addressAuthenticated: true})
    expect([insecure.info.applies, insecure.info.senders]).toEqual([false, 'no-dane'])
    expect(insecure.findings.map((f) => [f.code, f.severity])).toEqual([['DNS_SERVFAIL', 'warning']])
    expect(insecure.findings[0].message).toMatch(/DANE does not apply anyway, as the MX answer was not validated/)
  })
})

describe('certificateNamesHost and daneSenders', () => {
  it('compares DNS names case-insensitively, a wildcard standing for one label, the CN only without DNS names', () => {
    const cert = {altNames: ['MX.Example.org', '*.pool.example.org', '192.0.2.1'], subject: 'CN=other.example.org'}
    expect(certificateNamesHost(cert, ['mx.example.org.'])).toBe(true)
    expect(certificateNamesHost(cert, ['a.pool.example.org'])).toBe(true)
    expect(certificateNamesHost(cert, ['a.b.pool.example.org'])).toBe(false)
    expect(certificateNamesHost(cert, ['pool.example.org'])).toBe(false)
    expect(certificateNamesHost(cert, ['other.example.org'])).toBe(false)
    expect(certificateNamesHost(cert, ['192.0.2.1'])).toBe(false)
    expect(certificateNamesHost({altNames: [], subject: 'O=x, CN=other.example.org'}, ['other.example.org'])).toBe(true)
    expect(certificateNamesHost(cert, ['nope.example.org', 'mx.example.org'])).toBe(true)
  })

  it('says what a DANE sender does with an MX', () => {
    expect(daneSenders({applies: false, status: 'mismatch'})).toBe('no-dane')
    expect(daneSenders({applies: true, status: 'matched'})).toBe('deliver')
    expect(daneSenders({applies: true, status: 'unusable'})).toBe('deliver')
    for (const status of ['mismatch', 'name-mismatch', 'no-certificate', 'lookup-failed'] as const) expect(daneSenders({applies: true, status})).toBe('skip')
  })
})
