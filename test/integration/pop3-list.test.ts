import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {beforeAll, describe, expect, inject, it} from 'vitest'
import {MaildigError} from '../../src/lib/errors.js'
import {listPop3} from '../../src/lib/pop3/list.js'
import {runCli, splitFailure, type CliResult} from '../cli/run-cli.js'
import {mailboxes} from '../world/index.js'
import {withNet} from '../fixtures/net.js'

/**
 * `pop3-list` through the built CLI against the test world's Dovecot (127.0.1.30: 110 with STLS,
 * 995 with TLS; APOP works because the passwd-file stores {PLAIN} passwords): every login method,
 * the listing of messages this file delivered, a mailbox left exactly as it was found, and no
 * password in any output.
 *
 * Other test files deliver to the same two users at the same time, so the listing is checked for
 * this file's messages (by a tag in their Message-IDs), not for a whole mailbox.
 */
const world = inject('world')
const boxes = mailboxes(world)
const bob = world.users.find((u) => u.address === 'bob@mail.test')!
const alice = world.users.find((u) => u.address === 'alice@mail.test')!
const TAG = `pop3-${randomBytes(4).toString('hex')}`

const base = (user = bob.address) => ['pop3-list', 'pop.mail.test', '--resolver', world.dns.host, '--ca-file', world.ca.caFile, '--user', user]
const envFor = (user = bob) => ({MAILDIG_PASSWORD: user.password})

/** This file's messages, oldest first; the second has an RFC 2047 encoded From and Subject. */
const SENT = [
  {subject: `${TAG} plain subject`, rawSubject: `${TAG} plain subject`, from: 'Carol <carol@example.org>', rawFrom: 'Carol <carol@example.org>', date: 'Mon, 1 Jan 2024 10:00:00 +0000'},
  {
    subject: `${TAG} Grüße aus Köln`,
    rawSubject: `${TAG} =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= aus =?ISO-8859-1?Q?K=F6ln?=`,
    from: 'Jürgen Müller <jm@example.org>',
    rawFrom: '=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@example.org>',
    date: 'Tue, 2 Jan 2024 11:30:00 +0100',
  },
  {subject: `${TAG} third, with a dot line`, rawSubject: `${TAG} third, with a dot line`, from: 'dave@example.org', rawFrom: 'dave@example.org', date: 'Wed, 3 Jan 2024 12:00:00 -0500'},
].map((m, i) => ({...m, messageId: `<${TAG}.${i + 1}@example.org>`}))

function rawMessage(m: (typeof SENT)[number]): string {
  return [`From: ${m.rawFrom}`, `To: ${bob.address}`, `Subject: ${m.rawSubject}`, `Date: ${m.date}`, `Message-ID: ${m.messageId}`, '', 'Hello.', '.a line that starts with a dot', ''].join('\r\n')
}

/**
 * Dovecot moves messages from new/ to cur/ (adding ":2,") the first time any session opens the
 * mailbox: housekeeping of the server, not a change by the client. To compare file names exactly,
 * the test does that move itself before it takes the "before" snapshot.
 */
function settle(maildir: string): void {
  for (const name of fs.readdirSync(path.join(maildir, 'new'))) {
    try {
      fs.renameSync(path.join(maildir, 'new', name), path.join(maildir, 'cur', `${name}:2,`))
    } catch {
      // another session moved it first
    }
  }
}

interface MaildirFile {
  file: string
  sha256: string
}

function snapshot(maildir: string): MaildirFile[] {
  return boxes
    .messages(path.basename(path.dirname(maildir)))
    .map((m) => ({file: path.relative(maildir, m.path), sha256: createHash('sha256').update(fs.readFileSync(m.path)).digest('hex')}))
    .sort((a, b) => a.file.localeCompare(b.file))
}

/** Dovecot's UIDL for each maildir base name: %08Xu%08Xv (pop3_uidl_format) from dovecot-uidlist. */
function dovecotUidls(maildir: string): Map<string, string> {
  const [header = '', ...lines] = fs.readFileSync(path.join(maildir, 'dovecot-uidlist'), 'utf8').split('\n')
  const validity = Number(/\bV(\d+)/.exec(header)?.[1])
  const hex = (n: number) => n.toString(16).padStart(8, '0')
  const map = new Map<string, string>()
  for (const line of lines) {
    const match = /^(\d+)\s.*?:(.+)$/.exec(line)
    if (match) map.set(match[2].split(':')[0], `${hex(Number(match[1]))}${hex(validity)}`)
  }
  return map
}

type Listed = {number: number; size: number; uid: string; headers: {from: string; subject: string; date: string; messageId: string}}

