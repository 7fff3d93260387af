import {afterEach, beforeAll, describe, expect, it} from 'vitest'
import {netContext} from '../../../src/lib/net/context.js'
import {probeMailboxServer} from '../../../src/lib/route/mailbox.js'
import {startImapFixture, type ImapFixture} from '../../fixtures/misbehaving-imap.js'
import {startPop3Fixture, type Pop3Fixture} from '../../fixtures/misbehaving-pop3.js'
import {stubResolver} from '../../fixtures/net.js'
import {createTestPki, type TestPki} from '../../fixtures/test-pki.js'

// The route's mailbox-server probe: greet, secure, leave; no login, nothing read.
const HOST = '127.0.1.46'
let pki: TestPki
const fixtures: Array<ImapFixture | Pop3Fixture> = []

beforeAll(() => {
  pki = createTestPki({names: ['mail.test'], ips: [HOST]})
})
afterEach(async () => {
  await Promise.all(fixtures.splice(0).map((f) => f.close()))
})

// mail.test resolves, through the context's resolver, to the fixture's address.
const net = (timeoutMs = 1500) => netContext({timeoutMs, ca: pki.ca.cert, resolver: stubResolver(() => HOST)})

describe('probeMailboxServer', () => {
  it('IMAP: greets, upgrades with STARTTLS, inspects the certificate and logs out without logging in', async () => {
    const server = await startImapFixture({behaviour: 'good', host: HOST, tls: pki.leaf, user: 'u', password: 'p'})
    fixtures.push(server)
    const {probe, findings} = await probeMailboxServer('imap', 'mail.test', server.port, {net: net()})
    expect(probe).toMatchObject({ok: true, address: HOST, tlsMode: 'starttls', error: null})
    expect(probe.greeting).toMatch(/^\* OK/)
    expect(probe.tls?.authorized).toBe(true)
    expect(findings).toEqual([])
    expect(server.commands.map((c) => c.split(' ')[1])).toEqual(['STARTTLS', 'LOGOUT'])
  })

  it('IMAP: a BYE greeting is the probe\'s error, with the address it reached', async () => {
    const server = await startImapFixture({behaviour: 'bye-greeting', host: HOST})
    fixtures.push(server)
    const {probe} = await probeMailboxServer('imap', 'mail.test', server.port, {net: net()})
    expect(probe.ok).toBe(false)
    expect(probe.address).toBe(HOST)
    expect(probe.error?.code).toBe('IMAP_GREETING_BYE')
  })

  it('POP3 without STLS: unencrypted, STARTTLS_NOT_OFFERED, and QUIT', async () => {
    const server = await startPop3Fixture({behaviour: 'good', host: HOST, user: 'u', password: 'p', stls: false})
    fixtures.push(server)
    const {probe, findings} = await probeMailboxServer('pop3', 'mail.test', server.port, {net: net()})
    expect(probe).toMatchObject({ok: true, tlsMode: 'none', tls: null})
    expect(probe.greeting).toMatch(/^\+OK/)
    expect(findings.map((f) => f.code)).toEqual(['STARTTLS_NOT_OFFERED'])
    expect(server.received).toEqual(['STLS', 'QUIT'])
  })

  it('POP3 that never greets: GREETING_TIMEOUT within the deadline', async () => {
    const server = await startPop3Fixture({behaviour: 'silent', host: HOST})
    fixtures.push(server)
    const started = performance.now()
    const {probe} = await probeMailboxServer('pop3s', 'mail.test', server.port, {net: net(400)})
    expect(probe.error?.code).toMatch(/^(GREETING|TLS)_TIMEOUT$/)
    expect(performance.now() - started).toBeLessThan(400 + 1000 + 300)
  })
})
