import {afterEach, describe, expect, it, vi} from 'vitest'
import type {MaildigError} from '../../../src/lib/errors.js'
import {ImapWireLog} from '../../../src/lib/imap/wire-log.js'
import {SECRET_MASK, Transcript} from '../../../src/lib/net/transcript.js'

const PASSWORD = 'hunter2-correct-horse'
const b64 = (text: string) => Buffer.from(text).toString('base64')
/** The entries imapflow logs with logRaw: base64 chunks, as it read or wrote them. */
const read = (text: string, secure = true) => ({src: 's', msg: 'read from socket', data: b64(text), secure})
const write = (text: string, secure = true) => ({src: 'c', msg: 'write to socket', data: b64(text), secure})
const hidden = (secure = true) => ({src: 'c', msg: 'write to socket', data: b64('(* value hidden *)\r\n'), hidden: true, secure})

function setup(replyTimeoutMs = 0) {
  const transcript = new Transcript()
  transcript.protect(PASSWORD)
  const fatal: MaildigError[] = []
  const log = new ImapWireLog({transcript, replyTimeoutMs, endpoint: 'imap.test [192.0.2.1]:993', onFatal: (e) => fatal.push(e)})
  return {transcript, log, fatal, text: () => transcript.lines.map((l) => `${l.dir} ${l.line}`)}
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the transcript from imapflow\'s raw log', () => {
  it('records both directions line by line, with the TLS flag', () => {
    const {log, transcript} = setup()
    log.trace(read('* OK [CAPABILITY IMAP4rev1] ready\r\n', false))
    log.trace(write('1 STARTTLS\r\n', false))
    log.trace(read('1 OK Begin TLS\r\n', false))
    log.trace(write('2 CAPABILITY\r\n'))
    log.trace(read('* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n2 OK done\r\n'))
    expect(transcript.lines.map((l) => [l.dir, l.tls, l.line])).toEqual([
      ['recv', false, '* OK [CAPABILITY IMAP4rev1] ready'],
      ['send', false, '1 STARTTLS'],
      ['recv', false, '1 OK Begin TLS'],
      ['send', true, '2 CAPABILITY'],
      ['recv', true, '* CAPABILITY IMAP4rev1 AUTH=PLAIN'],
      ['recv', true, '2 OK done'],
    ])
    expect(log.greeting).toMatchObject({status: 'OK', capabilities: ['IMAP4rev1']})
    expect(log.failure).toBeUndefined()
  })

  it('masks hidden LOGIN frames: the command from the debug entry, the rest as secret', () => {
    const {log, text} = setup()
    log.trace(read('* OK ready\r\n'))
    log.debug({src: 'c', msg: `3 LOGIN "alice@mail.test" "(* value hidden *)"`})
    log.trace(hidden())
    log.trace(read('3 OK Logged in\r\n'))
    expect(text()).toEqual(['recv * OK ready', `send 3 LOGIN "alice@mail.test" ${SECRET_MASK}`, 'recv 3 OK Logged in'])
    expect(log.auth).toMatchObject({tag: '3', command: 'LOGIN', reply: {status: 'OK'}})
  })

  it('masks every frame of an AUTHENTICATE exchange, also when imapflow does not hide them', () => {
    const {log, text} = setup()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('4 AUTHENTICATE PLAIN\r\n'))
    log.trace(read('+ \r\n'))
    log.trace(write(`${b64(`\0alice\0${PASSWORD}`)}\r\n`))
    log.trace(read('4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'))
    log.trace(write('5 LOGIN alice {21}\r\n'))
    log.trace(read('+ go\r\n'))
    log.trace(write(`${PASSWORD}\r\n`))
    log.trace(read('5 NO nope\r\n'))
    log.trace(write('6 LOGOUT\r\n'))
    const lines = text()
    expect(lines.join('\n')).not.toContain(PASSWORD)
    expect(lines.join('\n')).not.toContain(b64(`\0alice\0${PASSWORD}`))
    expect(lines).toEqual([
      'recv * OK ready',
      'send 4 AUTHENTICATE PLAIN',
      'recv + ',
      `send ${SECRET_MASK}`,
      'recv 4 NO [AUTHENTICATIONFAILED] Authentication failed.',
      `send 5 LOGIN alice ${SECRET_MASK}`,
      'recv + go',
      `send ${SECRET_MASK} (21 bytes)`,
      `send ${SECRET_MASK}`,
      'recv 5 NO nope',
      'send 6 LOGOUT',
    ])
    expect(log.auth).toMatchObject({tag: '5', command: 'LOGIN', reply: {status: 'NO', text: 'nope'}})
    expect(log.lastReply.get('AUTHENTICATE PLAIN')).toMatchObject({status: 'NO', code: 'AUTHENTICATIONFAILED'})
  })

  it('shows a server literal\'s lines and its size', () => {
    const {log, text} = setup()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('7 UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n'))
    log.trace(read('* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: hi\r\n\r\n)\r\n7 OK done\r\n'))
    expect(text()).toEqual([
      'recv * OK ready',
      'send 7 UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])',
      'recv * 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {15}',
      'recv Subject: hi',
      'recv ',
      'info (literal: 15 bytes)',
      'recv )',
      'recv 7 OK done',
    ])
    expect(log.failure).toBeUndefined()
  })

  it('passes imapflow\'s warnings on as notes, and never prints', () => {
    const {log, text} = setup()
    const spy = vi.spyOn(process.stdout, 'write')
    log.warn({msg: 'Server does not support STARTTLS, continuing over an unencrypted connection'})
    log.error({msg: 'boom', err: new Error('x')})
    log.info({msg: 'Established TCP connection'})
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
    expect(text()).toEqual(['info imapflow: Server does not support STARTTLS, continuing over an unencrypted connection'])
    expect(log.isLevelEnabled('trace')).toBe(true)
  })
})

