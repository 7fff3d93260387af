import {createServer, type Server, type Socket} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {Session, type ReplyParser} from '../../../src/lib/net/session.js'
import {SECRET_MASK, Transcript} from '../../../src/lib/net/transcript.js'
import {withNet} from '../../fixtures/net.js'
import {failure} from './failure.js'

const HOST = '127.0.1.45'
const servers: Server[] = []
const sockets: Socket[] = []

/** A raw server: `onLine` gets every line the client sends (and the socket, to answer). */
async function listen(greeting: string, onLine: (line: string, socket: Socket) => void = () => undefined): Promise<{port: number; received: string[]}> {
  const received: string[] = []
  const server = createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => undefined)
    if (greeting) socket.write(greeting)
    let buffer = ''
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1')
      let end: number
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        received.push(line)
        onLine(line, socket)
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  return {port: (server.address() as {port: number}).port, received}
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A one-line reply that must start with "2" (a stand-in for a protocol's pure parser). */
const oneLine = (): ReplyParser<string> => ({
  push(line) {
    if (!/^2\d\d/.test(line)) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `not a reply: ${line}`, {response: line})
    return line
  },
})

function session(port: number, timeoutMs = 2000, transcript = new Transcript()): Session {
  return new Session('TEST', withNet({host: 'mail.test', address: HOST, port, timeoutMs, transcript}), {})
}

describe('Session', () => {
  it('reads the greeting, sends commands, reads replies and times them', async () => {
    const {port, received} = await listen('220 hello\r\n', (line, socket) => socket.write(`250 ${line}\r\n`))
    const s = new Session<{connectMs?: number; greetingMs?: number; noopMs?: number}>('TEST', withNet({host: 'mail.test', address: HOST, port, timeoutMs: 2000}), {})
    expect(await s.open(oneLine())).toBe('220 hello')
    expect(await s.time('noopMs', () => s.exec('NOOP', oneLine()))).toBe('250 NOOP')
    expect(s.timings.greetingMs).toBeGreaterThanOrEqual(0)
    expect(s.timings.noopMs).toBeGreaterThanOrEqual(0)
    await s.close(async () => {
      await s.exec('QUIT', oneLine())
    })
    expect(received).toEqual(['NOOP', 'QUIT'])
    expect(s.failed).toBe(false)
  })

  it('keeps the stage deadline when the server drips a reply one byte at a time', async () => {
    // Each byte would reset an idle timer; a deadline runs from the command to the full reply.
    const {port} = await listen('220 hello\r\n', (_line, socket) => {
      const reply = '250 this reply arrives one byte every 50 ms\r\n'
      let i = 0
      const timer = setInterval(() => {
        if (socket.destroyed || i >= reply.length) clearInterval(timer)
        else socket.write(reply[i++])
      }, 50)
    })
    const s = session(port, 400)
    await s.open(oneLine())
    const started = performance.now()
    const error = await failure(s.exec('NOOP', oneLine()))
    const waited = performance.now() - started
    expect(error.code).toBe('REPLY_TIMEOUT')
    expect(error.message).toMatch(/no complete reply from mail\.test \[127\.0\.1\.45\]:\d+ to NOOP within 400 ms/)
    expect(waited).toBeGreaterThanOrEqual(390)
    expect(waited).toBeLessThan(900)
    expect(s.broken).toBe(true)
    await s.close()
  })

  it('masks a secret command in the transcript and keeps it out of error messages', async () => {
    const secret = 'c2VjcmV0LXBhc3N3b3Jk'
    // The server echoes what it got: a careless server can put the secret in its reply.
    const {port} = await listen('220 hello\r\n', (line, socket) => {
      if (line.startsWith('AUTH')) socket.write(`535 ${line} is wrong\r\n`)
    })
    const transcript = new Transcript()
    const s = session(port, 300, transcript)
    await s.open(oneLine())
    transcript.protect(secret)
    const refused = await failure(s.exec(`AUTH PLAIN ${secret}`, oneLine(), {secret: {keepPrefix: 'AUTH PLAIN '}, label: 'AUTH PLAIN'}))
    const scrubbed = s.scrub(refused)
    expect(scrubbed.message).not.toContain(secret)
    expect(scrubbed.response).not.toContain(secret)
    expect(scrubbed.message).toContain(SECRET_MASK)
    expect(JSON.stringify(transcript.lines)).not.toContain(secret)
    expect(transcript.lines.find((l) => l.dir === 'send')?.line).toBe(`AUTH PLAIN ${SECRET_MASK}`)
  })

  it('names a secret line without its text when its reply times out', async () => {
    const {port} = await listen('220 hello\r\n')
    const s = session(port, 200)
    await s.open(oneLine())
    const error = await failure(s.exec('dG9rZW4tdGhhdC1pcy1zZWNyZXQ=', oneLine(), {secret: true}))
    expect(error.code).toBe('REPLY_TIMEOUT')
    expect(error.message).toContain('to a masked line')
    expect(error.message).not.toContain('dG9rZW4')
    expect(JSON.stringify(s.transcript.lines)).not.toContain('dG9rZW4')
  })

  it('sends no QUIT after a fatal error: it only closes', async () => {
    const {port, received} = await listen('220 hello\r\n', (line, socket) => {
      if (line === 'NOOP') socket.write('garbage that is not a reply\r\n')
    })
    const s = session(port)
    await s.open(oneLine())
    const error = await failure(s.exec('NOOP', oneLine()))
    expect(error.code).toBe('PROTOCOL_ERROR')
    expect(s.broken).toBe(true)
    let goodbyes = 0
    await s.close(async () => {
      goodbyes++
      await s.exec('QUIT', oneLine())
    })
    expect(goodbyes).toBe(0)
    await new Promise((r) => setTimeout(r, 50))
    expect(received).toEqual(['NOOP'])
  })

  it('refuses a reply nobody asked for before a command', async () => {
    const {port, received} = await listen('220 hello\r\n250 unasked\r\n')
    const s = session(port)
    await s.open(oneLine())
    await new Promise((r) => setTimeout(r, 50))
    const error = await failure(s.exec('NOOP', oneLine()))
    expect(error.code).toBe('PROTOCOL_ERROR')
    expect(error.message).toMatch(/a reply nobody asked for before NOOP/)
    expect(received).toEqual([])
  })

  it('closes within the close grace when the server never answers QUIT nor closes', async () => {
    const {port, received} = await listen('220 hello\r\n')
    const s = session(port, 10_000)
    await s.open(oneLine())
    const started = performance.now()
    await s.close(async () => {
      await s.exec('QUIT', oneLine())
    })
    const waited = performance.now() - started
    expect(received).toEqual(['QUIT'])
    expect(waited).toBeGreaterThanOrEqual(900)
    expect(waited).toBeLessThan(1300)
    expect(s.connection?.closed).toBe(true)
  })

  it('says goodbye once, whether quit or close comes first', async () => {
    const {port, received} = await listen('220 hello\r\n', (line, socket) => {
      if (line === 'QUIT') socket.end('221 bye\r\n')
    })
    const s = session(port)
    await s.open(oneLine())
    const goodbye = async () => {
      await s.exec('QUIT', oneLine())
    }
    await s.leave(goodbye)
    await s.close(goodbye)
    expect(received).toEqual(['QUIT'])
  })
})