function ours(json: Record<string, any> | undefined): Listed[] {
  return ((json?.messages ?? []) as Listed[]).filter((m) => m.headers?.messageId?.includes(TAG))
}

function expectNoSecret(r: CliResult, password = bob.password): void {
  for (const out of [r.stdout, r.stderr]) {
    expect(out).not.toContain(password)
    expect(out).not.toContain(Buffer.from(password).toString('base64'))
    expect(out).not.toContain(Buffer.from(`\0${bob.address}\0${password}`).toString('base64'))
  }
}

beforeAll(async () => {
  for (const m of SENT) {
    await boxes.deliver('bob', rawMessage(m))
    await boxes.waitForDelivery('bob', (d) => d.raw.includes(m.messageId), 10_000)
  }
})

describe('pop3-list against Dovecot', () => {
  it('lists the messages this test delivered (110 with STLS) and leaves the mailbox as it was', async () => {
    settle(bob.maildir)
    const before = snapshot(bob.maildir)
    const r = await runCli([...base(), '--json', '--transcript'], {env: envFor()})
    const after = snapshot(bob.maildir)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toBe('')
    const json = r.json!
    expect(json).toMatchObject({command: 'pop3-list', ok: true, exitCode: 0, host: 'pop.mail.test', address: '127.0.1.30', port: 110, tlsMode: 'starttls', limit: null})
    expect(json.greeting.text).toMatch(/^Dovecot ready\. <.+@.+>$/)
    expect(json.greeting.apop).toBe(true)
    expect(json.capabilities).toMatchObject({TOP: [], UIDL: [], USER: [], PIPELINING: [], SASL: ['PLAIN', 'LOGIN', 'CRAM-MD5']})
    expect(json.capabilities.STLS).toBeUndefined()
    expect(json.tls).toMatchObject({authorized: true, hostnameMatches: true, servername: 'pop.mail.test'})
    expect(json.auth).toEqual({user: bob.address, method: 'plain', offered: ['user', 'apop', 'plain', 'login', 'cram-md5']})
    expect(json.findings).toEqual([])

    // This file's three messages, newest first, with the headers decoded.
    const listed = ours(json)
    expect(listed.map((m) => m.headers)).toEqual([...SENT].reverse().map((m) => ({from: m.from, subject: m.subject, date: m.date, messageId: m.messageId})))
    expect(listed.map((m) => m.number)).toEqual([...listed.map((m) => m.number)].sort((a, b) => b - a))
    // Numbers, sizes and UIDs agree with what Dovecot stores: W= in the file name is the size with
    // CRLF line ends, which LIST reports; the UIDL comes from dovecot-uidlist.
    const uidls = dovecotUidls(bob.maildir)
    for (const m of listed) {
      const file = after.find((f) => fs.readFileSync(path.join(bob.maildir, f.file), 'utf8').includes(m.headers.messageId))!
      const name = path.basename(file.file)
      expect(m.size).toBe(Number(/,W=(\d+)/.exec(name)?.[1]))
      expect(m.uid).toBe(uidls.get(name.split(':')[0]))
    }
    expect(json.stat.messages).toBe(json.messages.length)
    expect(json.stat.octets).toBe(json.messages.reduce((n: number, m: Listed) => n + m.size, 0))

    // Unchanged: every file that was there is still there, with the same name (no flag such as S
    // for seen, nothing moved) and the same content; no other file took the place of one of them.
    // (A file that appears is a delivery by another test file running at the same time.)
    for (const file of before) expect(after).toContainEqual(file)
    const bases = new Set(before.map((f) => path.basename(f.file).split(':')[0]))
    for (const file of after.filter((f) => !before.some((b) => b.file === f.file))) expect(bases.has(path.basename(file.file).split(':')[0])).toBe(false)
    expect(json.stat.messages).toBeGreaterThanOrEqual(before.length)

    // The conversation: never DELE or RETR, RSET then QUIT at the end, the password masked.
    const sent = (json.transcript as {dir: string; line: string}[]).filter((l) => l.dir === 'send').map((l) => l.line)
    expect(sent.some((l) => /^(DELE|RETR)\b/i.test(l))).toBe(false)
    expect(sent.slice(-2)).toEqual(['RSET', 'QUIT'])
    expect(sent).toContain('AUTH PLAIN /* secret */')
    expectNoSecret(r)

    // A second listing sees the same messages under the same UIDs and numbers.
    const again = await runCli([...base(), '--json'], {env: envFor()})
    expect(ours(again.json)).toEqual(listed)
  })

  it('995 (implicit TLS) lists the same messages under the same UIDs', async () => {
    const stls = await runCli([...base(), '--json'], {env: envFor()})
    for (const args of [['--port', '995'], ['--tls', 'implicit']]) {
      const r = await runCli([...base(), ...args, '--json'], {env: envFor()})
      expect(r.code, r.stderr).toBe(0)
      expect(r.json).toMatchObject({port: 995, tlsMode: 'implicit', tls: {authorized: true, hostnameMatches: true}})
      expect(ours(r.json)).toEqual(ours(stls.json))
    }
  })

  it.each(['user', 'apop', 'plain', 'login', 'cram-md5'] as const)('logs in with --auth %s', async (method) => {
    const r = await runCli([...base(), '--auth', method, '--json', '--transcript'], {env: envFor()})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json?.auth.method).toBe(method)
    expect(ours(r.json)).toHaveLength(3)
    const sent = (r.json!.transcript as {dir: string; line: string}[]).filter((l) => l.dir === 'send').map((l) => l.line)
    const expected = {user: 'PASS /* secret */', apop: `APOP ${bob.address} /* secret */`, plain: 'AUTH PLAIN /* secret */', login: 'AUTH LOGIN', 'cram-md5': 'AUTH CRAM-MD5'}[method]
    expect(sent).toContain(expected)
    expectNoSecret(r)
  })

  it('--limit N lists the newest N, newest first', async () => {
    const r = await runCli([...base(), '--limit', '2', '--json'], {env: envFor()})
    expect(r.code, r.stderr).toBe(0)
    const count = r.json!.stat.messages as number
    expect(count).toBeGreaterThanOrEqual(3)
    expect(r.json!.limit).toBe(2)
    expect(r.json!.messages.map((m: Listed) => m.number)).toEqual([count, count - 1])
  })

  it('prints a table for a person, and the transcript on stderr with the password masked', async () => {
    const r = await runCli([...base(), '--transcript'], {env: envFor()})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^pop\.mail\.test \[127\.0\.1\.30\] port 110$/m)
    expect(r.stdout).toMatch(/✔ STLS\s+TLSv1\.3/)
    expect(r.stdout).toMatch(/✔ login\s+bob@mail\.test \(AUTH PLAIN\)/)
    expect(r.stdout).toMatch(/#\s+SIZE\s+UID\s+FROM\s+SUBJECT\s+DATE/)
    expect(r.stdout).toContain(`Jürgen Müller <jm@example.org>`)
    expect(r.stdout).toContain(`${TAG} Grüße aus Köln`)
    expect(r.stdout).toMatch(/✔ no problems found/)
    expect(r.stderr).toMatch(/~> AUTH PLAIN \/\* secret \*\//)
    expect(r.stderr).toMatch(/-> STLS/)
    expectNoSecret(r)
  })

  it('a wrong password: exit 7, LOGIN_FAILED with Dovecot\'s [AUTH] explained, the password nowhere', async () => {
    const wrong = 'Wrong-Password-913'
    for (const method of ['user', 'plain']) {
      const r = await runCli([...base(), '--auth', method, '--json', '--transcript'], {env: {MAILDIG_PASSWORD: wrong}})
      expect(r.code).toBe(7)
      expect(r.json).toMatchObject({ok: false, exitCode: 7, error: {code: 'LOGIN_FAILED'}})
      expect(r.json!.error.message).toMatch(/did not log bob@mail\.test in \(.+\): -ERR \[AUTH\] Authentication failed\. — the server rejected the credentials/)
      expect(r.stdout).not.toContain(wrong)
      expect(r.stdout).not.toContain(Buffer.from(wrong).toString('base64'))
      expect(r.json!.transcript.length).toBeGreaterThan(0)
    }
    const human = await runCli(base(), {env: {MAILDIG_PASSWORD: wrong}})
    expect(human.code).toBe(7)
    expect(human.stdout).toBe('')
    // The steps that worked come first (issue 16): up to the refused AUTH, not the goodbye after it.
    const {steps, error} = splitFailure(human.stderr)
    expect(steps.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual(['✔ connected', '✔ greeting', '✔ CAPA', '✔ STLS', '✔ TLS', '✔ CAPA', '✖ AUTH'])
    expect(error).toMatch(/^✖ pop\.mail\.test \[127\.0\.1\.30\]:110 did not log bob@mail\.test in \(AUTH PLAIN\)/)
    expect(human.stderr).toMatch(/fix: Check user name, password/)
    expect(human.stderr).not.toContain(wrong)
  })

  it('refuses credentials over plaintext (--tls none): exit 7, saying how to fix it; nothing of the login is sent', async () => {
    const r = await runCli([...base(), '--tls', 'none', '--json', '--transcript'], {env: envFor()})
    expect(r.code).toBe(7)
    expect(r.json!.error.code).toBe('AUTH_INSECURE')
    expect(r.json!.error.message).toMatch(/the connection is not encrypted; the server offers STLS: use it \(TLS mode starttls, or the default\), or port 995/)
    const sent = (r.json!.transcript as {dir: string; line: string}[]).filter((l) => l.dir === 'send').map((l) => l.line)
    expect(sent).toEqual(['CAPA', 'QUIT'])
  })

  it('sends them over plaintext with --allow-insecure-auth, choosing a challenge-response method, and warns', async () => {
    const r = await runCli([...base(), '--tls', 'none', '--allow-insecure-auth', '--json'], {env: envFor()})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({tlsMode: 'none', tls: null, auth: {method: 'cram-md5', offered: ['apop', 'cram-md5']}})
    expect(r.json!.findings.map((f: {code: string; severity: string}) => [f.code, f.severity])).toEqual([['AUTH_INSECURE', 'warning']])
    expect(ours(r.json)).toHaveLength(3)
    // Dovecot offers no USER before TLS (disable_plaintext_auth): asking for it is AUTH_NOT_OFFERED.
    const user = await runCli([...base(), '--tls', 'none', '--allow-insecure-auth', '--auth', 'user', '--json'], {env: envFor()})
    expect(user.code).toBe(7)
    expect(user.json!.error).toMatchObject({code: 'AUTH_NOT_OFFERED', message: expect.stringMatching(/does not offer USER\/PASS \(it offers APOP, AUTH CRAM-MD5\)/)})
  })

  it('refuses credentials over a certificate it cannot verify (no --ca-file): exit 7', async () => {
    const args = base().filter((a, i, all) => a !== '--ca-file' && all[i - 1] !== '--ca-file')
    const r = await runCli([...args, '--port', '995', '--json'], {env: envFor()})
    expect(r.code).toBe(7)
    expect(r.json!.error.code).toBe('AUTH_INSECURE')
    expect(r.json!.error.message).toMatch(/the certificate is not trusted \([A-Z_]+\); trust the certificate's authority \(an extra CA\)/)
    // Without --user the server is only checked, and the certificate is the finding (exit 1).
    const check = await runCli(['pop3-list', 'pop.mail.test', '--resolver', world.dns.host, '--port', '995', '--json'])
    expect(check.code).toBe(1)
    expect(check.json!.findings.map((f: {code: string}) => f.code)).toEqual(['TLS_CERT_UNTRUSTED', 'LOGIN_SKIPPED'])
    expect(check.json).toMatchObject({auth: null, stat: null, messages: []})
  })

  it('--auth xoauth2 where Dovecot does not offer it: exit 7, AUTH_NOT_OFFERED', async () => {
    const r = await runCli([...base(), '--auth', 'xoauth2', '--json'], {env: {MAILDIG_OAUTH_TOKEN: 'ya29.not-a-real-token'}})
    expect(r.code).toBe(7)
    expect(r.json!.error).toMatchObject({code: 'AUTH_NOT_OFFERED', message: expect.stringMatching(/does not offer AUTH XOAUTH2/)})
    expect(r.stdout).not.toContain('ya29.not-a-real-token')
  })

  it('reads the password from standard input, and the user from MAILDIG_USER', async () => {
    const args = base().slice(0, -2)
    const r = await runCli([...args, '--password-stdin', '--json'], {env: {MAILDIG_USER: alice.address}, input: `${alice.password}\n`})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.auth.user).toBe(alice.address)
    expect(r.stdout).not.toContain(alice.password)
  })
})

describe('the POP3 library against Dovecot', () => {
  it('wrong passwords from an address of their own are answered at once, and the right one still works', async () => {
    const localAddress = '127.0.1.77'
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      const error = await listPop3(withNet({host: 'pop.mail.test', address: world.dovecot.host, port: 995, ca: world.ca.caPem, localAddress, user: bob.address, password: `wrong-${i}`, timeoutMs: 5000})).then(
        () => undefined,
        (e: unknown) => e as MaildigError,
      )
      expect(error).toMatchObject({code: 'LOGIN_FAILED', exitCode: 7, response: '-ERR [AUTH] Authentication failed.'})
      expect(performance.now() - started).toBeLessThan(2000)
    }
    const result = await listPop3(withNet({host: 'pop.mail.test', address: world.dovecot.host, port: 995, ca: world.ca.caPem, localAddress, user: bob.address, password: bob.password, limit: 1}))
    expect(result.auth?.method).toBe('plain')
    expect(result.transcript.find((l) => l.line.startsWith('connected from'))?.line).toMatch(/^connected from 127\.0\.1\.77:/)
  })
})
