import {describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'

// `maildig sender` through the built CLI against the test world's dnsmasq (zones.ts: sender.test, bl.test,
// wildbl.test, deadbl.test and the sending addresses 127.0.1.66-.70).
const world = inject('world')
const resolver = `${world.dns.host}:${world.dns.port}`
const sender = (...args: string[]) => runCli(['sender', ...args, '--resolver', resolver, '--timeout', '3s', '--json'])
const codes = (json: any) => json.findings.map((f: any) => f.code)

describe('sender against dnsmasq', () => {
  it('--transcript shows the DNS conversation, each question once', async () => {
    const r = await sender('mail.test', '--ip', '127.0.1.25', '--no-dnsbl', '--transcript')
    const lines = r.json!.transcript.map((l: any) => `${l.dir} ${l.line}`)
    expect(lines).toContain('send TXT mail.test?')
    expect(lines).toContainEqual(expect.stringMatching(/^recv TXT mail\.test: NOERROR from 127\.0\.1\.53:53 in \d+ ms: "v=spf1 ip4:127\.0\.1\.25 -all"/))
    expect(lines.filter((l: string) => l === 'send TXT mail.test?')).toHaveLength(1)
  })

  it('mail.test from Postfix: SPF pass, reverse DNS confirmed, not listed', async () => {
    const r = await sender('alice@mail.test', '--ip', '127.0.1.25', '--helo', 'mx.mail.test', '--dnsbl', 'bl.test')
    expect(r.json, r.stdout).toMatchObject({
      command: 'sender',
      target: 'alice@mail.test',
      kind: 'address',
      domain: 'mail.test',
      mailFrom: 'alice@mail.test',
      spf: {status: 'found', record: 'v=spf1 ip4:127.0.1.25 -all', results: [
        {ip: '127.0.1.25', identity: 'mailfrom', result: 'pass', mechanism: 'ip4:127.0.1.25'},
        {ip: '127.0.1.25', identity: 'helo', domain: 'mx.mail.test', result: 'none'},
      ]},
      dnsbl: [{ip: '127.0.1.25', zone: 'bl.test', status: 'not-listed', codes: [], reason: null}],
      dnsblZones: [{zone: 'bl.test', healthy: true, ipv6: null}],
      reverse: [{ip: '127.0.1.25', status: 'found', ptr: ['mx.mail.test'], fcrdns: true, generic: false}],
    })
    for (const code of ['SPF_NOT_PERMITTED', 'DNSBL_LISTED', 'PTR_MISSING', 'FCRDNS_MISMATCH', 'PTR_GENERIC']) expect(codes(r.json)).not.toContain(code)
  })

  it('a listed address: the codes and the TXT reason; exit 1', async () => {
    const r = await sender('mail.test', '--ip', '127.0.1.66', '--dnsbl', 'bl.test')
    expect(r.code).toBe(1)
    expect(r.json!.dnsbl).toEqual([{ip: '127.0.1.66', zone: 'bl.test', status: 'listed', codes: ['127.0.0.2', '127.0.0.4'], reason: expect.stringContaining('sent spam to our traps'), error: null}])
    expect(codes(r.json)).toEqual(expect.arrayContaining(['DNSBL_LISTED', 'SPF_NOT_PERMITTED', 'FCRDNS_MISMATCH']))
    expect(r.json!.spf.results[0]).toMatchObject({result: 'fail', mechanism: '-all'})
  })

  it('Spamhaus\' 127.255.255.254 could not be checked; 127.0.0.1 and answers outside 127/8 are no listings', async () => {
    const r = await sender('mail.test', '--ip', '127.0.1.67', '--ip', '127.0.1.68', '--ip', '127.0.1.69', '--dnsbl', 'bl.test')
    const by = Object.fromEntries(r.json!.dnsbl.map((e: any) => [e.ip, e]))
    expect(by['127.0.1.67']).toMatchObject({status: 'unknown', codes: [], error: expect.stringMatching(/public or open resolver/)})
    expect(by['127.0.1.68']).toMatchObject({status: 'not-listed', codes: []})
    expect(by['127.0.1.69']).toMatchObject({status: 'unknown', error: expect.stringMatching(/outside 127\.0\.0\.0\/8/)})
    expect(codes(r.json)).toContain('DNSBL_UNCHECKED')
    expect(codes(r.json)).not.toContain('DNSBL_LISTED')
  })

  it('a zone that lists everything, and one that lists nothing, are ignored as broken', async () => {
    const r = await sender('mail.test', '--ip', '127.0.1.25', '--dnsbl', 'wildbl.test', '--dnsbl', 'deadbl.test')
    expect(r.json!.dnsblZones).toEqual([
      {zone: 'wildbl.test', healthy: false, problem: expect.stringMatching(/answers for everything/), ipv6: null},
      {zone: 'deadbl.test', healthy: false, problem: expect.stringMatching(/does not list its test entry/), ipv6: null},
    ])
    expect(r.json!.dnsbl.map((e: any) => e.status)).toEqual(['ignored', 'ignored'])
    expect(codes(r.json)).not.toContain('DNSBL_LISTED')
    expect(codes(r.json).filter((c: string) => c === 'DNSBL_ZONE_BROKEN')).toHaveLength(2)
  })

  it('an IPv6 address: "not listed" only in a zone that lists IPv6 (its test entry ::ffff:7f00:2), else could not be checked', async () => {
    const r = await sender('mail.test', '--ip', '2001:db8::25', '--dnsbl', 'bl.test', '--dnsbl', 'v4bl.test')
    expect(r.json!.dnsblZones).toEqual([
      {zone: 'bl.test', healthy: true, problem: null, ipv6: true},
      {zone: 'v4bl.test', healthy: true, problem: null, ipv6: false},
    ])
    expect(r.json!.dnsbl).toEqual([
      {ip: '2001:db8::25', zone: 'bl.test', status: 'not-listed', codes: [], reason: null, error: null},
      {ip: '2001:db8::25', zone: 'v4bl.test', status: 'unknown', codes: [], reason: null, error: expect.stringMatching(/does not list IPv6 addresses/)},
    ])
    expect(r.json!.findings.filter((f: any) => f.code === 'DNSBL_UNCHECKED').map((f: any) => f.severity)).toEqual(['info'])
  })

  it('a generic PTR name is a warning; softfail is a warning too', async () => {
    const r = await sender('sender.test', '--ip', '127.0.1.70', '--no-dnsbl')
    expect(r.code).toBe(0)
    expect(r.json!.reverse).toEqual([{ip: '127.0.1.70', status: 'found', error: null, ptr: ['127-0-1-70.dynamic.pool.test'], fcrdns: true, generic: true}])
    expect(codes(r.json)).toContain('PTR_GENERIC')
    expect(r.json!.dnsbl).toEqual([])
  })

  it('"<>" checks the HELO identity alone (RFC 7208 §2.4)', async () => {
    const r = await sender('<>', '--helo', 'mail.test', '--ip', '127.0.1.25', '--no-dnsbl')
    expect(r.json).toMatchObject({kind: 'null', domain: 'mail.test', mailFrom: null, helo: 'mail.test'})
    expect(r.json!.spf.results).toEqual([expect.objectContaining({identity: 'helo', domain: 'mail.test', sender: 'postmaster@mail.test', result: 'pass'})])
  })

  it('a domain that does not exist exits 3, with the whole document', async () => {
    const r = await sender('nonexistent.test', '--ip', '127.0.1.25', '--no-dnsbl')
    expect(r.code).toBe(3)
    expect(r.json).toMatchObject({ok: false, exitCode: 3, spf: {status: 'absent'}})
    expect(codes(r.json)).toContain('DOMAIN_NOT_FOUND')
  })

  it('without --ip: the record and its lookup count, no per-address checks', async () => {
    const r = await sender('spflimit.test', '--no-dnsbl')
    expect(r.json!.spf).toMatchObject({status: 'found', lookups: 11, results: []})
    expect(codes(r.json)).toContain('SPF_TOO_MANY_LOOKUPS')
    expect(r.json!.reverse).toEqual([])
  })
})

describe('sender --message From another domain', () => {
  it('says that receivers applied the From domain\'s DMARC, not the one checked (DMARC_FROM_MISMATCH); nothing when they are the same', async () => {
    // The harness's signed message is From signed.test (test/world/dkim.ts).
    const other = await sender('mail.test', '--message', world.dkim.messages.signed, '--no-dnsbl')
    expect(other.json!.dkim.messageFrom).toBe('signed.test')
    const mismatch = other.json!.findings.filter((f: any) => f.code === 'DMARC_FROM_MISMATCH')
    expect(mismatch).toHaveLength(1)
    expect(mismatch[0]).toMatchObject({severity: 'warning', subject: 'signed.test'})
    expect(mismatch[0].message).toMatch(/From signed\.test, not mail\.test/)
    const same = await sender('signed.test', '--message', world.dkim.messages.signed, '--no-dnsbl')
    expect(same.json!.dkim.messageFrom).toBe('signed.test')
    expect(codes(same.json)).not.toContain('DMARC_FROM_MISMATCH')
    const none = await sender('signed.test', '--no-dnsbl')
    expect(none.json!.dkim.messageFrom).toBeNull()
  })
})
