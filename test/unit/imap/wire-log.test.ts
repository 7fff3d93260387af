import {afterEach, describe, expect, it, vi} from 'vitest'
import type {MaildigError} from '../../../src/lib/errors.js'
import {ImapWireLog} from '../../../src/lib/imap/wire-log.js'
import {parseGreeting} from '../../../src/lib/imap/wire.js'
import {SECRET_MASK, Transcript} from '../../../src/lib/net/transcript.js'

const PASSWORD = 'hunter2-correct-horse'
const b64 = (text: string) => Buffer.from(text).toString('base64')

/** The wire log as the hand-over feeds it: every chunk read and written, as it crossed the socket. */
function setup(replyTimeoutMs = 0, greeting = '* OK ready') {
  const transcript = new Transcript()
  transcript.protect(PASSWORD)
  const fatal: MaildigError[] = []
  const log = new ImapWireLog({transcript, replyTimeoutMs, endpoint: 'imap.test [192.0.2.1]:993', greeting: {...parseGreeting(greeting)!, line: greeting}, onFatal: (e) => fatal.push(e)})
  const read = (text: string, tls = true) => log.received(Buffer.from(text), tls)
  const write = (text: string, tls = true) => log.sent(Buffer.from(text), tls)
  return {transcript, log, fatal, read, write, text: () => transcript.lines.map((l) => `${l.dir} ${l.line}`)}
}

afterEach(() => {
  vi.useRealTimers()
})

