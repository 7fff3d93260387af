import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import nodemailer from 'nodemailer'
import {describe, expect, inject, it} from 'vitest'
import {DnsResolver} from '../../src/lib/dns/resolver.js'
import {checkImap} from '../../src/lib/imap/check.js'
import {Transcript} from '../../src/lib/net/transcript.js'
import {runCli, runOnTerminal, transcriptSpan, type CliResult} from '../cli/run-cli.js'
import {mailboxes} from '../world/index.js'
import {withNet} from '../fixtures/net.js'

// imap-check against the test world's Dovecot (127.0.1.30: 143 STARTTLS, 993 TLS), through the
// built CLI and, where the CLI cannot reach (a source address), through the library.
const world = inject('world')
const boxes = mailboxes(world)
const resolver = `${world.dns.host}:${world.dns.port}`
const alice = world.users.find((u) => u.address.startsWith('alice'))!
const bob = world.users.find((u) => u.address.startsWith('bob'))!
const base = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--json', '--timeout', '5s']
const check = (args: string[], env: Record<string, string> = {}, input?: string) => runCli(['imap-check', 'imap.mail.test', ...args, ...base], {env, input})
const codes = (json: any): string[] => json.findings.map((f: any) => f.code)
const tag = () => `imapcheck-${Date.now()}-${randomBytes(4).toString('hex')}`

/** The password must appear in no output: stdout, stderr (human, JSON, transcript). */
function expectNoPassword(r: CliResult, password: string): void {
  expect(r.stdout).not.toContain(password)
  expect(r.stderr).not.toContain(password)
  expect(r.stdout).not.toContain(Buffer.from(password).toString('base64'))
}

/** Each message file of a user's INBOX: base name → directory and maildir flags (":2,FS"). */
function flagState(user: string, only?: (raw: string) => boolean): Map<string, string> {
  const state = new Map<string, string>()
  for (const file of boxes.messages(user)) {
    if (only) {
      let raw = ''
      try {
        raw = readFileSync(file.path, 'utf8')
      } catch {
        continue
      }
      if (!only(raw)) continue
    }
    const [base, info = ''] = file.name.split(':')
    state.set(base, `${file.path.includes('/new/') ? 'new' : 'cur'} ${info}`)
  }
  return state
}

function message(id: string, subject: string, to = bob.address): string {
  return [`From: Tester <tester@example.org>`, `To: ${to}`, `Subject: ${subject}`, `Message-ID: <${id}@example.org>`, `Date: ${new Date().toUTCString()}`, '', 'Hello from the imap-check test.', ''].join('\r\n')
}

