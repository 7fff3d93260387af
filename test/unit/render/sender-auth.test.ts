import {describe, expect, it} from 'vitest'
import type {DkimSelector, DkimSignature} from '../../../src/lib/dkim/schema.js'
import type {DmarcRecord} from '../../../src/lib/policy/schema.js'
import type {SenderBimi, SenderDkim, SenderDmarc} from '../../../src/lib/sender/schema.js'
import {renderBimiSection, renderDkimSection, renderDmarcSection} from '../../../src/render/sender-auth.js'
import {escapeUntrusted} from '../../../src/render/sanitize.js'
import {makeStyle} from '../../../src/render/style.js'
import {finding} from '../../../src/lib/findings.js'

// The DKIM, DMARC and BIMI sections of `sender` (issue 12): what each shows for found, absent and could not be
// checked, never "absent" for a lookup that failed; folded between words on a narrow terminal.
const c = makeStyle(0)
const WIDE = 0

const key = (over: Partial<DkimSelector>): DkimSelector => ({
  selector: 's1',
  domain: 'example.test',
  name: `${over.selector ?? 's1'}._domainkey.example.test`,
  source: 'flag',
  status: 'found',
  record: 'v=DKIM1; p=MIIB',
  keyType: 'rsa',
  keyBits: 2048,
  testing: false,
  strict: false,
  revoked: false,
  hashes: null,
  services: ['*'],
  cname: null,
  problems: [],
  lookupError: null,
  ...over,
})

const signature = (over: Partial<DkimSignature>): DkimSignature => ({
  index: 1,
  domain: 'example.test',
  selector: 's1',
  algorithm: 'rsa-sha256',
  canonicalization: 'relaxed/relaxed',
  signedHeaders: ['from', 'subject'],
  result: 'pass',
  reason: null,
  bodyHash: 'match',
  keyBits: 2048,
  bodyLengthLimit: null,
  unsignedBodyBytes: null,
  signedAt: null,
  expiresAt: null,
  aligned: true,
  ...over,
})

const dkim = (over: Partial<SenderDkim>): SenderDkim => ({
  status: 'found',
  error: null,
  domain: 'example.test',
  guessed: false,
  tried: ['s1'],
  domainKey: null,
  selectors: [],
  signatures: [],
  arc: null,
  messageError: null,
  messageFrom: null,
  ...over,
})

const record = (over: Partial<DmarcRecord>): DmarcRecord => ({p: 'reject', pImplicit: false, sp: null, np: null, t: 'n', psd: 'u', rua: [], ruf: [], adkim: 'r', aspf: 'r', fo: ['0'], removed: [], ...over})

const dmarc = (over: Partial<SenderDmarc>): SenderDmarc => ({
  status: 'found',
  error: null,
  domain: 'example.test',
  recordDomain: 'example.test',
  inherited: false,
  source: 'domain',
  organizationalDomain: 'example.test',
  record: 'v=DMARC1; p=reject',
  lookupError: null,
  policy: record({}),
  effectivePolicy: 'reject',
  testing: false,
  domainExists: null,
  queried: ['_dmarc.example.test', '_dmarc.test'],
  walk: [
    {name: '_dmarc.example.test', result: 'record', psd: 'u'},
    {name: '_dmarc.test', result: 'none', psd: null},
  ],
  reports: [],
  alignment: null,
  ...over,
})

const bimi = (over: Partial<SenderBimi>): SenderBimi => ({
  domain: 'example.test',
  selector: 'default',
  name: 'default._bimi.example.test',
  recordDomain: 'example.test',
  record: 'v=BIMI1; l=https://example.test/logo.svg; a=https://example.test/vmc.pem',
  lookupError: null,
  logoUrl: 'https://example.test/logo.svg',
  authorityUrl: 'https://example.test/vmc.pem',
  problems: [],
  logo: {url: 'https://example.test/logo.svg', fetched: true, status: 200, contentType: 'image/svg+xml', bytes: 221, error: null, tinyPs: true, title: 'Example', square: true, problems: []},
  certificate: {
    url: 'https://example.test/vmc.pem',
    fetched: true,
    error: null,
    certificates: 2,
    subject: 'CN=Example Mark',
    issuer: 'CN=Mark CA',
    validFrom: '2026-01-01T00:00:00.000Z',
    validTo: '2027-01-01T00:00:00.000Z',
    daysLeft: 30,
    markUsage: true,
    names: ['example.test'],
  },
  dmarc: {ok: true, problems: []},
  status: 'found',
  error: null,
  assertion: 'found',
  ...over,
})

