import {createServer, type Server, type TLSSocket} from 'node:tls'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Connection, type TlsUpgradeOptions} from '../../../src/lib/net/connection.js'
import {inspectTls, isCertificateValid, parseAltNames} from '../../../src/lib/tls/inspect.js'
import {tlsInfoSchema} from '../../../src/lib/tls/schema.js'
import {trustedCa} from '../../../src/lib/tls/trust.js'
import {createTestPki, type TestCert, type TestPki} from '../../fixtures/test-pki.js'
import {netContext} from '../../../src/lib/net/context.js'

const HOST = '127.0.1.40'
let pki: TestPki
const servers: Server[] = []
const sniSeen: Array<string | false> = []

async function tlsServer(cert: TestCert, extra: Record<string, unknown> = {}): Promise<number> {
  const server = createServer({key: cert.key, cert: cert.cert, ...extra}, (socket) => {
    sniSeen.push((socket as TLSSocket & {servername: string | false}).servername)
    socket.on('error', () => undefined)
    socket.end('220 ok\r\n')
  })
  server.on('tlsClientError', () => undefined)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  return (server.address() as {port: number}).port
}

async function handshake(port: number, host: string, tls: TlsUpgradeOptions = {}): Promise<{connection: Connection; socket: TLSSocket}> {
  const connection = await Connection.open({host, port, address: HOST, net: netContext({timeoutMs: 3000}), tls})
  return {connection, socket: connection.tlsSocket as TLSSocket}
}

let leafPort: number
let shortPort: number
let selfPort: number

beforeAll(async () => {
  pki = createTestPki({names: ['mail.test'], ips: [HOST]})
  leafPort = await tlsServer(pki.leaf)
  shortPort = await tlsServer(pki.shortLived)
  selfPort = await tlsServer(pki.selfSigned)
})

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))))
  pki.cleanup()
})