describe('judging the server', () => {
  it('a BYE greeting fails the session at once with IMAP_GREETING_BYE', () => {
    const {log, fatal} = setup()
    log.trace(read('* BYE [UNAVAILABLE] Too many connections\r\n'))
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toMatchObject({code: 'IMAP_GREETING_BYE', category: 'connection'})
    expect(fatal[0].message).toContain('Too many connections')
    expect(log.greeting?.status).toBe('BYE')
  })

  it('a first line that is not a greeting is a protocol error naming what answered', () => {
    const {log, fatal} = setup()
    log.trace(read('220 mx.mail.test ESMTP Postfix\r\n'))
    expect(fatal[0]).toMatchObject({code: 'PROTOCOL_ERROR', category: 'protocol'})
    expect(fatal[0].message).toMatch(/SMTP server/)
    expect(log.greeting).toBeUndefined()
    expect(log.serverBytes).toBe(32)
  })

  it('a line that is not IMAP after the greeting is a protocol error', () => {
    const {log, fatal} = setup()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('1 CAPABILITY\r\n'))
    log.trace(read('HELLO THIS IS NOT IMAP\r\n'))
    expect(fatal[0]).toMatchObject({code: 'PROTOCOL_ERROR'})
    expect(fatal[0].message).toContain('HELLO THIS IS NOT IMAP')
  })

  it('a reply to a command never sent is a protocol error', () => {
    const {log, fatal} = setup()
    log.trace(read('* OK ready\r\n'))
    log.trace(read('9 OK whatever\r\n'))
    expect(fatal[0]?.message).toMatch(/never sent \(tag 9\)/)
  })

  it('only the first failure counts', () => {
    const {log, fatal} = setup()
    log.trace(read('* BYE first\r\n'))
    log.trace(read('garbage\r\n'))
    expect(fatal).toHaveLength(1)
    expect(log.failure?.code).toBe('IMAP_GREETING_BYE')
  })

  it('collects [ALERT] texts and an unsolicited BYE', () => {
    const {log} = setup()
    log.trace(read('* OK [ALERT] Maintenance at 22:00\r\n'))
    log.trace(write('1 NOOP\r\n'))
    log.trace(read('* OK [ALERT] Your quota is nearly full\r\n1 OK [ALERT] Really\r\n'))
    log.trace(read('* BYE Disconnected for inactivity\r\n'))
    expect(log.alerts).toEqual(['Maintenance at 22:00', 'Your quota is nearly full', 'Really'])
    expect(log.bye).toBe('Disconnected for inactivity')
  })

  it('a BYE that answers LOGOUT is not a complaint', () => {
    const {log} = setup()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('1 LOGOUT\r\n'))
    log.trace(read('* BYE Logging out\r\n1 OK bye\r\n'))
    expect(log.bye).toBeUndefined()
    expect(log.failure).toBeUndefined()
  })
})

describe('the per-reply deadline', () => {
  it('fails a command left without its reply with REPLY_TIMEOUT, even while bytes trickle in', () => {
    vi.useFakeTimers()
    const {log, fatal} = setup(1000)
    log.start()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('1 LIST "" "*"\r\n'))
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(150)
      log.trace(read('* LIST () "/" x\r\n'))
    }
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toMatchObject({code: 'REPLY_TIMEOUT', category: 'timeout', command: 'LIST'})
    expect(fatal[0].message).toMatch(/to LIST within 1 s/)
    log.stop()
  })

  it('does not count IDLE until DONE, then gives its reply the deadline', () => {
    vi.useFakeTimers()
    const {log, fatal} = setup(1000)
    log.start()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('5 IDLE\r\n'))
    log.trace(read('+ idling\r\n'))
    vi.advanceTimersByTime(10_000)
    expect(fatal).toHaveLength(0)
    log.trace(write('DONE\r\n'))
    vi.advanceTimersByTime(1500)
    expect(fatal[0]).toMatchObject({code: 'REPLY_TIMEOUT', command: 'IDLE'})
    log.stop()
  })

  it('restarts the deadline on a continuation request', () => {
    vi.useFakeTimers()
    const {log, fatal} = setup(1000)
    log.start()
    log.trace(read('* OK ready\r\n'))
    log.trace(write('2 AUTHENTICATE PLAIN\r\n'))
    vi.advanceTimersByTime(800)
    log.trace(read('+ \r\n'))
    vi.advanceTimersByTime(800)
    expect(fatal).toHaveLength(0)
    log.trace(read('2 OK done\r\n'))
    vi.advanceTimersByTime(5000)
    expect(fatal).toHaveLength(0)
    expect(log.pendingCommands).toEqual([])
    log.stop()
  })
})
