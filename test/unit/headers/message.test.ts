import {describe, expect, it} from 'vitest'

import {UsageError} from '../../../src/lib/errors.js'
import {
  decodeEncodedWords,
  headerValue,
  headerValues,
  HeaderInputError,
  parseHeaderFields,
  readHeaderBlock,
  readHeaders,
  unfold,
} from '../../../src/lib/headers/message.js'

function refusal(input: Uint8Array | string, options?: {maxBytes?: number}): HeaderInputError {
  try {
    readHeaders(input, options)
  } catch (error) {
    if (error instanceof HeaderInputError) return error
    throw error
  }
  throw new Error('expected a HeaderInputError')
}

describe('unfold (RFC 5322 §2.2.3)', () => {
  it('removes CRLF before white space and keeps the white space', () => {
    expect(unfold('a\r\n b\r\n\tc')).toBe('a b\tc')
  })

  it('also unfolds bare LF, as files saved on Unix have', () => {
    expect(unfold('a\n  b')).toBe('a  b')
  })

  it('leaves a line break that is not followed by white space', () => {
    expect(unfold('a\r\nb')).toBe('a\r\nb')
  })
})

describe('parseHeaderFields', () => {
  it('returns the fields in order, unfolded, duplicates kept', () => {
    const block = 'Received: from a\r\n\tby b; Mon, 1 Jan 2024 10:00:01 +0000\r\nReceived: from c\r\n by d; Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: hi\r\n'
    expect(parseHeaderFields(block)).toEqual([
      {name: 'Received', value: 'from a\tby b; Mon, 1 Jan 2024 10:00:01 +0000'},
      {name: 'Received', value: 'from c by d; Mon, 1 Jan 2024 10:00:00 +0000'},
      {name: 'Subject', value: 'hi'},
    ])
  })

  it('accepts white space before the colon (obsolete syntax, §4.5) and an empty value', () => {
    expect(parseHeaderFields('Subject : hello\nX-Empty:\n')).toEqual([
      {name: 'Subject', value: 'hello'},
      {name: 'X-Empty', value: ''},
    ])
  })

  it('keeps colons inside the value', () => {
    expect(parseHeaderFields('X-Note: a: b: c')).toEqual([{name: 'X-Note', value: 'a: b: c'}])
  })

  it('joins a line that lost its leading white space to the field before', () => {
    expect(parseHeaderFields('Subject: first part\nsecond part without indent\nTo: x@example.net')).toEqual([
      {name: 'Subject', value: 'first part second part without indent'},
      {name: 'To', value: 'x@example.net'},
    ])
  })

  it('skips an mbox "From " separator line', () => {
    expect(parseHeaderFields('From alice@example.org Mon Jan  1 10:00:00 2024\nFrom: alice@example.org\n')).toEqual([
      {name: 'From', value: 'alice@example.org'},
    ])
  })
})

describe('readHeaderBlock / readHeaders', () => {
  it('stops at the first empty line: a Received line in the body is not a hop', () => {
    const message = 'Received: from a by b; Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: s\r\n\r\nReceived: from fake by body\r\n'
    expect(headerValues(readHeaders(Buffer.from(message)), 'Received')).toHaveLength(1)
  })

  it('treats LF-only and CRLF files alike', () => {
    const lf = readHeaders(Buffer.from('A: 1\n  more\nB: 2\n\nbody'))
    const crlf = readHeaders(Buffer.from('A: 1\r\n  more\r\nB: 2\r\n\r\nbody'))
    expect(lf).toEqual(crlf)
    expect(lf).toEqual([{name: 'A', value: '1  more'}, {name: 'B', value: '2'}])
  })

  it('accepts headers without a body (pasted headers)', () => {
    expect(readHeaders('Subject: only headers')).toEqual([{name: 'Subject', value: 'only headers'}])
  })

  it('skips blank lines and a UTF-8 byte-order mark before the header', () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n\r\n  \nSubject: x\n\nbody')])
    expect(readHeaders(input)).toEqual([{name: 'Subject', value: 'x'}])
  })

  it('decodes UTF-8 header bytes (RFC 6532)', () => {
    expect(headerValue(readHeaders(Buffer.from('Subject: café ☕\n\n')), 'subject')).toBe('café ☕')
  })

  it('decodes bytes that are not UTF-8 as Latin-1', () => {
    const input = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xe9]), Buffer.from('\n\n')])
    expect(headerValue(readHeaders(input), 'Subject')).toBe('café')
  })

  it('does not look at the body: a binary body after the header is fine', () => {
    const input = Buffer.concat([Buffer.from('Subject: x\r\n\r\n'), Buffer.alloc(4096, 0)])
    expect(readHeaders(input)).toEqual([{name: 'Subject', value: 'x'}])
  })

  it('returns the header block with its line breaks', () => {
    expect(readHeaderBlock('A: 1\r\n b\r\n\r\nbody')).toBe('A: 1\r\n b')
  })
})

