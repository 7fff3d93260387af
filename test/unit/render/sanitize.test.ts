import {describe, expect, it} from 'vitest'
import {sanitizeForTerminal} from '../../../src/render/sanitize.js'

describe('sanitizeForTerminal', () => {
  it('keeps colour (SGR) sequences, newlines and tabs', () => {
    expect(sanitizeForTerminal('\u001b[32m✔\u001b[39m ok\n\tnext')).toBe('\u001b[32m✔\u001b[39m ok\n\tnext')
  })
  it('shows cursor moves, title changes, CR, bell and C1 controls visibly', () => {
    expect(sanitizeForTerminal('220 \u001b]0;owned\u0007 x')).toBe('220 \\x1b]0;owned\\x07 x')
    expect(sanitizeForTerminal('a\u001b[2Jb')).toBe('a\\x1b[2Jb')
    expect(sanitizeForTerminal('fake\rreal')).toBe('fake\\x0dreal')
    expect(sanitizeForTerminal('\u009b31m')).toBe('\\x9b31m')
  })
})