describe('the transcript from the bytes on the wire', () => {
  it('records both directions line by line, with the TLS flag', () => {
    const {log, transcript, read, write} = setup()
    write('2 CAPABILITY\r\n', false)
    read('* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n2 OK done\r\n', false)
    write('3 NOOP\r\n')
    read('3 OK done\r\n')
    expect(transcript.lines.map((l) => [l.dir, l.tls, l.line])).toEqual([
      ['send', false, '2 CAPABILITY'],
      ['recv', false, '* CAPABILITY IMAP4rev1 AUTH=PLAIN'],
      ['recv', false, '2 OK done'],
      ['send', true, '3 NOOP'],
      ['recv', true, '3 OK done'],
    ])
    expect(log.greeting).toMatchObject({status: 'OK', line: '* OK ready'})
    expect(log.failure).toBeUndefined()
  })

  it('masks LOGIN\'s password as it is written, quoted or as a literal, in chunks of any size', () => {
    const {log, text, read, write} = setup()
    const login = `3 LOGIN "alice@mail.test" "${PASSWORD}"\r\n`
    for (let i = 0; i < login.length; i += 7) write(login.slice(i, i + 7))
    read('3 NO nope\r\n')
    write(`4 LOGIN alice {${PASSWORD.length}}\r\n`)
    read('+ go\r\n')
    write(`${PASSWORD}\r\n`)
    read('4 OK Logged in\r\n')
    const lines = text()
    expect(lines.join('\n')).not.toContain(PASSWORD)
    expect(lines).toEqual([
      `send 3 LOGIN "alice@mail.test" ${SECRET_MASK}`,
      'recv 3 NO nope',
      `send 4 LOGIN alice ${SECRET_MASK}`,
      'recv + go',
      `send ${SECRET_MASK} (${PASSWORD.length} bytes)`,
      `send ${SECRET_MASK}`,
      'recv 4 OK Logged in',
    ])
    expect(log.auth).toMatchObject({tag: '4', command: 'LOGIN', reply: {status: 'OK'}})
  })

  it('masks every frame of an AUTHENTICATE exchange, with or without an initial response', () => {
    const {log, text, read, write} = setup()
    write('4 AUTHENTICATE PLAIN\r\n')
    read('+ \r\n')
    write(`${b64(`\0alice\0${PASSWORD}`)}\r\n`)
    read('4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n')
    write(`5 AUTHENTICATE PLAIN ${b64(`\0alice\0${PASSWORD}`)}\r\n`)
    read('5 NO nope\r\n')
    write('6 LOGOUT\r\n')
    const lines = text()
    expect(lines.join('\n')).not.toContain(PASSWORD)
    expect(lines.join('\n')).not.toContain(b64(`\0alice\0${PASSWORD}`))
    expect(lines).toEqual([
      'send 4 AUTHENTICATE PLAIN',
      'recv + ',
      `send ${SECRET_MASK}`,
      'recv 4 NO [AUTHENTICATIONFAILED] Authentication failed.',
      `send 5 AUTHENTICATE PLAIN ${SECRET_MASK}`,
      'recv 5 NO nope',
      'send 6 LOGOUT',
    ])
    expect(log.auth).toMatchObject({tag: '5', command: 'AUTHENTICATE PLAIN', reply: {status: 'NO', text: 'nope'}})
    expect(log.lastReply.get('AUTHENTICATE PLAIN')).toMatchObject({status: 'NO', text: 'nope'})
  })

  it('shows a server literal\'s lines and its size', () => {
    const {log, text, read, write} = setup()
    write('7 UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n')
    read('* 1 FETCH (UID 1 BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: hi\r\n\r\n)\r\n7 OK done\r\n')
    expect(text()).toEqual([
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

  it('as imapflow\'s logger: passes warnings on as notes, takes no other level, never prints', () => {
    const {log, text} = setup()
    const spy = vi.spyOn(process.stdout, 'write')
    const logger = log.logger as unknown as Record<string, ((entry: unknown) => void) | undefined>
    logger.warn?.({msg: 'Something odd'})
    logger.error?.({msg: 'boom', err: new Error('x')})
    expect(logger.debug).toBeUndefined()
    expect(logger.info).toBeUndefined()
    expect(logger.trace).toBeUndefined()
    expect(spy).not.toHaveBeenCalled()
    spy.mockRestore()
    expect(text()).toEqual(['info imapflow: Something odd'])
  })
})

describe('judging the server', () => {
  it('an [ALERT] in the greeting maildig read is collected', () => {
    const {log} = setup(0, '* OK [ALERT] Maintenance at 22:00')
    expect(log.alerts).toEqual(['Maintenance at 22:00'])
  })

  it('a line that is not IMAP is a protocol error', () => {
    const {fatal, read, write} = setup()
    write('1 CAPABILITY\r\n')
    read('HELLO THIS IS NOT IMAP\r\n')
    expect(fatal[0]).toMatchObject({code: 'PROTOCOL_ERROR'})
    expect(fatal[0].message).toContain('HELLO THIS IS NOT IMAP')
  })

  it('a reply to a command never sent is a protocol error', () => {
    const {fatal, read} = setup()
    read('9 OK whatever\r\n')
    expect(fatal[0]?.message).toMatch(/never sent \(tag 9\)/)
  })

  it('only the first failure counts, and `failed` rejects with it', async () => {
    const {log, fatal, read} = setup()
    read('9 OK whatever\r\n')
    read('garbage\r\n')
    expect(fatal).toHaveLength(1)
    expect(log.failure?.code).toBe('PROTOCOL_ERROR')
    await expect(log.guard(new Promise(() => undefined))).rejects.toBe(log.failure)
  })

  it('collects [ALERT] texts and an unsolicited BYE', () => {
    const {log, read, write} = setup()
    write('1 NOOP\r\n')
    read('* OK [ALERT] Your quota is nearly full\r\n1 OK [ALERT] Really\r\n')
    read('* BYE Disconnected for inactivity\r\n')
    expect(log.alerts).toEqual(['Your quota is nearly full', 'Really'])
    expect(log.bye).toBe('Disconnected for inactivity')
  })

  it('a BYE that answers LOGOUT is not a complaint', () => {
    const {log, read, write} = setup()
    write('1 LOGOUT\r\n')
    read('* BYE Logging out\r\n1 OK bye\r\n')
    expect(log.bye).toBeUndefined()
    expect(log.failure).toBeUndefined()
  })
})

describe('the per-reply deadline', () => {
  it('fails a command left without its reply with REPLY_TIMEOUT, even while bytes trickle in', () => {
    vi.useFakeTimers()
    const {log, fatal, read, write} = setup(1000)
    log.start()
    write('1 LIST "" "*"\r\n')
    for (let i = 0; i < 8; i++) {
      vi.advanceTimersByTime(150)
      read('* LIST () "/" x\r\n')
    }
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toMatchObject({code: 'REPLY_TIMEOUT', category: 'timeout', command: 'LIST'})
    expect(fatal[0].message).toMatch(/to LIST within 1 s/)
    log.stop()
  })

  it('fires on the data that arrives after the deadline even when no timer could run (a flood that starves the event loop)', () => {
    const {log, fatal, read, write} = setup(50)
    log.start()
    write('1 LIST "" "*"\r\n')
    const until = performance.now() + 80
    // Busy: the timer cannot fire while this loop runs, as under a server that never stops sending.
    while (performance.now() < until) read('* 1 EXISTS\r\n')
    expect(fatal).toHaveLength(1)
    expect(fatal[0]).toMatchObject({code: 'REPLY_TIMEOUT', command: 'LIST'})
    log.stop()
  })

  it('does not count IDLE until DONE, then gives its reply the deadline', () => {
    vi.useFakeTimers()
    const {log, fatal, read, write} = setup(1000)
    log.start()
    write('5 IDLE\r\n')
    read('+ idling\r\n')
    vi.advanceTimersByTime(10_000)
    expect(fatal).toHaveLength(0)
    write('DONE\r\n')
    vi.advanceTimersByTime(1500)
    expect(fatal[0]).toMatchObject({code: 'REPLY_TIMEOUT', command: 'IDLE'})
    log.stop()
  })

  it('restarts the deadline on a continuation request', () => {
    vi.useFakeTimers()
    const {log, fatal, read, write} = setup(1000)
    log.start()
    write('2 AUTHENTICATE PLAIN\r\n')
    vi.advanceTimersByTime(800)
    read('+ \r\n')
    vi.advanceTimersByTime(800)
    expect(fatal).toHaveLength(0)
    read('2 OK done\r\n')
    vi.advanceTimersByTime(5000)
    expect(fatal).toHaveLength(0)
    expect(log.pendingCommands).toEqual([])
    log.stop()
  })
})