describe('sender: the DKIM section', () => {
  it('a selector table: found, testing, revoked, absent, and one that could not be checked (never "absent")', () => {
    const text = renderDkimSection(
      c,
      dkim({
        tried: ['s1', 'trial', 'gone', 'nokey', 'slow'],
        selectors: [
          key({selector: 's1'}),
          key({selector: 'trial', testing: true, keyBits: 1024, problems: ['1024-bit RSA: weak (RFC 8301)']}),
          key({selector: 'gone', status: 'revoked', revoked: true, keyBits: null}),
          key({selector: 'ed', keyType: 'ed25519', keyBits: 256, source: 'message'}),
          key({selector: 'nokey', status: 'absent', keyType: null, keyBits: null, record: null}),
          key({selector: 'slow', status: 'unknown', keyType: null, keyBits: null, record: null, lookupError: 'TXT slow._domainkey.example.test: no answer within 3000 ms'}),
        ],
      }),
      [],
      WIDE,
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe('✔ DKIM  3 of 6 keys usable')
    expect(lines[1]).toMatch(/^ {2}SELECTOR +DOMAIN +FROM +KEY +TESTING +REVOKED +STATUS$/)
    const row = (selector: string) => lines.find((l) => l.startsWith(`  ${selector} `))!
    expect(row('s1')).toMatch(/example\.test +--selector +rsa 2048 bits +✔ found$/)
    expect(row('trial')).toMatch(/rsa 1024 bits +yes +⚠ found: 1024-bit RSA: weak \(RFC 8301\)$/)
    expect(row('gone')).toMatch(/ +yes +⚠ revoked \(empty p=\)$/)
    expect(row('ed')).toMatch(/message +ed25519 +✔ found$/)
    expect(row('nokey')).toMatch(/✖ absent: no key at nokey\._domainkey\.example\.test$/)
    expect(row('slow')).toMatch(/\? +\? +\? +\? could not be checked: TXT slow\._domainkey\.example\.test: no answer within 3000 ms$/)
    expect(row('slow')).not.toMatch(/absent|missing/)
  })

  it('guessing: says what was tried, and what NXDOMAIN or NOERROR at _domainkey means; never "no DKIM"', () => {
    const tried = ['default', 'dkim', 'mail']
    const nx = renderDkimSection(c, dkim({status: 'absent', guessed: true, tried, domainKey: {name: '_domainkey.example.test', status: 'nxdomain', rcode: 'NXDOMAIN'}}), [], WIDE)
    expect(nx).toBe('⚠ DKIM  no key under the 3 common selectors tried\n  tried  default, dkim, mail: none has a key, and _domainkey.example.test does not exist (NXDOMAIN), so no selector can have one')
    const exists = renderDkimSection(c, dkim({status: 'absent', guessed: true, tried, domainKey: {name: '_domainkey.example.test', status: 'exists', rcode: 'NOERROR'}}), [], WIDE)
    expect(exists).toMatch(/_domainkey\.example\.test exists: keys may be published under other selectors \(name one with --selector, or give a signed --message\)/)
    for (const text of [nx, exists]) expect(text).not.toMatch(/no DKIM\b/)
    const partly = renderDkimSection(
      c,
      dkim({guessed: true, tried, domainKey: {name: '_domainkey.example.test', status: 'exists', rcode: 'NOERROR'}, selectors: [key({selector: 'mail', source: 'guess', status: 'unknown', keyType: null, keyBits: null, lookupError: 'SERVFAIL'})]}),
      [],
      WIDE,
    )
    expect(partly.split('\n')[0]).toBe('✔ DKIM  no key under the common selectors that answered; 1 of 3 could not be checked')
    expect(partly).toMatch(/mail +example\.test +guess +\? +\? +\? +\? could not be checked: SERVFAIL/)
  })

  it('a section that could not be checked says why, with ?', () => {
    const text = renderDkimSection(c, dkim({status: 'unknown', error: 'TXT _domainkey.example.test: SERVFAIL from 127.0.1.53:53', guessed: true, tried: ['default']}), [], WIDE)
    expect(text.split('\n')[0]).toBe('? DKIM  could not be checked: TXT _domainkey.example.test: SERVFAIL from 127.0.1.53:53')
  })

  it('--message: a signature table (signing domain, selector, result and why, alignment with From) and the ARC chain', () => {
    const text = renderDkimSection(
      c,
      dkim({
        selectors: [key({source: 'message'})],
        signatures: [
          signature({}),
          signature({index: 2, domain: 'esp.test', selector: 'k2', result: 'fail', reason: 'the body hash does not match: the body changed after signing', bodyHash: 'mismatch', aligned: false}),
          signature({index: 3, selector: 'slow', result: 'temperror', reason: 'the key at slow._domainkey.example.test could not be read: timed out'}),
          signature({index: 4, bodyLengthLimit: 100, unsignedBodyBytes: 40}),
        ],
        arc: {result: 'fail', reason: 'ARC-Seal i=2 did not verify', instances: 2, sealers: [{i: 1, domain: 'fwd.test', selector: 'arc', cv: 'none'}, {i: 2, domain: 'fwd.test', selector: 'arc', cv: 'pass'}]},
      }),
      [{code: 'DKIM_SIGNATURE_FAILED', severity: 'error', message: '…'}],
      WIDE,
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe('✖ DKIM  1 of 1 key usable · 4 signatures, 2 pass · ARC fail')
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}# +SIGNED BY \(d=\) +SELECTOR +ALGORITHM +FROM ALIGNED +RESULT$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}1 +example\.test +s1 +rsa-sha256 +yes +✔ pass$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}2 +esp\.test +k2 +rsa-sha256 +no +✖ fail: the body hash does not match: the body changed after signing$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}3 .* \? temperror \(could not be checked\): the key at slow\._domainkey\.example\.test could not be read: timed out$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}4 .* ⚠ pass \(l=100: 40 body bytes not signed\)$/))
    expect(lines.at(-1)).toBe('  ARC  ✖ fail: ARC-Seal i=2 did not verify; i=1 fwd.test (s=arc, cv=none), i=2 fwd.test (s=arc, cv=pass)')
  })

  it('an unsigned message, and a message without ARC sets', () => {
    const text = renderDkimSection(c, dkim({status: 'absent', arc: {result: 'none', reason: null, instances: 0, sealers: []}}), [], WIDE)
    expect(text).toBe('⚠ DKIM  the message is not signed\n  ARC  ○ none: the message has no ARC sets')
  })
})

describe('sender: the DMARC section (RFC 9989)', () => {
  it('an inherited policy: the record, every tag, the removed ones, the tree walk, the organizational domain, the reports and what it means', () => {
    const text = renderDmarcSection(
      c,
      dmarc({
        domain: 'a.b.example.test',
        recordDomain: 'example.test',
        inherited: true,
        source: 'organizational',
        record: 'v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; pct=50; rua=mailto:a@example.test,mailto:a@reports.test,mailto:a@noauth.test,mailto:a@slow.test',
        policy: record({sp: 'quarantine', np: 'reject', t: 'y', removed: [{tag: 'pct', value: '50'}], rua: ['mailto:a@example.test']}),
        effectivePolicy: 'quarantine',
        testing: true,
        domainExists: true,
        queried: ['_dmarc.a.b.example.test', '_dmarc.b.example.test', '_dmarc.example.test', '_dmarc.test'],
        walk: [
          {name: '_dmarc.a.b.example.test', result: 'none', psd: null},
          {name: '_dmarc.b.example.test', result: 'none', psd: null},
          {name: '_dmarc.example.test', result: 'record', psd: 'u'},
          {name: '_dmarc.test', result: 'none', psd: null},
        ],
        reports: [
          {uri: 'mailto:a@example.test', kind: 'rua', destination: 'example.test', external: false, authorization: null, authorized: null, lookupError: null},
          {uri: 'mailto:a@reports.test', kind: 'rua', destination: 'reports.test', external: true, authorization: 'example.test._report._dmarc.reports.test', authorized: true, lookupError: null},
          {uri: 'mailto:a@noauth.test', kind: 'rua', destination: 'noauth.test', external: true, authorization: 'example.test._report._dmarc.noauth.test', authorized: false, lookupError: null},
          {uri: 'mailto:a@slow.test', kind: 'ruf', destination: 'slow.test', external: true, authorization: 'example.test._report._dmarc.slow.test', authorized: null, lookupError: 'lookup timed out'},
        ],
      }),
      [{code: 'DMARC_TESTING', severity: 'warning', message: '…'}],
      WIDE,
    )
    expect(text.split('\n')).toEqual([
      '⚠ DMARC  quarantine for a.b.example.test (inherited from example.test, the organizational domain: sp=), test mode (t=y)',
      '  record       _dmarc.example.test: v=DMARC1; p=reject; sp=quarantine; np=reject; t=y; pct=50; rua=mailto:a@example.test,mailto:a@reports.test,mailto:a@noauth.test,mailto:a@slow.test',
      '  policy       p=reject · sp=quarantine · np=reject · t=y (test mode) · adkim=r (relaxed) · aspf=r (relaxed)',
      '  removed      pct=50: RFC 9989 removed this tag; receivers that follow it ignore it',
      '  tree walk    _dmarc.a.b.example.test none → _dmarc.b.example.test none → _dmarc.example.test record → _dmarc.test none',
      '  org. domain  example.test',
      '  reports      rua mailto:a@example.test (inside the domain)',
      '               rua mailto:a@reports.test ✔ authorised by example.test._report._dmarc.reports.test',
      '               rua mailto:a@noauth.test ⚠ not authorised: no "v=DMARC1" at example.test._report._dmarc.noauth.test, so it gets no reports (RFC 9990)',
      '               ruf mailto:a@slow.test ? authorisation could not be checked: lookup timed out',
      '  meaning      receivers are asked to quarantine mail from a.b.example.test that fails DMARC (usually: deliver it to the spam folder), but t=y asks them not to apply the policy yet (test mode)',
    ])
  })

  it('np= for a name that does not exist; a public suffix domain\'s policy; no p= tag', () => {
    const ghost = renderDmarcSection(c, dmarc({domain: 'ghost.example.test', inherited: true, source: 'organizational', domainExists: false, policy: record({np: 'reject', sp: 'none'}), effectivePolicy: 'reject'}), [], WIDE)
    expect(ghost.split('\n')[0]).toBe('✔ DMARC  reject for ghost.example.test (inherited from example.test, the organizational domain: np=, the domain does not exist)')
    const psd = renderDmarcSection(c, dmarc({domain: 'shop.psd.test', recordDomain: 'psd.test', inherited: true, source: 'psd', policy: record({psd: 'y'})}), [], WIDE)
    expect(psd.split('\n')[0]).toBe("✔ DMARC  reject for shop.psd.test (the public suffix domain psd.test's policy, psd=y)")
    expect(psd).toMatch(/· psd=y$/m)
    const nop = renderDmarcSection(c, dmarc({record: 'v=DMARC1; rua=mailto:a@example.test', policy: record({p: 'none', pImplicit: true}), effectivePolicy: 'none'}), [], WIDE)
    expect(nop).toMatch(/policy +p=none \(no p= tag: read as none\)/)
    expect(nop).toMatch(/meaning +receivers are asked to take no action on mail from example\.test that fails DMARC: it is only reported$/m)
  })

  it('alignment with this run\'s SPF and DKIM results: the verdict, each identifier, and what the policy does with it', () => {
    const text = renderDmarcSection(
      c,
      dmarc({
        alignment: {
          result: 'fail',
          spf: [{kind: 'spf', domain: 'bounce.esp.test', result: 'pass', mode: 'r', organizationalDomain: 'esp.test', aligned: false, reason: 'relaxed: esp.test is not example.test'}],
          dkim: [{kind: 'dkim', domain: 'example.test', result: 'fail', mode: 's', organizationalDomain: null, aligned: true, reason: 'the same domain as From'}],
        },
      }),
      [{code: 'DMARC_NOT_ALIGNED', severity: 'error', message: '…'}],
      WIDE,
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe('✖ DMARC  reject for example.test')
    expect(lines).toContain('  meaning      receivers are asked to reject mail from example.test that fails DMARC; mail as this run describes it fails DMARC, so it would be rejected')
    expect(lines).toContain('  this run     ✖ DMARC fail: no identifier both passed and is aligned with example.test')
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}SPF +bounce\.esp\.test +pass +relaxed +✖ relaxed: esp\.test is not example\.test$/))
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}DKIM +example\.test +fail +strict +✔ the same domain as From$/))
  })

  it('absent: says where it looked; could not be checked: says why, never "no record"', () => {
    const absent = renderDmarcSection(c, dmarc({status: 'absent', record: null, recordDomain: null, source: null, policy: null, effectivePolicy: null, walk: [{name: '_dmarc.example.test', result: 'none', psd: null}, {name: '_dmarc.test', result: 'none', psd: null}]}), [], WIDE)
    expect(absent.split('\n')[0]).toBe('⚠ DMARC  no DMARC record at _dmarc.example.test, nor at its organizational domain (asked 2 names): receivers apply no policy')
    const unknown = renderDmarcSection(
      c,
      dmarc({status: 'unknown', error: 'TXT _dmarc.example.test: SERVFAIL', lookupError: 'TXT _dmarc.example.test: SERVFAIL', record: null, recordDomain: null, source: null, organizationalDomain: null, policy: null, effectivePolicy: null, walk: [{name: '_dmarc.example.test', result: 'failed', psd: null}]}),
      [],
      WIDE,
    )
    expect(unknown).toBe('? DMARC  could not be checked: TXT _dmarc.example.test: SERVFAIL\n  tree walk  _dmarc.example.test ? lookup failed')
    expect(unknown).not.toMatch(/no DMARC|absent|missing/)
  })
})

