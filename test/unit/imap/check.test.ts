import {describe, expect, it} from 'vitest'
import {MaildigError, partialOf} from '../../../src/lib/errors.js'
import {checkImap, type ImapCheckOptions, type ImapCheckOutcome, type ImapCheckPartial} from '../../../src/lib/imap/check.js'
import {imapCheckResultSchema} from '../../../src/lib/imap/schema.js'
import {startImapFixture, type ImapFixture, type ImapFixtureOptions} from '../../fixtures/misbehaving-imap.js'
import {fixtureHarness} from '../../fixtures/harness.js'
import {type Flat, withNet} from '../../fixtures/net.js'

/**
 * checkImap against scripted servers: each misbehaviour ends in a MaildigError with the exit code
 * of docs/cli.md within the stage timeout + 1 s, with a message that says what to do and the partial
 * result attached; the well-behaved server checks login, mailboxes, quota and waiting, and that
 * nothing but reading commands reached it.
 */
const TIMEOUT_MS = 600
const HOST = '127.0.1.80'
const USER = 'alice@mail.test'
const PASSWORD = 'secret-password'

const harness = fixtureHarness({names: ['imap.test'], ips: [HOST]}, (_pki, options: Omit<ImapFixtureOptions, 'host'>) => startImapFixture({host: HOST, user: USER, password: PASSWORD, ...options}), () => import('imapflow'))
const start = (options: Omit<ImapFixtureOptions, 'host'>) => harness.start(options)

function options(server: ImapFixture, extra: Partial<Flat<ImapCheckOptions>> = {}): ImapCheckOptions {
  return withNet({host: HOST, port: server.port, tls: 'none', user: USER, password: PASSWORD, allowInsecureAuth: true, timeoutMs: TIMEOUT_MS, ...extra})
}

async function fails(server: ImapFixture, extra: Partial<Flat<ImapCheckOptions>> = {}): Promise<{error: MaildigError; ms: number}> {
  const started = performance.now()
  const error = await checkImap(options(server, extra)).then(
    () => {
      throw new Error('the check should have failed')
    },
    (e: unknown) => e,
  )
  const ms = performance.now() - started
  expect(error).toBeInstanceOf(MaildigError)
  const partial = partialOf<ImapCheckPartial>(error)
  expect(partial?.transcript.length).toBeGreaterThan(0)
  expect(partial?.timings.totalMs).toBeGreaterThan(0)
  const all = JSON.stringify({message: (error as Error).message, partial})
  expect(all).not.toContain(PASSWORD)
  return {error: error as MaildigError, ms}
}

async function succeeds(server: ImapFixture, extra: Partial<Flat<ImapCheckOptions>> = {}): Promise<ImapCheckOutcome> {
  const outcome = await checkImap(options(server, extra))
  expect(() => imapCheckResultSchema.parse(outcome.result)).not.toThrow()
  expect(JSON.stringify(outcome)).not.toContain(PASSWORD)
  return outcome
}

