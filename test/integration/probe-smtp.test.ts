import {readFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'

// probe-smtp through the built CLI against the real Postfix of the test world.
const world = inject('world')
const resolver = `${world.dns.host}:${world.dns.port}`
const alice = world.users.find((u) => u.address.startsWith('alice'))!
const base = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--json', '--timeout', '5s']
const probe = (args: string[], env: Record<string, string> = {}) => runCli(['probe-smtp', ...args, ...base], {env})
const codes = (json: any) => json.findings.map((f: any) => f.code)

describe('probe-smtp against Postfix', () => {
  it('port 25: greeting, EHLO, STARTTLS with a trusted certificate', async () => {
    const r = await probe(['mx.mail.test'])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({
      command: 'probe-smtp',
      ok: true,
      host: 'mx.mail.test',
      address: world.smtp.host,
      port: 25,
      tlsMode: 'starttls',
      banner: {code: 220},
      tls: {authorized: true, hostnameMatches: true, servername: 'mx.mail.test'},
    })
    expect(r.json!.banner.text).toMatch(/mx\.mail\.test/)
    expect(r.json!.ehlo.extensions).toHaveProperty('PIPELINING')
    expect(r.json!.tls.version).toMatch(/^TLSv1\.[23]$/)
    expect(r.json!.tls.certificate.altNames).toContain('mx.mail.test')
    expect(r.json!.tls.certificate.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/)
    expect(r.json!.timings).toMatchObject({connectMs: expect.any(Number), greetingMs: expect.any(Number), ehloMs: expect.any(Number), tlsMs: expect.any(Number)})
    expect(codes(r.json)).not.toContain('BANNER_PTR_MISMATCH')
  })

  it('without the test CA the certificate is untrusted: an error finding, exit 1, the probe goes on', async () => {
    const r = await runCli(['probe-smtp', 'mx.mail.test', '--resolver', resolver, '--json', '--rcpt', alice.address])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'TLS_CERT_UNTRUSTED', severity: 'error'}))
    expect(r.json!.recipients).toEqual([expect.objectContaining({address: alice.address, accepted: true, code: 250})])
  })

  it('checks recipients: accepted, and unknown users refused at RCPT (exit 1)', async () => {
    const r = await probe(['mx.mail.test', '--from', 'sender@example.org', '--rcpt', alice.address, '--rcpt', 'nobody@mail.test'])
    expect(r.code).toBe(1)
    expect(r.json!.recipients).toEqual([
      expect.objectContaining({address: alice.address, accepted: true, code: 250}),
      expect.objectContaining({address: 'nobody@mail.test', accepted: false, code: 550, enhancedCode: '5.1.1'}),
    ])
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'RCPT_REJECTED', severity: 'error', subject: 'nobody@mail.test'}))
  })

  it('the relay test: Postfix refuses to relay', async () => {
    const r = await probe(['mx.mail.test', '--relay-test'])
    expect(r.code).toBe(0)
    expect(r.json!.relay).toMatchObject({accepted: false})
    expect(codes(r.json)).toContain('RELAY_DENIED')
    expect(codes(r.json)).not.toContain('OPEN_RELAY')
  })

  it('port 465: implicit TLS', async () => {
    const r = await probe(['mx.mail.test', '--port', '465'])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({port: 465, tlsMode: 'implicit', tls: {authorized: true}})
    expect(r.json!.ehlo.extensions.AUTH).toEqual(expect.arrayContaining(['PLAIN', 'LOGIN']))
  })

  it('port 587: AUTH after STARTTLS succeeds, and the password appears nowhere', async () => {
    const r = await probe(['mx.mail.test', '--port', '587', '--user', alice.address, '--transcript', '--require', 'starttls,valid-cert,auth,tls1.2'], {MAILDIG_PASSWORD: alice.password})
    expect(r.code).toBe(0)
    expect(r.json!.auth).toMatchObject({result: 'ok'})
    expect(r.json!.transcript.some((l: any) => l.tls && l.dir === 'send' && /^AUTH /.test(l.line))).toBe(true)
    const all = r.stdout + r.stderr
    expect(all).not.toContain(alice.password)
    expect(all).not.toContain(Buffer.from(alice.password).toString('base64'))
    expect(all).not.toContain(Buffer.from(`\0${alice.address}\0${alice.password}`).toString('base64'))
  })

  it('port 587: a wrong password is exit 7', async () => {
    const r = await probe(['mx.mail.test', '--port', '587', '--user', alice.address], {MAILDIG_PASSWORD: 'wrong-password'})
    expect(r.code).toBe(7)
    expect(r.json).toMatchObject({ok: false, exitCode: 7, error: {code: 'AUTH_FAILED'}})
  })

  it('--require lists unmet requirements as errors', async () => {
    const r = await probe(['mx.mail.test', '--require', 'auth,tls1.2'])
    expect(r.code).toBe(1)
    const unmet = r.json!.findings.filter((f: any) => f.code === 'REQUIREMENT_NOT_MET')
    expect(unmet).toHaveLength(1)
    expect(unmet[0].message).toMatch(/auth/i)
  })

  it('--tls none: no TLS, a warning that mail travels unencrypted is not raised (the user chose it)', async () => {
    const r = await probe(['mx.mail.test', '--tls', 'none'])
    expect(r.code).toBe(0)
    expect(r.json).toMatchObject({tlsMode: 'none', tls: null})
  })

  it('shows the transcript with TLS marks for people', async () => {
    const r = await runCli(['probe-smtp', 'mx.mail.test', '--resolver', resolver, '--ca-file', world.ca.caFile, '--transcript'])
    expect(r.code).toBe(0)
    expect(r.stderr).toMatch(/-> EHLO /)
    expect(r.stderr).toMatch(/<- 220 /)
    expect(r.stderr).toMatch(/~> EHLO /)
    expect(r.stdout).toMatch(/✔ STARTTLS/)
    expect(r.stdout).toMatch(/✔ certificate/)
  })

  it('a refused connection is exit 4', async () => {
    const r = await probe(['down.fallback.test'])
    expect(r.code).toBe(4)
    expect(r.json).toMatchObject({ok: false, error: {code: 'CONNECT_REFUSED'}})
  })

  it('a name that does not exist is exit 3', async () => {
    const r = await probe(['nx.test'])
    expect(r.code).toBe(3)
    expect(r.json).toMatchObject({ok: false, error: {code: 'DOMAIN_NOT_FOUND'}})
  })

  it('a mail domain given as a host (MX records, no address): HOST_IS_MAIL_DOMAIN, exit 3, its MX hosts named and --mx suggested', async () => {
    const r = await probe(['mail.test'])
    expect(r.code).toBe(3)
    expect(r.json).toMatchObject({ok: false, exitCode: 3, error: {code: 'HOST_IS_MAIL_DOMAIN'}})
    expect(r.json!.error.message).toBe('mail.test has no address (no A or AAAA record), so there is no server to connect to; it is a mail domain: its mail goes to mx.mail.test (10)')
    const human = await runCli(['probe-smtp', 'mail.test', '--resolver', resolver])
    expect(human.code).toBe(3)
    expect(human.stderr).toMatch(/^✖ mail\.test has no address .* it is a mail domain: its mail goes to mx\.mail\.test \(10\)\n {2}fix: .*probe-smtp DOMAIN --mx/)
    expect(human.stderr).not.toMatch(/spelling|does not exist/)
  })

  it('HOST:PORT is understood as send --server understands it; --port as well is a usage error', async () => {
    const r = await probe(['mx.mail.test:465'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({host: 'mx.mail.test', port: 465, tlsMode: 'implicit', tls: {authorized: true}})
    const literal = await probe([`${world.smtp.host}:587`])
    expect(literal.json).toMatchObject({address: world.smtp.host, port: 587, tlsMode: 'starttls'})
    const both = await probe(['mx.mail.test:465', '--port', '587'])
    expect(both.code).toBe(2)
    expect(both.json).toMatchObject({ok: false, error: {code: 'USAGE', message: '--port: the port is already in the argument (mx.mail.test:465); give one of them'}})
  })
})

