import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {checkSpf} from '../../../src/lib/policy/spf.js'
import {spfInfoSchema} from '../../../src/lib/policy/schema.js'
import type {FakeDns} from '../../fixtures/fake-dns.js'
import {startZone, type Zone} from './zone.js'

const zone: Zone = {
  'pass.test': {TXT: ['v=spf1 ip4:192.0.2.0/24 -all', 'some-verification=abc']},
  'soft.test': {TXT: ['v=spf1 a ~all'], A: ['192.0.2.10']},
  'neutral.test': {TXT: ['v=spf1 ?all']},
  'none.test': {TXT: ['google-site-verification=xyz']},
  'two.test': {TXT: ['v=spf1 -all', 'v=spf1 ip4:192.0.2.1 -all']},
  // include chain: chain.test → a.chain.test → b.chain.test
  'chain.test': {TXT: ['v=spf1 include:a.chain.test -all']},
  'a.chain.test': {TXT: ['v=spf1 include:b.chain.test ~all']},
  'b.chain.test': {TXT: ['v=spf1 ip4:203.0.113.7 -all']},
  'redir.test': {TXT: ['v=spf1 redirect=pass.test']},
  // redirect= is ignored when the record has "all" (§6.1)
  'redirall.test': {TXT: ['v=spf1 ?all redirect=pass.test']},
  'loop.test': {TXT: ['v=spf1 include:loop2.test -all']},
  'loop2.test': {TXT: ['v=spf1 include:loop.test -all']},
  'dangling.test': {TXT: ['v=spf1 include:none.test -all']},
  'bad.test': {TXT: ['v=spf1 ip4:192.0.2.1 foo:bar -all']},
  'badinclude.test': {TXT: ['v=spf1 ip4:192.0.2.1 include:bad.test -all']},
  // 11 includes: over the limit of 10
  'many.test': {TXT: [`v=spf1 ${Array.from({length: 11}, (_, i) => `include:i${i + 1}.many.test`).join(' ')} -all`]},
  ...Object.fromEntries(Array.from({length: 11}, (_, i) => [`i${i + 1}.many.test`, {TXT: [`v=spf1 ip4:10.0.0.${i + 1} -all`]}])),
  // nested includes, 3 deep, each with an a and an mx: 3 + 6 = 9 lookups plus the last: 10, allowed
  'ten.test': {TXT: ['v=spf1 a mx include:t1.ten.test -all'], A: ['192.0.2.90'], MX: [[10, 'mx.ten.test']]},
  't1.ten.test': {TXT: ['v=spf1 a mx include:t2.ten.test -all'], A: ['192.0.2.91'], MX: [[10, 'mx.ten.test']]},
  't2.ten.test': {TXT: ['v=spf1 a mx exists:ok.ten.test a:x.ten.test ip4:192.0.2.99 -all'], A: ['192.0.2.92'], MX: [[10, 'mx.ten.test']]},
  'ok.ten.test': {AAAA: ['2001:db8::1']},
  'x.ten.test': {A: ['192.0.2.93']},
  'mx.ten.test': {A: ['192.0.2.94']},
  'void.test': {TXT: ['v=spf1 a:nx1.void.test a:nx2.void.test a:nx3.void.test ip4:192.0.2.1 -all']},
  'twovoid.test': {TXT: ['v=spf1 a:nx1.void.test a:nx2.void.test ip4:192.0.2.1 -all']},
  // macros: exists on the reversed address and the local part
  'macro.test': {TXT: ['v=spf1 exists:%{ir}.%{l1r-}.lp._spf.%{d} -all']},
  '3.2.0.192.strong.lp._spf.macro.test': {A: ['127.0.0.2']},
  'explain.test': {TXT: ['v=spf1 ip4:192.0.2.1 -all exp=why._spf.%{d}']},
  'why._spf.explain.test': {TXT: ["%{i} is not one of %{d}'s designated mail servers."]},
  'cidr.test': {TXT: ['v=spf1 a:host.cidr.test/24//64 -all']},
  'host.cidr.test': {A: ['198.51.100.10'], AAAA: ['2001:db8:1:2::1']},
  'six.test': {TXT: ['v=spf1 ip6:2001:db8::/32 ip4:192.0.2.0/24 -all']},
  'mx.test': {TXT: ['v=spf1 mx -all'], MX: [[10, 'mail.mx.test'], [20, 'backup.mx.test']]},
  'mail.mx.test': {A: ['192.0.2.25']},
  'backup.mx.test': {AAAA: ['2001:db8::25']},
  'mxmany.test': {TXT: ['v=spf1 mx -all'], MX: Array.from({length: 11}, (_, i) => [10, `m${i}.mxmany.test`] as [number, string])},
  'ptr.test': {TXT: ['v=spf1 ptr -all']},
  '77.2.0.192.in-addr.arpa': {PTR: ['host.ptr.test']},
  '78.2.0.192.in-addr.arpa': {PTR: ['liar.ptr.test']},
  'host.ptr.test': {A: ['192.0.2.77']},
  'liar.ptr.test': {A: ['192.0.2.1']},
  'tmp.test': {TXT: ['v=spf1 a:down.tmp.test -all']},
  'down.tmp.test': {rcode: 'SERVFAIL'},
  'broken.test': {rcode: 'SERVFAIL'},
  'open.test': {TXT: ['v=spf1 +all']},
  'helo.test': {TXT: ['v=spf1 exists:%{h}.allowed.helo.test -all']},
  'mx1.example.org.allowed.helo.test': {A: ['127.0.0.2']},
}

