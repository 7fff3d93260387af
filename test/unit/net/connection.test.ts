import {createServer, type Server, type Socket} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {Connection} from '../../../src/lib/net/connection.js'
import {netContext} from '../../../src/lib/net/context.js'
import {Transcript} from '../../../src/lib/net/transcript.js'
import {stubResolver} from '../../fixtures/net.js'
import {failure} from './failure.js'

const HOST = '127.0.1.41'
const servers: Server[] = []
const sockets: Socket[] = []

async function listen(onConnection: (socket: Socket) => void, allowHalfOpen = false): Promise<number> {
  const server = createServer({allowHalfOpen}, (socket) => {
    sockets.push(socket)
    socket.on('error', () => undefined)
    onConnection(socket)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve))
  return (server.address() as {port: number}).port
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

describe('Connection', () => {
  it('connects to the address, reads and writes lines, records them', async () => {
    let fromAddress = ''
    const port = await listen((socket) => {
      fromAddress = socket.remoteAddress ?? ''
      socket.write('220 hi\r\n')
      socket.on('data', (d) => socket.write(`250 got ${d.toString().trim()}\r\n`))
    })
    const transcript = new Transcript()
    const connection = await Connection.open({host: 'mx.example.test', port, address: HOST, transcript, net: netContext({timeoutMs: 2000, localAddress: '127.0.1.99'})})
    expect(connection.endpoint).toBe(`mx.example.test [${HOST}]:${port}`)
    expect(await connection.deadline('greeting', connection.readLine())).toBe('220 hi')
    connection.writeLine('NOOP')
    expect(await connection.deadline('reply', connection.readLine())).toBe('250 got NOOP')
    await connection.close()
    expect(fromAddress).toBe('127.0.1.99')
    expect(transcript.lines.map((l) => [l.dir, l.line])).toEqual([
      ['info', `connecting to mx.example.test [${HOST}]:${port} from 127.0.1.99`],
      ['info', expect.stringMatching(/^connected from 127\.0\.1\.99:\d+$/)],
      ['recv', '220 hi'],
      ['send', 'NOOP'],
      ['recv', '250 got NOOP'],
    ])
    expect(transcript.lines.every((l) => l.tls === false)).toBe(true)
  })

  it('resolves the host through the injected lookup', async () => {
    const port = await listen((socket) => socket.end('220 hi\r\n'))
    const resolver = stubResolver(() => HOST)
    const connection = await Connection.open({host: 'mail.example.test', port, net: netContext({resolver, timeoutMs: 2000})})
    expect(resolver.asked).toEqual(['mail.example.test A', 'mail.example.test AAAA'])
    expect(connection.address).toBe(HOST)
    expect(connection.timings.lookupMs).toBeGreaterThanOrEqual(0)
    await connection.close()
  })

  it('maps a lookup failure to DOMAIN_NOT_FOUND (exit 3)', async () => {
    const resolver = stubResolver(() => 'nxdomain')
    const error = await failure(Connection.open({host: 'nx.example.test', port: 25, net: netContext({resolver, timeoutMs: 2000})}))
    expect(error.code).toBe('DOMAIN_NOT_FOUND')
    expect(error.exitCode).toBe(3)
  })

  it('gives up on a lookup that never answers: DNS_TIMEOUT (exit 5)', async () => {
    const resolver = stubResolver(() => 'never')
    const error = await failure(Connection.open({host: 'slow.example.test', port: 25, net: netContext({resolver, timeoutMs: 100})}))
    expect(error.code).toBe('DNS_TIMEOUT')
    expect(error.exitCode).toBe(5)
  })

  it('maps a refused connection to CONNECT_REFUSED (exit 4)', async () => {
    const port = await listen(() => undefined)
    await new Promise((r) => servers.pop()?.close(r))
    const transcript = new Transcript()
    const error = await failure(Connection.open({host: HOST, port, transcript, net: netContext({timeoutMs: 2000})}))
    expect(error.code).toBe('CONNECT_REFUSED')
    expect(error.exitCode).toBe(4)
    expect(error.message).toBe(`connection to ${HOST}:${port} refused: nothing listens there`)
    expect(transcript.lines.at(-1)?.line).toMatch(/^! connection to .* refused/)
  })

  it('closes within about 1 s when the server never closes its side', async () => {
    // allowHalfOpen: the server keeps its side open after our FIN.
    const port = await listen((socket) => socket.resume(), true)
    const connection = await Connection.open({host: HOST, port, net: netContext({timeoutMs: 2000})})
    const started = performance.now()
    await connection.close()
    const took = performance.now() - started
    expect(took).toBeGreaterThan(900)
    expect(took).toBeLessThan(1300)
    expect(connection.closed).toBe(true)
  })

  it('refuses to write a line with CR or LF (usage error before anything is sent)', async () => {
    const received: string[] = []
    const port = await listen((socket) => socket.on('data', (d) => received.push(d.toString())))
    const connection = await Connection.open({host: HOST, port, net: netContext({timeoutMs: 2000})})
    expect(() => connection.writeLine('NOOP\r\nQUIT')).toThrow(/contains a CR character/)
    await new Promise((r) => setTimeout(r, 50))
    expect(received).toEqual([])
    await connection.close()
  })

  it('masks secrets in the transcript', async () => {
    const port = await listen((socket) => socket.resume())
    const transcript = new Transcript()
    const connection = await Connection.open({host: HOST, port, transcript, net: netContext({timeoutMs: 2000})})
    connection.writeLine('AUTH PLAIN AHVzZXIAcGFzcw==', {keepPrefix: 'AUTH PLAIN '})
    connection.writeLine('cGFzcw==', true)
    await connection.close()
    expect(transcript.lines.filter((l) => l.dir === 'send').map((l) => l.line)).toEqual(['AUTH PLAIN /* secret */', '/* secret */'])
  })
})

describe('Transcript.protect', () => {
  it('masks registered secrets wherever they appear, and ignores very short ones', () => {
    const transcript = new Transcript()
    transcript.protect('hunter2', 'ab', undefined)
    transcript.add('recv', '535 hunter2 is wrong', false)
    transcript.info('ab cd')
    expect(transcript.lines.map((l) => l.line)).toEqual(['535 /* secret */ is wrong', 'ab cd'])
    expect(transcript.scrub('x hunter2 y')).toBe('x /* secret */ y')
  })
})

// Connection.handOver: the socket goes to a library that speaks the rest of the protocol
// (imapflow), the floor keeps its lifetime, its failures and a view of every byte.
const openForHandOver = (port: number, transcript = new Transcript()) => Connection.open({host: 'imap.example.test', port, address: HOST, transcript, net: netContext({timeoutMs: 2000})})
/** Everything the stream gives, and a wait until it holds `text`. */
function collect(stream: NodeJS.ReadableStream): {text: () => string; until: (text: string) => Promise<void>} {
  let all = ''
  stream.on('data', (d: Buffer) => (all += d.toString()))
  return {
    text: () => all,
    until: async (text) => {
      for (let i = 0; i < 200 && !all.includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 10))
    },
  }
}

