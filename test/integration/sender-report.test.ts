import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../cli/run-cli.js'
import {expectFolded} from '../cli/fold.js'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'

// What `maildig sender` shows a person for DKIM, DMARC and BIMI (issue 12), through the built CLI: against the test
// world's keys, signed messages, DMARC and BIMI records; and against a DNS server that fails, where every section says
// "could not be checked" and why, never that something is missing.
const world = inject('world')
const human = (...args: string[]) => runCli(['sender', ...args, '--resolver', `${world.dns.host}:${world.dns.port}`, '--ca-file', world.ca.caFile, '--timeout', '3s', '--no-dnsbl'])
/** The lines of one section: from its heading to the blank line after it. */
const section = (stdout: string, title: string) => {
  const lines = stdout.split('\n')
  const start = lines.findIndex((l) => new RegExp(`^. ${title}  `).test(l))
  expect(start, `${title} section in:\n${stdout}`).toBeGreaterThanOrEqual(0)
  const end = lines.findIndex((l, i) => i > start && l === '')
  return lines.slice(start, end)
}

describe('sender: DKIM, DMARC and BIMI on screen (test world)', () => {
  it('a signed, ARC-sealed message: the selector table, the signature table, the ARC chain, DMARC passing, BIMI with its logo and certificate', async () => {
    const r = await human('signed.test', '--ip', '127.0.1.25', '--message', world.dkim.messages.arc, '--selector', 'trial', '--selector', 'gone', '--selector', 'nokey')
    expect(r.code, r.stderr).toBe(1) // nokey: DKIM_KEY_MISSING is an error
    const dkim = section(r.stdout, 'DKIM')
    expect(dkim[0]).toBe('✖ DKIM  3 of 5 keys usable · 2 signatures, 2 pass · ARC pass')
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}trial +signed\.test +--selector +rsa 2048 bits +yes +⚠ found$/))
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}gone +signed\.test +--selector +rsa +yes +⚠ revoked \(empty p=\)$/))
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}nokey +signed\.test +--selector +✖ absent: no key at nokey\._domainkey\.signed\.test$/))
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}ed +signed\.test +message +ed25519 +✔ found$/))
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}1 +signed\.test +ed +ed25519-sha256 +yes +✔ pass$/))
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}2 +signed\.test +s2048 +rsa-sha256 +yes +✔ pass$/))
    expect(dkim.at(-1)).toBe('  ARC  ✔ pass: 2 sets, i=1 forwarder.test (s=arc, cv=none), i=2 forwarder.test (s=arc, cv=pass)')
    const dmarc = section(r.stdout, 'DMARC')
    expect(dmarc[0]).toBe('✔ DMARC  reject for signed.test')
    expect(dmarc).toContain('  policy       p=reject · sp=reject (as p=) · np=reject (as p=) · t=n · adkim=r (relaxed) · aspf=r (relaxed)')
    expect(dmarc).toContain('  this run     ✔ DMARC pass: an identifier that passed is aligned with signed.test')
    expect(dmarc).toContainEqual(expect.stringMatching(/^ {2}SPF +signed\.test +pass +relaxed +✔ the same domain as From$/))
    const bimi = section(r.stdout, 'BIMI')
    expect(bimi[0]).toBe('✔ BIMI  found at default._bimi.signed.test')
    expect(bimi).toContainEqual(expect.stringMatching(/^ {2}logo +https:\/\/bimi\.signed\.test\/logo\.svg fetched \(HTTP 200, image\/svg\+xml, \d+ bytes\) · ✔ SVG Tiny PS · title "Signed Test" · square$/))
    expect(bimi).toContainEqual(expect.stringMatching(/^ {2}certificate +https:\/\/bimi\.signed\.test\/vmc\.pem fetched: CN=Signed Test Mark, O=Signed Test, .* · ✔ mark usage \(VMC\/CMC\) · for signed\.test$/))
  })

  it('a tampered message fails its signatures, and DMARC with them; the policy says what receivers do with it', async () => {
    const r = await human('signed.test', '--message', world.dkim.messages.tampered)
    expect(r.code).toBe(1)
    expect(section(r.stdout, 'DKIM')).toContainEqual(expect.stringMatching(/^ {2}1 +signed\.test +ed +ed25519-sha256 +yes +✖ fail: the body hash does not match: the body changed after signing$/))
    const dmarc = section(r.stdout, 'DMARC')
    expect(dmarc).toContain('  meaning      receivers are asked to reject mail from signed.test that fails DMARC; mail as this run describes it fails DMARC, so it would be rejected')
    expect(dmarc).toContain('  this run     ✖ DMARC fail: no identifier both passed and is aligned with signed.test')
    expect(dmarc).toContainEqual(expect.stringMatching(/^ {2}DKIM +signed\.test +fail +relaxed +✔ the same domain as From$/))
  })

  it('RFC 9989: an inherited policy in test mode, the tree walk, the removed tags, the report authorisations; BIMI refused for it', async () => {
    const r = await human('a.b.c.dmarc.test')
    const dmarc = section(r.stdout, 'DMARC')
    expect(dmarc[0]).toBe('⚠ DMARC  quarantine for a.b.c.dmarc.test (inherited from dmarc.test, the organizational domain: sp=), test mode (t=y)')
    expect(dmarc).toContain('  removed      pct=50, ri=3600: RFC 9989 removed these tags; receivers that follow it ignore them')
    expect(dmarc).toContain('  tree walk    _dmarc.a.b.c.dmarc.test none → _dmarc.b.c.dmarc.test none → _dmarc.c.dmarc.test none → _dmarc.dmarc.test record → _dmarc.test none')
    expect(dmarc).toContain('  org. domain  dmarc.test')
    expect(dmarc).toContain('               rua mailto:agg@noauth.test ⚠ not authorised: no "v=DMARC1" at dmarc.test._report._dmarc.noauth.test, so it gets no reports (RFC 9990)')
    const bimi = section(r.stdout, 'BIMI')
    expect(bimi[0]).toBe('✖ BIMI  found at default._bimi.a.b.c.dmarc.test (found at the organizational domain dmarc.test)')
    expect(bimi).toContainEqual(expect.stringMatching(/^ {2}logo .* · ✖ not SVG Tiny PS/))
    expect(bimi).toContain('  DMARC        ✖ not at enforcement: the DMARC policy is in test mode (t=y)')
  })

  it('COLUMNS=40: the DKIM, DMARC and BIMI sections fold between words', async () => {
    const args = ['signed.test', '--ip', '127.0.1.25', '--message', world.dkim.messages.arc, '--selector', 'gone']
    const wide = await human(...args)
    const narrow = await runCli(['sender', ...args, '--resolver', `${world.dns.host}:${world.dns.port}`, '--ca-file', world.ca.caFile, '--timeout', '3s', '--no-dnsbl'], {env: {COLUMNS: '40'}})
    // The findings after the sections are the shared list (render/findings.ts), not folded here.
    const sections = (stdout: string) => stdout.slice(stdout.indexOf('DKIM  ') - 2, stdout.indexOf('○ DNSBL'))
    expectFolded(sections(wide.stdout), sections(narrow.stdout), /^\d+$/)
  })
})

