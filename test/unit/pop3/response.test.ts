import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {
  apopDigest,
  apopTimestamp,
  explainResponseCode,
  formatResponse,
  MultilineAssembler,
  parseAuthLine,
  parseCapa,
  parseMultiline,
  parseScanListing,
  parseStat,
  parseStatusLine,
  parseUniqueIdListing,
} from '../../../src/lib/pop3/response.js'

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

describe('parseStatusLine', () => {
  it('reads +OK and -ERR with their text', () => {
    expect(parseStatusLine('+OK Dovecot ready.')).toEqual({ok: true, code: null, text: 'Dovecot ready.', line: '+OK Dovecot ready.'})
    expect(parseStatusLine('-ERR no such message')).toMatchObject({ok: false, code: null, text: 'no such message'})
  })

  it('accepts a bare indicator and trailing space (the text is optional)', () => {
    expect(parseStatusLine('+OK')).toMatchObject({ok: true, text: ''})
    expect(parseStatusLine('+OK ')).toMatchObject({ok: true, text: ''})
    expect(parseStatusLine('-ERR')).toMatchObject({ok: false, text: ''})
  })

  it('is lenient about the case of the indicator', () => {
    expect(parseStatusLine('+ok fine')).toMatchObject({ok: true, text: 'fine'})
    expect(parseStatusLine('-err bad')).toMatchObject({ok: false, text: 'bad'})
  })

  it('reads RFC 2449 / RFC 3206 response codes, hierarchical ones too', () => {
    expect(parseStatusLine('-ERR [IN-USE] Mailbox is locked by another POP3 session')).toMatchObject({ok: false, code: 'IN-USE', text: 'Mailbox is locked by another POP3 session'})
    expect(parseStatusLine('-ERR [SYS/TEMP] Temporary authentication failure.')).toMatchObject({code: 'SYS/TEMP', text: 'Temporary authentication failure.'})
    expect(parseStatusLine('-ERR [AUTH] Authentication failed.')).toMatchObject({code: 'AUTH'})
    expect(parseStatusLine('-ERR [login-delay]')).toMatchObject({code: 'LOGIN-DELAY', text: ''})
  })

  it('leaves brackets that are no response code in the text', () => {
    expect(parseStatusLine('-ERR [not a code] x')).toMatchObject({code: null, text: '[not a code] x'})
    expect(parseStatusLine('+OK [1 2]')).toMatchObject({code: null, text: '[1 2]'})
  })

  it('refuses what is neither +OK nor -ERR', () => {
    for (const line of ['220 mail.test ESMTP', '* OK IMAP4rev1', '+OKAY', '-OK x', '+ERR x', '', 'OK']) {
      expect(protocolError(() => parseStatusLine(line, 'pop.test:110')).message).toMatch(/pop\.test:110 sent a malformed response .*neither \+OK nor -ERR/)
    }
  })

  it('shows control characters escaped in the message', () => {
    expect(protocolError(() => parseStatusLine('\x1b[31mhi')).message).toContain('\\x1b[31mhi')
  })
})

describe('parseAuthLine (RFC 5034 continuations)', () => {
  it('tells a continuation from the final status', () => {
    expect(parseAuthLine('+ VXNlcm5hbWU6')).toEqual({continuation: true, challenge: 'VXNlcm5hbWU6'})
    expect(parseAuthLine('+ ')).toEqual({continuation: true, challenge: ''})
    expect(parseAuthLine('+')).toEqual({continuation: true, challenge: ''})
    expect(parseAuthLine('+OK Logged in.')).toMatchObject({continuation: false, ok: true})
    expect(parseAuthLine('-ERR [AUTH] Authentication failed.')).toMatchObject({continuation: false, ok: false, code: 'AUTH'})
    protocolError(() => parseAuthLine('334 VXNlcm5hbWU6'))
  })
})

describe('explainResponseCode', () => {
  it('explains each login code, saying whether the credentials are at fault', () => {
    expect(explainResponseCode('IN-USE')).toMatch(/credentials were accepted.*another POP3 session/)
    expect(explainResponseCode('LOGIN-DELAY')).toMatch(/credentials were accepted.*wait/)
    expect(explainResponseCode('SYS/TEMP')).toMatch(/temporary problem on the server, not the credentials/)
    expect(explainResponseCode('SYS/PERM')).toMatch(/permanent problem on the server, not the credentials/)
    expect(explainResponseCode('AUTH')).toMatch(/rejected the credentials/)
  })

  it('falls back to the most specific known level, and knows nothing of other codes', () => {
    expect(explainResponseCode('SYS/TEMP/QUOTA')).toBe(explainResponseCode('SYS/TEMP'))
    expect(explainResponseCode('in-use')).toBe(explainResponseCode('IN-USE'))
    expect(explainResponseCode('X-VENDOR')).toBeUndefined()
    expect(explainResponseCode(null)).toBeUndefined()
  })
})

