import {describe, expect, it} from 'vitest'
import {parseSenderTarget, selectorProblem} from '../../../src/lib/sender/target.js'

describe('sender target', () => {
  it('a domain is checked as postmaster@<domain> (RFC 7208 §4.3), in its A-label form', () => {
    expect(parseSenderTarget('Bücher.Example')).toEqual({kind: 'domain', input: 'Bücher.Example', domain: 'xn--bcher-kva.example', mailFrom: 'postmaster@xn--bcher-kva.example'})
  })
  it('an address keeps its local part', () => {
    expect(parseSenderTarget('alice@example.com')).toMatchObject({kind: 'address', domain: 'example.com', mailFrom: 'alice@example.com'})
  })
  it('"<>" is the null reverse path', () => {
    expect(parseSenderTarget('<>')).toEqual({kind: 'null', input: '<>', domain: null, mailFrom: null})
  })
  it.each(['', 'a b', 'alice@', '@example.com', 'a@b@c d', '192.0.2.1'])('%j is refused', (text) => {
    expect(parseSenderTarget(text)).toHaveProperty('problem')
  })
  it('selectors are DNS labels', () => {
    expect(selectorProblem('s1')).toBeUndefined()
    expect(selectorProblem('2026.s-1')).toBeUndefined()
    expect(selectorProblem('a b')).toMatch(/letters, digits/)
    expect(selectorProblem('a'.repeat(64))).toMatch(/63/)
    expect(selectorProblem('')).toMatch(/empty/)
  })
})
