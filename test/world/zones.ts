/**
 * The test world's DNS data, as plain records. dns.ts turns them into dnsmasq options; tests read
 * them to know what to expect. Extend the list (SRV, TXT, TLSA, any type via RAW): every name under
 * .test that is not listed here answers NXDOMAIN, and every address without a PTR here has none.
 *
 * Address plan (everything in 127.0.1.0/24, on the loopback interface):
 *   127.0.1.25  Postfix (mx.mail.test, smtp.mail.test): 25, 587, 465
 *   127.0.1.26  down.fallback.test: nothing listens
 *   127.0.1.27  mx2.equal.test: nothing listens
 *   127.0.1.30  Dovecot (imap.mail.test, pop.mail.test): 143, 993, 110, 995
 *   127.0.1.53  dnsmasq: 53 UDP and TCP
 *   127.0.1.54  NSD: authoritative for the signed zone dane.test (dnssec.ts)
 *   127.0.1.55  Unbound: validating resolver, trust anchor for dane.test (dnssec.ts)
 *   127.0.1.60  mx.noptr.test: no PTR (NXDOMAIN)
 *   127.0.1.61  mx.badptr.test, whose PTR names other.badptr.test
 *   127.0.1.62  other.badptr.test
 *   127.0.1.66-.70  sending addresses for `sender` (buildZones: the blocklist bl.test, generic PTR names)
 */

export type ZoneRecord =
  | {type: 'A'; name: string; address: string}
  | {type: 'AAAA'; name: string; address: string}
  /** Reverse record for `address` (the in-addr.arpa / ip6.arpa name is derived). */
  | {type: 'PTR'; address: string; target: string}
  /** `exchange: '.'` is the null MX of RFC 7505 (with preference 0). */
  | {type: 'MX'; name: string; preference: number; exchange: string}
  | {type: 'CNAME'; name: string; target: string}
  /** Each string is one character-string (at most 255 bytes); see splitTxt. */
  | {type: 'TXT'; name: string; strings: string[]}
  | {type: 'SRV'; name: string; target: string; port: number; priority: number; weight: number}
  | {type: 'TLSA'; name: string; usage: number; selector: number; matchingType: number; data: string}
  /** Any other type, as its number and RDATA in hex. */
  | {type: 'RAW'; name: string; rrType: number; hex: string}
  /** An A answer for `name` and every name under it (dnsmasq address=): a blocklist that lists everything. */
  | {type: 'WILDCARD_A'; name: string; address: string}

export const HOSTS = {
  dns: '127.0.1.53',
  nsd: '127.0.1.54',
  unbound: '127.0.1.55',
  postfix: '127.0.1.25',
  dovecot: '127.0.1.30',
  down: '127.0.1.26',
  equal2: '127.0.1.27',
  noPtr: '127.0.1.60',
  badPtr: '127.0.1.61',
  badPtrOther: '127.0.1.62',
  /** Listed in bl.test, with a TXT reason. */
  listed: '127.0.1.66',
  /** bl.test answers 127.255.255.254 for it: Spamhaus' "query through a public resolver" error, not a listing. */
  blError: '127.0.1.67',
  /** bl.test answers 127.0.0.1 for it: not a listing (RFC 5782 §5). */
  blLoopback: '127.0.1.68',
  /** bl.test answers 192.0.2.1 for it: outside 127.0.0.0/8, no blocklist answer. */
  blOutside: '127.0.1.69',
  /** PTR 127-0-1-70.dynamic.pool.test, which resolves back: a generic name. */
  generic: '127.0.1.70',
} as const

/** Splits a long TXT value into character-strings of at most `size` bytes (RFC 7208 3.3 joins them back). */
export function splitTxt(text: string, size = 255): string[] {
  const parts: string[] = []
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size))
  return parts
}

