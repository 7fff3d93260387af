import fs from 'node:fs'
import {X509Certificate} from 'node:crypto'
import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {mailboxes} from '../world/index.js'

// DANE (RFC 7672) against the test world's signed zone dane.test: Unbound validates it (the AD bit),
// dnsmasq passes the same records on unvalidated. Every MX in it is Postfix, whose certificate names
// mx.mail.test and mx.ta.dane.test only (test/world/zones.ts describes each domain).
const world = inject('world')
const validating = `${world.dnssec.resolver.host}:${world.dnssec.resolver.port}`
const plain = `${world.dns.host}:${world.dns.port}`
const common = ['--ca-file', world.ca.caFile, '--timeout', '5s']
const trace = (recipient: string, resolver = validating, json = true) => runCli(['trace', recipient, '--resolver', resolver, ...common, ...(json ? ['--json'] : [])])
const probeMx = (domain: string, resolver = validating, json = true) => runCli(['probe-smtp', domain, '--mx', '--resolver', resolver, ...common, ...(json ? ['--json'] : [])])
const codes = (json: any) => json.findings.map((f: any) => f.code)
const find = (json: any, code: string) => json.findings.find((f: any) => f.code === code)

describe('DANE with a validating resolver: trace', () => {
  it('the certificate does not name the MX host, which does not matter with DANE-EE (the control: Postfix\'s names)', () => {
    const names = new X509Certificate(fs.readFileSync(world.ca.certFile)).subjectAltName ?? ''
    expect(names).toContain('DNS:mx.mail.test')
    expect(names).not.toContain('mx.ee.dane.test')
    expect(names).not.toContain('mx.bad.dane.test')
    expect(names).toContain('DNS:mx.ta.dane.test')
  })

  it('DANE-EE 3 1 1 matching: deliverable by every sender, no TLS_HOSTNAME_MISMATCH (RFC 7672 §3.1.1)', async () => {
    const r = await trace('alice@ee.dane.test')
    expect(r.code, r.stderr).toBe(0)
    expect(r.json!.mx).toMatchObject({authenticated: true, exchanges: [{exchange: 'mx.ee.dane.test', authenticated: true}]})
    expect(r.json!.policy.dane).toEqual([expect.objectContaining({host: 'mx.ee.dane.test', status: 'matched', authenticated: true, applies: true, senders: 'deliver', matched: expect.objectContaining({usage: 3, certificate: 'leaf'})})])
    expect(r.json!.verdict).toMatchObject({deliverable: true, via: {exchange: 'mx.ee.dane.test'}, dane: {deliverable: true, via: {exchange: 'mx.ee.dane.test'}}, withoutDane: {deliverable: true}})
    expect(codes(r.json)).not.toContain('TLS_HOSTNAME_MISMATCH')
    expect(r.json!.findings.filter((f: any) => f.severity !== 'info')).toEqual([])
    // The certificate findings are still reported where DANE did not vouch: through dnsmasq, no AD bit.
    const unvalidated = await trace('alice@ee.dane.test', plain)
    expect(unvalidated.code).toBe(0)
    expect(codes(unvalidated.json)).toEqual(expect.arrayContaining(['TLS_HOSTNAME_MISMATCH', 'DANE_UNAUTHENTICATED']))
  })

  it('the only MX matches no TLSA record: DANE senders defer, the others deliver, and the verdict says both', async () => {
    const r = await trace('alice@bad.dane.test')
    expect(r.code).toBe(1)
    expect(r.json!.policy.dane[0]).toMatchObject({host: 'mx.bad.dane.test', status: 'mismatch', applies: true, senders: 'skip'})
    expect(r.json!.verdict).toMatchObject({
      deliverable: false,
      via: null,
      dane: {deliverable: false, via: null, reason: expect.stringMatching(/^the only MX fails DANE authentication \(mx\.bad\.dane\.test: .*\), so senders that use DANE \(Postfix with smtp_tls_security_level = dane, Exim, Exchange Online\) defer the message \(RFC 7672 §2\.2\)$/)},
      withoutDane: {deliverable: true, via: {exchange: 'mx.bad.dane.test', address: world.smtp.host}},
    })
    expect(r.json!.verdict.reason).toMatch(/senders that do not use DANE deliver it via mx\.bad\.dane\.test/)
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'error', subject: 'mx.bad.dane.test'})
    expect(r.json!.route.find((s: any) => s.step === 'delivery')).toMatchObject({status: 'failed', host: 'mx.bad.dane.test'})

    const human = await trace('alice@bad.dane.test', validating, false)
    expect(human.code).toBe(1)
    expect(human.stdout).not.toMatch(/✔ Deliverable via/)
    expect(human.stdout, human.stdout).toMatch(/✖ Not deliverable by senders that use DANE: the only MX fails DANE authentication .*defer the message/)
    expect(human.stdout).toMatch(/✔ Deliverable by senders that do not use DANE via mx\.bad\.dane\.test \[127\.0\.1\.25\]/)
  })

  it('a mismatching preferred MX and a matching backup: DANE senders skip to the backup (a warning)', async () => {
    const r = await trace('alice@backup.dane.test')
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.verdict).toMatchObject({
      deliverable: true,
      via: {exchange: 'mx.bad.dane.test'},
      dane: {deliverable: true, via: {exchange: 'mx.ee.dane.test'}},
      withoutDane: {deliverable: true, via: {exchange: 'mx.bad.dane.test'}},
    })
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'warning', message: expect.stringMatching(/another MX that passes/)})
  })

  it('DANE-TA naming the test CA, and a certificate that names the MX host: matched', async () => {
    const r = await trace('alice@ta.dane.test')
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.policy.dane[0]).toMatchObject({status: 'matched', senders: 'deliver', matched: {usage: 2, selector: 0, matchingType: 1, certificate: 'chain', subject: expect.stringContaining('maildig Test CA')}})
    expect(r.json!.probes[0].result.tls.chain).toHaveLength(2)
    expect(r.json!.verdict).toMatchObject({deliverable: true, dane: {deliverable: true}})
  })

  it('DANE-TA whose certificate names neither the MX host nor the TLSA base domain: DANE senders defer (RFC 7672 §3.2.2)', async () => {
    const r = await trace('alice@taname.dane.test')
    expect(r.code).toBe(1)
    expect(r.json!.policy.dane[0]).toMatchObject({status: 'name-mismatch', senders: 'skip'})
    expect(find(r.json, 'DANE_NAME_MISMATCH')).toMatchObject({severity: 'error', message: expect.stringMatching(/names neither mx\.taname\.dane\.test/)})
    // The name is checked here, so the certificate finding stays.
    expect(codes(r.json)).toContain('TLS_HOSTNAME_MISMATCH')
    expect(r.json!.verdict).toMatchObject({deliverable: false, dane: {deliverable: false}, withoutDane: {deliverable: true}})
  })

  it('an MX host that is an alias: the TLSA records and the DANE-TA name are the target\'s (RFC 7672 §2.2.2)', async () => {
    const r = await trace('alice@tacname.dane.test')
    expect(r.json!.mx.exchanges[0]).toMatchObject({exchange: 'mx.tacname.dane.test', cname: 'mx.ta.dane.test', authenticated: true})
    expect(r.json!.policy.dane[0]).toMatchObject({host: 'mx.tacname.dane.test', baseDomain: 'mx.ta.dane.test', name: '_25._tcp.mx.ta.dane.test', status: 'matched'})
    expect(codes(r.json)).not.toContain('TLS_HOSTNAME_MISMATCH')
    expect(r.json!.verdict).toMatchObject({deliverable: true, dane: {deliverable: true}})
  })

  it('only unusable records (PKIX-EE, a short digest): DANE senders require TLS but authenticate nothing', async () => {
    const r = await trace('alice@pkix.dane.test')
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.policy.dane[0]).toMatchObject({status: 'unusable', usable: false, applies: true, senders: 'deliver'})
    // A resolver may hand out the records of a set in any order (Unbound rotates them).
    const notes: string[] = r.json!.policy.dane[0].records.map((x: any) => x.note)
    expect(notes).toHaveLength(2)
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/PKIX-EE/), expect.stringMatching(/32 bytes, this one 2/)]))
    expect(find(r.json, 'DANE_TLSA_UNUSABLE')).toMatchObject({severity: 'warning'})
    expect(r.json!.verdict).toMatchObject({deliverable: true, dane: {deliverable: true}})
  })

  it('the same zone without the AD bit (dnsmasq): the records are not used, the verdict is every sender\'s', async () => {
    const r = await trace('alice@bad.dane.test', plain)
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.mx.authenticated).toBe(false)
    expect(r.json!.policy.dane[0]).toMatchObject({status: 'unauthenticated', applies: false, senders: 'no-dane'})
    expect(codes(r.json)).toContain('DANE_UNAUTHENTICATED')
    expect(codes(r.json)).not.toContain('DANE_TLSA_MISMATCH')
    expect(r.json!.verdict).toMatchObject({deliverable: true, dane: null, withoutDane: {deliverable: true}})
  })

  it('an unsigned MX pointing at a host with validated TLSA records: DANE does not apply (RFC 7672 §2.2.1)', async () => {
    const r = await trace('alice@insecure.test')
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.mx).toMatchObject({authenticated: false, exchanges: [{exchange: 'mx.bad.dane.test', authenticated: true}]})
    expect(r.json!.policy.dane[0]).toMatchObject({status: 'mismatch', authenticated: true, applies: false, senders: 'no-dane'})
    expect(find(r.json, 'DANE_MX_INSECURE')).toMatchObject({severity: 'warning', message: expect.stringMatching(/the MX answer was not validated/)})
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'warning'})
    expect(r.json!.verdict).toMatchObject({deliverable: true, dane: null})
  })
})

