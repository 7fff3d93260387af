import {describe, expect, it} from 'vitest'

import {parseReceived, type Received} from '../../../src/lib/headers/received.js'
import {receivedSchema} from '../../../src/lib/headers/schema.js'

/**
 * A corpus of Received fields shaped like the ones real servers write, grouped by family. Each
 * fixture states every core field, so a parser change that moves any of them fails here.
 */
const CORE = ['from', 'fromHelo', 'fromRdns', 'fromIp', 'by', 'with', 'id', 'for', 'date', 'tls', 'tlsDetail'] as const

type Expected = Pick<Received, (typeof CORE)[number]> & Partial<Received>

interface Fixture {
  name: string
  value: string
  expected: Expected
}

const fixtures: Record<string, Fixture[]> = {
  'RFC 5321 §4.4': [
    {
      name: 'full form with TCP-info',
      value: 'from foo.example.org (foo.example.org [192.0.2.1]) by bar.example.net with ESMTP id 123ABC for <x@example.net>; Thu, 21 May 1998 05:33:29 -0700',
      expected: {
        from: 'foo.example.org', fromHelo: 'foo.example.org', fromRdns: 'foo.example.org', fromIp: '192.0.2.1', by: 'bar.example.net',
        with: 'ESMTP', id: '123ABC', for: 'x@example.net', date: '1998-05-21T12:33:29.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'names only, space before the semicolon',
      value: 'from bar.example.com by foo.example.net ; Thu, 21 May 1998 05:33:22 -0700',
      expected: {
        from: 'bar.example.com', fromHelo: 'bar.example.com', fromRdns: null, fromIp: null, by: 'foo.example.net',
        with: null, id: null, for: null, date: '1998-05-21T12:33:22.000Z', tls: null, tlsDetail: null,
      },
    },
    {
      name: 'address-literal EHLO and a via clause',
      value: 'from [192.0.2.5] by mx.example.net via TCP with SMTP id q1; 1 Jan 2024 00:00:00 +0000',
      expected: {
        from: '[192.0.2.5]', fromHelo: '[192.0.2.5]', fromRdns: null, fromIp: '192.0.2.5', by: 'mx.example.net',
        with: 'SMTP', id: 'q1', for: null, date: '2024-01-01T00:00:00.000Z', tls: false, tlsDetail: null, via: 'TCP',
      },
    },
  ],
  Postfix: [
    {
      name: 'STARTTLS hop with the using-TLS comment',
      value:
        'from mail.example.org (mail.example.org [192.0.2.10]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) ' +
        'key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256) (No client certificate requested) ' +
        'by mx.example.net (Postfix) with ESMTPS id 4T1abc2XyZz9sT for <bob@example.net>; Mon,  1 Jan 2024 10:00:00 +0100 (CET)',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'ESMTPS', id: '4T1abc2XyZz9sT', for: 'bob@example.net', date: '2024-01-01T09:00:00.000Z', tls: true,
        tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384', tlsVersion: 'TLSv1.3', authenticated: false,
      },
    },
    {
      name: 'no reverse DNS, plaintext',
      value: 'from mail.example.org (unknown [192.0.2.99]) by mx.example.net (Postfix) with ESMTP id 4T5Q0f6Q1Dz9sWP for <bob@example.net>; Tue, 2 Jan 2024 08:15:42 +0000 (UTC)',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: null, fromIp: '192.0.2.99', by: 'mx.example.net',
        with: 'ESMTP', id: '4T5Q0f6Q1Dz9sWP', for: 'bob@example.net', date: '2024-01-02T08:15:42.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'IPv6 literal with the IPv6: prefix',
      value:
        'from relay.example.org (relay.example.org [IPv6:2001:db8:25::10]) (using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)) ' +
        'by mx.example.net (Postfix) with ESMTPS id 4TDq7m0c3Kz9sWP for <dave@example.net>; Tue, 16 Jan 2024 13:03:08 +0000 (UTC)',
      expected: {
        from: 'relay.example.org', fromHelo: 'relay.example.org', fromRdns: 'relay.example.org', fromIp: '2001:db8:25::10', by: 'mx.example.net',
        with: 'ESMTPS', id: '4TDq7m0c3Kz9sWP', for: 'dave@example.net', date: '2024-01-16T13:03:08.000Z', tls: true,
        tlsDetail: 'TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384', tlsVersion: 'TLSv1.2',
      },
    },
    {
      name: 'authenticated submission behind NAT',
      value:
        'from [192.0.2.23] (unknown [198.51.100.77]) (using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)) ' +
        '(Authenticated sender: carol@example.org) by submit.example.org (Postfix) with ESMTPSA id 4TDq7k20Xq9z1xqJ for <dave@example.net>; Tue, 16 Jan 2024 14:03:05 +0100 (CET)',
      expected: {
        from: '[192.0.2.23]', fromHelo: '[192.0.2.23]', fromRdns: null, fromIp: '198.51.100.77', by: 'submit.example.org',
        with: 'ESMTPSA', id: '4TDq7k20Xq9z1xqJ', for: 'dave@example.net', date: '2024-01-16T13:03:05.000Z', tls: true,
        tlsDetail: 'TLSv1.3 TLS_AES_128_GCM_SHA256', authenticated: true,
      },
    },
    {
      name: 'local pickup: no from clause, no protocol',
      value: 'by mail.example.org (Postfix, from userid 1000) id 4T5Q0g1xYkz1xqJ; Tue,  2 Jan 2024 09:00:00 +0100 (CET)',
      expected: {
        from: null, fromHelo: null, fromRdns: null, fromIp: null, by: 'mail.example.org',
        with: null, id: '4T5Q0g1xYkz1xqJ', for: null, date: '2024-01-02T08:00:00.000Z', tls: null, tlsDetail: null,
      },
    },
    {
      name: 'content filter loop (amavis) on loopback',
      value: 'from mx.example.net ([127.0.0.1]) by localhost (mx.example.net [127.0.0.1]) (amavis, port 10024) with ESMTP id aB3dE5fG7hI9 for <bob@example.net>; Tue,  2 Jan 2024 08:15:43 +0000 (UTC)',
      expected: {
        from: 'mx.example.net', fromHelo: 'mx.example.net', fromRdns: null, fromIp: '127.0.0.1', by: 'localhost', byIp: '127.0.0.1',
        with: 'ESMTP', id: 'aB3dE5fG7hI9', for: 'bob@example.net', date: '2024-01-02T08:15:43.000Z', tls: false, tlsDetail: null,
      },
    },
  ],
  Exim: [
    {
      name: 'Exim 4.96: rDNS name first, helo= and port in the comment, tls CIPHER',
      value:
        'from mail.example.org ([192.0.2.10]:41234 helo=smtp.example.org) by mx.example.net with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 ' +
        '(Exim 4.96) (envelope-from <alice@example.org>) id 1rABCD-000123-4x for bob@example.net; Mon, 01 Jan 2024 10:00:00 +0100',
      expected: {
        from: 'mail.example.org', fromHelo: 'smtp.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'esmtps', id: '1rABCD-000123-4x', for: 'bob@example.net', date: '2024-01-01T09:00:00.000Z', tls: true,
        tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384', tlsVersion: 'TLSv1.3',
      },
    },
    {
      name: 'older Exim: no rDNS (bracketed address first), version:cipher:bits comment, authenticated',
      value:
        'from [192.0.2.11] (helo=laptop) by mx.example.net with esmtpsa (TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256) (Exim 4.92) ' +
        '(envelope-from <a@example.org>) id 1qXyZ1-0004Ab-Cd; Fri, 29 Dec 2023 23:59:59 -0500',
      expected: {
        from: '[192.0.2.11]', fromHelo: 'laptop', fromRdns: null, fromIp: '192.0.2.11', by: 'mx.example.net',
        with: 'esmtpsa', id: '1qXyZ1-0004Ab-Cd', for: null, date: '2023-12-30T04:59:59.000Z', tls: true,
        tlsDetail: 'TLSv1.2 ECDHE-RSA-AES256-GCM-SHA384', authenticated: true,
      },
    },
    {
      name: 'Exim without helo= (EHLO name equals the rDNS name), plaintext',
      value: 'from mail.example.org ([192.0.2.10]) by mx.example.net with esmtp (Exim 4.94.2) (envelope-from <a@example.org>) id 1qXyZ2-0004Ac-Ef for b@example.net; Sat, 30 Dec 2023 10:00:00 +0000',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'esmtp', id: '1qXyZ2-0004Ac-Ef', for: 'b@example.net', date: '2023-12-30T10:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'Exim local submission: "from alice" is a user, not a host',
      value: 'from alice by mx.example.net with local (Exim 4.96) (envelope-from <alice@example.net>) id 1rABCE-000124-5y for bob@example.net; Mon, 01 Jan 2024 10:00:00 +0100',
      expected: {
        from: 'alice', fromHelo: 'alice', fromRdns: null, fromIp: null, by: 'mx.example.net',
        with: 'local', id: '1rABCE-000124-5y', for: 'bob@example.net', date: '2024-01-01T09:00:00.000Z', tls: null, tlsDetail: null,
      },
    },
  ],
  Sendmail: [
    {
      name: 'STARTTLS with version= cipher= bits= verify=',
      value:
        'from mail.example.org (mail.example.org [192.0.2.10]) by mx.example.net (8.17.1/8.17.1) with ESMTPS id 401A2b3C012345 ' +
        '(version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <bob@example.net>; Mon, 1 Jan 2024 10:00:00 +0100',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'ESMTPS', id: '401A2b3C012345', for: 'bob@example.net', date: '2024-01-01T09:00:00.000Z', tls: true,
        tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384',
      },
    },
    {
      name: 'nested "(may be forged)" comment inside the TCP-info',
      value: 'from helo.example.com (host-192-0-2-7.isp.example [192.0.2.7] (may be forged)) by mx.example.net (8.15.2/8.15.2) with ESMTP id x0Q9Ab1c002233 for <bob@example.net>; Sat, 26 Jan 2019 09:10:11 -0800 (PST)',
      expected: {
        from: 'helo.example.com', fromHelo: 'helo.example.com', fromRdns: 'host-192-0-2-7.isp.example', fromIp: '192.0.2.7', by: 'mx.example.net',
        with: 'ESMTP', id: 'x0Q9Ab1c002233', for: 'bob@example.net', date: '2019-01-26T17:10:11.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'local submission: "(from user@localhost)" comment, no protocol',
      value: '(from alice@localhost) by mail.example.net (8.17.1/8.17.1/Submit) id 401A2b3D012346; Mon, 1 Jan 2024 10:00:00 +0100',
      expected: {
        from: null, fromHelo: null, fromRdns: null, fromIp: null, by: 'mail.example.net',
        with: null, id: '401A2b3D012346', for: null, date: '2024-01-01T09:00:00.000Z', tls: null, tlsDetail: null,
      },
    },
    {
      name: 'authenticated bits=0, old TLSv1/SSLv3 naming',
      value:
        'from [192.0.2.50] ([198.51.100.8]) (authenticated bits=0) by smtp.example.net (8.14.4/8.14.4) with ESMTP id p0A1b2C3004455 ' +
        '(version=TLSv1/SSLv3 cipher=DHE-RSA-AES256-SHA bits=256 verify=NO) for <bob@example.org>; Mon, 10 Jan 2011 01:02:03 +0100',
      expected: {
        from: '[192.0.2.50]', fromHelo: '[192.0.2.50]', fromRdns: null, fromIp: '198.51.100.8', by: 'smtp.example.net',
        with: 'ESMTP', id: 'p0A1b2C3004455', for: 'bob@example.org', date: '2011-01-10T00:02:03.000Z', tls: true,
        tlsDetail: 'TLSv1/SSLv3 DHE-RSA-AES256-SHA', authenticated: true,
      },
    },
  ],
  qmail: [
    {
      name: 'local injection: only a comment and a date, -0000 zone',
      value: '(qmail 12345 invoked by uid 89); 1 Jan 2024 10:00:00 -0000',
      expected: {
        from: null, fromHelo: null, fromRdns: null, fromIp: null, by: null,
        with: null, id: null, for: null, date: '2024-01-01T10:00:00.000Z', tls: null, tlsDetail: null, dateZoneKnown: true,
      },
    },
    {
      name: '"invoked from network" (the words from and by are inside the comment)',
      value: '(qmail 4242 invoked from network); 1 Jan 2024 10:00:01 -0000',
      expected: {
        from: null, fromHelo: null, fromRdns: null, fromIp: null, by: null,
        with: null, id: null, for: null, date: '2024-01-01T10:00:01.000Z', tls: null, tlsDetail: null,
      },
    },
    {
      name: 'remote SMTP: unknown rDNS, HELO in a comment, bare address',
      value: 'from unknown (HELO mail.example.org) (192.0.2.10) by mx.example.net with SMTP; 1 Jan 2024 10:00:00 -0000',
      expected: {
        from: 'unknown', fromHelo: 'mail.example.org', fromRdns: null, fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'SMTP', id: null, for: null, date: '2024-01-01T10:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'rDNS first, user@address remote info, authenticated',
      value: 'from mail.example.org (HELO smtp.example.org) (alice@192.0.2.10) by mx.example.net with ESMTPA; 1 Jan 2024 10:00:00 -0000',
      expected: {
        from: 'mail.example.org', fromHelo: 'smtp.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'ESMTPA', id: null, for: null, date: '2024-01-01T10:00:00.000Z', tls: false, tlsDetail: null, authenticated: true,
      },
    },
    {
      name: 'TLS patch: "with (CIPHER encrypted) SMTP"',
      value: 'from mail.example.org (HELO mail.example.org) (192.0.2.10) by mx.example.net with (DHE-RSA-AES256-GCM-SHA384 encrypted) SMTP; 1 Jan 2024 10:00:00 -0000',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'SMTP', id: null, for: null, date: '2024-01-01T10:00:00.000Z', tls: true, tlsDetail: 'DHE-RSA-AES256-GCM-SHA384',
      },
    },
    {
      name: 'no semicolon before the date',
      value: 'from unknown (HELO mail.example.org) (192.0.2.10) by mx.example.net with SMTP 1 Jan 2024 10:00:00 -0000',
      expected: {
        from: 'unknown', fromHelo: 'mail.example.org', fromRdns: null, fromIp: '192.0.2.10', by: 'mx.example.net',
        with: 'SMTP', id: null, for: null, date: '2024-01-01T10:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
  ],
  'Exchange / Office 365': [
    {
      name: 'Exchange Online Protection front end: bare IPv4 addresses, TLS 1.3, via after id',
      value:
        'from mail-ej1-f41.google.example (203.0.113.41) by AMS0EPF000001A1.mail.protection.outlook.example (198.51.100.230) ' +
        'with Microsoft SMTP Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7202.16 via Frontend Transport; Mon, 15 Jan 2024 09:12:34 +0000',
      expected: {
        from: 'mail-ej1-f41.google.example', fromHelo: 'mail-ej1-f41.google.example', fromRdns: null, fromIp: '203.0.113.41',
        by: 'AMS0EPF000001A1.mail.protection.outlook.example', byIp: '198.51.100.230', with: 'Microsoft SMTP Server', id: '15.20.7202.16',
        for: null, date: '2024-01-15T09:12:34.000Z', tls: true, tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384', via: 'Frontend Transport',
      },
    },
    {
      name: 'internal hop between IPv6-addressed servers, "version=TLS1_2, cipher=…"',
      value:
        'from AM0PR02CA0012.eurprd02.prod.outlook.example (2001:db8:10a6:208:3e::25) by DB9PR08MB5678.eurprd08.prod.outlook.example ' +
        '(2001:db8:10a6:10:2a1::9) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7181.26; Mon, 15 Jan 2024 09:12:35 +0000',
      expected: {
        from: 'AM0PR02CA0012.eurprd02.prod.outlook.example', fromHelo: 'AM0PR02CA0012.eurprd02.prod.outlook.example', fromRdns: null,
        fromIp: '2001:db8:10a6:208:3e::25', by: 'DB9PR08MB5678.eurprd08.prod.outlook.example', byIp: '2001:db8:10a6:10:2a1::9',
        with: 'Microsoft SMTP Server', id: '15.20.7181.26', for: null, date: '2024-01-15T09:12:35.000Z', tls: true,
        tlsDetail: 'TLSv1.2 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', tlsVersion: 'TLSv1.2', via: null,
      },
    },
    {
      name: 'MAPI submission with a link-local address and zone index',
      value: 'from DB9PR08MB5678.eurprd08.prod.outlook.example ([fe80::1234:5678:9abc:def0]) by DB9PR08MB5678.eurprd08.prod.outlook.example ([fe80::1234:5678:9abc:def0%5]) with mapi id 15.20.7202.024; Mon, 15 Jan 2024 09:12:30 +0000',
      expected: {
        from: 'DB9PR08MB5678.eurprd08.prod.outlook.example', fromHelo: 'DB9PR08MB5678.eurprd08.prod.outlook.example', fromRdns: null,
        fromIp: 'fe80::1234:5678:9abc:def0', by: 'DB9PR08MB5678.eurprd08.prod.outlook.example', byIp: 'fe80::1234:5678:9abc:def0',
        with: 'mapi', id: '15.20.7202.024', for: null, date: '2024-01-15T09:12:30.000Z', tls: null, tlsDetail: null,
      },
    },
    {
      name: 'Exchange 2010 "(TLS)"',
      value: 'from EXCH01.corp.example.com (192.0.2.31) by EXCH02.corp.example.com (192.0.2.32) with Microsoft SMTP Server (TLS) id 14.3.498.0; Wed, 3 Jan 2024 11:22:33 -0500',
      expected: {
        from: 'EXCH01.corp.example.com', fromHelo: 'EXCH01.corp.example.com', fromRdns: null, fromIp: '192.0.2.31', by: 'EXCH02.corp.example.com',
        with: 'Microsoft SMTP Server', id: '14.3.498.0', for: null, date: '2024-01-03T16:22:33.000Z', tls: true, tlsDetail: null,
      },
    },
    {
      name: 'Exchange without TLS says nothing about it',
      value: 'from EXCH01.corp.example.com (192.0.2.31) by EXCH03.corp.example.com (192.0.2.33) with Microsoft SMTP Server id 14.3.498.0; Wed, 3 Jan 2024 11:22:34 -0500',
      expected: {
        from: 'EXCH01.corp.example.com', fromHelo: 'EXCH01.corp.example.com', fromRdns: null, fromIp: '192.0.2.31', by: 'EXCH03.corp.example.com',
        with: 'Microsoft SMTP Server', id: '14.3.498.0', for: null, date: '2024-01-03T16:22:34.000Z', tls: false, tlsDetail: null,
      },
    },
  ],
  Gmail: [
    {
      name: 'internal hop named by a bare IPv6 address',
      value: 'by 2001:db8:6a10:5a8e:b0:4f5:1c2:9e0 with SMTP id w14csp1931517pxb;        Mon, 15 Jan 2024 01:12:32 -0800 (PST)',
      expected: {
        from: null, fromHelo: null, fromRdns: null, fromIp: null, by: '2001:db8:6a10:5a8e:b0:4f5:1c2:9e0', byIp: '2001:db8:6a10:5a8e:b0:4f5:1c2:9e0',
        with: 'SMTP', id: 'w14csp1931517pxb', for: null, date: '2024-01-15T09:12:32.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'mx.google receiving from Google: SMTPS, root-dotted rDNS, Google Transport Security',
      value:
        'from mail-sor-f41.google.example (mail-sor-f41.google.example. [203.0.113.41]) by mx.google.example with SMTPS id ' +
        'a1sor123456ejb.12.2024.01.15.01.12.33 for <bob@example.com> (Google Transport Security); Mon, 15 Jan 2024 01:12:33 -0800 (PST)',
      expected: {
        from: 'mail-sor-f41.google.example', fromHelo: 'mail-sor-f41.google.example', fromRdns: 'mail-sor-f41.google.example', fromIp: '203.0.113.41',
        by: 'mx.google.example', with: 'SMTPS', id: 'a1sor123456ejb.12.2024.01.15.01.12.33', for: 'bob@example.com',
        date: '2024-01-15T09:12:33.000Z', tls: true, tlsDetail: null,
      },
    },
    {
      name: 'mx.google receiving from outside: ESMTPS with version=TLS1_3 … bits=',
      value:
        'from mail.example.org (mail.example.org. [192.0.2.10]) by mx.google.example with ESMTPS id x1si1234567qkx.123.2024.01.15.01.12.35 ' +
        'for <bob@gmail.example> (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Mon, 15 Jan 2024 01:12:35 -0800 (PST)',
      expected: {
        from: 'mail.example.org', fromHelo: 'mail.example.org', fromRdns: 'mail.example.org', fromIp: '192.0.2.10', by: 'mx.google.example',
        with: 'ESMTPS', id: 'x1si1234567qkx.123.2024.01.15.01.12.35', for: 'bob@gmail.example', date: '2024-01-15T09:12:35.000Z',
        tls: true, tlsDetail: 'TLSv1.3 TLS_AES_256_GCM_SHA384', tlsVersion: 'TLSv1.3',
      },
    },
    {
      name: 'smtp.gmail submission: EHLO literal differs from the connecting address',
      value:
        'from [192.0.2.80] ([198.51.100.7]) by smtp.gmail.example with ESMTPSA id r12-20020a05600c0000000000b0040e4b8b8b8bsm1234567wmq.1.2024.01.15.01.12.30 ' +
        'for <bob@example.com> (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Mon, 15 Jan 2024 01:12:30 -0800 (PST)',
      expected: {
        from: '[192.0.2.80]', fromHelo: '[192.0.2.80]', fromRdns: null, fromIp: '198.51.100.7', by: 'smtp.gmail.example',
        with: 'ESMTPSA', id: 'r12-20020a05600c0000000000b0040e4b8b8b8bsm1234567wmq.1.2024.01.15.01.12.30', for: 'bob@example.com',
        date: '2024-01-15T09:12:30.000Z', tls: true, tlsDetail: 'TLSv1.3 TLS_AES_128_GCM_SHA256', authenticated: true,
      },
    },
    {
      name: 'Gmail API submission: HTTPREST says nothing about TLS',
      value: 'from 1234567890 named unknown by gmailapi.google.example with HTTPREST; Mon, 15 Jan 2024 01:12:29 -0800',
      expected: {
        from: '1234567890', fromHelo: '1234567890', fromRdns: null, fromIp: null, by: 'gmailapi.google.example',
        with: 'HTTPREST', id: null, for: null, date: '2024-01-15T09:12:29.000Z', tls: null, tlsDetail: null,
      },
    },
  ],
  'Dovecot LMTP': [
    {
      name: 'LMTPS over TCP from the MX',
      value: 'from mx1.example.net ([203.0.113.25]) by imap.example.net with LMTPS id 2Jv6MC5/pmVdLQAAq4l0Wg (envelope-from <carol@example.org>) for <dave@example.net>; Tue, 16 Jan 2024 13:03:09 +0000',
      expected: {
        from: 'mx1.example.net', fromHelo: 'mx1.example.net', fromRdns: null, fromIp: '203.0.113.25', by: 'imap.example.net',
        with: 'LMTPS', id: '2Jv6MC5/pmVdLQAAq4l0Wg', for: 'dave@example.net', date: '2024-01-16T13:03:09.000Z', tls: true, tlsDetail: null,
      },
    },
    {
      name: 'LMTP over a unix socket: no address',
      value: 'from mail.example.net ([unix socket]) by mail.example.net (Dovecot) with LMTP id 3kYdL9gRkmV4IwAA0J78UA for <user@example.net>; Mon, 01 Jan 2024 10:00:01 +0100',
      expected: {
        from: 'mail.example.net', fromHelo: 'mail.example.net', fromRdns: null, fromIp: null, by: 'mail.example.net',
        with: 'LMTP', id: '3kYdL9gRkmV4IwAA0J78UA', for: 'user@example.net', date: '2024-01-01T09:00:01.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'LMTP from an IPv6 peer, bracketed without the prefix',
      value: 'from mx.example.net ([2001:db8::25]) by imap.example.net with LMTP id 8JrAGvzvp2WqIgAAbmC0nQ (envelope-from <erin@example.com>) for <frank@example.net>; Wed, 17 Jan 2024 15:45:17 +0100',
      expected: {
        from: 'mx.example.net', fromHelo: 'mx.example.net', fromRdns: null, fromIp: '2001:db8::25', by: 'imap.example.net',
        with: 'LMTP', id: '8JrAGvzvp2WqIgAAbmC0nQ', for: 'frank@example.net', date: '2024-01-17T14:45:17.000Z', tls: false, tlsDetail: null,
      },
    },
  ],
  'odd forms': [
    {
      name: 'nested comments in the TCP-info and the by clause',
      value: 'from a.example.org (a.example.org [192.0.2.3] (comment (nested twice) here)) by b.example.net (Postfix (3.8.4)) with ESMTP id X1; Mon, 1 Jan 2024 10:00:00 +0000',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: 'a.example.org', fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'ESMTP', id: 'X1', for: null, date: '2024-01-01T10:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'missing semicolon with a day name',
      value: 'from a.example.org (a.example.org [192.0.2.3]) by b.example.net with ESMTP id ABC123 Mon, 1 Jan 2024 10:00:00 +0000',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: 'a.example.org', fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'ESMTP', id: 'ABC123', for: null, date: '2024-01-01T10:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'missing semicolon after for, obsolete zone EST',
      value: 'from a.example.org ([192.0.2.3]) by b.example.net with SMTP id 77 for <u@example.net> Tue, 2 Jan 2024 10:00:00 EST',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: null, fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'SMTP', id: '77', for: 'u@example.net', date: '2024-01-02T15:00:00.000Z', tls: false, tlsDetail: null,
      },
    },
    {
      name: 'EHLO name in a comment after a bare address (Yahoo-style)',
      value: 'from 192.0.2.33 (EHLO mail.example.org) by smtp.example.net with ESMTPS; Wed, 3 Jan 2024 08:00:00 +0000',
      expected: {
        from: '192.0.2.33', fromHelo: 'mail.example.org', fromRdns: null, fromIp: '192.0.2.33', by: 'smtp.example.net',
        with: 'ESMTPS', id: null, for: null, date: '2024-01-03T08:00:00.000Z', tls: true, tlsDetail: null,
      },
    },
    {
      name: 'old Postfix: ESMTP but the comment says TLS',
      value: 'from a.example.org (a.example.org [192.0.2.3]) (using TLSv1 with cipher DHE-RSA-AES256-SHA (256/256 bits)) by b.example.net (Postfix) with ESMTP id 1A2B3C; Thu, 4 Jan 2024 12:00:00 +0000 (GMT)',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: 'a.example.org', fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'ESMTP', id: '1A2B3C', for: null, date: '2024-01-04T12:00:00.000Z', tls: true, tlsDetail: 'TLSv1.0 DHE-RSA-AES256-SHA',
      },
    },
    {
      name: 'unreadable date: everything else still parsed',
      value: 'from a.example.org ([192.0.2.3]) by b.example.net with ESMTP id Z9; sometime yesterday',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: null, fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'ESMTP', id: 'Z9', for: null, date: null, tls: false, tlsDetail: null, dateZoneKnown: null,
      },
    },
    {
      name: 'unknown alphabetic zone is read as UTC and flagged',
      value: 'from a.example.org ([192.0.2.3]) by b.example.net with ESMTP id Z8; Fri, 5 Jan 2024 10:00:00 CET',
      expected: {
        from: 'a.example.org', fromHelo: 'a.example.org', fromRdns: null, fromIp: '192.0.2.3', by: 'b.example.net',
        with: 'ESMTP', id: 'Z8', for: null, date: '2024-01-05T10:00:00.000Z', tls: false, tlsDetail: null, dateZoneKnown: false,
      },
    },
  ],
}

function pick(received: Received, expected: Expected): Partial<Received> {
  const keys = new Set<string>([...CORE, ...Object.keys(expected)])
  return Object.fromEntries(Object.entries(received).filter(([key]) => keys.has(key)))
}

describe('parseReceived: fixture corpus', () => {
  it('covers every family the parser promises to read', () => {
    expect(Object.keys(fixtures)).toEqual(
      expect.arrayContaining(['RFC 5321 §4.4', 'Postfix', 'Exim', 'Sendmail', 'qmail', 'Exchange / Office 365', 'Gmail', 'Dovecot LMTP']),
    )
  })

  for (const [family, list] of Object.entries(fixtures)) {
    describe(family, () => {
      for (const {name, value, expected} of list) {
        it(name, () => {
          const parsed = parseReceived(value)
          expect(pick(parsed, expected)).toEqual(expected)
          expect(parsed.raw).toBe(value)
          expect(receivedSchema.parse(parsed)).toEqual(parsed)
        })
      }
    })
  }
})

describe('parseReceived: robustness', () => {
  it('never throws, and reads nothing from junk', () => {
    for (const junk of ['', ';', '((((', ')))) from', 'from (unclosed comment by x', '"unterminated', 'by', 'with with with']) {
      const parsed = parseReceived(junk)
      expect(parsed.date).toBeNull()
      expect(parsed.fromIp).toBeNull()
    }
  })

  it('does not take keywords inside comments as clauses', () => {
    const parsed = parseReceived('(from evil.example by fake.example with ESMTPS id FAKE) by real.example.net id REAL; Mon, 1 Jan 2024 10:00:00 +0000')
    expect(parsed.from).toBeNull()
    expect(parsed.by).toBe('real.example.net')
    expect(parsed.id).toBe('REAL')
    expect(parsed.with).toBeNull()
  })

  it('keeps the first of a repeated clause', () => {
    const parsed = parseReceived('from a.example by b.example by c.example; Mon, 1 Jan 2024 10:00:00 +0000')
    expect(parsed.by).toBe('b.example')
  })

  it('takes the date after the last semicolon, not an earlier one', () => {
    const parsed = parseReceived('from a.example by b.example with ESMTP id X; for <u@example.net>; Mon, 1 Jan 2024 10:00:00 +0000')
    expect(parsed.date).toBe('2024-01-01T10:00:00.000Z')
  })

  it('handles an escaped parenthesis inside a comment', () => {
    const parsed = parseReceived('from a.example (a.example [192.0.2.9]) (note: smile \\) here) by b.example with ESMTP id Q; Mon, 1 Jan 2024 10:00:00 +0000')
    expect(parsed.by).toBe('b.example')
    expect(parsed.fromIp).toBe('192.0.2.9')
  })

  it('refuses a bracketed thing that is not an address', () => {
    expect(parseReceived('from x.example ([999.1.2.3]) by y.example; Mon, 1 Jan 2024 10:00:00 +0000').fromIp).toBeNull()
  })
})
