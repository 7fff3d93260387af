import {describe, expect, it} from 'vitest'
import {finding, saidOnce} from '../../../src/lib/findings.js'

describe('saidOnce', () => {
  it('keeps the first of findings with the same code, subject and message, in order; others stay', () => {
    const mismatch = finding('DANE_TLSA_MISMATCH', 'no TLSA record of mx.bad.test matches', 'mx.bad.test')
    const other = finding('DANE_TLSA_MISMATCH', 'no TLSA record of mx2.bad.test matches', 'mx2.bad.test')
    const sameTextOtherSubject = finding('DANE_TLSA_MISMATCH', 'no TLSA record of mx.bad.test matches', 'mx.other.test')
    // Two addresses of mx.bad.test give the same finding: said once.
    expect(saidOnce([mismatch, {...mismatch}, other, sameTextOtherSubject, {...other}])).toEqual([mismatch, other, sameTextOtherSubject])
  })
})
