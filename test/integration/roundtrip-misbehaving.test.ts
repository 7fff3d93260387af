import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {startImapFixture, type ImapBehaviour, type ImapFixture, type ImapFixtureOptions} from '../fixtures/misbehaving-imap.js'
import {startPop3Fixture, type Pop3Behaviour, type Pop3Fixture, type Pop3FixtureOptions} from '../fixtures/misbehaving-pop3.js'
import {startSmtpFixture, type SmtpBehaviour, type SmtpFixture, type SmtpFixtureOptions} from '../fixtures/misbehaving-smtp.js'
import {createTestPki, type TestPki} from '../fixtures/test-pki.js'

// `roundtrip` against the scripted misbehaving servers, on each side: the mailbox (IMAP or POP3), which it meets first,
// and the submission server, which it meets once the mailbox is open. Each run ends with the contract's exit code
// within the stage deadline and the close grace, counted from the connection to the misbehaving server (the
// transcript's time of "connecting to …": loading the protocol modules before it is not the conversation's); a
// misbehaving mailbox means nothing was sent.
const TIMEOUT_MS = 1500
const CLOSE_GRACE_MS = 1000
const USER = 'bob'
const PASSWORD = 'Misbehaving-Pw-91c'

let pki: TestPki
let nextHost = 200
const closers: Array<{close(): Promise<void>}> = []
const host = () => `127.0.1.${nextHost++}`

async function smtp(options: Partial<SmtpFixtureOptions> & {behaviour: SmtpBehaviour}): Promise<SmtpFixture> {
  const f = await startSmtpFixture({host: host(), tls: pki.leaf, ...options})
  closers.push(f)
  return f
}
async function imap(options: Partial<ImapFixtureOptions> & {behaviour: ImapBehaviour}): Promise<ImapFixture> {
  const f = await startImapFixture({host: host(), user: USER, password: PASSWORD, ...options})
  closers.push(f)
  return f
}
async function pop3(options: Partial<Pop3FixtureOptions> & {behaviour: Pop3Behaviour}): Promise<Pop3Fixture> {
  const f = await startPop3Fixture({host: host(), user: USER, password: PASSWORD, plaintextAuth: true, ...options})
  closers.push(f)
  return f
}

beforeAll(() => {
  pki = createTestPki({names: ['mail.test'], ips: Array.from({length: 40}, (_, i) => `127.0.1.${200 + i}`)})
})
afterAll(async () => {
  for (const f of closers) await f.close()
  pki.cleanup()
})

/** Plaintext on both sides unless `extra` names --tls or --mailbox-tls (STARTTLS against the broken-TLS fixtures). */
/**
 * How long the run took after it began to connect to `target` (host:port), by the transcript's clock; with
 * `afterGreeting`, after the first command it sent there (a server that stops answering after its greeting: the
 * deadline is the reply's, not the connection's, which the connect and the greeting came before).
 */
function sinceConnecting(json: Record<string, any>, target: {host: string; port: number}, afterGreeting = false): number {
  const index = json.transcript.findIndex((l: any) => l.line.startsWith(`connecting to ${target.host}:${target.port}`) || l.line.startsWith(`connecting to ${target.host} [`))
  expect(index, JSON.stringify(json.transcript.slice(0, 5))).toBeGreaterThanOrEqual(0)
  const line = afterGreeting ? json.transcript.slice(index).find((l: any) => l.dir === 'send') : json.transcript[index]
  expect(line, JSON.stringify(json.transcript.slice(index, index + 8))).toBeDefined()
  return json.timings.totalMs - line.t
}

const run = (server: SmtpFixture, mailbox: {host: string; port: number}, extra: string[]) =>
  runCli(
    ['roundtrip', '--from', 'alice@mail.test', '--to', 'bob@mail.test', '--server', `${server.host}:${server.port}`, ...(extra.includes('--tls') ? [] : ['--tls', 'none']), '--mailbox-user', USER, '--mailbox-host', `${mailbox.host}:${mailbox.port}`, ...(extra.includes('--mailbox-tls') ? [] : ['--mailbox-tls', 'none']), '--allow-insecure-auth', '--no-predict', '--wait', '5s', '--timeout', `${TIMEOUT_MS}ms`, '--ca-file', `${pki.dir}/ca.pem`, '--json', '--transcript', ...extra],
    {env: {MAILDIG_MAILBOX_PASSWORD: PASSWORD}},
  )