/** The SPF record of txt.test: longer than one character-string can hold. */
export const LONG_SPF =
  'v=spf1 ' +
  Array.from({length: 40}, (_, i) => `ip4:127.0.2.${i + 1}`).join(' ') +
  ' -all'

export interface ZoneOptions {
  /** SHA-256 of the Postfix certificate's public key, hex: makes the TLSA record at _25._tcp.mx.mail.test match. */
  postfixSpkiSha256: string
  /** The p= values of the DKIM keys the harness made (dkim.ts); without them, no DKIM records. */
  dkim?: {rsa2048: string; rsa1024: string; ed25519: string}
}

/**
 * DKIM (signed.test, hidden.test, forwarder.test) and DMARC per RFC 9989 (dmarc.test, psd.test,
 * nop.test): the cases of `sender` and of trace's policy step.
 */
function authenticationRecords(dkim: ZoneOptions['dkim']): ZoneRecord[] {
  const txt = (name: string, text: string): ZoneRecord => ({type: 'TXT', name, strings: splitTxt(text)})
  const {postfix} = HOSTS
  const keys: ZoneRecord[] = dkim
    ? [
        // signed.test: the harness signs with s2048 and ed (dkim.ts); default is a common selector, for guessing.
        txt('s2048._domainkey.signed.test', `v=DKIM1; k=rsa; p=${dkim.rsa2048}`),
        txt('default._domainkey.signed.test', `v=DKIM1; k=rsa; p=${dkim.rsa2048}`),
        txt('s1024._domainkey.signed.test', `v=DKIM1; k=rsa; p=${dkim.rsa1024}`),
        txt('ed._domainkey.signed.test', `v=DKIM1; k=ed25519; p=${dkim.ed25519}`),
        txt('trial._domainkey.signed.test', `v=DKIM1; k=rsa; t=y; p=${dkim.rsa2048}`),
        // hidden.test: a key under a selector nobody guesses: _domainkey.hidden.test exists, no common selector has a key.
        txt('custom._domainkey.hidden.test', `v=DKIM1; k=rsa; p=${dkim.rsa2048}`),
        // forwarder.test ARC-seals signed.test's message (dkim.ts).
        txt('arc._domainkey.forwarder.test', `v=DKIM1; k=rsa; p=${dkim.rsa2048}`),
      ]
    : []
  return [
    ...keys,
    txt('gone._domainkey.signed.test', 'v=DKIM1; k=rsa; p='),
    {type: 'MX', name: 'signed.test', preference: 10, exchange: 'mx.mail.test'},
    txt('signed.test', 'v=spf1 ip4:127.0.1.25 -all'),
    txt('_dmarc.signed.test', 'v=DMARC1; p=reject; rua=mailto:dmarc@signed.test'),
    {type: 'MX', name: 'hidden.test', preference: 10, exchange: 'mx.mail.test'},
    // dmarc.test: the new tags (np, t) and the removed ones (pct, ri); report addresses inside, authorised
    // outside (reports.test), and unauthorised outside (noauth.test, RFC 9990 §3).
    txt('_dmarc.dmarc.test', 'v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; pct=50; ri=3600; rua=mailto:agg@dmarc.test,mailto:agg@reports.test,mailto:agg@noauth.test'),
    txt('dmarc.test._report._dmarc.reports.test', 'v=DMARC1'),
    {type: 'MX', name: 'dmarc.test', preference: 10, exchange: 'mx.mail.test'},
    // A tree walk of several steps: a.b.c.dmarc.test finds the policy four names up.
    {type: 'A', name: 'a.b.c.dmarc.test', address: postfix},
    // psd.test: a public suffix domain's record (psd=y); shop.psd.test publishes none, so the PSD policy applies.
    txt('_dmarc.psd.test', 'v=DMARC1; p=reject; sp=quarantine; np=reject; psd=y'),
    {type: 'A', name: 'shop.psd.test', address: postfix},
    // nop.test: no p= (RFC 9989 reads it as p=none).
    txt('_dmarc.nop.test', 'v=DMARC1; rua=mailto:d@nop.test'),
    // BIMI: signed.test's logo and mark certificate (dkim.ts, served at 127.0.1.44); a selector that
    // declines; dmarc.test's logo that is not SVG Tiny PS, without a certificate, under DMARC t=y.
    txt('default._bimi.signed.test', 'v=BIMI1; l=https://bimi.signed.test/logo.svg; a=https://bimi.signed.test/vmc.pem'),
    txt('brand._bimi.signed.test', 'v=BIMI1; l=; a='),
    {type: 'A', name: 'bimi.signed.test', address: '127.0.1.44'},
    txt('default._bimi.dmarc.test', 'v=BIMI1; l=https://bimi.signed.test/bad.svg'),
  ]
}

