import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'
import {finding} from '../../../src/lib/findings.js'
import {renderFindings} from '../../../src/render/findings.js'

const c = new Chalk({level: 0})
const findings = [
  finding('DNS_TIMEOUT', 'no answer from 192.0.2.53 for _dmarc.example.com within 5 s, after a retry', 'example.com'),
  finding('MX_EQUAL_PREFERENCE', 'mx1.example.com and mx2.example.com share preference 10'),
]

describe('the findings list', () => {
  it('folds between words on a narrow terminal: the message under its code, the fix under "fix:"', () => {
    const lines = renderFindings(c, findings, 40).split('\n')
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(40)
    expect(lines[0]).toMatch(/^✖ DNS_TIMEOUT no answer/)
    expect(lines[1]).toMatch(/^ {2}\S/)
    const fix = lines.findIndex((l) => l.startsWith('    fix: '))
    expect(fix).toBeGreaterThan(1)
    expect(lines[fix + 1]).toMatch(/^ {9}\S/)
    // Every word is there once, in order: folding moved words, it dropped none.
    expect(lines.join(' ').split(/ +/).join(' ')).toBe(renderFindings(c, findings, 0).split('\n').join(' ').split(/ +/).join(' '))
  })

  it('keeps one line per finding and per fix on a pipe (columns 0)', () => {
    const lines = renderFindings(c, findings, 0).split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[1]).toMatch(/^ {4}fix: /)
  })
})
