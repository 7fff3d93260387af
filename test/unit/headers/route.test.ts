import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {readHeaders, type HeaderField} from '../../../src/lib/headers/message.js'
import {observedRoute} from '../../../src/lib/headers/route.js'
import {observedHopSchema, observedRouteSchema} from '../../../src/lib/headers/schema.js'

const example = (name: string) => readHeaders(readFileSync(new URL(`../../../examples/${name}`, import.meta.url)))

/** Builds header fields from Received dates given oldest first, the way servers prepend them. */
function receivedChain(dates: (string | null)[], extra: HeaderField[] = []): HeaderField[] {
  const received = dates.map((date, index) => ({
    name: 'Received',
    value: `from h${index - 1}.example.net ([192.0.2.${index + 1}]) by h${index}.example.net with ESMTP id Q${index}${date === null ? '' : `; ${date}`}`,
  }))
  return [...received.reverse(), ...extra]
}

describe('observedRoute on examples/gmail-to-outlook.eml', () => {
  const route = observedRoute(example('gmail-to-outlook.eml'))

  it('lists the hops oldest first', () => {
    expect(route.hops.map((h) => h.by)).toEqual([
      'mail-ej1-f41.google.example',
      'AMS0EPF000001A1.mail.protection.outlook.example',
      'AM0PR02CA0012.outlook.office365.example',
      'DB9PR08MB5678.eurprd08.prod.outlook.example',
      'PAXPR08MB7001.eurprd08.prod.outlook.example',
    ])
    expect(route.hops.map((h) => h.index)).toEqual([0, 1, 2, 3, 4])
  })

  it('reads the Microsoft hops: bare IPv4 at the edge, IPv6 inside, TLS versions', () => {
    expect(route.hops.map((h) => h.fromIp)).toEqual([null, '203.0.113.41', '2001:db8:10a6:208:3e:cafe::6f', '2001:db8:10a6:208:3e::25', '2001:db8:10a6:10:2a1::9'])
    expect(route.hops.map((h) => h.tlsVersion)).toEqual([null, 'TLSv1.3', 'TLSv1.2', 'TLSv1.2', null])
    expect(route.hops.map((h) => h.tls)).toEqual([false, true, true, true, true])
    expect(route.hops[1].via).toBe('Frontend Transport')
  })

  it('computes delays between hops, across time zones', () => {
    // The Gmail hop writes -0800 (PST); the Microsoft hops write +0000.
    expect(route.hops.map((h) => h.delayMs)).toEqual([null, 1000, 0, 1000, 1000])
    expect(route.totalMs).toBe(3000)
    expect(route.dateToFirstHopMs).toBe(2000)
    expect(route.dateToLastHopMs).toBe(5000)
    expect(route.skew).toEqual([])
  })

  it('reads the identifying fields and decodes the Subject', () => {
    expect(route.messageId).toBe('<CAKx7Qm0r5T9vJ2eW3hL8pN1sB6dF4gY0aZcXuV9iOq3mK2wE7g@mail.gmail.example>')
    expect(route.date).toBe('2024-01-15T09:12:31.000Z')
    expect(route.from).toBe('Alice Martin <alice.martin@gmail.example>')
    expect(route.to).toBe('Bob Lindqvist <bob.lindqvist@example.net>')
    expect(route.subject).toBe('Quarterly résumé draft')
  })

  it('ignores X-Received, which is no hop of this message', () => {
    expect(route.hops.some((h) => h.raw.includes('2001:db8:4864:20::6e1'))).toBe(false)
  })

  it('matches its schema exactly (no field the schema does not document)', () => {
    expect(observedRouteSchema.parse(route)).toEqual(route)
  })
})

