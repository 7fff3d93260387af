import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {extractEnhancedCode, formatReply, parseEhlo, parseReply, parseReplyLine, ReplyAssembler} from '../../../src/lib/smtp/reply.js'

function protocolError(fn: () => unknown): MaildigError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(MaildigError)
    const e = error as MaildigError
    expect(e.code).toBe('PROTOCOL_ERROR')
    expect(e.category).toBe('protocol')
    expect(e.exitCode).toBe(8)
    return e
  }
  throw new Error('expected a PROTOCOL_ERROR')
}

describe('parseReplyLine', () => {
  it('reads last and continuation lines', () => {
    expect(parseReplyLine('250 OK')).toEqual({code: 250, last: true, text: 'OK'})
    expect(parseReplyLine('250-mail.example.com')).toEqual({code: 250, last: false, text: 'mail.example.com'})
    expect(parseReplyLine('250-')).toEqual({code: 250, last: false, text: ''})
    expect(parseReplyLine('250 ')).toEqual({code: 250, last: true, text: ''})
  })

  it('accepts a bare code as a last line (RFC 5321 §4.2: the text is optional)', () => {
    expect(parseReplyLine('354')).toEqual({code: 354, last: true, text: ''})
  })

  it('keeps the text verbatim, spaces included', () => {
    expect(parseReplyLine('220  two  spaces ').text).toBe(' two  spaces ')
  })

  it.each([
    ['', 'empty line'],
    ['OK', 'no code'],
    ['25 OK', 'two digits'],
    ['2500 OK', 'four digits'],
    ['150 OK', 'first digit 1 is not SMTP'],
    ['650 OK', 'first digit 6'],
    ['260 OK', 'second digit 6'],
    ['250x OK', 'bad separator'],
    ['250\tOK', 'tab separator'],
    ['250_OK', 'underscore separator'],
    ['abc def', 'letters'],
  ])('rejects %j (%s)', (line) => {
    protocolError(() => parseReplyLine(line))
  })

  it('shows control characters escaped in the message', () => {
    const error = protocolError(() => parseReplyLine('25\x00 hi', 'mx.example.com:25'))
    expect(error.message).toContain('\\x00')
    expect(error.message).toContain('mx.example.com:25')
  })
})

describe('parseReply', () => {
  it('parses a one-line reply', () => {
    const reply = parseReply(['220 mail.example.com ESMTP Postfix'])
    expect(reply).toEqual({code: 220, lines: ['mail.example.com ESMTP Postfix'], text: 'mail.example.com ESMTP Postfix'})
  })

  it('parses a multi-line reply', () => {
    const reply = parseReply(['250-mail.example.com', '250-PIPELINING', '250 SIZE 10240000'])
    expect(reply.code).toBe(250)
    expect(reply.lines).toEqual(['mail.example.com', 'PIPELINING', 'SIZE 10240000'])
    expect(reply.text).toBe('mail.example.com\nPIPELINING\nSIZE 10240000')
  })

  it('rejects mismatched codes across lines', () => {
    const error = protocolError(() => parseReply(['250-mail.example.com', '251 SIZE 1000']))
    expect(error.message).toMatch(/code 251 inside a 250 reply/)
  })

  it('rejects a reply without its last line', () => {
    protocolError(() => parseReply(['250-mail.example.com', '250-PIPELINING']))
    protocolError(() => parseReply([]))
  })

  it('rejects lines after the last line', () => {
    protocolError(() => parseReply(['250 OK', '250 again']))
  })

  it('bounds the number of lines', () => {
    const lines = [...Array.from({length: 100}, (_, i) => `250-X${i}`), '250 END']
    const error = protocolError(() => parseReply(lines, {maxLines: 100}))
    expect(error.message).toMatch(/more than 100 lines/)
    expect(parseReply(lines.slice(1), {maxLines: 100}).lines).toHaveLength(100)
  })

  it('extracts an enhanced status code (RFC 3463) that matches the reply class', () => {
    expect(parseReply(['550 5.1.1 <nobody@example.com>: User unknown']).enhancedCode).toBe('5.1.1')
    expect(parseReply(['250 2.1.5 Ok']).enhancedCode).toBe('2.1.5')
    expect(parseReply(['452-4.5.3 Too many', '452 4.5.3 recipients']).enhancedCode).toBe('4.5.3')
    expect(parseReply(['550 5.7.100 policy']).enhancedCode).toBe('5.7.100')
  })

  it('ignores look-alikes that are not enhanced status codes', () => {
    expect(parseReply(['550 4.1.1 mismatched class']).enhancedCode).toBeUndefined()
    expect(parseReply(['250 1.2.3.4 is an address']).enhancedCode).toBeUndefined()
    expect(parseReply(['250 2.1.0Ok']).enhancedCode).toBeUndefined()
    expect(parseReply(['250 2.1234.0 Ok']).enhancedCode).toBeUndefined()
    expect(parseReply(['250 Ok 2.1.0']).enhancedCode).toBeUndefined()
    expect(parseReply(['550 5.1.1 user unknown'], {enhancedStatusCodes: false}).enhancedCode).toBeUndefined()
  })

  it('formats a reply for messages', () => {
    expect(formatReply(parseReply(['250-a', '250 b']))).toBe('250 a / b')
  })
})