/** Commands that would change the mailbox: none may ever reach the server. */
function expectReadOnly(server: ImapFixture): void {
  const verbs = server.commands.map((c) => c.split(' ').slice(1, 3).join(' ').toUpperCase())
  for (const verb of verbs) expect(verb, verb).not.toMatch(/^(SELECT|STORE|UID STORE|EXPUNGE|UID EXPUNGE|APPEND|COPY|MOVE|UID MOVE|UID COPY|DELETE|CREATE|RENAME|SUBSCRIBE|CLOSE)\b/)
  expect(server.commands.join('\n')).not.toMatch(/BODY\[(?!.*PEEK)/i)
}

describe('misbehaving servers', () => {
  it('a BYE greeting: IMAP_GREETING_BYE, exit 4, with the server\'s reason, at once (no deadline waited for)', async () => {
    // A long deadline: ending well before it shows that the BYE ended the check, not a timer, however slow a loaded
    // machine runs the conversation.
    const {error, ms} = await fails(await start({behaviour: 'bye-greeting'}), {timeoutMs: 10_000})
    expect(error).toMatchObject({code: 'IMAP_GREETING_BYE', category: 'connection', exitCode: 4})
    expect(error.message).toContain('Too many connections from your address')
    expect(ms).toBeLessThan(10_000)
  })

  it('silence instead of a greeting: GREETING_TIMEOUT, exit 5, within the timeout + 1 s', async () => {
    const {error, ms} = await fails(await start({behaviour: 'silent'}))
    expect(error).toMatchObject({code: 'GREETING_TIMEOUT', exitCode: 5})
    expect(error.message).toMatch(/no greeting from .* within 600 ms/)
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('silence after the greeting: REPLY_TIMEOUT, exit 5, within the timeout + 1 s', async () => {
    const {error, ms} = await fails(await start({behaviour: 'silent-after-greeting'}))
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', exitCode: 5})
    expect(error.message).toMatch(/no complete reply from .* to ID within 600 ms/)
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('replies trickling in a byte at a time still meet the deadline', async () => {
    const {error, ms} = await fails(await start({behaviour: 'slow-reply', slowByteMs: 100}))
    expect(error).toMatchObject({code: 'REPLY_TIMEOUT', exitCode: 5})
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('binary garbage instead of a greeting: PROTOCOL_ERROR, exit 8, shown safely', async () => {
    const {error, ms} = await fails(await start({behaviour: 'garbage-greeting'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/did not greet like an IMAP server: "\\x00\\x01/)
    expect(error.message).not.toMatch(/[\x00-\x08]/)
    expect(ms).toBeLessThan(1000)
  })

  it('an SMTP server on the port: PROTOCOL_ERROR that says so', async () => {
    const {error} = await fails(await start({behaviour: 'smtp-greeting'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toMatch(/looks like an SMTP server.*check the host and port/)
  })

  it('garbage after the greeting: PROTOCOL_ERROR, exit 8', async () => {
    const {error} = await fails(await start({behaviour: 'garbage-after-greeting'}))
    expect(error).toMatchObject({code: 'PROTOCOL_ERROR', exitCode: 8})
    expect(error.message).toContain('HELLO THIS IS NOT IMAP')
  })

  it('a line without end: LINE_TOO_LONG, exit 8, memory bounded', async () => {
    const {error, ms} = await fails(await start({behaviour: 'endless-line'}))
    expect(error).toMatchObject({code: 'LINE_TOO_LONG', exitCode: 8})
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('the connection closed after the greeting: CONNECTION_CLOSED, exit 4', async () => {
    const {error} = await fails(await start({behaviour: 'close-after-greeting'}))
    expect(error).toMatchObject({code: 'CONNECTION_CLOSED', exitCode: 4})
  })

  it('nothing listening: CONNECT_REFUSED, exit 4', async () => {
    const server = await start({behaviour: 'good'})
    const port = server.port
    await server.close()
    const {error} = await fails({...server, port} as ImapFixture)
    expect(error).toMatchObject({code: 'CONNECT_REFUSED', exitCode: 4})
  })
})

describe('TLS and when credentials are sent', () => {
  it('--tls starttls fails (exit 6) when STARTTLS is not offered: no downgrade, no password sent', async () => {
    const server = await start({behaviour: 'good'})
    const {error} = await fails(server, {tls: 'starttls', allowInsecureAuth: false})
    expect(error).toMatchObject({code: 'STARTTLS_NOT_OFFERED', category: 'tls', exitCode: 6})
    expect(server.commands.some((c) => /LOGIN|AUTHENTICATE/i.test(c))).toBe(false)
  })

  it('plaintext without --allow-insecure-auth: AUTH_INSECURE (exit 7), the password never on the wire', async () => {
    const server = await start({behaviour: 'good'})
    const {error} = await fails(server, {tls: undefined, allowInsecureAuth: false})
    expect(error).toMatchObject({code: 'AUTH_INSECURE', exitCode: 7})
    expect(error.message).toMatch(/not encrypted.*allow insecure authentication/)
    expect(server.rawPlain.join('')).not.toContain(PASSWORD)
    expect(server.commands.some((c) => /LOGIN|AUTHENTICATE/i.test(c))).toBe(false)
  })

  it('an untrusted certificate: AUTH_INSECURE naming the reason; --ca-file makes it work', async () => {
    const server = await start({behaviour: 'good', tls: harness.pki.leaf, implicitTls: true})
    const {error} = await fails(server, {tls: 'implicit', allowInsecureAuth: false})
    expect(error).toMatchObject({code: 'AUTH_INSECURE', exitCode: 7})
    expect(error.message).toMatch(/certificate is not verified .*not trusted.*trust a private CA/)
    const ok = await succeeds(server, {tls: 'implicit', allowInsecureAuth: false, ca: harness.pki.ca.cert})
    expect(ok.result).toMatchObject({tlsMode: 'implicit', tls: {authorized: true, hostnameMatches: true}, auth: {result: 'ok'}})
    expect(ok.findings).toEqual([])
  })

  it('STARTTLS answered OK, then plaintext instead of a handshake: STARTTLS_FAILED, exit 6, within the deadline, no password', async () => {
    const server = await start({behaviour: 'broken-starttls', tls: harness.pki.leaf})
    const {error, ms} = await fails(server, {tls: 'starttls', allowInsecureAuth: false, ca: harness.pki.ca.cert})
    expect(error).toMatchObject({code: 'STARTTLS_FAILED', category: 'tls', exitCode: 6})
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
    expect(server.commands.join('\n')).not.toContain(PASSWORD)
  })

  it('STARTTLS when offered: the password only inside TLS, capabilities before TLS differ', async () => {
    const server = await start({behaviour: 'good', tls: harness.pki.leaf})
    const ok = await succeeds(server, {tls: undefined, allowInsecureAuth: false, ca: harness.pki.ca.cert})
    expect(ok.result.tlsMode).toBe('starttls')
    expect(ok.result.greeting.capabilities).toContain('STARTTLS')
    expect(ok.result.capabilitiesBeforeLogin).not.toContain('STARTTLS')
    expect(ok.result.timings.tlsMs).toBeGreaterThan(0)
    const plain = server.rawPlain.join('')
    expect(plain).toMatch(/STARTTLS/)
    expect(plain).not.toMatch(/LOGIN|AUTHENTICATE/)
    expect(plain).not.toContain(PASSWORD)
  })

  it('TLS from the first byte on a plaintext port: TLS_FAILED (exit 6) with the fix', async () => {
    const {error} = await fails(await start({behaviour: 'good'}), {tls: 'implicit'})
    expect(error).toMatchObject({code: 'TLS_FAILED', exitCode: 6})
    expect(error.message).toMatch(/answered without TLS.*TLS mode starttls/)
  })

  it('--auth login uses the LOGIN command, its password masked in the transcript', async () => {
    const server = await start({behaviour: 'good'})
    const ok = await succeeds(server, {auth: 'login'})
    expect(ok.result.auth.method).toBe('LOGIN')
    expect(ok.transcript.some((l) => /^\d+ LOGIN "alice@mail\.test" \/\* secret \*\/$/.test(l.line))).toBe(true)
  })
})

describe('login', () => {
  it('a wrong password: LOGIN_FAILED, exit 7, with the server\'s words', async () => {
    const {error} = await fails(await start({behaviour: 'good'}), {password: 'wrong-password'})
    expect(error).toMatchObject({code: 'LOGIN_FAILED', exitCode: 7})
    expect(error.message).toMatch(/\[AUTHENTICATIONFAILED\].*check the user name and password/)
  })

  it('throttling by response code: LOGIN_THROTTLED', async () => {
    const {error} = await fails(await start({behaviour: 'good', loginAlwaysFails: true, loginFailure: 'NO [UNAVAILABLE] Too many failures, try later'}))
    expect(error).toMatchObject({code: 'LOGIN_THROTTLED', exitCode: 7, temporary: true})
  })

  it('throttling by delay: a failure answered after more than 3 s', async () => {
    const {error} = await fails(await start({behaviour: 'good', loginAlwaysFails: true, loginDelayMs: 3100}), {timeoutMs: 5000})
    expect(error.code).toBe('LOGIN_THROTTLED')
    expect(error.message).toMatch(/took 3\.\d s/)
  }, 10_000)

  it('no --user: greeting, TLS and capabilities only, an info finding, exit 0', async () => {
    const server = await start({behaviour: 'good', tls: harness.pki.leaf})
    const ok = await succeeds(server, {tls: undefined, user: undefined, password: undefined, ca: harness.pki.ca.cert})
    expect(ok.result.auth).toMatchObject({user: null, result: 'not-tested', method: null})
    expect(ok.result.mailboxes).toEqual([])
    expect(ok.findings.map((f) => [f.code, f.severity])).toEqual([['LOGIN_SKIPPED', 'info']])
  })

  it('a PREAUTH greeting: logged in by the server, no credentials sent; STARTTLS is then impossible', async () => {
    const server = await start({behaviour: 'preauth', mailboxes: {INBOX: [], Sent: []}})
    const ok = await succeeds(server, {user: undefined, password: undefined, allowInsecureAuth: false})
    expect(ok.result.greeting.status).toBe('PREAUTH')
    expect(ok.result.auth).toMatchObject({result: 'preauth', method: null})
    expect(ok.result.mailboxes.map((m) => m.path)).toEqual(['INBOX', 'Sent'])
    expect(ok.findings).toEqual([])
    expect(server.commands.some((c) => /LOGIN|AUTHENTICATE/i.test(c))).toBe(false)
    const {error} = await fails(server, {tls: 'starttls'})
    expect(error).toMatchObject({code: 'STARTTLS_NOT_OFFERED', exitCode: 6})
    expect(error.message).toMatch(/PREAUTH/)
  })

  it('XOAUTH2 with a token: logged in, the token masked; a wrong token is LOGIN_FAILED', async () => {
    const token = 'ya29.token-for-the-test-0123456789'
    const server = await start({behaviour: 'good', oauthToken: token})
    const ok = await succeeds(server, {password: undefined, token, auth: 'xoauth2'})
    expect(ok.result.auth).toMatchObject({result: 'ok', method: 'AUTHENTICATE XOAUTH2'})
    expect(ok.result.auth.mechanisms).toContain('XOAUTH2')
    const text = JSON.stringify(ok.transcript)
    expect(text).not.toContain(token)
    expect(text).not.toContain(Buffer.from(`user=${USER}\x01auth=Bearer ${token}\x01\x01`).toString('base64'))
    expect(ok.transcript.map((l) => l.line)).toContain('/* secret */')
    const {error} = await fails(server, {password: undefined, token: 'expired-token-xyz', auth: 'xoauth2'})
    expect(error).toMatchObject({code: 'LOGIN_FAILED', exitCode: 7})
    expect(JSON.stringify(partialOf<ImapCheckPartial>(error))).not.toContain('expired-token-xyz')
  })

  it('a token for a server without XOAUTH2: AUTH_NOT_OFFERED before anything is sent', async () => {
    const server = await start({behaviour: 'good'})
    const {error} = await fails(server, {password: undefined, token: 'some-token-123', auth: 'xoauth2'})
    expect(error).toMatchObject({code: 'AUTH_NOT_OFFERED', exitCode: 7})
    expect(server.commands.some((c) => /AUTHENTICATE|LOGIN/i.test(c))).toBe(false)
  })

  it('an [ALERT] becomes a finding', async () => {
    const ok = await succeeds(await start({behaviour: 'good', alert: 'Your account expires tomorrow'}))
    expect(ok.result.alerts).toEqual(['Your account expires tomorrow'])
    expect(ok.findings).toContainEqual(expect.objectContaining({code: 'IMAP_ALERT', severity: 'warning', message: expect.stringContaining('expires tomorrow')}))
  })
})

describe('mailboxes, quota, waiting', () => {
  const mailboxes = {
    INBOX: [
      {subject: 'first', messageId: '<one@example.org>'},
      {subject: 'second', messageId: '<two@example.org>', flags: ['\\Seen']},
    ],
    Sent: [],
    Trash: [{subject: 'old', messageId: '<old@example.org>', flags: ['\\Seen', '\\Deleted']}],
  }

  it('lists every mailbox with STATUS, reads the quota, and only reads', async () => {
    const server = await start({behaviour: 'good', mailboxes, quota: {usedKiB: 500, limitKiB: 1000}})
    const ok = await succeeds(server)
    expect(ok.result.mailboxes.map((m) => [m.path, m.messages, m.unseen, m.uidNext])).toEqual([
      ['INBOX', 2, 1, 3],
      ['Sent', 0, 0, 1],
      ['Trash', 1, 0, 2],
    ])
    expect(ok.result.mailboxes[0]).toMatchObject({specialUse: '\\Inbox', specialUseSource: 'name'})
    expect(ok.result.quota).toEqual({mailbox: 'INBOX', root: 'User quota', storage: {used: 512_000, limit: 1_024_000, percent: 50}, messages: null})
    expect(ok.findings).toEqual([])
    expect(ok.result.timings).toMatchObject({listMs: expect.any(Number), quotaMs: expect.any(Number), authMs: expect.any(Number), greetingMs: expect.any(Number)})
    expectReadOnly(server)
  })

  it('quota above --quota-warn is a warning, a full one an error', async () => {
    const near = await succeeds(await start({behaviour: 'good', quota: {usedKiB: 950, limitKiB: 1000}}), {quotaWarnPercent: 90})
    expect(near.findings).toEqual([expect.objectContaining({code: 'QUOTA_NEAR_LIMIT', severity: 'warning'})])
    expect(near.findings[0].message).toMatch(/95 % used: 950 KiB of 1000 KiB, above the warning level of 90 %/)
    const full = await succeeds(await start({behaviour: 'good', quota: {usedKiB: 1000, limitKiB: 1000}}))
    expect(full.findings).toEqual([expect.objectContaining({code: 'QUOTA_EXCEEDED', severity: 'error'})])
    const relaxed = await succeeds(await start({behaviour: 'good', quota: {usedKiB: 950, limitKiB: 1000}}), {quotaWarnPercent: 99})
    expect(relaxed.findings).toEqual([])
  })

  it('--mailbox: only that one; a missing one is MAILBOX_NOT_FOUND listing what exists', async () => {
    const server = await start({behaviour: 'good', mailboxes})
    const one = await succeeds(server, {mailbox: 'Trash'})
    expect(one.result.mailboxes.map((m) => m.path)).toEqual(['Trash'])
    const inbox = await succeeds(server, {mailbox: 'inbox'})
    expect(inbox.result.mailboxes.map((m) => m.path)).toEqual(['INBOX'])
    const missing = await succeeds(server, {mailbox: 'Archive'})
    expect(missing.findings).toEqual([expect.objectContaining({code: 'MAILBOX_NOT_FOUND', severity: 'error', subject: 'Archive'})])
    expect(missing.findings[0].message).toContain('there are: INBOX, Sent, Trash')
  })

  it('finds a message that is already there, by Message-ID with or without brackets', async () => {
    const server = await start({behaviour: 'good', mailboxes})
    for (const id of ['<two@example.org>', 'two@example.org']) {
      const ok = await succeeds(server, {waitFor: {messageId: id, timeoutMs: 2000}})
      expect(ok.result.waitFor).toMatchObject({criterion: 'message-id', value: 'two@example.org', found: true, alreadyThere: true, uid: 2, searches: 1, method: 'idle'})
      expect(ok.result.waitFor?.message).toMatchObject({subject: 'second', messageId: '<two@example.org>'})
    }
    expectReadOnly(server)
    expect(server.commands.filter((c) => / EXAMINE /.test(c))).toHaveLength(2)
  })

  it('waits with IDLE until the message arrives, and reports the latency', async () => {
    const server = await start({behaviour: 'good', mailboxes})
    const started = Date.now()
    setTimeout(() => server.deliver('INBOX', {subject: 'round trip 42', messageId: '<rt@example.org>', date: new Date(Date.now() - 5000)}), 700)
    const ok = await succeeds(server, {waitFor: {subject: 'ROUND TRIP', timeoutMs: 5000}, startedAt: started})
    const w = ok.result.waitFor!
    expect(w).toMatchObject({found: true, alreadyThere: false, uid: 3, method: 'idle'})
    expect(w.latencyMs).toBeGreaterThanOrEqual(650)
    expect(w.latencyMs).toBeLessThan(3000)
    expect(w.sinceDateMs).toBeGreaterThanOrEqual(5000)
    expect(server.commands.some((c) => / IDLE$/.test(c))).toBe(true)
    expect(server.commands).toContain('DONE')
    expectReadOnly(server)
  })

  it('a message that arrives while the search runs (its EXISTS in the SEARCH reply, as Dovecot sends it) is searched for at once, not when IDLE ends', async () => {
    let delivered = false
    const server = await start({
      behaviour: 'good',
      mailboxes,
      existsWithReplies: true,
      // Delivered as the first search arrives: the search does not see it, the EXISTS after its results does.
      onCommand: (line) => {
        if (delivered || !/ UID SEARCH /i.test(line)) return
        delivered = true
        harness.current!.deliver('INBOX', {subject: 'between', messageId: '<between@example.org>'})
      },
    })
    const ok = await succeeds(server, {waitFor: {messageId: '<between@example.org>', timeoutMs: 4000}})
    expect(ok.result.waitFor).toMatchObject({found: true, alreadyThere: false, uid: 3, searches: 2})
    expect(ok.result.waitFor!.waitedMs).toBeLessThan(2000)
    // No IDLE was needed: the EXISTS had been heard.
    expect(server.commands.some((c) => / IDLE$/.test(c))).toBe(false)
  })

  it('polls with NOOP where the server has no IDLE', async () => {
    const server = await start({behaviour: 'good', mailboxes, idle: false})
    setTimeout(() => server.deliver('INBOX', {subject: 'polled', messageId: '<p@example.org>'}), 600)
    const ok = await succeeds(server, {waitFor: {messageId: '<p@example.org>', timeoutMs: 5000, pollMs: 200}})
    expect(ok.result.waitFor).toMatchObject({found: true, method: 'noop', uid: 3})
    expect(server.commands.some((c) => / NOOP$/.test(c))).toBe(true)
    expect(server.commands.some((c) => / IDLE$/.test(c))).toBe(false)
  })

  it('MESSAGE_NOT_FOUND at the deadline (exit 1 by the error finding), a look-alike does not count', async () => {
    const server = await start({behaviour: 'good', mailboxes})
    // The server matches substrings: <two@example.org.evil> contains the wanted ID but is not it.
    server.deliver('INBOX', {subject: 'near miss', messageId: '<x-two@example.org.evil>'})
    const started = performance.now()
    const ok = await succeeds(server, {waitFor: {messageId: 'two@example.org.evil', timeoutMs: 800}, timeoutMs: 2000})
    const ms = performance.now() - started
    expect(ok.result.waitFor).toMatchObject({found: false, uid: null, latencyMs: null})
    expect(ok.findings).toEqual([expect.objectContaining({code: 'MESSAGE_NOT_FOUND', severity: 'error'})])
    expect(ms).toBeGreaterThanOrEqual(800)
    expect(ms).toBeLessThan(800 + 2000)
  })

  it('waiting in a mailbox that does not exist is MAILBOX_NOT_FOUND, no wait', async () => {
    const server = await start({behaviour: 'good', mailboxes})
    const ok = await succeeds(server, {mailbox: 'Nope', waitFor: {subject: 'x', timeoutMs: 5000}})
    expect(ok.findings.map((f) => f.code)).toEqual(['MAILBOX_NOT_FOUND'])
    expect(ok.result.waitFor).toBeNull()
    expect(server.commands.some((c) => /EXAMINE|SEARCH/.test(c))).toBe(false)
  })
})

it('refuses a CR or LF in anything that would reach the wire, before connecting', async () => {
  const server = await start({behaviour: 'good'})
  await expect(checkImap(options(server, {mailbox: 'INBOX\r\nA1 DELETE INBOX'}))).rejects.toMatchObject({code: 'USAGE'})
  await expect(checkImap(options(server, {waitFor: {subject: 'x\ny', timeoutMs: 1000}}))).rejects.toMatchObject({code: 'USAGE'})
  expect(server.connections).toBe(0)
})
