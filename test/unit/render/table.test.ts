import {describe, expect, it} from 'vitest'
import {makeStyle, outputColumns, table} from '../../../src/render/style.js'

// Tables on a narrow terminal (issue 16): broken between cells, or between words, never in a word.
const c = makeStyle(0)
const header = ['PREF', 'EXCHANGE', 'ADDRESS', 'BANNER']
const rows = [['10', 'mx1.example.org', '192.0.2.25', '220 mx1.example.org ESMTP Postfix (Debian/GNU)']]

describe('table', () => {
  it('wide enough: one line per row, as before', () => {
    expect(table(c, header, rows, 120).split('\n')).toHaveLength(2)
    expect(table(c, header, rows, 0).split('\n')).toHaveLength(2)
  })

  it('40 columns: no line is longer, and every word of every cell is whole on one line', () => {
    const lines = table(c, header, rows, 40).split('\n')
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40)
    const words = rows[0].join(' ').split(' ')
    const printed = lines.join(' ').split(/ +/)
    for (const word of words) expect(printed).toContain(word)
  })

  it('$COLUMNS decides the width; a pipe without it has no limit', () => {
    expect(outputColumns({COLUMNS: '40'}, {isTTY: false} as NodeJS.WriteStream)).toBe(40)
    expect(outputColumns({}, {isTTY: false} as NodeJS.WriteStream)).toBe(0)
    expect(outputColumns({}, {isTTY: true, columns: 57} as NodeJS.WriteStream)).toBe(57)
  })
})
