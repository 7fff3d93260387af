import {createServer, type Server, type Socket} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
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