let dns: FakeDns
let resolver: () => DnsResolver
beforeAll(async () => {
  ;({dns, resolver} = await startZone('127.0.1.210', zone))
})
afterAll(() => dns.close())

const codes = (findings: {code: string}[]) => findings.map((f) => f.code)

describe('checkSpf: results', () => {
  it('passes an address in ip4: and fails one outside, with SPF_NOT_PERMITTED', async () => {
    const ok = await checkSpf('pass.test', '192.0.2.5', resolver())
    expect(spfInfoSchema.parse(ok.info)).toEqual(ok.info)
    expect(ok.info.record).toBe('v=spf1 ip4:192.0.2.0/24 -all')
    expect(ok.info.records).toHaveLength(1)
    expect(ok.info.result).toBe('pass')
    expect(ok.info.mechanism).toBe('ip4:192.0.2.0/24')
    expect(ok.info.matchedIn).toBe('pass.test')
    expect(ok.findings).toEqual([])

    const bad = await checkSpf('pass.test', '198.51.100.1', resolver())
    expect(bad.info.result).toBe('fail')
    expect(bad.info.mechanism).toBe('-all')
    expect(bad.findings).toContainEqual(expect.objectContaining({code: 'SPF_NOT_PERMITTED', severity: 'error'}))
  })

  it('gives softfail from ~all as a warning, and pass for the a record', async () => {
    const pass = await checkSpf('soft.test', '192.0.2.10', resolver())
    expect(pass.info.result).toBe('pass')
    expect(pass.info.mechanism).toBe('a')
    expect(pass.info.lookups).toBe(1)
    const soft = await checkSpf('soft.test', '192.0.2.11', resolver())
    expect(soft.info.result).toBe('softfail')
    expect(soft.findings).toEqual([expect.objectContaining({code: 'SPF_NOT_PERMITTED', severity: 'warning'})])
  })

  it('gives neutral for ?all and none (SPF_MISSING) without a record', async () => {
    expect((await checkSpf('neutral.test', '192.0.2.1', resolver())).info.result).toBe('neutral')
    const none = await checkSpf('none.test', '192.0.2.1', resolver())
    expect(none.info.result).toBe('none')
    expect(none.info.record).toBeNull()
    expect(codes(none.findings)).toEqual(['SPF_MISSING'])
    expect(codes((await checkSpf('nxdomain-nothing.test', null, resolver())).findings)).toEqual(['SPF_MISSING'])
  })

  it('reports two SPF records as SPF_MULTIPLE_RECORDS and permerror', async () => {
    const {info, findings} = await checkSpf('two.test', '192.0.2.1', resolver())
    expect(info.result).toBe('permerror')
    expect(info.record).toBeNull()
    expect(info.records).toHaveLength(2)
    expect(codes(findings)).toEqual(['SPF_MULTIPLE_RECORDS'])
  })

  it('follows an include chain and names the directive and domain that matched', async () => {
    const {info, findings} = await checkSpf('chain.test', '203.0.113.7', resolver())
    expect(info.result).toBe('pass')
    expect(info.mechanism).toBe('include:a.chain.test')
    expect(info.matchedIn).toBe('chain.test')
    expect(info.lookups).toBe(2)
    expect(info.tree.domains).toEqual(['chain.test', 'a.chain.test', 'b.chain.test'])
    expect(findings).toEqual([])
    // The include's own softfail is "no match", so the outer -all decides (§5.2).
    expect((await checkSpf('chain.test', '203.0.113.8', resolver())).info.result).toBe('fail')
  })

  it('follows redirect= only when the record has no "all"', async () => {
    const r = await checkSpf('redir.test', '192.0.2.5', resolver())
    expect(r.info.result).toBe('pass')
    expect(r.info.matchedIn).toBe('pass.test')
    expect((await checkSpf('redir.test', '198.51.100.1', resolver())).info.result).toBe('fail')
    expect((await checkSpf('redirall.test', '192.0.2.5', resolver())).info.result).toBe('neutral')
  })

  it('treats an include loop and an include of a domain without SPF as permerror', async () => {
    const loop = await checkSpf('loop.test', '192.0.2.1', resolver())
    expect(loop.info.result).toBe('permerror')
    expect(loop.findings).toContainEqual(expect.objectContaining({code: 'SPF_INCLUDE_INVALID', message: expect.stringMatching(/loops back/)}))
    const dangling = await checkSpf('dangling.test', '192.0.2.1', resolver())
    expect(dangling.info.result).toBe('permerror')
    expect(dangling.findings).toContainEqual(expect.objectContaining({code: 'SPF_INCLUDE_INVALID', message: expect.stringMatching(/none\.test publishes no SPF record/)}))
  })

  it('reports a syntax error anywhere as permerror, even after a matching term', async () => {
    const {info, findings} = await checkSpf('bad.test', '192.0.2.1', resolver())
    expect(info.result).toBe('permerror')
    expect(codes(findings)).toEqual(['SPF_SYNTAX_ERROR'])
    // In an include that is never reached, the walk still finds it.
    const inc = await checkSpf('badinclude.test', '192.0.2.1', resolver())
    expect(inc.info.result).toBe('pass')
    expect(codes(inc.findings)).toEqual(['SPF_SYNTAX_ERROR'])
  })
})