describe('multi-line responses (RFC 1939 §3)', () => {
  it('ends at "." and undoes the byte-stuffing', () => {
    expect(parseMultiline(['Subject: x', '', '..a line that starts with a dot', '...', '.x', '.'])).toEqual(['Subject: x', '', '.a line that starts with a dot', '..', 'x'])
  })

  it('returns an empty listing for a lone "."', () => {
    expect(parseMultiline(['.'])).toEqual([])
  })

  it('refuses lines after the terminator and a missing terminator', () => {
    protocolError(() => parseMultiline(['a', '.', 'b']))
    expect(protocolError(() => parseMultiline(['a', 'b'], {subject: 'pop.test'})).message).toMatch(/incomplete multi-line response/)
  })

  it('is bounded in lines', () => {
    const assembler = new MultilineAssembler({maxLines: 3, maxBytes: 1000, subject: 'pop.test:110', command: 'LIST'})
    expect(assembler.push('1 10')).toBeUndefined()
    expect(assembler.push('2 10')).toBeUndefined()
    expect(assembler.push('3 10')).toBeUndefined()
    const error = protocolError(() => assembler.push('4 10'))
    expect(error.message).toBe('pop.test:110 sent more than 3 lines in answer to LIST without the "." that ends it')
  })

  it('is bounded in bytes (each line with its CRLF)', () => {
    const assembler = new MultilineAssembler({maxLines: 100, maxBytes: 20, command: 'TOP'})
    expect(assembler.push('x'.repeat(18))).toBeUndefined()
    expect(protocolError(() => assembler.push('y')).message).toMatch(/more than 20 bytes in answer to TOP/)
  })

  it('counts the stuffed dot against the bound and the terminator against nothing', () => {
    const assembler = new MultilineAssembler({maxLines: 1, maxBytes: 5})
    expect(assembler.push('..a')).toBeUndefined()
    expect(assembler.push('.')).toEqual(['.a'])
  })
})

describe('parseCapa (RFC 2449 §5)', () => {
  it('maps tags (upper-case) to their arguments', () => {
    const capa = parseCapa(['CAPA', 'TOP', 'UIDL', 'RESP-CODES', 'PIPELINING', 'AUTH-RESP-CODE', 'user', 'SASL PLAIN LOGIN', 'sasl cram-md5', 'STLS', 'EXPIRE NEVER', 'LOGIN-DELAY 900', 'IMPLEMENTATION Dovecot 2.3'])
    expect(capa).toEqual({
      CAPA: [],
      TOP: [],
      UIDL: [],
      'RESP-CODES': [],
      PIPELINING: [],
      'AUTH-RESP-CODE': [],
      USER: [],
      SASL: ['PLAIN', 'LOGIN', 'CRAM-MD5'],
      STLS: [],
      EXPIRE: ['NEVER'],
      'LOGIN-DELAY': ['900'],
      IMPLEMENTATION: ['Dovecot', '2.3'],
    })
  })

  it('skips empty lines', () => {
    expect(parseCapa(['', '  ', 'TOP'])).toEqual({TOP: []})
  })
})

describe('APOP (RFC 1939 §7)', () => {
  it('finds the timestamp in the greeting', () => {
    expect(apopTimestamp('Dovecot ready. <36a.8.6b0af632.X4fKm330VDNZn23vX1O2ug==@vm>')).toBe('<36a.8.6b0af632.X4fKm330VDNZn23vX1O2ug==@vm>')
    expect(apopTimestamp('POP3 server ready <1896.697170952@dbc.mtview.ca.us>')).toBe('<1896.697170952@dbc.mtview.ca.us>')
  })

  it('finds none where there is no msg-id', () => {
    expect(apopTimestamp('Dovecot ready.')).toBeNull()
    expect(apopTimestamp('ready <no-at-sign>')).toBeNull()
    expect(apopTimestamp('ready <a b@c>')).toBeNull()
  })

  it('computes the digest of the RFC example', () => {
    // RFC 1939 §7: timestamp <1896.697170952@dbc.mtview.ca.us>, secret "tanstaaf".
    expect(apopDigest('<1896.697170952@dbc.mtview.ca.us>', 'tanstaaf')).toBe('c4c9334bac560ecc979e58001b3e22fb')
    expect(apopDigest('<x@y>', 'pässword')).toBe(createHash('md5').update('<x@y>pässword', 'utf8').digest('hex'))
  })
})

describe('STAT, LIST and UIDL lines', () => {
  it('reads STAT', () => {
    expect(parseStat(parseStatusLine('+OK 2 320'))).toEqual({messages: 2, octets: 320})
    expect(parseStat(parseStatusLine('+OK 0 0 (empty)'))).toEqual({messages: 0, octets: 0})
    protocolError(() => parseStat(parseStatusLine('+OK lots of mail')))
    protocolError(() => parseStat(parseStatusLine('+OK 2')))
  })

  it('reads scan listings, ignoring what follows the size', () => {
    expect(parseScanListing('1 120')).toEqual({number: 1, size: 120})
    expect(parseScanListing('2 200 extra info')).toEqual({number: 2, size: 200})
    protocolError(() => parseScanListing('0 120'))
    protocolError(() => parseScanListing('x 120'))
    protocolError(() => parseScanListing('1'))
  })

  it('reads unique-id listings of 1–70 printable characters', () => {
    expect(parseUniqueIdListing('1 000000016b0af632')).toEqual({number: 1, uid: '000000016b0af632'})
    expect(parseUniqueIdListing(`3 ${'u'.repeat(70)}`).uid).toHaveLength(70)
    protocolError(() => parseUniqueIdListing(`3 ${'u'.repeat(71)}`))
    protocolError(() => parseUniqueIdListing('3 two words'))
    protocolError(() => parseUniqueIdListing('3'))
  })
})

describe('formatResponse', () => {
  it('gives the line, trimmed and escaped', () => {
    expect(formatResponse(parseStatusLine('-ERR [IN-USE] locked  '))).toBe('-ERR [IN-USE] locked')
  })
})
