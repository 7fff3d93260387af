import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {findBinary, LineReader} from '../../../src/lib/net/line-reader.js'

const b = (text: string) => Buffer.from(text, 'latin1')

async function rejection(promise: Promise<unknown>): Promise<MaildigError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MaildigError)
  return error as MaildigError
}

describe('LineReader', () => {
  it('splits CRLF and bare LF lines, across chunk boundaries', async () => {
    const reader = new LineReader()
    reader.push(b('220 hello\r\n250-a\n250 b\r'))
    reader.push(b('\n25'))
    reader.push(b('0 c\r\n'))
    expect(await reader.readLine()).toBe('220 hello')
    expect(await reader.readLine()).toBe('250-a')
    expect(await reader.readLine()).toBe('250 b')
    expect(await reader.readLine()).toBe('250 c')
    expect(reader.bufferedBytes).toBe(0)
  })

  it('resolves a read that waits for the line', async () => {
    const reader = new LineReader()
    const line = reader.readLine()
    reader.push(b('220 late\r\n'))
    expect(await line).toBe('220 late')
  })

  it('decodes UTF-8 and allows TAB', async () => {
    const reader = new LineReader()
    reader.push(Buffer.from('250 grüße\tok\r\n', 'utf8'))
    expect(await reader.readLine()).toBe('250 grüße\tok')
  })

  it('accepts a line of exactly the maximum length, CRLF not counted', async () => {
    const reader = new LineReader({maxLineLength: 10})
    reader.push(b('0123456789\r'))
    reader.push(b('\n'))
    expect(await reader.readLine()).toBe('0123456789')
  })

  it('fails with LINE_TOO_LONG one byte past the bound', async () => {
    const reader = new LineReader({maxLineLength: 10, subject: 'mx.example.com:25'})
    reader.push(b('01234567890\r\n'))
    const error = await rejection(reader.readLine())
    expect(error.code).toBe('LINE_TOO_LONG')
    expect(error.category).toBe('protocol')
    expect(error.exitCode).toBe(8)
    expect(error.message).toContain('mx.example.com:25')
  })

  it('keeps memory bounded under an endless line', async () => {
    const reader = new LineReader({maxLineLength: 8192})
    const chunk = Buffer.alloc(1000, 'A')
    let maxBuffered = 0
    for (let i = 0; i < 20_000; i++) {
      // 20 MB without a line end
      reader.push(chunk)
      maxBuffered = Math.max(maxBuffered, reader.bufferedBytes)
    }
    expect(maxBuffered).toBeLessThanOrEqual(8192)
    expect(reader.bufferedBytes).toBe(0)
    expect((await rejection(reader.readLine())).code).toBe('LINE_TOO_LONG')
  })

  it('detects the endless line as soon as it passes the bound, even in one huge chunk', async () => {
    const reader = new LineReader({maxLineLength: 8192})
    reader.push(Buffer.alloc(1024 * 1024, 'A'))
    expect(reader.bufferedBytes).toBe(0)
    expect((await rejection(reader.readLine())).code).toBe('LINE_TOO_LONG')
  })

  it.each([
    ['NUL', '220 hi\0there\r\n'],
    ['a TLS record', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'],
    ['DEL', '220 \x7f\r\n'],
  ])('fails with PROTOCOL_ERROR on binary data (%s)', async (_what, data) => {
    const reader = new LineReader({subject: 'mx.example.com:25'})
    reader.push(b(data))
    const error = await rejection(reader.readLine())
    expect(error.code).toBe('PROTOCOL_ERROR')
    expect(error.exitCode).toBe(8)
    expect(error.message).toMatch(/binary data \(byte 0x[0-9a-f]{2}\)/)
  })

  it('accepts the control bytes real text carries (ESC of ISO-2022-JP, SO/SI, FF)', async () => {
    const reader = new LineReader()
    reader.push(b('Subject: \x1b$B$3$s$K$A$O\x1b(B\r\n'))
    expect(await reader.readLine()).toBe('Subject: \x1b$B$3$s$K$A$O\x1b(B')
  })

  it('keeps the lines that came before the garbage readable', async () => {
    const reader = new LineReader()
    reader.push(b('220 ok\r\n\0\0\0'))
    expect(await reader.readLine()).toBe('220 ok')
    expect((await rejection(reader.readLine())).code).toBe('PROTOCOL_ERROR')
  })

  it('ends: queued lines first, then CONNECTION_CLOSED (exit 4)', async () => {
    const reader = new LineReader()
    reader.push(b('421 bye\r\n'))
    reader.end()
    expect(await reader.readLine()).toBe('421 bye')
    const error = await rejection(reader.readLine())
    expect(error.code).toBe('CONNECTION_CLOSED')
    expect(error.exitCode).toBe(4)
  })

  it('says when the connection closed in the middle of a line', async () => {
    const reader = new LineReader()
    const pending = reader.readLine()
    reader.push(b('220 half'))
    reader.end()
    expect((await rejection(pending)).message).toMatch(/middle of a line/)
  })

  it('fail() rejects pending reads and drops queued lines', async () => {
    const reader = new LineReader()
    const pending = reader.readLine()
    reader.fail(new MaildigError('GREETING_TIMEOUT', 'timeout', 'late'))
    expect((await rejection(pending)).code).toBe('GREETING_TIMEOUT')
    reader.push(b('220 too late\r\n'))
    expect(reader.bufferedBytes).toBe(0)
    expect((await rejection(reader.readLine())).code).toBe('GREETING_TIMEOUT')
  })

  it('drain() discards everything received and not read (STARTTLS injection defence)', async () => {
    const reader = new LineReader()
    reader.push(b('220 Ready to start TLS\r\n250-injected.example\r\n250 AUTH INJECTED\r\n250 par'))
    expect(await reader.readLine()).toBe('220 Ready to start TLS')
    expect(reader.drain()).toEqual({lines: 3, bytes: 44})
    expect(reader.bufferedBytes).toBe(0)
    expect(reader.tryReadLine()).toBeUndefined()
    reader.push(b('250 real\r\n'))
    expect(await reader.readLine()).toBe('250 real')
  })

  it('pauses the stream when lines pile up, resumes when they are read', async () => {
    const stream = new PassThrough()
    const reader = new LineReader({maxBufferedBytes: 100})
    reader.attach(stream)
    for (let i = 0; i < 30; i++) stream.write(`250-line ${String(i).padStart(3, '0')}\r\n`)
    await new Promise((resolve) => setImmediate(resolve))
    expect(stream.isPaused()).toBe(true)
    expect(reader.bufferedBytes).toBeLessThan(100 + 20)
    for (let i = 0; i < 30; i++) expect(await reader.readLine()).toBe(`250-line ${String(i).padStart(3, '0')}`)
    expect(stream.isPaused()).toBe(false)
    reader.detach()
  })
})

describe('findBinary', () => {
  it('allows text, TAB, CR and 8-bit bytes', () => {
    expect(findBinary(Buffer.from('a\tb\rc é ü', 'utf8'))).toBe(-1)
    expect(findBinary(b('ab\x01'))).toBe(2)
  })
})

describe('LineReader for a hand-over', () => {
  it('takeUnread gives up queued lines and the partial line as bytes', () => {
    const reader = new LineReader()
    reader.push(Buffer.from('one\r\ntwo\r\nthr'))
    expect(reader.tryReadLine()).toBe('one')
    expect(reader.takeUnread().toString()).toBe('two\r\nthr')
    expect(reader.bufferedBytes).toBe(0)
  })

  it('acceptBinary hands a line with control bytes to the protocol instead of failing', async () => {
    const strict = new LineReader()
    strict.push(Buffer.from('\x00\x01garbage\r\n'))
    await expect(strict.readLine()).rejects.toMatchObject({code: 'PROTOCOL_ERROR'})
    const lenient = new LineReader({acceptBinary: true})
    lenient.push(Buffer.from('\x00\x01garbage\r\n'))
    expect(await lenient.readLine()).toBe('\x00\x01garbage')
  })
})