describe('checkSpf: limits (RFC 7208 §4.6.4)', () => {
  it('counts the lookups of the whole tree without an address, and reports more than 10', async () => {
    const {info, findings} = await checkSpf('many.test', null, resolver())
    expect(info.result).toBeNull()
    expect(info.lookups).toBe(11)
    expect(info.tree.lookups).toBe(11)
    expect(info.tree.domains).toHaveLength(12)
    expect(codes(findings)).toEqual(['SPF_TOO_MANY_LOOKUPS'])
  })

  it('gives permerror when the evaluation passes the 10th lookup, and pass when it matches earlier (but still reports the limit)', async () => {
    const late = await checkSpf('many.test', '192.0.2.99', resolver())
    expect(late.info.result).toBe('permerror')
    expect(late.info.lookups).toBe(11)
    expect(late.findings).toEqual([expect.objectContaining({code: 'SPF_TOO_MANY_LOOKUPS', message: expect.stringMatching(/hit it: permerror/)})])
    const early = await checkSpf('many.test', '10.0.0.1', resolver())
    expect(early.info.result).toBe('pass')
    expect(early.info.lookups).toBe(1)
    expect(early.findings).toEqual([expect.objectContaining({code: 'SPF_TOO_MANY_LOOKUPS', message: expect.stringMatching(/matched before reaching it/)})])
  })

  it('allows exactly 10 lookups across nested includes', async () => {
    const {info, findings} = await checkSpf('ten.test', '192.0.2.99', resolver())
    expect(info.lookups).toBe(10)
    expect(info.tree.lookups).toBe(10)
    expect(info.result).toBe('pass')
    expect(info.matchedIn).toBe('ten.test')
    expect(findings).toEqual([])
  })

  it('gives permerror on the third void lookup, and allows two', async () => {
    const three = await checkSpf('void.test', '192.0.2.1', resolver())
    expect(three.info.result).toBe('permerror')
    expect(three.info.voidLookups).toBe(3)
    expect(codes(three.findings)).toEqual(['SPF_VOID_LOOKUPS'])
    const walked = await checkSpf('void.test', null, resolver())
    expect(walked.info.tree.voidLookups).toBe(3)
    expect(codes(walked.findings)).toEqual(['SPF_VOID_LOOKUPS'])
    const two = await checkSpf('twovoid.test', '192.0.2.1', resolver())
    expect(two.info.result).toBe('pass')
    expect(two.info.voidLookups).toBe(2)
    expect(two.findings).toEqual([])
  })

  it('gives permerror for an mx mechanism with more than 10 MX names', async () => {
    const {info, findings} = await checkSpf('mxmany.test', '192.0.2.1', resolver())
    expect(info.result).toBe('permerror')
    expect(codes(findings)).toEqual(['SPF_MX_TOO_MANY_NAMES'])
  })
})