describe('inspectTls', () => {
  it('describes a trusted certificate (private CA via ca) with no findings', async () => {
    const {connection, socket} = await handshake(leafPort, 'mail.test', {ca: pki.ca.cert})
    const now = new Date()
    const {tls, findings} = inspectTls(socket, {hostname: 'mail.test', now})
    await connection.close()
    expect(tlsInfoSchema.parse(tls)).toEqual(tls)
    expect(tls.version).toBe('TLSv1.3')
    expect(tls.cipher).toMatch(/^TLS_/)
    expect(tls.servername).toBe('mail.test')
    expect(tls.authorized).toBe(true)
    expect(tls.authorizationError).toBeNull()
    expect(tls.hostnameMatches).toBe(true)
    expect(tls.certificate?.subject).toBe('CN=mail.test')
    expect(tls.certificate?.issuer).toBe('CN=maildig test CA')
    expect(tls.certificate?.altNames).toEqual(['mail.test', HOST])
    expect(tls.certificate?.validTo).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(tls.certificate?.daysLeft).toBeGreaterThanOrEqual(363)
    expect(tls.certificate?.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(tls.chain.map((c) => c.subject)).toEqual(['CN=mail.test', 'CN=maildig test CA'])
    expect(findings).toEqual([])
    expect(isCertificateValid(tls, now)).toBe(true)
  })

  it('sends SNI with the host name asked for, and none for an IP literal', async () => {
    sniSeen.length = 0
    const a = await handshake(leafPort, 'mail.test', {ca: pki.ca.cert})
    const b = await handshake(leafPort, HOST, {ca: pki.ca.cert})
    // The IP literal is still checked against the certificate's IP SAN.
    const inspected = inspectTls(b.socket, {hostname: HOST}).tls
    await Promise.all([a.connection.close(), b.connection.close()])
    expect(sniSeen).toEqual(['mail.test', false])
    expect(inspected).toMatchObject({hostnameMatches: true, servername: null})
  })

  it('reports an untrusted chain without failing the handshake', async () => {
    const {connection, socket} = await handshake(leafPort, 'mail.test')
    const {tls, findings} = inspectTls(socket, {hostname: 'mail.test'})
    await connection.close()
    expect(tls.authorized).toBe(false)
    expect(tls.authorizationError).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE')
    expect(findings.map((f) => f.code)).toEqual(['TLS_CERT_UNTRUSTED'])
    expect(findings[0].message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE/)
  })

  it('reports a self-signed certificate as untrusted', async () => {
    const {connection, socket} = await handshake(selfPort, 'mail.test', {ca: pki.ca.cert})
    const {tls, findings} = inspectTls(socket, {hostname: 'mail.test'})
    await connection.close()
    expect(tls.authorizationError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(findings.map((f) => f.code)).toEqual(['TLS_CERT_UNTRUSTED'])
  })

  it('reports a host name the certificate does not name', async () => {
    const {connection, socket} = await handshake(leafPort, 'other.test', {ca: pki.ca.cert})
    const {tls, findings} = inspectTls(socket, {hostname: 'other.test'})
    await connection.close()
    expect(tls.authorized).toBe(true)
    expect(tls.hostnameMatches).toBe(false)
    expect(findings.map((f) => f.code)).toEqual(['TLS_HOSTNAME_MISMATCH'])
    expect(findings[0].message).toBe(`the certificate is for mail.test, ${HOST}, not other.test`)
    expect(isCertificateValid(tls)).toBe(false)
  })

  it('reports a certificate that expires within certDays', async () => {
    const {connection, socket} = await handshake(shortPort, 'mail.test', {ca: pki.ca.cert})
    const soon = inspectTls(socket, {hostname: 'mail.test', certDays: 14})
    const relaxed = inspectTls(socket, {hostname: 'mail.test', certDays: 3})
    await connection.close()
    expect(soon.tls.certificate?.daysLeft).toBe(4)
    expect(soon.findings.map((f) => f.code)).toEqual(['TLS_CERT_EXPIRING'])
    expect(soon.findings[0].severity).toBe('warning')
    expect(relaxed.findings).toEqual([])
  })

  it('reports an expired certificate (now after validTo) and a not-yet-valid one', async () => {
    const {connection, socket} = await handshake(leafPort, 'mail.test', {ca: pki.ca.cert})
    const later = new Date(Date.now() + 2 * 365 * 86_400_000)
    const earlier = new Date(Date.now() - 2 * 86_400_000)
    const expired = inspectTls(socket, {hostname: 'mail.test', now: later})
    const early = inspectTls(socket, {hostname: 'mail.test', now: earlier})
    await connection.close()
    expect(expired.tls.certificate?.daysLeft).toBeLessThan(-300)
    expect(expired.findings.map((f) => f.code)).toEqual(['TLS_CERT_EXPIRED'])
    expect(expired.findings[0].message).toMatch(/expired on .* days ago/)
    expect(isCertificateValid(expired.tls, later)).toBe(false)
    expect(early.findings.map((f) => f.code)).toEqual(['TLS_CERT_EXPIRED'])
    expect(early.findings[0].message).toMatch(/not valid before/)
  })

  it('reports TLS below 1.2 when the client allows it', async () => {
    const legacy = {minVersion: 'TLSv1' as const, maxVersion: 'TLSv1.1' as const, ciphers: 'DEFAULT:@SECLEVEL=0'}
    const port = await tlsServer(pki.leaf, legacy)
    const {connection, socket} = await handshake(port, 'mail.test', {ca: pki.ca.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0'})
    const {tls, findings} = inspectTls(socket, {hostname: 'mail.test'})
    await connection.close()
    expect(tls.version).toBe('TLSv1.1')
    expect(findings.map((f) => f.code)).toContain('TLS_OLD_VERSION')
  })

  it('fails the handshake with TLS_FAILED (exit 6) when versions do not meet', async () => {
    const port = await tlsServer(pki.leaf, {minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0'})
    const error = await Connection.open({host: 'mail.test', port, address: HOST, net: netContext({timeoutMs: 3000}), tls: true}).catch((e: unknown) => e)
    expect(error).toMatchObject({code: 'TLS_FAILED', category: 'tls', exitCode: 6})
    expect((error as Error).message).toMatch(/no TLS version in common|protocol/)
  })
})

describe('parseAltNames', () => {
  it('strips the type prefixes', () => {
    expect(parseAltNames('DNS:a.example, DNS:*.b.example, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1')).toEqual([
      'a.example',
      '*.b.example',
      '192.0.2.1',
      '2001:DB8:0:0:0:0:0:1',
    ])
    expect(parseAltNames(undefined)).toEqual([])
  })
})

describe('trustedCa', () => {
  it('adds to Node\'s default authorities instead of replacing them', () => {
    expect(trustedCa(undefined)).toBeUndefined()
    expect(trustedCa([])).toBeUndefined()
    const list = trustedCa('PEM') as string[]
    expect(list.length).toBeGreaterThan(100)
    expect(list.at(-1)).toBe('PEM')
  })
})
