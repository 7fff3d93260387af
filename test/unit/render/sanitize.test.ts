import {describe, expect, it} from 'vitest'
import {sanitizeForTerminal} from '../../../src/render/sanitize.js'

describe('sanitizeForTerminal', () => {
  it('keeps chalk colour sequences, CRLF, newlines and tabs', () => {
    expect(sanitizeForTerminal('\u001b[32m✔\u001b[39m ok\r\n\tnext\n')).toBe('\u001b[32m✔\u001b[39m ok\r\n\tnext\n')
  })
  it('shows cursor moves, title changes, a lone CR, bell and C1 controls visibly', () => {
    expect(sanitizeForTerminal('220 \u001b]0;owned\u0007 x')).toBe('220 \\x1b]0;owned\\x07 x')
    expect(sanitizeForTerminal('a\u001b[2Jb')).toBe('a\\x1b[2Jb')
    expect(sanitizeForTerminal('fake\rreal')).toBe('fake\\x0dreal')
    expect(sanitizeForTerminal('\u009b31m')).toBe('\\x9b31m')
  })
  it('does not let a server hide text (conceal, inverse, blink)', () => {
    expect(sanitizeForTerminal('220 ok \u001b[8mHIDDEN')).toBe('220 ok \\x1b[8mHIDDEN')
    expect(sanitizeForTerminal('\u001b[5;7m')).toBe('\\x1b[5;7m')
  })
})