describe('checkSpf: mechanisms', () => {
  it('expands macros from the sender and the address for exists:', async () => {
    const pass = await checkSpf('macro.test', '192.0.2.3', resolver(), {sender: 'strong-bad@macro.test'})
    expect(pass.info.result).toBe('pass')
    expect(pass.info.sender).toBe('strong-bad@macro.test')
    expect(dns.queries.some((q) => q.name === '3.2.0.192.strong.lp._spf.macro.test' && q.type === 'A')).toBe(true)
    expect((await checkSpf('macro.test', '192.0.2.4', resolver(), {sender: 'strong-bad@macro.test'})).info.result).toBe('fail')
    // Without an address, the walk cannot expand %{i} and says so instead of guessing.
    const walk = await checkSpf('macro.test', null, resolver())
    expect(walk.info.tree.unexpanded).toEqual(['exists:%{ir}.%{l1r-}.lp._spf.%{d}'])
    expect(walk.info.tree.lookups).toBe(1)
  })

  it('expands %{h} from the HELO name', async () => {
    expect((await checkSpf('helo.test', '192.0.2.1', resolver(), {heloDomain: 'mx1.example.org'})).info.result).toBe('pass')
    expect((await checkSpf('helo.test', '192.0.2.1', resolver(), {heloDomain: 'mx2.example.org'})).info.result).toBe('fail')
  })

  it('gives the exp= explanation for a fail', async () => {
    const {info, findings} = await checkSpf('explain.test', '192.0.2.9', resolver())
    expect(info.result).toBe('fail')
    expect(info.explanation).toBe("192.0.2.9 is not one of explain.test's designated mail servers.")
    expect(findings[0].message).toMatch(/designated mail servers/)
    expect((await checkSpf('explain.test', '192.0.2.1', resolver())).info.explanation).toBeUndefined()
  })

  it('applies the IPv4 and IPv6 prefix lengths of a:', async () => {
    expect((await checkSpf('cidr.test', '198.51.100.200', resolver())).info.result).toBe('pass')
    expect((await checkSpf('cidr.test', '198.51.101.1', resolver())).info.result).toBe('fail')
    expect((await checkSpf('cidr.test', '2001:db8:1:2:ffff::9', resolver())).info.result).toBe('pass')
    expect((await checkSpf('cidr.test', '2001:db8:1:3::1', resolver())).info.result).toBe('fail')
  })

  it('matches ip6: ranges, and an IPv4-mapped address against ip4:', async () => {
    expect((await checkSpf('six.test', '2001:db8:abcd::1', resolver())).info.result).toBe('pass')
    expect((await checkSpf('six.test', '2001:db9::1', resolver())).info.result).toBe('fail')
    const mapped = await checkSpf('six.test', '::ffff:192.0.2.44', resolver())
    expect(mapped.info.result).toBe('pass')
    expect(mapped.info.ip).toBe('192.0.2.44')
  })

  it('matches the addresses of the MX hosts, per family', async () => {
    expect((await checkSpf('mx.test', '192.0.2.25', resolver())).info.result).toBe('pass')
    expect((await checkSpf('mx.test', '2001:db8::25', resolver())).info.result).toBe('pass')
    expect((await checkSpf('mx.test', '192.0.2.26', resolver())).info.result).toBe('fail')
  })

  it('matches ptr only for a forward-confirmed name, and warns that ptr is used', async () => {
    const ok = await checkSpf('ptr.test', '192.0.2.77', resolver())
    expect(ok.info.result).toBe('pass')
    expect(codes(ok.findings)).toEqual(['SPF_PTR_USED'])
    // 192.0.2.78 claims liar.ptr.test, whose A record is another address.
    expect((await checkSpf('ptr.test', '192.0.2.78', resolver())).info.result).toBe('fail')
  })

  it('gives temperror when a lookup fails, and when the record itself cannot be read', async () => {
    const tmp = await checkSpf('tmp.test', '192.0.2.1', resolver())
    expect(tmp.info.result).toBe('temperror')
    expect(codes(tmp.findings)).toEqual(['SPF_TEMPERROR'])
    const broken = await checkSpf('broken.test', '192.0.2.1', resolver())
    expect(broken.info.result).toBe('temperror')
    expect(codes(broken.findings)).toEqual(['SPF_TEMPERROR'])
  })

  it('warns about +all', async () => {
    const {info, findings} = await checkSpf('open.test', '198.51.100.1', resolver())
    expect(info.result).toBe('pass')
    expect(codes(findings)).toEqual(['SPF_ALLOWS_ALL'])
  })

  it('refuses an address that is not one', async () => {
    await expect(checkSpf('pass.test', 'not-an-ip', resolver())).rejects.toThrow(/not an IP address/)
  })
})