/** The DNSSEC-signed zone (NSD, validated by Unbound: dnssec.ts). dnsmasq forwards it to NSD unvalidated. */
export const SIGNED_ZONE = 'dane.test'

export interface SignedZoneOptions extends ZoneOptions {
  /** SHA-256 of the test CA's certificate (DER), hex: the data of a DANE-TA "2 0 1" record. */
  caCertSha256: string
  /** SHA-256 of the test CA's public key (SubjectPublicKeyInfo), hex: a DANE-TA "2 1 1" record. */
  caSpkiSha256: string
}

/**
 * The records of dane.test (SOA, NS and the keys are added by dnssec.ts). Every MX points at
 * Postfix (127.0.1.25), whose certificate names mx.mail.test and mx.ta.dane.test (ca.ts) and which
 * sends the test CA after its leaf (RFC 7671 §5.2.2), so each domain is one DANE case (RFC 7672):
 */
export function buildSignedZone(options: SignedZoneOptions): ZoneRecord[] {
  const {postfix} = HOSTS
  const tlsa = (host: string, usage: number, selector: number, matchingType: number, data: string): ZoneRecord =>
    ({type: 'TLSA', name: `_25._tcp.${host}`, usage, selector, matchingType, data})
  const mx = (domain: string, exchange: string, preference = 10): ZoneRecord => ({type: 'MX', name: domain, preference, exchange})
  const a = (name: string): ZoneRecord => ({type: 'A', name, address: postfix})
  const mismatch = 'ab'.repeat(32)
  return [
    // ee: DANE-EE 3 1 1 of Postfix's key. The certificate names mx.mail.test, not this host: with
    // DANE-EE the name is not checked (§3.1.1).
    mx('ee.dane.test', 'mx.ee.dane.test'), a('mx.ee.dane.test'), tlsa('mx.ee.dane.test', 3, 1, 1, options.postfixSpkiSha256),
    // bad: the only MX publishes a DANE-EE record that matches nothing: DANE senders defer (§2.2).
    mx('bad.dane.test', 'mx.bad.dane.test'), a('mx.bad.dane.test'), tlsa('mx.bad.dane.test', 3, 1, 1, mismatch),
    // backup: the preferred MX mismatches, the second matches: DANE senders skip to the second.
    mx('backup.dane.test', 'mx.bad.dane.test', 10), mx('backup.dane.test', 'mx.ee.dane.test', 20),
    // ta: DANE-TA 2 0 1 of the test CA; the certificate names mx.ta.dane.test (§3.2.2 name check passes).
    mx('ta.dane.test', 'mx.ta.dane.test'), a('mx.ta.dane.test'), tlsa('mx.ta.dane.test', 2, 0, 1, options.caCertSha256),
    // taname: DANE-TA 2 1 1 of the test CA, but the certificate does not name mx.taname.dane.test.
    mx('taname.dane.test', 'mx.taname.dane.test'), a('mx.taname.dane.test'), tlsa('mx.taname.dane.test', 2, 1, 1, options.caSpkiSha256),
    // tacname: the MX host is an alias of mx.ta.dane.test: the TLSA base domain is the alias's
    // target, and the certificate may name either (§2.2.2, §3.2.2).
    mx('tacname.dane.test', 'mx.tacname.dane.test'), {type: 'CNAME', name: 'mx.tacname.dane.test', target: 'mx.ta.dane.test'},
    // pkix: only records SMTP cannot use: PKIX-EE (usage 1, §3.1.3) and a SHA-256 digest of 2 bytes.
    mx('pkix.dane.test', 'mx.pkix.dane.test'), a('mx.pkix.dane.test'),
    tlsa('mx.pkix.dane.test', 1, 1, 1, options.postfixSpkiSha256), tlsa('mx.pkix.dane.test', 3, 1, 1, 'abcd'),
  ]
}