describe('input refusal', () => {
  it('refuses NUL bytes as binary, as a usage error (exit 2)', () => {
    const error = refusal(Buffer.from([0x53, 0x75, 0x62, 0x6a, 0x00, 0x3a]))
    expect(error.problem).toBe('binary')
    expect(error).toBeInstanceOf(UsageError)
    expect(error.exitCode).toBe(2)
    expect(error.message).toMatch(/binary/)
  })

  it('refuses a PNG file', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52])
    expect(refusal(png).problem).toBe('binary')
  })

  it('refuses input that is mostly control characters even without NUL', () => {
    const bytes = Buffer.alloc(2000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 3 === 0 ? 0x41 : 0x01 + (i % 7)
    expect(refusal(bytes).problem).toBe('binary')
  })

  it('refuses input that is mostly high bytes and not UTF-8', () => {
    const bytes = Buffer.alloc(1000)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 2 === 0 ? 0xff : 0x41
    expect(refusal(bytes).problem).toBe('binary')
  })

  it('says binary, not too large, for a big binary file without an empty line', () => {
    const bytes = Buffer.alloc(3000, 0x02)
    expect(refusal(bytes, {maxBytes: 1024}).problem).toBe('binary')
  })

  it('refuses a header larger than the bound', () => {
    const big = `Subject: ${'x'.repeat(2048)}\n`
    const error = refusal(big, {maxBytes: 1024})
    expect(error.problem).toBe('too-large')
    expect(error.message).toMatch(/1024 bytes/)
  })

  it('reads a header exactly at the bound', () => {
    const header = `Subject: ${'x'.repeat(1024 - 'Subject: '.length)}`
    expect(Buffer.byteLength(header)).toBe(1024)
    expect(readHeaders(`${header}\n\nbody`, {maxBytes: 1024})).toHaveLength(1)
  })

  it('refuses empty input', () => {
    expect(refusal('').problem).toBe('empty')
    expect(refusal('\n\n  \n').problem).toBe('empty')
  })

  it('refuses text that has no header fields', () => {
    expect(refusal('just some text\nwith no fields at all\n').problem).toBe('not-a-message')
  })
})

describe('headerValue / headerValues', () => {
  const fields = [
    {name: 'Received', value: 'one'},
    {name: 'received', value: 'two'},
    {name: 'Subject', value: 's'},
  ]
  it('match names case-insensitively and keep order', () => {
    expect(headerValues(fields, 'RECEIVED')).toEqual(['one', 'two'])
    expect(headerValue(fields, 'subject')).toBe('s')
    expect(headerValue(fields, 'To')).toBeNull()
  })
})

describe('decodeEncodedWords (RFC 2047)', () => {
  it('decodes Q and B encodings', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?Quarterly_r=C3=A9sum=C3=A9_draft?=')).toBe('Quarterly résumé draft')
    expect(decodeEncodedWords('=?utf-8?b?w6l0w6k=?=')).toBe('été')
  })

  it('keeps plain text around encoded-words', () => {
    expect(decodeEncodedWords('Re: =?ISO-8859-1?Q?caf=E9?= tomorrow')).toBe('Re: café tomorrow')
  })

  it('drops the white space between adjacent encoded-words (§6.2)', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?a?= =?UTF-8?Q?b?=')).toBe('ab')
    expect(decodeEncodedWords('=?UTF-8?Q?a?=\r\n =?ISO-8859-1?Q?b?=')).toBe('ab')
  })

  it('keeps the white space between an encoded-word and plain text', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?a?= b')).toBe('a b')
  })

  it('joins a multi-byte character split across two words', () => {
    // "€" is E2 82 AC in UTF-8; some mailers cut encoded-words at a byte limit.
    expect(decodeEncodedWords('=?UTF-8?Q?price_=E2=82?= =?UTF-8?Q?=AC5?=')).toBe('price €5')
    expect(decodeEncodedWords('=?UTF-8?B?4oI=?= =?UTF-8?B?rA==?=')).toBe('€')
  })

  it('decodes a display name in an address and leaves the address alone', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <jorg@example.de>')).toBe('Jörg Müller <jorg@example.de>')
  })

  it('honours the RFC 2231 language suffix', () => {
    expect(decodeEncodedWords('=?UTF-8*en?Q?hello?=')).toBe('hello')
  })

  it('leaves an unknown charset or malformed base64 as written', () => {
    expect(decodeEncodedWords('=?x-no-such-charset?Q?abc?=')).toBe('=?x-no-such-charset?Q?abc?=')
    expect(decodeEncodedWords('=?UTF-8?B?***?=')).toBe('=?UTF-8?B?***?=')
  })

  it('keeps the space before a malformed word that follows a good one', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?a?= =?UTF-8?B?***?=')).toBe('a =?UTF-8?B?***?=')
  })

  it('returns text without encoded-words unchanged', () => {
    expect(decodeEncodedWords('plain = text ?')).toBe('plain = text ?')
  })
})