describe('observedRoute on examples/postfix-relay-chain.eml', () => {
  const route = observedRoute(example('postfix-relay-chain.eml'))

  it('follows submission → relay → MX → LMTP', () => {
    expect(route.hops.map((h) => [h.by, h.with])).toEqual([
      ['submit.example.org', 'ESMTPSA'],
      ['relay.example.org', 'ESMTPS'],
      ['mx1.example.net', 'ESMTPS'],
      ['imap.example.net', 'LMTPS'],
    ])
    expect(route.hops.map((h) => h.authenticated)).toEqual([true, false, false, false])
  })

  it('reads the STARTTLS details Postfix states', () => {
    expect(route.hops.map((h) => h.tlsDetail)).toEqual([
      'TLSv1.3 TLS_AES_128_GCM_SHA256',
      'TLSv1.3 TLS_AES_256_GCM_SHA384',
      'TLSv1.3 TLS_AES_256_GCM_SHA384',
      null,
    ])
    expect(route.hops.every((h) => h.tls === true)).toBe(true)
  })

  it('reads the client of each hop, including NAT and IPv6', () => {
    expect(route.hops.map((h) => [h.fromHelo, h.fromRdns, h.fromIp])).toEqual([
      ['[192.0.2.23]', null, '198.51.100.77'],
      ['submit.example.org', 'submit.example.org', '192.0.2.10'],
      ['relay.example.org', 'relay.example.org', '2001:db8:25::10'],
      ['mx1.example.net', null, '203.0.113.25'],
    ])
  })

  it('computes delays from dates written in CET and UTC', () => {
    expect(route.hops.map((h) => h.delayMs)).toEqual([null, 1000, 2000, 1000])
    expect(route.totalMs).toBe(4000)
    expect(route.dateToFirstHopMs).toBe(1000)
    expect(route.skew).toEqual([])
  })

  it('satisfies the hop schema hop by hop', () => {
    for (const hop of route.hops) expect(observedHopSchema.parse(hop)).toEqual(hop)
  })
})