export function buildZones(options: ZoneOptions): ZoneRecord[] {
  const {postfix, dovecot, down, equal2, noPtr, badPtr, badPtrOther} = HOSTS
  return [
    // mail.test: the working domain. Postfix on .25, Dovecot on .30.
    {type: 'MX', name: 'mail.test', preference: 10, exchange: 'mx.mail.test'},
    {type: 'A', name: 'mx.mail.test', address: postfix},
    {type: 'A', name: 'smtp.mail.test', address: postfix},
    {type: 'A', name: 'imap.mail.test', address: dovecot},
    {type: 'A', name: 'pop.mail.test', address: dovecot},
    {type: 'PTR', address: postfix, target: 'mx.mail.test'},
    {type: 'PTR', address: dovecot, target: 'imap.mail.test'},
    {type: 'TLSA', name: '_25._tcp.mx.mail.test', usage: 3, selector: 1, matchingType: 1, data: options.postfixSpkiSha256},

    // fallback.test: the preferred MX is down, the second one works.
    {type: 'MX', name: 'fallback.test', preference: 10, exchange: 'down.fallback.test'},
    {type: 'MX', name: 'fallback.test', preference: 20, exchange: 'mx.mail.test'},
    {type: 'A', name: 'down.fallback.test', address: down},
    {type: 'PTR', address: down, target: 'down.fallback.test'},

    // equal.test: two MX of the same preference.
    {type: 'MX', name: 'equal.test', preference: 10, exchange: 'mx.mail.test'},
    {type: 'MX', name: 'equal.test', preference: 10, exchange: 'mx2.equal.test'},
    {type: 'A', name: 'mx2.equal.test', address: equal2},
    {type: 'PTR', address: equal2, target: 'mx2.equal.test'},

    // implicit.test: no MX, an A record (RFC 5321 5.1 implicit MX).
    {type: 'A', name: 'implicit.test', address: postfix},

    // nullmx.test: RFC 7505 null MX.
    {type: 'MX', name: 'nullmx.test', preference: 0, exchange: '.'},

    // cname.test: the MX target is a CNAME (RFC 2181 10.3 forbids it; real resolvers follow it).
    {type: 'MX', name: 'cname.test', preference: 10, exchange: 'alias.cname.test'},
    {type: 'CNAME', name: 'alias.cname.test', target: 'mx.mail.test'},

    // literal.test: an IP address written as the MX target name.
    {type: 'MX', name: 'literal.test', preference: 10, exchange: postfix},

    // lame.test: the preferred MX name does not exist.
    {type: 'MX', name: 'lame.test', preference: 10, exchange: 'nowhere.lame.test'},
    {type: 'MX', name: 'lame.test', preference: 20, exchange: 'mx.mail.test'},

    // noptr.test: the MX address has no PTR.
    {type: 'MX', name: 'noptr.test', preference: 10, exchange: 'mx.noptr.test'},
    {type: 'A', name: 'mx.noptr.test', address: noPtr},

    // badptr.test: the PTR names another host, whose address differs (forward-confirmation fails).
    {type: 'MX', name: 'badptr.test', preference: 10, exchange: 'mx.badptr.test'},
    {type: 'A', name: 'mx.badptr.test', address: badPtr},
    {type: 'PTR', address: badPtr, target: 'other.badptr.test'},
    {type: 'A', name: 'other.badptr.test', address: badPtrOther},
    {type: 'PTR', address: badPtrOther, target: 'other.badptr.test'},

    // dual.test: the MX has an IPv4 and an IPv6 address (::1 has no PTR).
    {type: 'MX', name: 'dual.test', preference: 10, exchange: 'mx.dual.test'},
    {type: 'A', name: 'mx.dual.test', address: postfix},
    {type: 'AAAA', name: 'mx.dual.test', address: '::1'},

    // bücher.test (IDNA: xn--bcher-kva.test).
    {type: 'MX', name: 'xn--bcher-kva.test', preference: 10, exchange: 'mx.mail.test'},

    // trace: mail.test publishes its submission and mailbox servers (RFC 6186, RFC 8314), SPF,
    // DMARC, MTA-STS (policy on mta-sts.ts's HTTPS server) and TLS-RPT.
    {type: 'SRV', name: '_submissions._tcp.mail.test', priority: 0, weight: 1, port: 465, target: 'mx.mail.test'},
    {type: 'SRV', name: '_submission._tcp.mail.test', priority: 0, weight: 1, port: 587, target: 'mx.mail.test'},
    {type: 'SRV', name: '_imaps._tcp.mail.test', priority: 0, weight: 1, port: 993, target: 'imap.mail.test'},
    {type: 'SRV', name: '_imap._tcp.mail.test', priority: 0, weight: 1, port: 143, target: 'imap.mail.test'},
    {type: 'SRV', name: '_pop3s._tcp.mail.test', priority: 0, weight: 1, port: 995, target: 'pop.mail.test'},
    {type: 'SRV', name: '_pop3._tcp.mail.test', priority: 0, weight: 1, port: 110, target: 'pop.mail.test'},
    {type: 'TXT', name: 'mail.test', strings: ['v=spf1 ip4:127.0.1.25 -all']},
    {type: 'TXT', name: '_dmarc.mail.test', strings: ['v=DMARC1; p=reject; rua=mailto:dmarc@mail.test']},
    {type: 'TXT', name: '_mta-sts.mail.test', strings: ['v=STSv1; id=20261128T000000']},
    {type: 'TXT', name: '_smtp._tls.mail.test', strings: ['v=TLSRPTv1; rua=mailto:tlsrpt@mail.test']},
    {type: 'A', name: 'mta-sts.mail.test', address: '127.0.1.44'},

    // spflimit.test: an SPF record that needs 11 DNS lookups (RFC 7208 §4.6.4 allows 10).
    {type: 'TXT', name: 'spflimit.test', strings: [`v=spf1 ${'a:mx.mail.test '.repeat(11)}-all`]},
    // spf2.test: two SPF records (RFC 7208 §4.5: permerror).
    {type: 'TXT', name: 'spf2.test', strings: ['v=spf1 -all']},
    {type: 'TXT', name: 'spf2.test', strings: ['v=spf1 ip4:127.0.1.25 -all']},
    // stsbad.test: Postfix takes its mail, but its enforced MTA-STS policy names other hosts.
    {type: 'MX', name: 'stsbad.test', preference: 10, exchange: 'mx.mail.test'},
    {type: 'TXT', name: '_mta-sts.stsbad.test', strings: ['v=STSv1; id=1']},
    {type: 'A', name: 'mta-sts.stsbad.test', address: '127.0.1.44'},

    // txt.test: one TXT record longer than 255 bytes, in several character-strings.
    {type: 'TXT', name: 'txt.test', strings: splitTxt(LONG_SPF)},

    // sender (issue 12): bl.test is a blocklist zone (RFC 5782): its test entry 127.0.0.2 listed, 127.0.0.1 not; the
    // addresses in HOSTS.listed … blOutside answer as their comments say; every other address is unlisted (NXDOMAIN).
    // wildbl.test lists everything (a broken zone); deadbl.test lists nothing, not even its test entry.
    {type: 'A', name: '2.0.0.127.bl.test', address: '127.0.0.2'},
    {type: 'TXT', name: '2.0.0.127.bl.test', strings: ['test entry (RFC 5782)']},
    {type: 'A', name: '66.1.0.127.bl.test', address: '127.0.0.2'},
    {type: 'A', name: '66.1.0.127.bl.test', address: '127.0.0.4'},
    {type: 'TXT', name: '66.1.0.127.bl.test', strings: ['127.0.1.66 sent spam to our traps; see https://bl.test/lookup?ip=127.0.1.66']},
    {type: 'A', name: '67.1.0.127.bl.test', address: '127.255.255.254'},
    {type: 'A', name: '68.1.0.127.bl.test', address: '127.0.0.1'},
    {type: 'A', name: '69.1.0.127.bl.test', address: '192.0.2.1'},
    // bl.test lists IPv6 addresses too (its IPv6 test entry ::ffff:7f00:2, RFC 5782 §5); v4bl.test lists IPv4 only.
    {type: 'A', name: `${reverseName('::ffff:7f00:2').replace(/\.ip6\.arpa$/, '')}.bl.test`, address: '127.0.0.2'},
    {type: 'A', name: '2.0.0.127.v4bl.test', address: '127.0.0.2'},
    {type: 'WILDCARD_A', name: 'wildbl.test', address: '127.0.0.2'},
    {type: 'TXT', name: 'deadbl.test', strings: ['a zone that lists nothing']},
    // sender.test: SPF allows Postfix and bl.test's listed address softly; its sending addresses' reverse DNS.
    {type: 'TXT', name: 'sender.test', strings: ['v=spf1 ip4:127.0.1.25 ip4:127.0.1.70 ~all']},
    {type: 'PTR', address: '127.0.1.70', target: '127-0-1-70.dynamic.pool.test'},
    {type: 'A', name: '127-0-1-70.dynamic.pool.test', address: '127.0.1.70'},
    {type: 'PTR', address: '127.0.1.66', target: 'spammer.bl-victim.test'},

    // insecure.test: an unsigned MX pointing into the signed zone, at a host whose TLSA record
    // matches nothing: the MX answer is not validated, so DANE senders do not apply DANE (§2.2.1).
    {type: 'MX', name: 'insecure.test', preference: 10, exchange: 'mx.bad.dane.test'},

    ...authenticationRecords(options.dkim),
    ...exampleRecords(options.dkim),
  ]
}

