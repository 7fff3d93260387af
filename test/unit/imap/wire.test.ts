import {describe, expect, it} from 'vitest'
import {
  classifyServerLine,
  guessProtocol,
  maskCommandLine,
  parseCommandLine,
  parseGreeting,
  splitResponseText,
  visible,
  WireSplitter,
  type WireItem,
} from '../../../src/lib/imap/wire.js'
import {SECRET_MASK} from '../../../src/lib/net/transcript.js'

const lines = (items: WireItem[]) => items.map((i) => (i.kind === 'line' ? i.text : `{literal ${i.bytes}: ${i.lines.join('|')}}`))

describe('WireSplitter', () => {
  it('splits CRLF and bare LF lines, also across chunks', () => {
    const s = new WireSplitter()
    expect(lines(s.push(Buffer.from('* OK ready\r\n1 OK do')))).toEqual(['* OK ready'])
    expect(s.pendingBytes).toBe(7)
    expect(lines(s.push(Buffer.from('ne\r')))).toEqual([])
    expect(lines(s.push(Buffer.from('\n2 OK x\n')))).toEqual(['1 OK done', '2 OK x'])
    expect(s.pendingBytes).toBe(0)
  })

  it('reads a literal as data, not lines, and marks the line after it as a continuation', () => {
    const s = new WireSplitter()
    const items = s.push(Buffer.from('* 1 FETCH (BODY[HEADER] {21}\r\nSubject: hi\r\nX: y\r\n\r\n)\r\n1 OK\r\n'))
    expect(lines(items)).toEqual(['* 1 FETCH (BODY[HEADER] {21}', '{literal 21: Subject: hi|X: y|}', ')', '1 OK'])
    const after = items[2] as Extract<WireItem, {kind: 'line'}>
    expect(after.first).toBe(false)
    expect((items[3] as Extract<WireItem, {kind: 'line'}>).first).toBe(true)
  })

  it('knows LITERAL+ ({N+}), BINARY (~{N}) and empty literals, and literals split over chunks', () => {
    const s = new WireSplitter()
    expect(lines(s.push(Buffer.from('A1 LOGIN {5+}\r\nali')))).toEqual(['A1 LOGIN {5+}'])
    expect(lines(s.push(Buffer.from('ce {0}\r\n\r\n')))).toEqual(['{literal 5: alice}', ' {0}', '{literal 0: }', ''])
    expect(lines(s.push(Buffer.from('* 2 FETCH (BINARY[1] ~{3}\r\n\x00\x01\x02)\r\n')))).toEqual(['* 2 FETCH (BINARY[1] ~{3}', expect.stringMatching(/^\{literal 3: /), ')'])
  })

  it('keeps bounded text of a huge line and says so', () => {
    const s = new WireSplitter({maxKeep: 10})
    const [item] = s.push(Buffer.from(`* OK ${'x'.repeat(1000)}\r\n`)) as Extract<WireItem, {kind: 'line'}>[]
    expect(item.text).toHaveLength(10)
    expect(item.bytes).toBe(1005)
    expect(item.truncated).toBe(true)
  })

  it('keeps only the start of a big literal', () => {
    const s = new WireSplitter({maxLiteralKeep: 8, maxLiteralLines: 1})
    const items = s.push(Buffer.from(`* 1 FETCH (BODY[] {100}\r\n${'line\r\n'.repeat(16)}xxxx)\r\n`))
    const literal = items[1] as Extract<WireItem, {kind: 'literal'}>
    expect(literal).toMatchObject({kind: 'literal', bytes: 100, lines: ['line'], truncated: true})
    expect(lines(items).at(-1)).toBe(')')
  })
})

describe('parseGreeting', () => {
  it('reads OK with capabilities, PREAUTH and BYE', () => {
    expect(parseGreeting('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.')).toEqual({
      status: 'OK',
      code: 'CAPABILITY',
      capabilities: ['IMAP4rev1', 'STARTTLS', 'LOGINDISABLED'],
      text: 'Dovecot ready.',
    })
    expect(parseGreeting('* PREAUTH IMAP4rev1 server logged in as alice')).toMatchObject({status: 'PREAUTH', capabilities: null, text: 'IMAP4rev1 server logged in as alice'})
    expect(parseGreeting('* bye [UNAVAILABLE] Too many connections')).toMatchObject({status: 'BYE', code: 'UNAVAILABLE', text: 'Too many connections'})
    expect(parseGreeting('* OK')).toMatchObject({status: 'OK', text: ''})
  })

  it('refuses what is not an IMAP greeting', () => {
    for (const line of ['220 mx.example.com ESMTP', '+OK POP3 ready', '* NO go away', 'OK ready', '', 'SSH-2.0-OpenSSH_9.6']) {
      expect(parseGreeting(line), line).toBeUndefined()
    }
  })
})

describe('classifyServerLine', () => {
  it('tells untagged data, status responses, continuations and tagged replies apart', () => {
    expect(classifyServerLine('* 3 EXISTS')).toEqual({kind: 'untagged', code: null, text: '3 EXISTS'})
    expect(classifyServerLine('* OK [ALERT] System going down')).toEqual({kind: 'untagged', status: 'OK', code: 'ALERT', text: 'System going down'})
    expect(classifyServerLine('+ idling')).toEqual({kind: 'continuation', text: 'idling'})
    expect(classifyServerLine('+')).toEqual({kind: 'continuation', text: ''})
    expect(classifyServerLine('A12 NO [AUTHENTICATIONFAILED] Authentication failed.')).toEqual({
      kind: 'tagged',
      tag: 'A12',
      status: 'NO',
      code: 'AUTHENTICATIONFAILED',
      text: 'Authentication failed.',
    })
    expect(classifyServerLine('4 ok done')).toMatchObject({kind: 'tagged', tag: '4', status: 'OK'})
  })

  it('calls garbage garbage', () => {
    for (const line of ['HELLO THIS IS NOT IMAP', '*', '* ', '\x00\x01binary', 'A1 MAYBE later', '220 ESMTP']) {
      expect(classifyServerLine(line).kind, JSON.stringify(line)).toBe('invalid')
    }
  })

  it('splits a response code from its text', () => {
    expect(splitResponseText('[READ-ONLY] Examine completed')).toEqual({code: 'READ-ONLY', args: '', text: 'Examine completed'})
    expect(splitResponseText('[UIDNEXT 4] next')).toEqual({code: 'UIDNEXT', args: '4', text: 'next'})
    expect(splitResponseText('plain text')).toEqual({code: null, args: '', text: 'plain text'})
  })
})

describe('client commands', () => {
  it('parses the tag and command, two words for UID', () => {
    expect(parseCommandLine('7 LIST "" "*"')).toEqual({tag: '7', command: 'LIST'})
    expect(parseCommandLine('A uid search HEADER SUBJECT x')).toEqual({tag: 'A', command: 'UID SEARCH'})
    expect(parseCommandLine('DONE')).toBeUndefined()
    expect(parseCommandLine('AGFsaWNlAHNlY3JldA==')).toBeUndefined()
  })

  it('masks LOGIN\'s password and AUTHENTICATE\'s initial response, keeping what helps', () => {
    expect(maskCommandLine('5 LOGIN "alice@mail.test" "hunter2 and more"')).toBe(`5 LOGIN "alice@mail.test" ${SECRET_MASK}`)
    expect(maskCommandLine('5 LOGIN alice hunter2')).toBe(`5 LOGIN alice ${SECRET_MASK}`)
    expect(maskCommandLine('5 login "al\\"ice" "pw"')).toBe(`5 login "al\\"ice" ${SECRET_MASK}`)
    expect(maskCommandLine('5 LOGIN {5}')).toBe(`5 LOGIN ${SECRET_MASK}`)
    expect(maskCommandLine('6 AUTHENTICATE PLAIN AGFsaWNlAGh1bnRlcjI=')).toBe(`6 AUTHENTICATE PLAIN ${SECRET_MASK}`)
    expect(maskCommandLine('6 AUTHENTICATE XOAUTH2')).toBe('6 AUTHENTICATE XOAUTH2')
    expect(maskCommandLine('7 LIST "" "*"')).toBe('7 LIST "" "*"')
  })
})

describe('messages about garbage', () => {
  it('shows control characters and bounds the length', () => {
    expect(visible('a\x00b\x1bc')).toBe('a\\x00b\\x1bc')
    expect(visible('x'.repeat(300))).toHaveLength(121)
  })

  it('names the protocol a wrong port speaks', () => {
    expect(guessProtocol('220 mx.example.com ESMTP Postfix')).toMatch(/SMTP/)
    expect(guessProtocol('+OK Dovecot ready.')).toMatch(/POP3/)
    expect(guessProtocol('HTTP/1.1 400 Bad Request')).toMatch(/HTTP/)
    expect(guessProtocol('\x15\x03\x01')).toBeUndefined()
  })
})
