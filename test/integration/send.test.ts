import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {mailboxes} from '../world/index.js'

// `send` through the built CLI against the real Postfix, delivered to the real Dovecot.
const world = inject('world')
const boxes = mailboxes(world)
const resolver = `${world.dns.host}:${world.dns.port}`
const alice = world.users.find((u) => u.address.startsWith('alice'))!
const bob = world.users.find((u) => u.address.startsWith('bob'))!
const common = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--json', '--timeout', '5s']
const send = (args: string[], env: Record<string, string> = {}) => runCli(['send', ...args, ...common], {env})

const arrived = (user: string, messageId: string) => boxes.waitForDelivery(user, (m) => m.raw.includes(messageId), 10_000)

describe('send through the submission server', () => {
  it('587: STARTTLS then AUTH; the message arrives with the reported subject and Message-ID', async () => {
    const r = await send(['--server', 'mx.mail.test:587', '--user', alice.address, '--from', alice.address, '--to', bob.address, '--transcript'], {MAILDIG_PASSWORD: alice.password})
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({command: 'send', ok: true, accepted: [bob.address], rejected: [], server: {host: 'mx.mail.test', address: world.smtp.host, port: 587}, envelope: {from: alice.address, to: [bob.address]}})
    expect(r.json!.response).toMatch(/^250 .*queued as/)
    expect(r.json!.deliveries[0].queueId).toMatch(/^[A-Z0-9]+$/)
    expect(r.json!.deliveries[0].tls).toMatchObject({authorized: true})
    expect(r.json!.subject).toMatch(/^maildig test [0-9a-f]{12} /)
    const message = await arrived(bob.address, r.json!.messageId)
    expect(message.raw).toContain(`Subject: ${r.json!.subject}`)
    expect(message.raw).toContain(`Message-ID: ${r.json!.messageId}`)
    // The password is masked everywhere, the transcript included.
    expect(r.stdout + r.stderr).not.toContain(alice.password)
    expect(r.json!.transcript.some((l: any) => /^AUTH /.test(l.line) && l.tls)).toBe(true)
  })

  it('465: implicit TLS, with a subject, a body from stdin, an attachment and a replaced header', async () => {
    const r = await runCli(
      ['send', '--server', 'mx.mail.test:465', '--user', alice.address, '--from', alice.address, '--to', alice.address, '--subject', 'Grüße über 465', '--body-file', '-', '--attach', 'examples/README.md', '--header', 'X-Maildig-Test: one', '--header', 'x-maildig-test: two', ...common],
      {env: {MAILDIG_PASSWORD: alice.password}, input: 'Body from standard input.\n'},
    )
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({accepted: [alice.address], server: {port: 465}})
    const message = await arrived(alice.address, r.json!.messageId)
    expect(message.raw).toMatch(/^Subject: =\?UTF-8\?/m)
    expect(message.raw).toContain('Body from standard input.')
    expect(message.raw).toContain('filename=README.md')
    expect(message.raw.match(/^X-Maildig-Test:/gim)).toHaveLength(1)
    expect(message.raw).toMatch(/^x-maildig-test: two$/im)
  })

  it('refuses to send credentials without TLS', async () => {
    const r = await send(['--server', 'mx.mail.test:587', '--tls', 'none', '--user', alice.address, '--from', alice.address, '--to', bob.address], {MAILDIG_PASSWORD: alice.password})
    expect(r.code).toBe(7)
    expect(r.json).toMatchObject({ok: false, error: {code: 'AUTH_INSECURE'}})
  })

  it('a wrong password is exit 7', async () => {
    const r = await send(['--server', 'mx.mail.test:587', '--user', alice.address, '--from', alice.address, '--to', bob.address], {MAILDIG_PASSWORD: 'not-the-password'})
    expect(r.code).toBe(7)
    expect(r.json!.error.code).toBe('AUTH_FAILED')
  })
})