describe('ReplyAssembler', () => {
  it('hands out a reply when its last line arrives, then starts afresh', () => {
    const assembler = new ReplyAssembler()
    expect(assembler.push('250-one')).toBeUndefined()
    expect(assembler.pendingLines).toBe(1)
    expect(assembler.push('250 two')).toMatchObject({code: 250, lines: ['one', 'two']})
    expect(assembler.pendingLines).toBe(0)
    expect(assembler.push('221 bye')).toMatchObject({code: 221})
  })

  it('fails on the first line past the bound, without keeping more', () => {
    const assembler = new ReplyAssembler({maxLines: 3})
    assembler.push('250-a')
    assembler.push('250-b')
    assembler.push('250-c')
    protocolError(() => assembler.push('250-d'))
  })
})

describe('extractEnhancedCode', () => {
  it('needs a space or the end after the code', () => {
    expect(extractEnhancedCode(250, '2.0.0')).toBe('2.0.0')
    expect(extractEnhancedCode(250, '2.0.0 Ok')).toBe('2.0.0')
    expect(extractEnhancedCode(250, '2.0.0.1 Ok')).toBeUndefined()
  })
})

describe('parseEhlo', () => {
  it('reads the name, greeting, extensions, AUTH and SIZE', () => {
    const info = parseEhlo(
      parseReply([
        '250-mail.example.com Hello client.example.org [192.0.2.7]',
        '250-PIPELINING',
        '250-SIZE 10240000',
        '250-starttls',
        '250-AUTH PLAIN login',
        '250-AUTH=LOGIN CRAM-MD5',
        '250-ENHANCEDSTATUSCODES',
        '250 8BITMIME',
      ]),
    )
    expect(info.domain).toBe('mail.example.com')
    expect(info.greeting).toBe('Hello client.example.org [192.0.2.7]')
    expect(Object.keys(info.extensions)).toEqual(['PIPELINING', 'SIZE', 'STARTTLS', 'AUTH', 'ENHANCEDSTATUSCODES', '8BITMIME'])
    expect(info.extensions.SIZE).toEqual(['10240000'])
    expect(info.authMechanisms).toEqual(['PLAIN', 'LOGIN', 'CRAM-MD5'])
    expect(info.size).toBe(10240000)
  })

  it('handles a one-line reply and SIZE without a value', () => {
    const info = parseEhlo(parseReply(['250 mx.example.net']))
    expect(info).toEqual({domain: 'mx.example.net', greeting: '', extensions: {}, authMechanisms: []})
    expect(parseEhlo(parseReply(['250-mx', '250 SIZE'])).size).toBeUndefined()
  })

  it('skips lines whose keyword is not an ehlo-keyword', () => {
    const info = parseEhlo(parseReply(['250-mx', '250-__proto__ x', '250-!BANG', '250-', '250 X-GOOD-1 a b']))
    expect(info.extensions).toEqual({'X-GOOD-1': ['a', 'b']})
    expect(Object.getPrototypeOf(info.extensions)).toBe(Object.prototype)
  })
})
