import {isIP as nodeIsIP, isIPv4 as nodeIsIPv4} from 'node:net'
import {describe, expect, it} from 'vitest'
import {isIP, isIPv4} from '../../../src/lib/net/ip.js'
import {domainProblem} from '../../../src/lib/dns/names.js'

// maildig's isIPv4 and the label check of domainProblem replace regular expressions (Node's and its own) that V8
// compiled at every start: they must say exactly what those said.
const EDGES = [
  '', '.', '...', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.', '.1.2.3.4', '1.2.3.4.5', '01.2.3.4',
  '1.02.3.4', '1.2.3.00', '00.0.0.0', '1..2.3', '1.2.3.-4', '+1.2.3.4', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\n', '1e2.1.1.1',
  '0x1.1.1.1', '1234.1.1.1', '1.2.3.1234', '192.168.1.1', '127.0.0.1:53', '::1', '::ffff:1.2.3.4', '１.2.3.4', '199.255.249.254',
  '249.250.251.252', '300.300.300.300', '25.5.5.5', '2.55.55.5', '255.255.255.256', '9.99.199.200',
]

/** Random strings over the characters that matter (digits, dots, a few others), of the lengths an address has. */
function* randomCandidates(count: number, seed: number): Generator<string> {
  let state = seed
  const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state)
  const alphabet = '0123456789........ :x-\u0661'
  for (let n = 0; n < count; n++) {
    let s = ''
    const length = next() % 18
    for (let i = 0; i < length; i++) s += alphabet[next() % alphabet.length]
    yield s
  }
  // Well-formed addresses with numbers around the limits, some with leading zeros.
  for (let n = 0; n < count; n++) yield Array.from({length: 4}, () => String(next() % 300).padStart(next() % 4 === 0 ? 3 : 0, '0')).join('.')
}

describe('isIPv4', () => {
  it.each(EDGES)('says what net.isIPv4 says of %j', (text) => {
    expect(isIPv4(text)).toBe(nodeIsIPv4(text))
  })

  it('agrees with net.isIPv4 on 40,000 random candidates', () => {
    let accepted = 0
    for (const text of randomCandidates(20_000, 7)) {
      expect(isIPv4(text), text).toBe(nodeIsIPv4(text))
      if (nodeIsIPv4(text)) accepted++
    }
    // Both sides of the comparison are exercised.
    expect(accepted).toBeGreaterThan(1000)
  })

  it('isIP agrees with net.isIP', () => {
    for (const text of [...EDGES, '2001:db8::1', 'fe80::1%eth0', 'example.com', '::']) expect(isIP(text), text).toBe(nodeIsIP(text))
  })
})

describe("domainProblem's label check", () => {
  const oracle = (label: string) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(label)
  // Characters next to the letters' and digits' ranges (@ [ ` { / :), control characters and non-ASCII letters.
  const alphabet = 'aZz09-_@[`{/:\u0010\u0019\u0000 .\u00e9\u0141K'
  it('refuses exactly the labels the regular expression refused', () => {
    let state = 11
    const next = () => ((state = (state * 1103515245 + 12345) % 2 ** 31), state)
    let refused = 0
    for (let n = 0; n < 30_000; n++) {
      let label = ''
      const length = 1 + (next() % 8)
      for (let i = 0; i < length; i++) label += alphabet[next() % alphabet.length]
      if (label.includes('.')) continue
      const problem = domainProblem(`${label}.example`)
      expect(problem === undefined, JSON.stringify(label)).toBe(oracle(label))
      if (problem !== undefined) refused++
    }
    expect(refused).toBeGreaterThan(1000)
    for (const label of ['a', 'A', '0', 'a-b', 'xn--bcher-kva', '-a', 'a-', '-', 'a_b', '\u0010', '@', '`', '{']) {
      expect(domainProblem(`${label}.example`) === undefined, label).toBe(oracle(label))
    }
  })
})