describe('Connection.handOver', () => {
  it('replays what the session read, passes on what it did not, then the socket; shows every byte both ways', async () => {
    const port = await listen((socket) => {
      socket.write('* OK hello\r\n* unread line\r\npartial')
      socket.on('data', (d) => socket.write(`echo ${d.toString()}`))
    })
    const connection = await openForHandOver(port)
    expect(await connection.deadline('greeting', connection.readLine())).toBe('* OK hello')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const read: string[] = []
    const written: string[] = []
    const stream = connection.handOver({replay: Buffer.from('* OK hello\r\n'), onRead: (c) => read.push(c.toString()), onWrite: (c) => written.push(c.toString())})
    const data = collect(stream)
    await data.until('partial')
    expect(data.text()).toBe('* OK hello\r\n* unread line\r\npartial')
    stream.write('1 NOOP\r\n')
    await data.until('echo')
    expect(data.text()).toBe('* OK hello\r\n* unread line\r\npartialecho 1 NOOP\r\n')
    expect(read).toEqual(['* unread line\r\npartial', 'echo 1 NOOP\r\n'])
    expect(written).toEqual(['1 NOOP\r\n'])
    expect(stream.remoteAddress).toBe(HOST)
    expect(stream.getCipher()).toBeNull()
    // The floor no longer reads or writes lines itself.
    await expect(connection.readLine()).rejects.toMatchObject({code: 'INTERNAL_ERROR'})
    expect(() => connection.writeLine('2 NOOP')).toThrow(/handed over/)
    expect(() => connection.handOver()).toThrow(/handed over already/)
    stream.destroy()
    await new Promise((resolve) => stream.once('close', resolve))
    await connection.close()
    expect(connection.closed).toBe(true)
  })

  it('a deadline or garbage found by the new owner: abort() ends the stream with that error, recorded once', async () => {
    const port = await listen((socket) => socket.write('* OK hello\r\n'))
    const transcript = new Transcript()
    const connection = await openForHandOver(port, transcript)
    await connection.deadline('greeting', connection.readLine())
    const stream = connection.handOver()
    const ended = new Promise<Error | undefined>((resolve) => {
      stream.on('error', resolve)
      stream.on('close', () => resolve(undefined))
    })
    const error = new MaildigError('REPLY_TIMEOUT', 'timeout', 'no complete reply within 1 s')
    connection.abort(error)
    expect(await ended).toBe(error)
    expect(transcript.lines.filter((l) => l.line.startsWith('!')).map((l) => l.line)).toEqual(['! no complete reply within 1 s'])
  })

  it('a reset after the hand-over is mapped by the Connection; destroying the stream closes the connection', async () => {
    let server: Socket | undefined
    const port = await listen((socket) => {
      server = socket
      socket.write('* OK hello\r\n')
    })
    const connection = await openForHandOver(port)
    await connection.deadline('greeting', connection.readLine())
    const stream = connection.handOver()
    const failed = new Promise<Error>((resolve) => stream.on('error', resolve))
    server!.resetAndDestroy()
    expect(await failed).toMatchObject({code: 'CONNECTION_RESET', category: 'connection'})
  })

  it('imapflow destroying the stream ends the connection within the close grace', async () => {
    let closedByPeer = false
    const port = await listen((socket) => {
      socket.write('* OK hello\r\n')
      socket.on('end', () => {
        closedByPeer = true
        socket.end()
      })
    })
    const connection = await openForHandOver(port)
    await connection.deadline('greeting', connection.readLine())
    connection.handOver().destroy()
    await connection.close()
    expect(closedByPeer).toBe(true)
    expect(connection.closed).toBe(true)
  })
})