/**
 * The documentation names (RFC 2606, RFC 6761) that the examples in every --help and in README use, served
 * here so that test/integration/examples.test.ts runs those examples as they are written: example.com is
 * me@example.com's domain (its MX, submission, IMAP and POP3 servers are Postfix and Dovecot), example.org
 * is you@example.org's and bob@example.org's, bücher.example an IDN mail domain, bl.example.net a blocklist.
 * dns.ts makes every other name under these zones NXDOMAIN.
 */
export const EXAMPLE_ZONES = ['example.com', 'example.org', 'example.net', 'example'] as const

/**
 * Names the DMARC tree walk (RFC 9989 §4.10) asks for above the example domains: they do not exist in the real
 * DNS either, so they answer NXDOMAIN here rather than REFUSED (every other name outside these zones).
 */
export const EXAMPLE_TLD_DMARC = ['_dmarc.com', '_dmarc.org', '_dmarc.net'] as const

function exampleRecords(dkim: ZoneOptions['dkim']): ZoneRecord[] {
  const {postfix, dovecot} = HOSTS
  const txt = (name: string, text: string): ZoneRecord => ({type: 'TXT', name, strings: splitTxt(text)})
  const srv = (name: string, port: number, target: string): ZoneRecord => ({type: 'SRV', name, priority: 0, weight: 1, port, target})
  return [
    {type: 'MX', name: 'example.com', preference: 10, exchange: 'mx.example.com'},
    ...['mx.example.com', 'smtp.example.com'].map((name): ZoneRecord => ({type: 'A', name, address: postfix})),
    // mail.example.com: the sending server of the `sender` examples (192.0.2.25, 2001:db8::25), forward-confirmed.
    {type: 'A', name: 'mail.example.com', address: '192.0.2.25'},
    {type: 'AAAA', name: 'mail.example.com', address: '2001:db8::25'},
    {type: 'PTR', address: '192.0.2.25', target: 'mail.example.com'},
    {type: 'PTR', address: '2001:db8::25', target: 'mail.example.com'},
    ...['imap.example.com', 'pop.example.com'].map((name): ZoneRecord => ({type: 'A', name, address: dovecot})),
    srv('_submissions._tcp.example.com', 465, 'smtp.example.com'),
    srv('_submission._tcp.example.com', 587, 'smtp.example.com'),
    srv('_imaps._tcp.example.com', 993, 'imap.example.com'),
    srv('_pop3s._tcp.example.com', 995, 'pop.example.com'),
    txt('example.com', 'v=spf1 ip4:127.0.1.25 ip4:192.0.2.25 ip6:2001:db8::25 -all'),
    txt('mail.example.com', 'v=spf1 a -all'),
    txt('_dmarc.example.com', 'v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com'),
    ...(dkim
      ? [txt('s1._domainkey.example.com', `v=DKIM1; k=rsa; p=${dkim.rsa2048}`), txt('s2._domainkey.example.com', `v=DKIM1; k=ed25519; p=${dkim.ed25519}`)]
      : []),
    {type: 'MX', name: 'example.org', preference: 10, exchange: 'mx.example.org'},
    {type: 'A', name: 'mx.example.org', address: postfix},
    {type: 'A', name: 'imap.example.org', address: dovecot},
    srv('_imaps._tcp.example.org', 993, 'imap.example.org'),
    txt('example.org', 'v=spf1 ip4:127.0.1.25 -all'),
    // bücher.example (IDNA: xn--bcher-kva.example).
    {type: 'MX', name: 'xn--bcher-kva.example', preference: 10, exchange: 'mx.example.com'},
    // bl.example.net: a blocklist (RFC 5782) with its test entry, listing the documentation address 192.0.2.25.
    {type: 'A', name: '2.0.0.127.bl.example.net', address: '127.0.0.2'},
    {type: 'A', name: '25.2.0.192.bl.example.net', address: '127.0.0.2'},
    txt('25.2.0.192.bl.example.net', '192.0.2.25 sent spam to our traps'),
  ]
}

/** Domains whose mail Postfix accepts for alice and bob besides mail.test (all route to mx.mail.test). */
export const ALIAS_DOMAINS = [
  'fallback.test',
  'equal.test',
  'implicit.test',
  'cname.test',
  'literal.test',
  'lame.test',
  'dual.test',
  'xn--bcher-kva.test',
  'stsbad.test',
  'insecure.test',
  'ee.dane.test',
  'bad.dane.test',
  'backup.dane.test',
  'ta.dane.test',
  'taname.dane.test',
  'tacname.dane.test',
  'pkix.dane.test',
] as const

/** The in-addr.arpa or ip6.arpa name of an address. */
export function reverseName(address: string): string {
  if (address.includes(':')) {
    return expandIpv6(address).split('').reverse().join('.') + '.ip6.arpa'
  }
  return address.split('.').reverse().join('.') + '.in-addr.arpa'
}

/** Four hex digits per group, no colons: '::1' -> '000…0001' (32 digits). */
export function expandIpv6(address: string): string {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined]
  const h = head ? head.split(':') : []
  const t = tail !== undefined && tail !== '' ? tail.split(':') : []
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0')
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join('')
}