describe('DANE with a validating resolver: probe-smtp --mx', () => {
  it('a DANE-authenticated MX whose certificate does not match is a failure for that MX (exit 1)', async () => {
    const r = await probeMx('bad.dane.test')
    expect(r.code).toBe(1)
    expect(r.json!.dane).toEqual([expect.objectContaining({host: 'mx.bad.dane.test', status: 'mismatch', senders: 'skip'})])
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'error'})
    const human = await probeMx('bad.dane.test', validating, false)
    expect(human.stdout).toMatch(/DANE/)
    expect(human.stdout, human.stdout).toMatch(/✖ mismatch/)
  })

  it('a matching DANE-EE record: no TLS_HOSTNAME_MISMATCH, exit 0', async () => {
    const r = await probeMx('ee.dane.test')
    expect(r.code, JSON.stringify(r.json?.findings)).toBe(0)
    expect(r.json!.dane[0]).toMatchObject({status: 'matched', senders: 'deliver'})
    expect(codes(r.json)).not.toContain('TLS_HOSTNAME_MISMATCH')
    // The same without the AD bit: the name is checked again.
    const unvalidated = await probeMx('ee.dane.test', plain)
    expect(codes(unvalidated.json)).toContain('TLS_HOSTNAME_MISMATCH')
  })
})

