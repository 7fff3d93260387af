import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {dotStuff, hasEightBit, xtext} from '../../../src/lib/smtp/data.js'
import {SmtpClient} from '../../../src/lib/smtp/client.js'
import {startSmtpFixture, type SmtpFixture} from '../../fixtures/misbehaving-smtp.js'
import {netContext} from '../../../src/lib/net/context.js'

describe('dotStuff', () => {
  it('doubles a leading dot, makes every line end CRLF and ends with "."', () => {
    expect(dotStuff(Buffer.from('Subject: x\r\n\r\n.hidden\n..two\nend')).toString()).toBe('Subject: x\r\n\r\n..hidden\r\n...two\r\nend\r\n.\r\n')
  })

  it('ends a message that ends in CRLF without an empty line', () => {
    expect(dotStuff(Buffer.from('a\r\n.\r\n')).toString()).toBe('a\r\n..\r\n.\r\n')
    expect(dotStuff(Buffer.alloc(0)).toString()).toBe('.\r\n')
  })
})

describe('xtext and 8-bit', () => {
  it('encodes "+", "=", spaces and non-ASCII as +HH (RFC 3461 §4)', () => {
    expect(xtext('id+1=a b')).toBe('id+2B1+3Da+20b')
    expect(xtext('ü')).toBe('+C3+BC')
  })

  it('finds bytes above 127', () => {
    expect(hasEightBit(Buffer.from('plain'))).toBe(false)
    expect(hasEightBit(Buffer.from('grüße'))).toBe(true)
  })
})

describe('SmtpClient DATA', () => {
  const HOST = '127.0.1.48'
  let fixture: SmtpFixture
  beforeAll(async () => {
    fixture = await startSmtpFixture({host: HOST, behaviour: 'good', dsn: true})
  })
  afterAll(() => fixture.close())
  let smtp: SmtpClient | undefined
  afterEach(async () => smtp?.close())

  it('sends the envelope with SIZE, BODY, DSN RET/ENVID and NOTIFY, the message dot-stuffed, and returns the queue reply', async () => {
    smtp = new SmtpClient({host: HOST, port: fixture.port, net: netContext({timeoutMs: 2000})})
    await smtp.connect()
    await smtp.ehlo('client.test')
    const message = Buffer.from('Subject: dots\r\n\r\n.starts with a dot\r\n.\r\nGrüße\r\n')
    await smtp.mailFrom('a@mail.test', {size: message.length, eightBit: true, dsn: {ret: 'HDRS', envid: 'id+1'}})
    const rcpt = await smtp.rcptTo('b@mail.test', {notify: ['SUCCESS', 'FAILURE']})
    expect(rcpt.accepted).toBe(true)
    const reply = await smtp.data(message)
    await smtp.quit()
    expect(reply.code).toBe(250)
    expect(reply.text).toMatch(/queued as 4FX1yZ2abc/)
    expect(fixture.received).toContain(`MAIL FROM:<a@mail.test> SIZE=${message.length} BODY=8BITMIME RET=HDRS ENVID=id+2B1`)
    expect(fixture.received).toContain('RCPT TO:<b@mail.test> NOTIFY=SUCCESS,FAILURE')
    expect(fixture.received).toContain('..starts with a dot')
    expect(fixture.messages.at(-1)).toBe('Subject: dots\r\n\r\n.starts with a dot\r\n.\r\nGrüße')
    // The transcript says how big the message was, not what it said.
    expect(smtp.transcript.lines.map((l) => l.line)).not.toContain('.starts with a dot')
  })

  it('refuses a DSN NOTIFY value that is not one (usage error, nothing sent)', async () => {
    smtp = new SmtpClient({host: HOST, port: fixture.port, net: netContext({timeoutMs: 2000})})
    await smtp.connect()
    await smtp.ehlo('client.test')
    await smtp.mailFrom('a@mail.test')
    await expect(smtp.rcptTo('b@mail.test', {notify: ['SUCCESS ORCPT=x']})).rejects.toThrow(/not a DSN NOTIFY value/)
  })
})
