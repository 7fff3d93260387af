import {expect} from 'vitest'

/**
 * The diagram on a 40-column terminal: folded between words, never inside one (issue 16). Every word of the wide
 * output is whole in the narrow one, and no line is longer than 40 unless it ends in a single word too long for it.
 */
export function expectFolded(wide: string, narrow: string, ignore?: RegExp): void {
  const words = (text: string) => text.split(/[\s│▼]+/).filter((w) => w !== '' && !ignore?.test(w))
  expect(words(narrow)).toEqual(words(wide))
  const lines = narrow.split('\n')
  expect(lines.length).toBeGreaterThan(wide.split('\n').length)
  // A longer line ends in one word too long to fit even on a line of its own after the indent (a Message-ID).
  for (const line of lines.filter((l) => l.length > 40)) {
    const last = line.trimEnd().split(/\s+/).at(-1)!
    expect(line.trimEnd().slice(0, -last.length).trimEnd().length, line).toBeLessThanOrEqual(40)
    expect(last.length, line).toBeGreaterThan(26)
  }
}
