import {describe, expect, it} from 'vitest'
import {parseMailAddress} from '../../../src/lib/address.js'
import type {DaneInfo} from '../../../src/lib/policy/dane.js'
import {routeVerdict} from '../../../src/lib/route/predict.js'
import type {HostProbe} from '../../../src/lib/smtp/probe-hosts.js'
import type {MxResult} from '../../../src/lib/mx/resolve-mx.js'

// The verdict of trace when DANE applies (RFC 7672 §2.2): senders that use DANE skip an MX that
// fails it and defer the message when none is left; the others take the first MX that accepts.

const recipient = parseMailAddress('user@example.org', 'recipient')
const mx = {kind: 'mx', authenticated: true, exchanges: []} as unknown as MxResult

function probe(exchange: string, preference: number, accepted: boolean | null): HostProbe {
  const result = accepted === null ? null : {recipients: [{address: recipient.address, accepted, code: accepted ? 250 : 550, enhancedCode: accepted ? '2.1.5' : '5.1.1', text: accepted ? 'Ok' : 'no such user'}]}
  return {preference, exchange, address: `192.0.2.${preference}`, family: 4, ok: result !== null, result, error: result ? null : {code: 'CONNECT_REFUSED', message: 'refused'}} as unknown as HostProbe
}

function dane(host: string, status: DaneInfo['status'], senders: DaneInfo['senders'], applies = senders !== 'no-dane'): DaneInfo {
  return {host, port: 25, name: `_25._tcp.${host}`, baseDomain: host, status, authenticated: true, usable: true, applies, senders, reason: status === 'matched' ? 'matches' : 'no TLSA record matches the presented certificate', records: [], matched: null}
}

describe('routeVerdict', () => {
  it('without DANE anywhere: one verdict for every sender, dane null', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true)], dane: [dane('mx1.example.org', 'not-published', 'no-dane')]})
    expect(v).toEqual({deliverable: true, via: {exchange: 'mx1.example.org', address: '192.0.2.10'}, reason: 'mx1.example.org [192.0.2.10] accepts <user@example.org>', dane: null, withoutDane: {deliverable: true, via: {exchange: 'mx1.example.org', address: '192.0.2.10'}, reason: 'mx1.example.org [192.0.2.10] accepts <user@example.org>'}})
  })

  it('DANE passes: the same verdict for both kinds of sender', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true)], dane: [dane('mx1.example.org', 'matched', 'deliver')]})
    expect(v.deliverable).toBe(true)
    expect(v.dane).toEqual(v.withoutDane)
  })

  it('the only MX fails DANE: not deliverable; DANE senders defer, the others deliver, and the reason says both', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true)], dane: [dane('mx1.example.org', 'mismatch', 'skip')]})
    expect(v.deliverable).toBe(false)
    expect(v.via).toBeNull()
    expect(v.dane).toMatchObject({deliverable: false, via: null, reason: expect.stringMatching(/^the only MX fails DANE authentication \(mx1\.example\.org: no TLSA record matches.*\), so senders that use DANE .* defer the message \(RFC 7672 §2\.2\)$/)})
    expect(v.withoutDane).toMatchObject({deliverable: true, via: {exchange: 'mx1.example.org'}})
    expect(v.reason).toMatch(/; senders that do not use DANE deliver it via mx1\.example\.org \[192\.0\.2\.10\]$/)
  })

  it('the preferred MX fails DANE, the next passes: deliverable; DANE senders go to the second', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true), probe('mx2.example.org', 20, true)], dane: [dane('mx1.example.org', 'mismatch', 'skip'), dane('mx2.example.org', 'matched', 'deliver')]})
    expect(v).toMatchObject({deliverable: true, via: {exchange: 'mx1.example.org'}, dane: {deliverable: true, via: {exchange: 'mx2.example.org'}}, withoutDane: {via: {exchange: 'mx1.example.org'}}})
    expect(v.reason).toMatch(/skip mx1\.example\.org and deliver via mx2\.example\.org/)
  })

  it('the MX that passes DANE refuses the recipient, the one that accepts fails DANE: DANE senders defer', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true), probe('mx2.example.org', 20, false)], dane: [dane('mx1.example.org', 'name-mismatch', 'skip'), dane('mx2.example.org', 'matched', 'deliver')]})
    expect(v.deliverable).toBe(false)
    expect(v.dane?.reason).toMatch(/^every MX that accepts it fails DANE authentication/)
  })

  it('records DANE does not apply to (an insecure MX answer) do not change the verdict', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, true)], dane: [dane('mx1.example.org', 'mismatch', 'no-dane', false)]})
    expect(v).toMatchObject({deliverable: true, dane: null})
  })

  it('a route that fails for every sender stays one verdict', () => {
    const v = routeVerdict(recipient, {mx, probes: [probe('mx1.example.org', 10, false)], dane: [dane('mx1.example.org', 'mismatch', 'skip')]})
    expect(v).toMatchObject({deliverable: false, dane: null, reason: expect.stringMatching(/^the MX refuses <user@example\.org>: 550 5\.1\.1/)})
  })
})