describe('observedRoute on examples/skewed-clock.eml', () => {
  const route = observedRoute(example('skewed-clock.eml'))

  it('shows the negative delay into the skewed relay and the positive one out of it', () => {
    expect(route.hops.map((h) => h.by)).toEqual(['smtp.example.com', 'gw.example.com', 'mx.example.org', 'mail.example.org'])
    expect(route.hops.map((h) => h.delayMs)).toEqual([null, -7_198_000, 7_203_000, 1000])
    expect(route.totalMs).toBe(6000)
  })

  it('blames the relay whose timestamp is out of line with both neighbours', () => {
    expect(route.skew).toHaveLength(1)
    expect(route.skew[0]).toMatchObject({source: 'received', hop: 1, by: 'gw.example.com', estimatedSkewMs: -7_198_000, confidence: 'likely'})
    expect(route.skew[0].reason).toMatch(/behind/)
    expect(route.skew[0].reason).toMatch(/time zone/)
  })

  it('reads the Exim hops: rDNS first, helo= in the comment, tls CIPHER', () => {
    expect(route.hops[0]).toMatchObject({fromRdns: 'dsl-198-51-100-34.isp.example', fromHelo: '[192.0.2.77]', fromIp: '198.51.100.34', authenticated: true})
    expect(route.hops[2]).toMatchObject({fromRdns: 'gw.example.com', fromIp: '203.0.113.9', tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384'})
  })

  it('matches its schema', () => {
    expect(observedRouteSchema.parse(route)).toEqual(route)
  })
})

describe('observedRoute: ordering and timing', () => {
  it('reverses header order (newest first) into route order (oldest first)', () => {
    const fields: HeaderField[] = [
      {name: 'Received', value: 'from b.example by c.example; Mon, 1 Jan 2024 10:00:05 +0000'},
      {name: 'Subject', value: 'between'},
      {name: 'received', value: 'from a.example by b.example; Mon, 1 Jan 2024 10:00:00 +0000'},
    ]
    const route = observedRoute(fields)
    expect(route.hops.map((h) => h.by)).toEqual(['b.example', 'c.example'])
    expect(route.hops[1].delayMs).toBe(5000)
  })

  it('gives null delays around a hop without a date, and totals over the known ones', () => {
    const route = observedRoute(receivedChain(['Mon, 1 Jan 2024 10:00:00 +0000', null, 'Mon, 1 Jan 2024 10:00:09 +0000']))
    expect(route.hops.map((h) => h.delayMs)).toEqual([null, null, null])
    expect(route.totalMs).toBe(9000)
  })

  it('has no totals with a single dated hop and no Date header', () => {
    const route = observedRoute(receivedChain(['Mon, 1 Jan 2024 10:00:00 +0000']))
    expect(route.totalMs).toBeNull()
    expect(route.dateToFirstHopMs).toBeNull()
  })

  it('reports an empty route for a message without Received fields', () => {
    const route = observedRoute([{name: 'Subject', value: 'draft'}])
    expect(route).toMatchObject({hops: [], totalMs: null, skew: [], messageId: null, date: null, subject: 'draft'})
  })

  it('joins several To fields', () => {
    const route = observedRoute([{name: 'To', value: 'a@example.net'}, {name: 'To', value: '=?UTF-8?Q?B=C3=A9a?= <b@example.net>'}])
    expect(route.to).toBe('a@example.net, Béa <b@example.net>')
  })
})

describe('observedRoute: clock skew attribution', () => {
  const t = (time: string) => `Mon, 1 Jan 2024 ${time} +0000`

  it('ignores a backward step within the tolerance', () => {
    const route = observedRoute(receivedChain([t('10:00:02'), t('10:00:01'), t('10:00:03')]))
    expect(route.hops[1].delayMs).toBe(-1000)
    expect(route.skew).toEqual([])
  })

  it('honours a custom tolerance', () => {
    const fields = receivedChain([t('10:00:10'), t('10:00:01'), t('10:00:12')])
    expect(observedRoute(fields).skew).toHaveLength(1)
    expect(observedRoute(fields, {skewToleranceMs: 10_000}).skew).toEqual([])
  })

  it('blames a hop that is ahead of both neighbours', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('10:30:00'), t('10:00:02'), t('10:00:03')]))
    expect(route.skew).toEqual([
      expect.objectContaining({hop: 1, by: 'h1.example.net', estimatedSkewMs: 1_798_000, confidence: 'likely'}),
    ])
    expect(route.skew[0].reason).toMatch(/ahead/)
  })

  it('blames a hop that is behind both neighbours', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('10:00:01'), t('09:50:02'), t('10:00:04')]))
    expect(route.skew).toEqual([expect.objectContaining({hop: 2, estimatedSkewMs: -599_000, confidence: 'likely'})])
    expect(route.skew[0].reason).not.toMatch(/time zone/)
  })

  it('blames a run of hops that share a wrong clock (one organisation\'s servers)', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('10:00:01'), t('08:00:02'), t('08:00:03'), t('10:00:05')]))
    expect(route.skew.map((s) => s.hop)).toEqual([2, 3])
    expect(route.skew.every((s) => s.estimatedSkewMs === -7_199_000 && s.confidence === 'likely')).toBe(true)
  })

  it('blames the shorter side when the skewed hops are at the end of the route', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('10:00:01'), t('10:00:02'), t('09:00:03')]))
    expect(route.skew.map((s) => s.hop)).toEqual([3])
  })

  it('calls two hops that disagree ambiguous, and names the other possibility', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('09:00:00')]))
    expect(route.skew).toEqual([expect.objectContaining({hop: 1, confidence: 'ambiguous', estimatedSkewMs: -3_600_000})])
    expect(route.skew[0].reason).toMatch(/or hop 1 \(h0\.example\.net\)'s clock/)
  })

  it('blames the sender\'s clock when the Date header is later than every hop', () => {
    const fields = receivedChain([t('10:00:00'), t('10:00:01')], [{name: 'Date', value: t('10:20:00')}])
    const route = observedRoute(fields)
    expect(route.dateToFirstHopMs).toBe(-1_200_000)
    expect(route.skew).toEqual([expect.objectContaining({source: 'date-header', hop: null, by: null, estimatedSkewMs: 1_200_000})])
  })

  it('prefers the Date header over a lone hop when the two disagree', () => {
    const route = observedRoute(receivedChain([t('10:00:00')], [{name: 'Date', value: t('11:00:00')}]))
    expect(route.skew).toEqual([expect.objectContaining({source: 'date-header'})])
  })

  it('does not call a late Date header skew: the message may have waited in an outbox', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('10:00:01')], [{name: 'Date', value: t('09:00:00')}]))
    expect(route.dateToFirstHopMs).toBe(3_600_000)
    expect(route.skew).toEqual([])
  })

  it('mentions an unrecognised time zone as the likely cause', () => {
    const fields = receivedChain([t('10:00:00'), 'Mon, 1 Jan 2024 11:00:01 CET', t('10:00:02')])
    const route = observedRoute(fields)
    expect(route.skew).toEqual([expect.objectContaining({hop: 1, estimatedSkewMs: 3_599_000})])
    expect(route.skew[0].reason).toMatch(/unrecognised time zone/)
  })

  it('finds two separate skewed hops in one route', () => {
    const route = observedRoute(receivedChain([t('10:00:00'), t('09:00:01'), t('10:00:02'), t('10:00:03'), t('11:00:04'), t('10:00:05')]))
    expect(route.skew.map((s) => [s.hop, Math.sign(s.estimatedSkewMs)])).toEqual([[1, -1], [4, 1]])
  })
})
