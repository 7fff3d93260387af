import {describe, expect, it} from 'vitest'
import {BIMI_MAX_SVG_BYTES, checkSvgTinyPs} from '../../../src/lib/bimi/svg.js'
import {bimiDmarcProblems, parseBimiRecord} from '../../../src/lib/bimi/bimi.js'

export const GOOD_SVG = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">
  <title>Signed Test</title>
  <!-- a comment with <script> in it does not count -->
  <circle cx="50" cy="50" r="40" fill="#0a0"/>
</svg>
`

describe('checkSvgTinyPs', () => {
  it('accepts a square SVG Tiny PS logo with a title', () => {
    expect(checkSvgTinyPs(Buffer.from(GOOD_SVG))).toEqual({tinyPs: true, title: 'Signed Test', square: true, problems: []})
  })

  it('names each rule a logo breaks', () => {
    const bad = `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" x="0" viewBox="0 0 200 100">
      <script>alert(1)</script><a href="https://example.com"><rect width="1" height="1" onclick="x()"/></a>
      <image xlink:href="https://example.com/logo.png"/></svg>`
    const {tinyPs, problems, square} = checkSvgTinyPs(Buffer.from(bad))
    expect(tinyPs).toBe(false)
    expect(square).toBe(false)
    for (const pattern of [/no baseProfile="tiny-ps"/, /version="1.1" is not 1.2/, /x=/, /no <title>/, /<script>/, /<a>/, /onclick/, /outside the file/, /<image>/, /not square/]) {
      expect(problems.some((p) => pattern.test(p)), String(pattern)).toBe(true)
    }
  })

  it('refuses what is not SVG: another root, entities, gzip, too large', () => {
    expect(checkSvgTinyPs(Buffer.from('<html><title>x</title></html>')).problems).toEqual(['the root element is <html>, not <svg>'])
    expect(checkSvgTinyPs(Buffer.from('<!DOCTYPE svg [<!ENTITY a "b">]>' + GOOD_SVG)).problems).toEqual([expect.stringMatching(/entities/)])
    expect(checkSvgTinyPs(Buffer.from([0x1f, 0x8b, 8, 0])).problems).toEqual([expect.stringMatching(/gzip/)])
    const big = GOOD_SVG.replace('</svg>', `<desc>${'x'.repeat(BIMI_MAX_SVG_BYTES)}</desc></svg>`)
    expect(checkSvgTinyPs(Buffer.from(big)).problems).toEqual([expect.stringMatching(/allows 32768/)])
  })
})

describe('parseBimiRecord', () => {
  it('reads l= and a=, and an empty l= and a= as a declination', () => {
    expect(parseBimiRecord('v=BIMI1; l=https://bimi.example/logo.svg; a=https://bimi.example/vmc.pem')).toEqual({ok: true, logoUrl: 'https://bimi.example/logo.svg', authorityUrl: 'https://bimi.example/vmc.pem'})
    expect(parseBimiRecord('v=BIMI1; l=; a=;')).toEqual({ok: true, logoUrl: null, authorityUrl: null})
  })

  it.each([
    ['v=BIMI2; l=https://x/l.svg', /v=BIMI1/],
    ['v=BIMI1; l=http://x/l.svg', /not an HTTPS URL/],
    ['v=BIMI1; l=https://x/a.svg,https://x/b.svg', /several URLs/],
    ['v=BIMI1; a=https://x/v.pem', /no l= tag/],
    ['v=BIMI1; l=https://x/l.svg; l=https://x/m.svg', /twice/],
  ])('refuses %s', (text, error) => {
    const parsed = parseBimiRecord(text)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.error).toMatch(error)
  })
})

describe('bimiDmarcProblems', () => {
  const dmarc = (policy: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    ({lookupError: null, effectivePolicy: policy.p, testing: policy.t === 'y', policy: {sp: null, ...policy}, ...extra}) as never
  it('needs quarantine or reject, no sp=none, no test mode', () => {
    expect(bimiDmarcProblems(dmarc({p: 'reject'}))).toEqual({ok: true, problems: []})
    expect(bimiDmarcProblems(dmarc({p: 'none'})).problems).toEqual([expect.stringMatching(/p=none/)])
    expect(bimiDmarcProblems(dmarc({p: 'reject', sp: 'none'})).problems).toEqual([expect.stringMatching(/sp=none/)])
    expect(bimiDmarcProblems(dmarc({p: 'quarantine', t: 'y'})).problems).toEqual([expect.stringMatching(/t=y/)])
    expect(bimiDmarcProblems(dmarc({p: 'reject'}, {lookupError: 'lookup timed out'}))).toEqual({ok: null, problems: ['DMARC is unknown (lookup timed out)']})
  })
})