describe('imap-check against Dovecot', () => {
  it('993: TLS, certificate, capabilities before and after login, ID, special-use mailboxes, quota; statuses match the mail delivered', async () => {
    const t = tag()
    for (let i = 0; i < 3; i++) await boxes.deliver(bob.address, message(`${t}-${i}`, `${t} number ${i}`))
    const before = boxes.messages(bob.address).length
    const r = await check(['--user', bob.address], {MAILDIG_PASSWORD: bob.password})
    const after = boxes.messages(bob.address).length
    expect(r.code, r.stderr).toBe(0)
    expectNoPassword(r, bob.password)
    const j = r.json!
    expect(j).toMatchObject({
      command: 'imap-check',
      ok: true,
      host: 'imap.mail.test',
      address: world.dovecot.host,
      port: 993,
      tlsMode: 'implicit',
      greeting: {status: 'OK', text: 'Dovecot ready.'},
      tls: {authorized: true, hostnameMatches: true, servername: 'imap.mail.test'},
      serverId: {name: 'Dovecot'},
      auth: {user: bob.address, result: 'ok', method: 'AUTHENTICATE PLAIN'},
    })
    expect(j.capabilitiesBeforeLogin).toEqual(expect.arrayContaining(['IMAP4rev1', 'AUTH=PLAIN', 'IDLE', 'ID']))
    expect(j.capabilitiesBeforeLogin).not.toContain('QUOTA')
    expect(j.capabilities).toEqual(expect.arrayContaining(['QUOTA', 'LIST-STATUS', 'SPECIAL-USE', 'IDLE']))
    expect(j.auth.mechanisms).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN', 'CRAM-MD5']))
    const byPath = Object.fromEntries(j.mailboxes.map((m: any) => [m.path, m]))
    expect(Object.keys(byPath).sort()).toEqual(['Drafts', 'INBOX', 'Junk', 'Sent', 'Trash'])
    for (const [path, role] of [['Sent', '\\Sent'], ['Drafts', '\\Drafts'], ['Junk', '\\Junk'], ['Trash', '\\Trash']]) {
      expect(byPath[path], path).toMatchObject({specialUse: role, specialUseSource: 'server'})
    }
    // Other test files may deliver to bob at the same time: the count lies between the two looks.
    expect(byPath.INBOX.messages).toBeGreaterThanOrEqual(Math.min(before, after))
    expect(byPath.INBOX.messages).toBeLessThanOrEqual(Math.max(before, after))
    expect(byPath.INBOX.messages).toBeGreaterThanOrEqual(3)
    expect(byPath.INBOX.unseen).toBeGreaterThanOrEqual(3)
    expect(byPath.INBOX.uidNext).toBeGreaterThan(byPath.INBOX.messages)
    expect(j.quota).toMatchObject({mailbox: 'INBOX', root: 'User quota', storage: {limit: 10 * 1024 * 1024}})
    expect(j.quota.storage.used).toBeGreaterThan(0)
    expect(j.timings).toMatchObject({lookupMs: expect.any(Number), connectMs: expect.any(Number), tlsMs: expect.any(Number), greetingMs: expect.any(Number), authMs: expect.any(Number), listMs: expect.any(Number), quotaMs: expect.any(Number), totalMs: expect.any(Number)})
    expect(codes(j)).toEqual([])
  })

  it('143: STARTTLS required and done; LOGINDISABLED before it, AUTH=PLAIN inside', async () => {
    const r = await check(['--port', '143', '--tls', 'starttls', '--user', alice.address], {MAILDIG_PASSWORD: alice.password})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({port: 143, tlsMode: 'starttls', tls: {authorized: true}, auth: {result: 'ok'}})
    expect(r.json!.greeting.capabilities).toEqual(expect.arrayContaining(['STARTTLS', 'LOGINDISABLED']))
    expect(r.json!.capabilitiesBeforeLogin).toContain('AUTH=PLAIN')
    expect(r.json!.capabilitiesBeforeLogin).not.toContain('STARTTLS')
    expectNoPassword(r, alice.password)
  })

  it('--transcript: the conversation with TLS marked, the credentials masked (PLAIN and LOGIN)', async () => {
    const plain = await check(['--user', alice.address, '--transcript'], {MAILDIG_PASSWORD: alice.password})
    expect(plain.code).toBe(0)
    const lines: {dir: string; tls: boolean; line: string}[] = plain.json!.transcript
    expect(lines.find((l) => l.dir === 'recv')).toMatchObject({tls: true, line: expect.stringMatching(/^\* OK .*Dovecot ready\.$/)})
    const auth = lines.findIndex((l) => /^\d+ AUTHENTICATE PLAIN$/.test(l.line))
    expect(auth).toBeGreaterThan(0)
    expect(lines.slice(auth + 1).find((l) => l.dir === 'send')?.line).toBe('/* secret */')
    expect(lines.some((l) => /^\d+ EXAMINE|^\d+ SELECT/.test(l.line))).toBe(false)
    expectNoPassword(plain, alice.password)
    const login = await check(['--user', alice.address, '--auth', 'login', '--transcript'], {MAILDIG_PASSWORD: alice.password})
    expect(login.code).toBe(0)
    expect(login.json!.auth.method).toBe('LOGIN')
    expect(login.json!.transcript.map((l: any) => l.line)).toContainEqual(expect.stringMatching(/^\d+ LOGIN "alice@mail\.test" \/\* secret \*\/$/))
    expectNoPassword(login, alice.password)
    // Human mode: the transcript goes to stderr, masked too.
    const human = await runCli(['imap-check', 'imap.mail.test', '--resolver', resolver, '--ca-file', world.ca.caFile, '--user', alice.address, '--transcript'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(human.code).toBe(0)
    expect(human.stderr).toMatch(/~> \d+ AUTHENTICATE PLAIN/)
    expect(human.stderr).toContain('~> /* secret */')
    expect(human.stdout).toMatch(/✔ login +alice@mail\.test: ok \(AUTHENTICATE PLAIN\)/)
    expect(human.stdout).toMatch(/INBOX +\\Inbox/)
    expectNoPassword(human, alice.password)
  })

  it('--password-stdin works the same', async () => {
    const r = await check(['--user', alice.address, '--password-stdin', '--mailbox', 'Sent'], {}, `${alice.password}\n`)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.mailboxes.map((m: any) => m.path)).toEqual(['Sent'])
    expectNoPassword(r, alice.password)
  })

  it('waits for a message sent through Postfix during the check (IDLE), flags unchanged afterwards', async () => {
    const t = tag()
    const id = `${t}@example.org`
    // The library, with a transcript to watch: the message is sent once the server has answered
    // IDLE, not after a guess at how long the check takes to get there.
    const transcript = new Transcript()
    const startedAt = Date.now()
    const resolver = new DnsResolver({servers: [{host: world.dns.host, port: world.dns.port}], timeoutMs: 5000})
    const waiting = checkImap(withNet({host: 'imap.mail.test', resolver, ca: world.ca.caPem, timeoutMs: 5000, user: bob.address, password: bob.password, transcript, startedAt, waitFor: {messageId: `<${id}>`, timeoutMs: 20_000}}))
    waiting.catch(() => undefined)
    const idling = () => {
      const idle = transcript.lines.findIndex((l) => l.dir === 'send' && /^\S+ IDLE$/.test(l.line))
      return idle !== -1 && transcript.lines.slice(idle + 1).some((l) => l.dir === 'recv' && l.line.startsWith('+'))
    }
    for (const until = Date.now() + 20_000; !idling() && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 25))
    expect(idling()).toBe(true)
    const sentAfterMs = Date.now() - startedAt
    const transport = nodemailer.createTransport({host: world.smtp.host, port: world.smtp.ports.smtp, secure: false, name: 'client.test', tls: {ca: world.ca.caPem, servername: 'mx.mail.test'}})
    await transport.sendMail({from: 'tester@example.org', to: bob.address, subject: `${t} round trip`, messageId: `<${id}>`, text: 'round trip'})
    transport.close()
    const {result} = await waiting
    const w = result.waitFor!
    expect(w).toMatchObject({criterion: 'message-id', value: id, mailbox: 'INBOX', method: 'idle', found: true, alreadyThere: false})
    expect(w.uid).toBeGreaterThan(0)
    expect(w.latencyMs).toBeGreaterThanOrEqual(sentAfterMs)
    expect(w.latencyMs).toBeLessThan(20_000)
    expect(w.message).toMatchObject({messageId: `<${id}>`, subject: `${t} round trip`, from: 'tester@example.org'})
    expect(w.deliveryMs).toBeGreaterThanOrEqual(-1000)
    expect(result.timings.waitMs).toBeGreaterThan(0)

    // The message is still unseen, in the state Dovecot delivered it; the check changed nothing.
    const mine = (raw: string) => raw.includes(id)
    const state = flagState(bob.address, mine)
    expect(state.size).toBe(1)
    expect([...state.values()][0]).not.toMatch(/S/)
    const again = await check(['--user', bob.address, '--wait-for-message-id', id, '--wait', '5s'], {MAILDIG_PASSWORD: bob.password})
    expect(again.json!.waitFor).toMatchObject({found: true, alreadyThere: true, uid: w.uid})
    expect(flagState(bob.address, mine)).toEqual(state)
  })

  it('the README round trip: `maildig send` during the wait, found by subject, then by its Message-ID', async () => {
    const subject = `${tag()} readme round trip`
    // On a terminal, so that the spinner says when the wait has begun (after the first search): the message is sent
    // then, not after a guessed sleep.
    const waiting = runOnTerminal(['imap-check', 'imap.mail.test', '--resolver', resolver, '--ca-file', world.ca.caFile, '--user', bob.address, '--wait-for-subject', subject, '--wait', '20s', '--mailbox', 'INBOX'], {env: {MAILDIG_PASSWORD: bob.password}})
    await waiting.until(/waiting for the message in INBOX: \d+ s left/)
    const sent = await runCli(['send', '--server', 'mx.mail.test:587', '--user', alice.address, '--from', alice.address, '--to', bob.address, '--subject', subject, '--resolver', resolver, '--ca-file', world.ca.caFile, '--json'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(sent.code, sent.stderr).toBe(0)
    const messageId: string = sent.json!.messageId
    const bySubject = await waiting.ended
    expect(bySubject.status, bySubject.screen).toBe(0)
    // Found by the second search, during the wait: not "(already there)".
    const found = /✔ found UID (\d+) after /.exec(bySubject.screen)
    expect(found, bySubject.screen).not.toBeNull()
    const byId = await check(['--user', bob.address, '--wait-for-message-id', messageId, '--wait', '20s'], {MAILDIG_PASSWORD: bob.password})
    expect(byId.code, byId.stderr).toBe(0)
    expect(byId.json!.waitFor).toMatchObject({found: true, alreadyThere: true, uid: Number(found![1]), message: {messageId, subject}})
  })

  it('flags are unchanged by a full check and a wait: every file keeps its name and directory', async () => {
    const t = tag()
    await boxes.deliver(alice.address, message(`${t}-a`, `${t} first`, alice.address))
    await boxes.deliver(alice.address, message(`${t}-b`, `${t} second`, alice.address))
    const mine = (raw: string) => raw.includes(t)
    const before = flagState(alice.address, mine)
    expect(before.size).toBe(2)
    const r = await check(['--user', alice.address, '--wait-for-subject', `${t} second`, '--wait', '5s'], {MAILDIG_PASSWORD: alice.password})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.waitFor).toMatchObject({found: true, alreadyThere: true, criterion: 'subject'})
    const full = await check(['--user', alice.address, '--transcript'], {MAILDIG_PASSWORD: alice.password})
    expect(full.code).toBe(0)
    expect(flagState(alice.address, mine)).toEqual(before)
  })

  it('MESSAGE_NOT_FOUND at the deadline: exit 1, on time', async () => {
    const r = await check(['--user', alice.address, '--wait-for-subject', `never-${tag()}`, '--wait', '1500ms'], {MAILDIG_PASSWORD: alice.password})
    expect(r.code).toBe(1)
    expect(r.json).toMatchObject({ok: false, exitCode: 1, waitFor: {found: false, uid: null}})
    expect(codes(r.json)).toEqual(['MESSAGE_NOT_FOUND'])
    // The wait as the run measured it (the process start and imapflow's load, seconds under load, are not in it).
    expect(r.json!.waitFor.waitedMs).toBeLessThan(1500 + 1000)
  })

  it('--mailbox that does not exist: MAILBOX_NOT_FOUND, exit 1', async () => {
    const r = await check(['--user', alice.address, '--mailbox', 'Archive/2019'], {MAILDIG_PASSWORD: alice.password})
    expect(r.code).toBe(1)
    expect(codes(r.json)).toEqual(['MAILBOX_NOT_FOUND'])
    expect(r.json!.findings[0].message).toMatch(/no mailbox "Archive\/2019".*there are: .*INBOX/)
  })

  it('a wrong password: LOGIN_FAILED, exit 7, the password in no output', async () => {
    const wrong = `wrong-${randomBytes(6).toString('hex')}`
    const r = await check(['--user', alice.address, '--transcript'], {MAILDIG_PASSWORD: wrong})
    expect(r.code).toBe(7)
    expect(r.json).toMatchObject({ok: false, error: {code: 'LOGIN_FAILED'}})
    expect(r.json!.error.message).toMatch(/AUTHENTICATIONFAILED/)
    expect(r.json!.transcript.length).toBeGreaterThan(3)
    expectNoPassword(r, wrong)
    const human = await runCli(['imap-check', 'imap.mail.test', '--resolver', resolver, '--ca-file', world.ca.caFile, '--user', alice.address, '--transcript'], {env: {MAILDIG_PASSWORD: wrong}})
    expect(human.code).toBe(7)
    expect(human.stderr).toMatch(/rejected the login for alice@mail\.test/)
    expectNoPassword(human, wrong)
  })

  it('a wrong password from its own source address (the library\'s localAddress)', async () => {
    const resolver = new DnsResolver({servers: [{host: world.dns.host, port: world.dns.port}], timeoutMs: 2000})
    const error = await checkImap(withNet({host: 'imap.mail.test', resolver, ca: world.ca.caPem, localAddress: '127.0.1.81', user: bob.address, password: 'definitely-wrong', timeoutMs: 5000})).catch((e) => e)
    expect(error).toMatchObject({code: 'LOGIN_FAILED', exitCode: 7})
    expect(error.partial.transcript.map((l: any) => l.line)).toContainEqual(expect.stringMatching(/^connected from 127\.0\.1\.81:\d+$/))
  })

  it('without the test CA: the certificate is not verified, so no password is sent (AUTH_INSECURE, exit 7)', async () => {
    const r = await runCli(['imap-check', 'imap.mail.test', '--resolver', resolver, '--json', '--user', alice.address, '--transcript'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(r.code).toBe(7)
    expect(r.json!.error).toMatchObject({code: 'AUTH_INSECURE'})
    expect(r.json!.error.message).toMatch(/not trusted.*trust a private CA/)
    expect(r.json!.transcript.some((l: any) => l.dir === 'send' && /AUTHENTICATE|LOGIN/.test(l.line))).toBe(false)
    expect(r.json!.transcript.some((l: any) => l.dir === 'send' && / ID /.test(l.line))).toBe(true)
    // --allow-insecure-auth logs in anyway; the untrusted certificate stays an error finding (exit 1).
    const anyway = await runCli(['imap-check', 'imap.mail.test', '--resolver', resolver, '--json', '--user', alice.address, '--allow-insecure-auth'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(anyway.code).toBe(1)
    expect(anyway.json!.auth.result).toBe('ok')
    expect(codes(anyway.json)).toContain('TLS_CERT_UNTRUSTED')
  })

  it('without --user: greeting, TLS and capabilities only, exit 0', async () => {
    const r = await check([])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({auth: {result: 'not-tested', user: null}, mailboxes: [], quota: null, tls: {authorized: true}})
    expect(r.json!.findings).toEqual([expect.objectContaining({code: 'LOGIN_SKIPPED', severity: 'info'})])
  })

  it('wrong TLS mode for the port: a TLS error on 143 (exit 6), a greeting timeout on 993 (exit 5), each with the fix', async () => {
    const tlsOn143 = await check(['--port', '143', '--tls', 'implicit'])
    expect(tlsOn143.code).toBe(6)
    expect(tlsOn143.json!.error).toMatchObject({code: 'TLS_FAILED'})
    expect(tlsOn143.json!.error.message).toMatch(/port 143 is STARTTLS: use TLS mode starttls/)
    const plainOn993 = await runCli(['imap-check', 'imap.mail.test', '--port', '993', '--tls', 'starttls', '--resolver', resolver, '--json', '--transcript', '--timeout', '1s'])
    expect(plainOn993.code).toBe(5)
    expect(plainOn993.json!.error).toMatchObject({code: 'GREETING_TIMEOUT'})
    expect(plainOn993.json!.error.message).toMatch(/port 993 speaks TLS from the first byte/)
    // The 1 s greeting deadline, from the connect to the failure as the run measured it (the CLI's start-up, seconds
    // under load, is not in it); then at most the 1 s close grace.
    const greeting = transcriptSpan(plainOn993.json!.transcript, /^connected from /, /^! no greeting from /)
    expect(greeting.ms).toBeGreaterThanOrEqual(1000 - 10)
    expect(greeting.ms).toBeLessThan(1000 + 500)
    expect(plainOn993.json!.timings.totalMs - greeting.toT).toBeLessThan(1000 + 500)
  })

  it('names resolve through --resolver (imap.mail.test exists only in the world\'s DNS); an unknown name is exit 3', async () => {
    const r = await check(['--user', alice.address, '--mailbox', 'INBOX'], {MAILDIG_PASSWORD: alice.password})
    expect(r.json!.address).toBe(world.dovecot.host)
    const missing = await runCli(['imap-check', 'nowhere.mail.test', '--resolver', resolver, '--json'])
    expect(missing.code).toBe(3)
    expect(missing.json!.error.code).toBe('DOMAIN_NOT_FOUND')
  })
})
