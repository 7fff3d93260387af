import net from 'node:net'
import {syncBuiltinESMExports} from 'node:module'
import tls from 'node:tls'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {MaildigError, partialOf} from '../../../src/lib/errors.js'
import {checkImap, type ImapCheckOptions, type ImapCheckPartial} from '../../../src/lib/imap/check.js'
import {CLOSE_GRACE_MS} from '../../../src/lib/net/deadline.js'
import {startImapFixture, type ImapFixture, type ImapFixtureOptions} from '../../fixtures/misbehaving-imap.js'
import {type Flat, withNet} from '../../fixtures/net.js'
import {fixtureHarness} from '../../fixtures/harness.js'

/**
 * imap-check on maildig's own floor: maildig connects, does TLS (implicit, or STARTTLS itself),
 * reads the greeting, and hands the ready connection to imapflow, which opens no socket. After the
 * hand-over the stage deadline still applies to every reply, however the server misbehaves.
 */
const HOST = '127.0.1.84'
const USER = 'alice@mail.test'
const PASSWORD = 'hand-over-password-7'
const TIMEOUT_MS = 700

const harness = fixtureHarness({names: ['imap.test'], ips: [HOST]}, (_pki, options: Omit<ImapFixtureOptions, 'host'>) => startImapFixture({host: HOST, user: USER, password: PASSWORD, ...options}), () => import('imapflow'))
const start = (options: Omit<ImapFixtureOptions, 'host'>) => harness.start(options)
afterEach(() => {
  vi.restoreAllMocks()
  syncBuiltinESMExports()
})

const options = (server: ImapFixture, extra: Partial<Flat<ImapCheckOptions>> = {}): ImapCheckOptions =>
  withNet({host: HOST, port: server.port, user: USER, password: PASSWORD, ca: harness.pki.ca.cert, timeoutMs: TIMEOUT_MS, ...extra})

/** Where each socket was opened from: the stacks of every net.connect, net.createConnection and tls.connect. */
function spyOnSockets(): string[] {
  const stacks: string[] = []
  for (const [module, name] of [
    [net, 'connect'],
    [net, 'createConnection'],
    [tls, 'connect'],
  ] as const) {
    const original = (module as unknown as Record<string, (...args: unknown[]) => unknown>)[name]
    vi.spyOn(module as unknown as Record<string, (...args: unknown[]) => unknown>, name).mockImplementation(function (this: unknown, ...args: unknown[]) {
      stacks.push(new Error('socket opened').stack ?? '')
      return original.apply(this, args)
    })
  }
  // The named imports (`import {connect} from 'node:net'`) follow the spied default export.
  syncBuiltinESMExports()
  return stacks
}

describe('maildig opens the connection, imapflow takes it over', () => {
  it('every socket is opened by the Connection: imapflow calls neither net.connect nor tls.connect', async () => {
    const stacks = spyOnSockets()
    await checkImap(options(await start({behaviour: 'good', tls: harness.pki.leaf}), {tls: 'starttls'}))
    await checkImap(options(await start({behaviour: 'good', tls: harness.pki.leaf, implicitTls: true}), {tls: 'implicit'}))
    // STARTTLS: a TCP connect and a TLS upgrade; implicit TLS: the same two.
    expect(stacks).toHaveLength(4)
    for (const stack of stacks) {
      expect(stack).toMatch(/src\/lib\/net\/connection\.ts/)
      expect(stack).not.toMatch(/imapflow|imap\/transport/)
    }
  })

  it('the STARTTLS upgrade is maildig\'s, in the transcript: its own tags, the handshake, then imapflow inside TLS', async () => {
    const server = await start({behaviour: 'good', tls: harness.pki.leaf})
    const {result, transcript} = await checkImap(options(server, {tls: 'starttls'}))
    expect(result).toMatchObject({tlsMode: 'starttls', tls: {authorized: true}, auth: {result: 'ok'}})
    const lines = transcript.map((l) => `${l.dir}${l.tls ? ' tls' : ''}: ${l.line}`)
    const at = (pattern: RegExp) => lines.findIndex((l) => pattern.test(l))
    const starttls = at(/^send: m\d+ STARTTLS$/)
    const handshake = at(/^info: TLS handshake \(/)
    const established = at(/^info tls: TLS established: TLSv1\.3, .*; certificate trusted$/)
    const handedOver = at(/^info tls: the session goes on in imapflow/)
    const firstOfImapflow = at(/^send tls: \d+ CAPABILITY$/)
    expect(starttls, lines.join('\n')).toBeGreaterThan(0)
    expect(lines[starttls + 1]).toMatch(/^recv: m\d+ OK /)
    expect([starttls, handshake, established, handedOver, firstOfImapflow]).toEqual([...[starttls, handshake, established, handedOver, firstOfImapflow]].sort((a, b) => a - b))
    expect(Math.min(handshake, established, handedOver, firstOfImapflow)).toBeGreaterThan(0)
    // The server saw maildig's STARTTLS, and the password only inside TLS.
    expect(server.commands.filter((c) => / STARTTLS$/.test(c))).toEqual([expect.stringMatching(/^m\d+ STARTTLS$/)])
    expect(server.rawPlain.join('')).not.toContain(PASSWORD)
    expect(JSON.stringify(transcript)).not.toContain(PASSWORD)
  })

  it('implicit TLS: maildig\'s handshake in the transcript before the greeting, every later line marked TLS', async () => {
    const {result, transcript} = await checkImap(options(await start({behaviour: 'good', tls: harness.pki.leaf, implicitTls: true}), {tls: 'implicit'}))
    expect(result).toMatchObject({tlsMode: 'implicit', tls: {authorized: true}})
    const handshake = transcript.findIndex((l) => l.dir === 'info' && /^TLS handshake \(/.test(l.line))
    const greeting = transcript.findIndex((l) => l.dir === 'recv')
    expect(handshake).toBeGreaterThan(0)
    expect(greeting).toBeGreaterThan(handshake)
    expect(transcript.slice(greeting).every((l) => l.tls)).toBe(true)
    expect(result.timings.tlsMs).toBeGreaterThan(0)
  })
})

describe('the stage deadline after the hand-over', () => {
  async function fails(server: ImapFixture): Promise<{error: MaildigError; ms: number}> {
    const started = performance.now()
    const error = await checkImap(options(server, {tls: 'none', allowInsecureAuth: true})).catch((e: unknown) => e)
    const ms = performance.now() - started
    expect(error).toBeInstanceOf(MaildigError)
    expect(JSON.stringify(partialOf<ImapCheckPartial>(error))).not.toContain(PASSWORD)
    return {error: error as MaildigError, ms}
  }

  it('a server that drips its replies after the login: REPLY_TIMEOUT within the timeout + the close grace', async () => {
    const {error, ms} = await fails(await start({behaviour: 'slow-after-login', slowByteMs: 50}))
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', exitCode: 5})
    expect(ms).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
  })

  it('a server that floods untagged lines after the login: said to flood, within the timeout + the close grace', async () => {
    const {error, ms} = await fails(await start({behaviour: 'flood-after-login'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/untagged responses and never the reply/)
    expect(ms).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
  })
})
