import tls from 'node:tls'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {probeSmtp} from '../../../src/lib/smtp/probe.js'
import {createTestPki, type TestPki} from '../../fixtures/test-pki.js'
import {withNet} from '../../fixtures/net.js'

// A server that speaks only TLS 1.0 (implicit TLS, port-465 style): the probe reaches it on a second
// attempt and reports TLS_OLD_VERSION, instead of only a failed handshake; it never sends credentials over it.
const HOST = '127.0.1.47'
let pki: TestPki
let server: tls.Server
let port = 0
beforeAll(async () => {
  pki = createTestPki({names: ['mail.test'], ips: [HOST]})
  server = tls.createServer({key: pki.leaf.key, cert: pki.leaf.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0'}, (socket) => {
    socket.on('error', () => {})
    socket.write('220 old.mail.test ESMTP\r\n')
    let buffer = ''
    socket.on('data', (d) => {
      buffer += d
      let i
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i).toUpperCase()
        buffer = buffer.slice(i + 2)
        if (line.startsWith('EHLO')) socket.write('250-old.mail.test\r\n250 AUTH PLAIN\r\n')
        else if (line.startsWith('QUIT')) socket.end('221 bye\r\n')
        else if (line.startsWith('AUTH')) socket.write('235 ok\r\n')
        else socket.write('250 ok\r\n')
      }
    })
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  port = (server.address() as {port: number}).port
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  pki.cleanup()
})

describe('a TLS 1.0-only server', () => {
  it('is reported with TLS_OLD_VERSION, and gets no credentials', async () => {
    const result = await probeSmtp(withNet({host: HOST, port, tls: 'implicit', timeoutMs: 3000, ca: pki.ca.cert, user: 'alice', password: 'secret-pw'}))
    expect(result.tls?.version).toBe('TLSv1')
    expect(result.findings).toContainEqual(expect.objectContaining({code: 'TLS_OLD_VERSION'}))
    expect(result.auth.result).toBe('refused-insecure')
    expect(result.transcript.some((l) => /trying again with TLS 1\.0\/1\.1/.test(l.line))).toBe(true)
    expect(result.transcript.some((l) => /^AUTH/.test(l.line))).toBe(false)
  })
})
