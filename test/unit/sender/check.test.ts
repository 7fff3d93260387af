import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DnsResolver} from '../../../src/lib/dns/resolver.js'
import {netContext} from '../../../src/lib/net/context.js'
import {checkSender} from '../../../src/lib/sender/check.js'
import {senderResultSchema} from '../../../src/lib/sender/schema.js'
import {parseSenderTarget, type SenderTarget} from '../../../src/lib/sender/target.js'
import {startFakeDns, type Behaviour, type FakeDns} from '../../fixtures/fake-dns.js'

// The three outcomes (issue 12): a lookup that times out or fails is "could not be checked" (status "unknown", with
// why), never "absent", and raises no finding that says something is missing.
let dns: FakeDns
let script: (name: string, type: string) => Behaviour = () => ({kind: 'silent'})

beforeAll(async () => {
  dns = await startFakeDns('127.0.1.208', (name, type) => script(name, type))
})
afterAll(() => dns.close())

function target(text: string): SenderTarget {
  return parseSenderTarget(text) as SenderTarget
}

async function run(text: string, ips: string[], timeoutMs = 300) {
  const resolver = new DnsResolver({servers: [{host: dns.host, port: dns.port}], timeoutMs})
  return checkSender(target(text), {ips, selectors: [], dnsblZones: ['bl.example'], net: {...netContext({timeoutMs}), resolver}})
}

const MISSING = ['SPF_MISSING', 'PTR_MISSING', 'DNSBL_LISTED', 'DOMAIN_NOT_FOUND', 'FCRDNS_MISMATCH']

describe('sender: lookups that fail are "could not be checked"', () => {
  it.each([
    ['a timeout', (): Behaviour => ({kind: 'silent'}), /no answer/],
    ['SERVFAIL', (): Behaviour => ({kind: 'answer', answers: [], rcode: 'SERVFAIL'}), /SERVFAIL/],
  ])('%s everywhere', async (_what, behaviour, why) => {
    script = behaviour
    const {result, findings, domainNotFound} = await run('example.com', ['192.0.2.1'])
    expect(senderResultSchema.safeParse(result).success).toBe(true)
    expect(domainNotFound).toBe(false)
    expect(result.spf).toMatchObject({status: 'unknown', error: expect.stringMatching(why)})
    expect(result.spf.results).toEqual([expect.objectContaining({ip: '192.0.2.1', result: 'temperror'})])
    expect(result.reverse).toEqual([{ip: '192.0.2.1', status: 'unknown', error: expect.stringMatching(why), ptr: [], fcrdns: null, generic: false}])
    expect(result.dnsblZones).toEqual([expect.objectContaining({zone: 'bl.example', healthy: null})])
    expect(result.dnsbl).toEqual([expect.objectContaining({status: 'unknown', error: expect.stringMatching(why)})])
    const codes = findings.map((f) => f.code)
    for (const code of MISSING) expect(codes).not.toContain(code)
    // Nothing that could not be checked is an error: the exit code stays 0.
    expect(findings.filter((f) => f.severity === 'error')).toEqual([])
  })

  it('absent is said only when the DNS says so (NXDOMAIN / no record)', async () => {
    script = (name, type) => (name === 'example.com' && type === 'TXT' ? {kind: 'answer', answers: []} : {kind: 'answer', answers: [], rcode: 'NXDOMAIN'})
    const {result, findings, domainNotFound} = await run('example.com', ['192.0.2.1'])
    expect(domainNotFound).toBe(false)
    expect(result.spf).toMatchObject({status: 'absent', error: null, results: [expect.objectContaining({result: 'none'})]})
    expect(result.reverse[0]).toMatchObject({status: 'absent', fcrdns: false})
    expect(findings.map((f) => f.code)).toEqual(expect.arrayContaining(['SPF_MISSING', 'PTR_MISSING']))
  })

  it('a sender domain that does not exist is DOMAIN_NOT_FOUND (the command exits 3)', async () => {
    script = () => ({kind: 'answer', answers: [], rcode: 'NXDOMAIN'})
    const {findings, domainNotFound} = await run('alice@nowhere.example', [])
    expect(domainNotFound).toBe(true)
    expect(findings.map((f) => f.code)).toContain('DOMAIN_NOT_FOUND')
  })

  it('every check starts at once: one slow answer sets the time, not their sum', async () => {
    script = () => ({kind: 'answer', answers: [], rcode: 'NXDOMAIN', delayMs: 150})
    const started = performance.now()
    await run('example.com', ['192.0.2.1', '192.0.2.2'], 2000)
    // SPF, reverse DNS and two zone tests of two addresses, each 150 ms, in sequence would take well over a second.
    expect(performance.now() - started).toBeLessThan(900)
  })
})