describe('probe-smtp --mx', () => {
  it('probes every MX address in parallel, preference order kept; a dead primary is a warning', async () => {
    const r = await probe(['fallback.test', '--mx'])
    expect(r.code).toBe(0)
    expect(r.json!.probes.map((p: any) => [p.preference, p.exchange, p.ok])).toEqual([
      [10, 'down.fallback.test', false],
      [20, 'mx.mail.test', true],
    ])
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'CONNECT_REFUSED', severity: 'warning', subject: 'down.fallback.test'}))
    expect(r.json!.mx.kind).toBe('mx')
  })

  it('fails when no MX host works', async () => {
    const r = await probe(['lame.test', '--mx', '--port', '2525'])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'CONNECT_REFUSED', severity: 'error'}))
  })

  it('prints one table for people', async () => {
    const r = await runCli(['probe-smtp', 'fallback.test', '--mx', '--resolver', resolver, '--ca-file', world.ca.caFile])
    // mx.mail.test publishes a TLSA record, unvalidated through dnsmasq: a DANE column says so.
    expect(r.stdout).toMatch(/PREF\s+EXCHANGE\s+ADDRESS\s+BANNER\s+TLS\s+CERT\s+DANE\s+RESULT/)
    expect(r.stdout).toMatch(/20\s+mx\.mail\.test\s+127\.0\.1\.25\s+220 \S[^\n]*?\s+TLSv1\.3\S* \S+\s+✔\s+no AD bit/)
    expect(r.stdout).toMatch(/10\s+down\.fallback\.test\s+127\.0\.1\.26\s+CONNECT_REFUSED/)
    // The banner's text, not only its code (issue 16).
    expect(r.stdout).toMatch(/20\s+mx\.mail\.test\s+127\.0\.1\.25\s+220 mx\.mail\.test ESMTP/)
    // One findings block, after the tables: the MX table does not end with a "no problems found" of its own.
    expect(r.stdout).not.toMatch(/no problems found/)
    expect(r.stdout.trimEnd().split('\n\n').at(-1)).toMatch(/^⚠ CONNECT_REFUSED[\s\S]*fix: [\s\S]*DANE_UNAUTHENTICATED/)
  })
})