describe('sender: the BIMI section', () => {
  it('found: the record, the logo fetched and checked, the mark certificate, the DMARC prerequisite', () => {
    expect(renderBimiSection(c, bimi({}), [], WIDE).split('\n')).toEqual([
      '✔ BIMI  found at default._bimi.example.test',
      '  record       default._bimi.example.test: v=BIMI1; l=https://example.test/logo.svg; a=https://example.test/vmc.pem',
      '  logo         https://example.test/logo.svg fetched (HTTP 200, image/svg+xml, 221 bytes) · ✔ SVG Tiny PS · title "Example" · square',
      '  certificate  https://example.test/vmc.pem fetched: CN=Example Mark, issued by CN=Mark CA, valid 2026-01-01 to 2027-01-01 (30 days left) · ✔ mark usage (VMC/CMC) · for example.test',
      '  DMARC        ✔ at enforcement (quarantine or reject, not in test mode), as BIMI requires',
    ])
  })

  it('a logo that timed out could not be fetched (?), one answered 404 was not served (✖); no a=; DMARC not enforced', () => {
    const text = renderBimiSection(
      c,
      bimi({
        recordDomain: 'org.test',
        authorityUrl: null,
        certificate: null,
        logo: {url: 'https://example.test/logo.svg', fetched: false, status: null, contentType: null, bytes: null, error: 'no answer within 3000 ms', tinyPs: null, title: null, square: null, problems: []},
        dmarc: {ok: false, problems: ['the DMARC policy is in test mode (t=y)']},
      }),
      [{code: 'BIMI_LOGO_UNAVAILABLE', severity: 'error', message: '…'}],
      WIDE,
    )
    const lines = text.split('\n')
    expect(lines[0]).toBe('✖ BIMI  found at default._bimi.example.test (found at the organizational domain org.test)')
    expect(lines[1]).toMatch(/^ {2}record +default\._bimi\.org\.test: v=BIMI1/)
    expect(lines).toContain('  logo         https://example.test/logo.svg ? could not be fetched: no answer within 3000 ms')
    expect(lines).toContain('  certificate  ○ none (no a=): most mailbox providers show a logo only with a mark certificate (VMC or CMC)')
    expect(lines).toContain('  DMARC        ✖ not at enforcement: the DMARC policy is in test mode (t=y)')
    const missing = renderBimiSection(c, bimi({logo: {url: 'https://example.test/logo.svg', fetched: false, status: 404, contentType: 'text/html', bytes: null, error: 'HTTP 404', tinyPs: null, title: null, square: null, problems: []}}), [], WIDE)
    expect(missing).toMatch(/logo +https:\/\/example\.test\/logo\.svg ✖ not served: HTTP 404/)
  })

  it('absent, declined, and could not be checked', () => {
    expect(renderBimiSection(c, bimi({status: 'absent', assertion: 'absent', record: null, recordDomain: null, logoUrl: null, authorityUrl: null, logo: null, certificate: null}), [], WIDE)).toBe(
      '⚠ BIMI  no BIMI record at default._bimi.example.test: receivers show no logo',
    )
    // With its finding (BIMI_MISSING is info): information, not a warning.
    const missing = finding('BIMI_MISSING', 'no BIMI record at default._bimi.example.test')
    expect(renderBimiSection(c, bimi({status: 'absent', assertion: 'absent', record: null, recordDomain: null, logoUrl: null, authorityUrl: null, logo: null, certificate: null}), [missing], WIDE).split('\n')[0]).toMatch(/^ℹ BIMI /)
    expect(renderBimiSection(c, bimi({assertion: 'declined', record: 'v=BIMI1; l=; a=', logoUrl: null, authorityUrl: null, logo: null, certificate: null}), [], WIDE).split('\n')[0]).toBe(
      '✔ BIMI  declined at default._bimi.example.test (empty l= and a=): the domain asks that no logo be shown',
    )
    const unknown = renderBimiSection(c, bimi({status: 'unknown', assertion: 'unknown', error: 'TXT default._bimi.example.test: SERVFAIL', lookupError: 'TXT default._bimi.example.test: SERVFAIL', record: null, logo: null, certificate: null}), [], WIDE)
    expect(unknown).toBe('? BIMI  could not be checked: TXT default._bimi.example.test: SERVFAIL')
  })
})

