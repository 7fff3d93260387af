import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {expectFolded} from '../cli/fold.js'
import {mailboxes} from '../world/index.js'

// trace through the built CLI against the whole test world: dnsmasq, Postfix, Dovecot, MTA-STS.
const world = inject('world')
const boxes = mailboxes(world)
const resolver = `${world.dns.host}:${world.dns.port}`
const alice = world.users.find((u) => u.address.startsWith('alice'))!
const bob = world.users.find((u) => u.address.startsWith('bob'))!
const common = ['--resolver', resolver, '--ca-file', world.ca.caFile, '--timeout', '5s']
const trace = (args: string[]) => runCli(['trace', ...args, ...common, '--json'])
const codes = (json: any) => json.findings.map((f: any) => f.code)
const step = (json: any, name: string) => json.route.find((s: any) => s.step === name)

describe('trace: the predicted route', () => {
  it('the full route to a real user in another domain', async () => {
    const r = await trace(['alice@bücher.test', '--from', alice.address])
    expect(r.code).toBe(0)
    expect(r.json!.route.map((s: any) => s.step)).toEqual(['submission', 'dns', 'delivery', 'policy', 'mailbox'])
    expect(r.json).toMatchObject({recipient: 'alice@bücher.test', sender: alice.address, sameDomain: false, verdict: {deliverable: true, via: {exchange: 'mx.mail.test', address: world.smtp.host}}})
    expect(step(r.json, 'submission')).toMatchObject({status: 'ok', host: 'mx.mail.test'})
    // RFC 8314: implicit TLS first.
    expect(r.json!.mailbox.submission.servers.map((s: any) => [s.service, s.port, s.ok])).toEqual([
      ['submissions', 465, true],
      ['submission', 587, true],
    ])
    expect(r.json!.probes).toEqual([expect.objectContaining({exchange: 'mx.mail.test', ok: true})])
    expect(r.json!.probes[0].result.recipients[0]).toMatchObject({accepted: true, code: 250})
    // SPF: the submission server's address is allowed by mail.test's record; DMARC p=reject.
    expect(r.json!.policy.spf).toMatchObject({domain: 'mail.test', ip: world.smtp.host, result: 'pass'})
    expect(r.json!.policy.dmarc).toMatchObject({effectivePolicy: 'reject'})
    expect(r.json!.policy.dane[0]).toMatchObject({host: 'mx.mail.test', status: 'unauthenticated'})
    expect(r.json!.findings.filter((f: any) => f.severity !== 'info')).toEqual([])
  })

  it('a same-domain route is delivered locally, then picked up from the mailbox servers', async () => {
    const r = await trace([bob.address, '--from', alice.address])
    expect(r.code).toBe(0)
    expect(r.json!.sameDomain).toBe(true)
    expect(r.json!.route.map((s: any) => s.step)).toEqual(['submission', 'local-delivery', 'policy', 'mailbox'])
    expect(step(r.json, 'local-delivery').summary).toMatch(/delivers it locally/)
    expect([...r.json!.mailbox.imap, ...r.json!.mailbox.pop3].map((s: any) => [s.service, s.port, s.ok, s.tlsMode])).toEqual([
      ['imaps', 993, true, 'implicit'],
      ['imap', 143, true, 'starttls'],
      ['pop3s', 995, true, 'implicit'],
      ['pop3', 110, true, 'starttls'],
    ])
    expect(r.json!.policy.mtaSts).toMatchObject({mode: 'enforce'})
    expect(r.json!.policy.mtaSts.mx).toEqual([expect.objectContaining({host: 'mx.mail.test', covered: true})])
    expect(r.json!.policy.tlsRpt.rua).toEqual(['mailto:tlsrpt@mail.test'])
  })

  it('a primary MX that refuses connections: delivered through the second, with a warning', async () => {
    const r = await trace(['alice@fallback.test'])
    expect(r.code).toBe(0)
    expect(r.json!.verdict).toMatchObject({deliverable: true, via: {exchange: 'mx.mail.test'}})
    expect(r.json!.probes.map((p: any) => [p.exchange, p.ok])).toEqual([
      ['down.fallback.test', false],
      ['mx.mail.test', true],
    ])
    expect(step(r.json, 'delivery').status).toBe('warning')
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'CONNECT_REFUSED', severity: 'warning'}))
    expect(step(r.json, 'submission').status).toBe('skipped')
  })

  it('an unknown user: not deliverable, exit 1', async () => {
    const r = await trace(['nobody@mail.test', '--from', 'someone@example.org'])
    expect(r.code).toBe(1)
    expect(r.json!.verdict).toMatchObject({deliverable: false, via: null})
    expect(r.json!.verdict.reason).toMatch(/550/)
  })

  it('a null MX: not deliverable, exit 1', async () => {
    const r = await trace(['x@nullmx.test'])
    expect(r.code).toBe(1)
    expect(r.json!.verdict.deliverable).toBe(false)
    expect(codes(r.json)).toContain('MX_NULL')
    expect(r.json!.probes).toEqual([])
  })

  it('NXDOMAIN: not deliverable, exit 1 (trace reports, it does not stop)', async () => {
    const r = await trace(['x@nx.test'])
    expect(r.code).toBe(1)
    expect(codes(r.json)).toContain('DOMAIN_NOT_FOUND')
    expect(step(r.json, 'dns').status).toBe('failed')
  })

  it('SPF over the lookup limit', async () => {
    const r = await trace(['alice@bücher.test', '--from', 'x@spflimit.test'])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'SPF_TOO_MANY_LOOKUPS', severity: 'error'}))
    expect(r.json!.policy.spf.lookups).toBeGreaterThan(10)
  })

  it('two SPF records', async () => {
    const r = await trace(['alice@bücher.test', '--from', 'x@spf2.test'])
    expect(r.code).toBe(1)
    expect(codes(r.json)).toContain('SPF_MULTIPLE_RECORDS')
    expect(r.json!.policy.spf.records).toHaveLength(2)
  })

  it('an MTA-STS policy that does not cover an MX', async () => {
    const r = await trace(['bob@stsbad.test'])
    expect(r.code).toBe(1)
    expect(r.json!.findings).toContainEqual(expect.objectContaining({code: 'MTA_STS_MX_MISMATCH', severity: 'error'}))
    expect(r.json!.policy.mtaSts.mx).toEqual([expect.objectContaining({host: 'mx.mail.test', covered: false})])
    expect(r.json!.verdict.deliverable).toBe(true)
  })

  it('draws the route for people, and as Mermaid', async () => {
    const r = await runCli(['trace', 'alice@fallback.test', '--from', alice.address, ...common])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/1 Submission/)
    expect(r.stdout).toMatch(/2 DNS\s+MX: 10 down\.fallback\.test/)
    expect(r.stdout).toMatch(/3 Delivery/)
    expect(r.stdout).toMatch(/▼/)
    expect(r.stdout).toMatch(/✔ Deliverable via mx\.mail\.test \[127\.0\.1\.25\]/)
    const mermaid = await runCli(['trace', 'alice@fallback.test', ...common, '--format', 'mermaid'])
    expect(mermaid.stdout).toMatch(/^flowchart TD/)
    expect(mermaid.stdout).toMatch(/S1 --> S2/)
    expect(mermaid.stdout).toMatch(/Deliverable via mx\.mail\.test/)
  })
})