describe('probe-smtp certificates', () => {
  let expired: SmtpFixture
  let unknownCa: SmtpFixture
  beforeAll(async () => {
    const pem = (file: string) => readFileSync(file, 'utf8')
    expired = await startSmtpFixture({behaviour: 'good', host: '127.0.1.41', hostname: 'mx.mail.test', tls: {key: pem(world.ca.expiredKeyFile), cert: pem(world.ca.expiredCertFile)}})
    unknownCa = await startSmtpFixture({behaviour: 'good', host: '127.0.1.42', hostname: 'mx.mail.test', auth: {user: 'alice', password: 'secret-pw'}, tls: {key: pem(world.ca.unknownCaKeyFile), cert: pem(world.ca.unknownCaCertFile)}})
  })
  afterAll(async () => {
    await expired.close()
    await unknownCa.close()
  })

  it('reports an expired certificate and carries on', async () => {
    const r = await probe([expired.host, '--port', String(expired.port), '--rcpt', 'alice@mail.test'])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'TLS_CERT_EXPIRED'}))
    expect(r.json!.tls.certificate.daysLeft).toBeLessThan(0)
    expect(r.json!.recipients).toHaveLength(1)
  })

  it('reports a certificate from an unknown CA', async () => {
    const r = await probe([unknownCa.host, '--port', String(unknownCa.port)])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'TLS_CERT_UNTRUSTED'}))
    expect(r.json!.tls.authorized).toBe(false)
  })

  it('never sends credentials over an unverified certificate', async () => {
    const r = await probe([unknownCa.host, '--port', String(unknownCa.port), '--user', 'alice'], {MAILDIG_PASSWORD: 'secret-pw'})
    expect(r.json!.auth.result).toBe('refused-insecure')
    expect(codes(r.json)).toContain('AUTH_INSECURE')
    expect(unknownCa.received.join('\n')).not.toMatch(/^AUTH/m)
  })
})