describe('roundtrip: a misbehaving mailbox server stops the run before anything is sent', () => {
  const imapCases: [ImapBehaviour, number, string[]][] = [
    ['silent', 5, []],
    ['bye-greeting', 4, []],
    ['silent-after-greeting', 5, []],
    ['garbage-greeting', 8, []],
    ['endless-line', 8, []],
    ['slow-reply', 5, []],
    ['close-after-greeting', 4, []],
    ['untagged-flood', 8, []],
    ['broken-starttls', 6, ['--mailbox-tls', 'starttls']],
  ]
  it.each(imapCases)('IMAP %s → exit %d within the timeout + close grace, no connection to the submission server', async (behaviour, exit, extra) => {
    const server = await smtp({behaviour: 'good'})
    const mailbox = await imap({behaviour, ...(behaviour === 'broken-starttls' ? {tls: pki.leaf} : {}), slowByteMs: 400})
    const r = await run(server, mailbox, extra)
    expect(r.code, r.stdout + r.stderr).toBe(exit)
    expect(r.json).toMatchObject({command: 'roundtrip', ok: false, exitCode: exit})
    // (A flood keeps the client busy reading what it is sent; imap-check's own flood test does not time it either.)
    if (behaviour !== 'untagged-flood') expect(sinceConnecting(r.json!, mailbox, behaviour === 'silent-after-greeting' || behaviour === 'slow-reply')).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
    expect(r.json!.submission).toBeUndefined()
    expect(server.connections).toBe(0)
    expect(r.stdout).not.toContain(PASSWORD)
  })

  const pop3Cases: [Pop3Behaviour, number, string[]][] = [
    ['silent', 5, []],
    ['greet-err', 4, []],
    ['endless-line', 8, []],
    ['garbage', 8, []],
    ['broken-stls', 6, ['--mailbox-tls', 'starttls']],
  ]
  it.each(pop3Cases)('POP3 %s → exit %d within the timeout + close grace, no connection to the submission server', async (behaviour, exit, extra) => {
    const server = await smtp({behaviour: 'good'})
    const mailbox = await pop3({behaviour, ...(behaviour === 'broken-stls' ? {tls: pki.leaf} : {})})
    const r = await run(server, mailbox, ['--pop3', ...extra])
    expect(r.code, r.stdout + r.stderr).toBe(exit)
    expect(r.json).toMatchObject({command: 'roundtrip', ok: false, exitCode: exit})
    expect(sinceConnecting(r.json!, mailbox)).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
    expect(server.connections).toBe(0)
    expect(mailbox.received.some((l) => /^(DELE|RETR)\b/i.test(l))).toBe(false)
  })
})

describe('roundtrip: a misbehaving submission server, once the mailbox is open', () => {
  const cases: [SmtpBehaviour, number, string[]][] = [
    ['silent', 5, []],
    ['slow-reply', 5, []],
    ['endless-line', 8, []],
    ['garbage', 8, []],
    ['greet-421', 4, []],
    ['close-immediately', 4, []],
    ['broken-starttls', 6, ['--tls', 'starttls']],
  ]
  it.each(cases)('%s → exit %d within the timeout + close grace after the mailbox login', async (behaviour, exit, extra) => {
    const server = await smtp({behaviour})
    const mailbox = await imap({behaviour: 'good'})
    const r = await run(server, mailbox, extra)
    expect(r.code, r.stdout + r.stderr).toBe(exit)
    expect(r.json).toMatchObject({command: 'roundtrip', ok: false, exitCode: exit})
    const login = r.json!.stages.find((s: any) => s.name === 'mailbox-login')
    expect(login, JSON.stringify(r.json!.stages)).toMatchObject({ok: true})
    expect(sinceConnecting(r.json!, server)).toBeLessThan(TIMEOUT_MS + CLOSE_GRACE_MS)
    // The mailbox session ended politely, read-only: EXAMINE, never SELECT, STORE or EXPUNGE.
    expect(mailbox.commands.some((c) => /^\S+ EXAMINE INBOX/i.test(c))).toBe(true)
    expect(mailbox.commands.some((c) => /^\S+ (SELECT|STORE|UID STORE|EXPUNGE|UID EXPUNGE)\b/i.test(c))).toBe(false)
  })
})

describe('roundtrip --cleanup where the server does not offer UIDPLUS', () => {
  it('says that it could not clean up and leaves the mailbox untouched: EXAMINE only, never SELECT, STORE or EXPUNGE', async () => {
    const server = await smtp({behaviour: 'good'})
    const mailbox = await imap({behaviour: 'good', uidplus: false, mailboxes: {INBOX: [{subject: 'already there', messageId: '<older@mail.test>', flags: ['\\Deleted']}]}})
    // The message the submission server takes lands in the IMAP fixture's INBOX, as a real MTA would deliver it.
    const delivering = setInterval(() => {
      const raw = server.messages.shift()
      if (raw === undefined) return
      const messageId = /^Message-ID: *(<[^>\r\n]+>)/im.exec(raw)?.[1] ?? ''
      const subject = /^Subject: *(.*)$/im.exec(raw)?.[1] ?? ''
      mailbox.deliver('INBOX', {subject, messageId})
    }, 50)
    try {
      const r = await run(server, mailbox, ['--cleanup'])
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(r.json).toMatchObject({command: 'roundtrip', ok: true, delivered: true, mailbox: {protocol: 'imap', cleanup: {requested: true, removed: false, reason: expect.stringMatching(/does not offer UIDPLUS.*left as it is/)}}})
      expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'ROUNDTRIP_CLEANUP_FAILED', severity: 'warning', message: expect.stringContaining('could not remove the message')}))
      // Nothing was asked that changes the mailbox: not even a read-write SELECT.
      const writes = mailbox.commands.filter((c) => /^\S+ (SELECT|STORE|UID STORE|EXPUNGE|UID EXPUNGE|COPY|UID COPY|MOVE|UID MOVE)\b/i.test(c))
      expect(writes, mailbox.commands.join('\n')).toEqual([])
      expect(mailbox.commands.some((c) => /^\S+ EXAMINE INBOX/i.test(c))).toBe(true)
      expect(r.stdout).not.toContain(PASSWORD)
    } finally {
      clearInterval(delivering)
    }
  })
})