// send straight to the MX judges DANE in its own delivery connection, right after STARTTLS, as a DANE sender does.
describe('DANE with a validating resolver: send direct to MX', () => {
  const boxes = mailboxes(world)
  const alice = world.users.find((u) => u.address.startsWith('alice'))!
  const send = (to: string, resolver = validating, extra: string[] = []) =>
    runCli(['send', '--from', 'sender@mail.test', '--to', to, '--resolver', resolver, ...common, '--json', '--transcript', ...extra])
  const arrived = (messageId: string) => boxes.waitForDelivery(alice.address, (m) => m.raw.includes(messageId), 10_000)
  const sentLines = (json: any) => json.transcript.filter((l: any) => l.dir === 'send').map((l: any) => l.line.replace(/^\[[^\]]+\] /, ''))

  it('the only MX fails DANE: nothing is delivered (exit 6, DANE_TLSA_MISMATCH), the envelope never sent; --no-dane delivers', async () => {
    const r = await send('alice@bad.dane.test')
    expect(r.code, r.stderr).toBe(6)
    expect(r.json).toMatchObject({ok: false, exitCode: 6, error: {code: 'DANE_TLSA_MISMATCH', message: expect.stringMatching(/^mx\.bad\.dane\.test \[127\.0\.1\.25\] fails DANE: no TLSA record matches the presented certificate; not delivering to it, as a DANE sender would not \(RFC 7672 §2\.2\)$/)}})
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'error', subject: 'mx.bad.dane.test'})
    // Judged inside the delivery's connection after STARTTLS, before MAIL FROM: the session ends politely.
    expect(sentLines(r.json)).toEqual(expect.arrayContaining(['STARTTLS', 'QUIT']))
    expect(sentLines(r.json).some((l: string) => /^(MAIL FROM|RCPT TO|DATA)/.test(l))).toBe(false)
    expect(r.json!.transcript.some((l: any) => l.dir === 'info' && /DANE _25\._tcp\.mx\.bad\.dane\.test: mismatch/.test(l.line))).toBe(true)

    const anyway = await send('alice@bad.dane.test', validating, ['--no-dane'])
    expect(anyway.code, anyway.stderr).toBe(0)
    expect(anyway.json).toMatchObject({accepted: ['alice@bad.dane.test'], server: {host: 'mx.bad.dane.test'}})
    expect(anyway.json!.deliveries[0].dane).toBeUndefined()
    await arrived(anyway.json!.messageId)
  })

  it('a preferred MX that fails DANE is skipped for the next one, which matches: delivered there, the skip a warning', async () => {
    const r = await send('alice@backup.dane.test')
    expect(r.code, JSON.stringify(r.json)).toBe(0)
    expect(r.json).toMatchObject({accepted: ['alice@backup.dane.test'], server: {host: 'mx.ee.dane.test'}})
    expect(r.json!.deliveries[0].attempts).toEqual([expect.objectContaining({host: 'mx.bad.dane.test', error: expect.objectContaining({code: 'DANE_TLSA_MISMATCH'})})])
    expect(r.json!.deliveries[0].dane).toMatchObject({host: 'mx.ee.dane.test', status: 'matched', applies: true, senders: 'deliver'})
    expect(find(r.json, 'DANE_TLSA_MISMATCH')).toMatchObject({severity: 'warning', message: expect.stringMatching(/the message went to another MX$/)})
    expect(codes(r.json)).toContain('MX_FALLBACK')
    // DANE-EE vouches for the certificate, whose name is mx.mail.test: no name finding.
    expect(codes(r.json)).not.toContain('TLS_HOSTNAME_MISMATCH')
    await arrived(r.json!.messageId)
  })

  it('without the AD bit (dnsmasq) DANE does not apply: delivered to the mismatching MX, as every sender would', async () => {
    const r = await send('alice@bad.dane.test', plain)
    expect(r.code, JSON.stringify(r.json)).toBe(0)
    expect(r.json).toMatchObject({accepted: ['alice@bad.dane.test'], server: {host: 'mx.bad.dane.test'}})
    expect(r.json!.deliveries[0].dane).toBeUndefined()
    expect(codes(r.json)).not.toContain('DANE_TLSA_MISMATCH')
  })

  it('--no-dane with --server is a usage error: DANE is judged only direct to MX', async () => {
    const r = await runCli(['send', '--server', 'mx.mail.test:587', '--from', 'sender@mail.test', '--to', alice.address, '--no-dane', '--json'])
    expect(r.code).toBe(2)
    expect(r.json!.error.message).toMatch(/^--no-dane: DANE is judged only when delivering straight to the MX/)
  })
})
