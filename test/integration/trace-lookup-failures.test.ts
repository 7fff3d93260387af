import dgram from 'node:dgram'
import * as packet from 'dns-packet'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'

/**
 * trace against a resolver that never answers for the policy records (and answers everything else
 * as the test world's dnsmasq does): a failed lookup is never an absent record. The policy line says
 * "DMARC unknown (lookup timed out)", not "DMARC missing", and the JSON says so for every record.
 */
const world = inject('world')
const alice = world.users.find((u) => u.address.startsWith('alice'))!
/** Questions this resolver swallows: the sender's SPF and DMARC, the recipient's MTA-STS, TLS-RPT and TLSA. */
const SWALLOWED = [/^_dmarc\./, /^_mta-sts\./, /^_smtp\._tls\./, /^_25\._tcp\./, /^mail\.test$/]

let proxy: dgram.Socket
beforeAll(async () => {
  proxy = dgram.createSocket('udp4')
  proxy.on('message', (message, client) => {
    const q = packet.decode(message).questions?.[0]
    if (q && SWALLOWED.some((re) => re.test(q.name)) && (q.type === 'TXT' || q.type === 'TLSA')) return
    const upstream = dgram.createSocket('udp4')
    // Closed once: Node 24 throws ERR_SOCKET_DGRAM_NOT_RUNNING for a second close.
    let open = true
    const close = () => {
      if (open) upstream.close()
      open = false
    }
    upstream.on('message', (reply) => {
      proxy.send(reply, client.port, client.address)
      close()
    })
    upstream.send(message, world.dns.port, world.dns.host)
    setTimeout(close, 5000).unref()
  })
  await new Promise<void>((resolve) => proxy.bind(0, '127.0.1.154', resolve))
})
afterAll(() => proxy.close())

describe('trace when policy lookups time out', () => {
  const args = () => ['trace', 'alice@bücher.test', '--from', alice.address, '--resolver', `127.0.1.154:${proxy.address().port}`, '--ca-file', world.ca.caFile, '--timeout', '1s']

  it('says unknown (lookup timed out) for each record, in JSON and on screen, never missing', async () => {
    const r = await runCli([...args(), '--json'])
    const policy = r.json!.policy
    for (const part of ['spf', 'dmarc', 'mtaSts', 'tlsRpt']) expect(policy[part], part).toMatchObject({record: null, lookupError: 'lookup timed out'})
    expect(policy.dane.map((d: any) => d.status)).toEqual(['lookup-failed'])
    const summary = r.json!.route.find((s: any) => s.step === 'policy').summary
    expect(summary).toMatch(/SPF unknown \(lookup timed out\)/)
    expect(summary).toMatch(/DMARC unknown \(lookup timed out\)/)
    expect(summary).toMatch(/MTA-STS unknown \(lookup timed out\)/)
    expect(summary).toMatch(/TLS-RPT unknown \(lookup timed out\)/)
    expect(summary).toMatch(/DANE unknown \(TLSA lookup failed for mx\.mail\.test\)/)
    expect(summary).not.toMatch(/missing|none/)
    const codes = r.json!.findings.map((f: any) => f.code)
    expect(codes).toContain('DNS_TIMEOUT')
    expect(codes).not.toContain('DMARC_MISSING')
    expect(codes).not.toContain('SPF_MISSING')
    expect(codes).not.toContain('MTA_STS_MISSING')
    expect(codes).not.toContain('TLSRPT_MISSING')

    const human = await runCli(args())
    expect(human.stdout).toMatch(/DMARC unknown \(lookup timed out\)/)
    expect(human.stdout).not.toMatch(/DMARC missing/)
  })
})