describe('sender: lookups that fail are "could not be checked" on screen too', () => {
  let dns: FakeDns
  beforeAll(async () => {
    dns = await startFakeDns('127.0.1.221', (name, type) => {
      if (name === 'flaky.test' && type === 'TXT') return {kind: 'answer', answers: [{type: 'TXT', name, ttl: 60, data: ['v=spf1 -all']}]}
      if (name === 'flaky.test' && type === 'A') return {kind: 'answer', answers: [{type: 'A', name, ttl: 60, data: '192.0.2.1'}]}
      // hostile.test: records whose text would recolour the terminal, fake a ✔ or retitle the window if printed as it came.
      if (name === '_dmarc.hostile.test' && type === 'TXT') return {kind: 'answer', answers: [{type: 'TXT', name, ttl: 60, data: ['v=DMARC1; p=reject; rua=mailto:\u001b[32m✔\u001b[0m@hostile.test']}]}
      if (name === 'default._bimi.hostile.test' && type === 'TXT') return {kind: 'answer', answers: [{type: 'TXT', name, ttl: 60, data: ['v=BIMI1; l=https://hostile.test/\u001b]0;pwned\u0007.svg']}]}
      if (name === 'hostile.test') return type === 'TXT' ? {kind: 'answer', answers: [{type: 'TXT', name, ttl: 60, data: ['v=spf1 -all']}]} : {kind: 'answer', answers: [{type: 'A', name, ttl: 60, data: '192.0.2.2'}]}
      if (name.endsWith('._domainkey.flaky.test') || name.startsWith('_dmarc.')) return {kind: 'answer', answers: [], rcode: 'SERVFAIL'}
      if (name.includes('._bimi.')) return {kind: 'silent'}
      return {kind: 'answer', answers: [], rcode: 'NXDOMAIN'}
    })
  })
  afterAll(() => dns.close())

  it('SERVFAIL for the DKIM key and DMARC, no answer for BIMI: ? and why, never absent', async () => {
    const args = ['sender', 'flaky.test', '--selector', 's1', '--no-dnsbl', '--resolver', `${dns.host}:${dns.port}`, '--timeout', '1s']
    const r = await runCli(args)
    expect(r.code, r.stderr).toBe(0)
    const dkim = section(r.stdout, 'DKIM')
    expect(dkim[0]).toMatch(/^\? DKIM {2}could not be checked: .*SERVFAIL/)
    expect(dkim).toContainEqual(expect.stringMatching(/^ {2}s1 +flaky\.test +--selector +\? +\? +\? +\? could not be checked: .*SERVFAIL/))
    expect(section(r.stdout, 'DMARC')[0]).toMatch(/^\? DMARC {2}could not be checked: .*SERVFAIL/)
    expect(section(r.stdout, 'BIMI')[0]).toMatch(/^\? BIMI {2}could not be checked: .*(no answer|timed out)/)
    for (const title of ['DKIM', 'DMARC', 'BIMI']) expect(section(r.stdout, title).join('\n')).not.toMatch(/absent|missing|no DMARC record|no BIMI record|no key at/)
    const json = (await runCli([...args, '--json'])).json!
    expect([json.dkim.status, json.dmarc.status, json.bimi.status]).toEqual(['unknown', 'unknown', 'unknown'])
  })

  it('DNS text on screen is escaped: a record\'s escape sequences are shown as \\x1b, never sent to the terminal', async () => {
    const r = await runCli(['sender', 'hostile.test', '--no-dnsbl', '--resolver', `${dns.host}:${dns.port}`, '--timeout', '1s'])
    expect(section(r.stdout, 'DMARC').join('\n')).toContain('rua=mailto:\\x1b[32m✔\\x1b[0m@hostile.test')
    expect(section(r.stdout, 'BIMI').join('\n')).toContain('l=https://hostile.test/\\x1b]0;pwned\\x07.svg')
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/)
  })
})
