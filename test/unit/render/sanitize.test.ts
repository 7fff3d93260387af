import {describe, expect, it} from 'vitest'
import {escapeControls, escapeUntrusted} from '../../../src/render/sanitize.js'
import {MaildigError} from '../../../src/lib/errors.js'

describe('escapeControls', () => {
  it('keeps CRLF, newlines and tabs', () => {
    expect(escapeControls('ok\r\n\tnext\n')).toBe('ok\r\n\tnext\n')
  })
  it('shows every colour sequence visibly: a server has no colours', () => {
    expect(escapeControls('220 \u001b[32m✔ fake\u001b[0m')).toBe('220 \\x1b[32m✔ fake\\x1b[0m')
    expect(escapeControls('220 ok \u001b[8mHIDDEN')).toBe('220 ok \\x1b[8mHIDDEN')
  })
  it('shows cursor moves, title changes, a lone CR, bell and C1 controls visibly', () => {
    expect(escapeControls('220 \u001b]0;owned\u0007 x')).toBe('220 \\x1b]0;owned\\x07 x')
    expect(escapeControls('a\u001b[2Jb')).toBe('a\\x1b[2Jb')
    expect(escapeControls('fake\rreal')).toBe('fake\\x0dreal')
    expect(escapeControls('\u009b31m\u007f')).toBe('\\x9b31m\\x7f')
  })
})

describe('escapeUntrusted', () => {
  it('escapes every string of a result, keys included, and leaves the rest alone', () => {
    const result = {banner: {code: 220, text: '\u001b[31mred'}, ehlo: {extensions: {'X\u001b[0m': ['\u001b[1m']}}, ok: true, none: null, list: ['\u0007']}
    expect(escapeUntrusted(result)).toEqual({banner: {code: 220, text: '\\x1b[31mred'}, ehlo: {extensions: {'X\\x1b[0m': ['\\x1b[1m']}}, ok: true, none: null, list: ['\\x07']})
    expect(result.banner.text).toBe('\u001b[31mred') // a copy: the JSON path still has the original
  })
  it('keeps an error an error, its message escaped', () => {
    const error = new MaildigError('PROTOCOL_ERROR', 'protocol', 'said \u001b[31mred')
    const shown = escapeUntrusted({error}).error
    expect(shown).toBeInstanceOf(MaildigError)
    expect(shown.message).toBe('said \\x1b[31mred')
    expect(shown.exitCode).toBe(error.exitCode)
  })
})