describe('sender: DKIM, DMARC and BIMI on a terminal', () => {
  it('record text with terminal escapes is shown escaped (as MaildigCommand hands it to the renderers)', () => {
    const hostile = dmarc({record: 'v=DMARC1; p=reject; rua=mailto:\u001b[32m✔ fine\u001b[0m@example.test'})
    const text = renderDmarcSection(c, escapeUntrusted(hostile), [], WIDE)
    expect(text).not.toContain('\u001b')
    expect(text).toContain('\\x1b[32m✔ fine\\x1b[0m@example.test')
  })

  it('40 columns: every line fits, folded between words, and no word is lost', () => {
    const sections = [
      (columns: number) => renderDkimSection(c, dkim({selectors: [key({}), key({selector: 'slow', status: 'unknown', keyType: null, lookupError: 'TXT slow._domainkey.example.test: no answer within 3000 ms'})], signatures: [signature({})], arc: {result: 'none', reason: null, instances: 0, sealers: []}}), [], columns),
      (columns: number) => renderDmarcSection(c, dmarc({record: 'v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc-reports@example.test'}), [], columns),
      (columns: number) => renderBimiSection(c, bimi({}), [], columns),
    ]
    for (const render of sections) {
      const wide = render(0)
      const narrow = render(40)
      const words = (text: string) => text.split(/\s+/).filter(Boolean)
      expect(words(narrow)).toEqual(words(wide))
      expect(narrow.split('\n').length).toBeGreaterThan(wide.split('\n').length)
      // A line may pass 40 columns only when it ends in one word longer than a line (a URL).
      for (const line of narrow.split('\n').filter((l) => [...l].length > 40)) expect(line.trim().split(/\s+/).at(-1)!.length, line).toBeGreaterThan(20)
    }
  })
})