describe('send straight to the MX', () => {
  it('falls back to the second MX when the first refuses connections', async () => {
    const r = await send(['--from', 'tester@example.org', '--to', 'alice@fallback.test'])
    expect(r.code).toBe(0)
    expect(r.json!.server).toMatchObject({host: 'mx.mail.test', port: 25})
    expect(r.json!.deliveries[0].attempts).toEqual([expect.objectContaining({host: 'down.fallback.test', address: '127.0.1.26', error: expect.objectContaining({code: 'CONNECT_REFUSED'})})])
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_FALLBACK'}))
    await arrived(alice.address, r.json!.messageId)
  })

  it('an unknown recipient is rejected: exit 1, with code and text', async () => {
    const r = await send(['--from', 'tester@example.org', '--to', 'nobody@mail.test', '--to', bob.address])
    expect(r.code).toBe(1)
    expect(r.json!.accepted).toEqual([bob.address])
    expect(r.json!.rejected).toEqual([expect.objectContaining({address: 'nobody@mail.test', code: 550, enhancedCode: '5.1.1'})])
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'RCPT_REJECTED', subject: 'nobody@mail.test'}))
  })

  it('a null-MX domain is refused and nothing is sent', async () => {
    const r = await send(['--from', 'tester@example.org', '--to', 'someone@nullmx.test', '--transcript'])
    expect(r.code).toBe(1)
    expect(r.json!.accepted).toEqual([])
    expect(r.json!.rejected).toEqual([expect.objectContaining({address: 'someone@nullmx.test'})])
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MX_NULL'}))
    expect(r.json!.deliveries).toEqual([])
    expect(r.json!.transcript).toEqual([])
  })

  it('groups recipients by domain', async () => {
    const r = await send(['--from', 'tester@example.org', '--to', alice.address, '--to', 'bob@implicit.test'])
    expect(r.code).toBe(0)
    expect(r.json!.deliveries.map((d: any) => d.domain).sort()).toEqual(['implicit.test', 'mail.test'])
    expect(r.json!.accepted.sort()).toEqual([alice.address, 'bob@implicit.test'].sort())
    // The implicit MX is the domain itself, which the certificate does not name: a warning between servers.
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'TLS_HOSTNAME_MISMATCH', severity: 'warning', subject: 'implicit.test'}))
  })
})

describe('send: SMTPUTF8 and DSN', () => {
  it('uses SMTPUTF8 for a non-ASCII local part when the server offers it', async () => {
    const r = await send(['--from', 'jörg@example.org', '--to', alice.address, '--transcript'])
    expect(r.code).toBe(0)
    expect(r.json!.transcript.find((l: any) => /^MAIL FROM:/.test(l.line)).line).toMatch(/<jörg@example\.org>.*SMTPUTF8/)
    expect(r.json!.accepted).toEqual([alice.address])
    expect(r.json!.response).toMatch(/queued as/)
    // (Postfix then bounces it: Debian 12's Dovecot LMTP does not offer SMTPUTF8. maildig's part ends at Postfix.)
  })

  it('sends DSN parameters the server advertises', async () => {
    const r = await send(['--from', 'dsn@example.org', '--to', alice.address, '--dsn-notify', 'SUCCESS,FAILURE', '--dsn-ret', 'HDRS', '--dsn-envid', 'maildig-test-1', '--transcript'])
    expect(r.code).toBe(0)
    const lines = r.json!.transcript.map((l: any) => l.line)
    expect(lines.find((l: string) => l.startsWith('MAIL FROM:'))).toMatch(/RET=HDRS.*ENVID=maildig-test-1/)
    expect(lines.find((l: string) => l.startsWith('RCPT TO:'))).toMatch(/NOTIFY=SUCCESS,FAILURE/)
    expect(r.json!.findings.map((f: any) => f.code)).not.toContain('DSN_NOT_OFFERED')
  })
})