describe('trace --message on a message this test sent through Postfix to Dovecot', () => {
  it('shows the hops it took and that it entered through the predicted MX', async () => {
    const sent = await runCli(['send', '--server', 'mx.mail.test:587', '--user', alice.address, '--from', alice.address, '--to', bob.address, ...common, '--json'], {env: {MAILDIG_PASSWORD: alice.password}})
    expect(sent.code).toBe(0)
    const delivered = await boxes.waitForDelivery(bob.address, (m) => m.raw.includes(sent.json!.messageId), 10_000)
    const r = await runCli(['trace', bob.address, '--message', delivered.path, ...common, '--json'])
    expect(r.json!.message.messageId).toBe(sent.json!.messageId)
    const hops = r.json!.observed
    expect(hops.length).toBeGreaterThanOrEqual(2)
    // Oldest first: the submission hop (authenticated, TLS) into Postfix, then Postfix to Dovecot over LMTP.
    expect(hops[0]).toMatchObject({by: 'mx.mail.test', tls: true, authenticated: true})
    expect(hops[0].with).toMatch(/ESMTPSA/i)
    expect(hops.at(-1).with).toMatch(/LMTP/i)
    expect(r.json!.comparison).toMatchObject({predictedVia: 'mx.mail.test', enteredVia: 'mx.mail.test', matches: true})
  })
})

describe('trace on a narrow terminal', () => {
  it('COLUMNS=40: the route diagram folds between words, the rail going on beside the continuations', async () => {
    const args = ['trace', 'alice@fallback.test', '--from', alice.address, ...common]
    const wide = await runCli(args)
    const narrow = await runCli(args, {env: {COLUMNS: '40'}})
    expect(narrow.code).toBe(wide.code)
    const route = (text: string) => text.slice(0, text.indexOf('\n\n', text.indexOf('Mailbox')))
    // Timings differ from run to run: compared without them.
    expectFolded(route(wide.stdout), route(narrow.stdout), /^(\d+(\.\d+)?|ms|s)$/)
    expect(narrow.stdout).toMatch(/\n {2}│ {3}\S/)
  })
})
