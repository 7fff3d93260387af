import dgram from 'node:dgram'
import {queryId} from './query-id.js'
import type {DnsServer} from './resolver.js'
import {isIP} from '../net/ip.js'

/**
 * UDP sockets shared by a batch run's queries: a few per server, queries told apart by their message
 * ID (unique among those in flight on a socket, and random: RFC 5452 §9.2), instead of a socket per
 * query. Each socket is connected to its server, so the kernel drops datagrams from anyone else; it
 * is retired after MAX_USES queries so that the source port keeps changing too (RFC 5452 §4.5: the
 * port is the other half of what an off-path attacker must guess). Sockets are unref'd: the queries'
 * own deadline timers keep the process alive, an idle pool does not.
 */
const SOCKETS_PER_SERVER = 4
const MAX_USES = 256

export interface PooledQuery {
  /** The message ID the query went out with (the pool may change it to one not in flight). */
  id: number
  /** Stops listening for the answer. */
  done(): void
}

interface Listener {
  onMessage: (message: Buffer) => void
  onError: (error: NodeJS.ErrnoException) => void
}

interface PoolSocket {
  socket: dgram.Socket
  pending: Map<number, Listener>
  uses: number
  connected: boolean
  queue: Buffer[]
  retired: boolean
}

function literalLookup(address: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, isIP(address) || 4)
}

export class UdpPool {
  private readonly servers = new Map<string, PoolSocket[]>()
  /** Sockets opened over the pool's life (tests and the benchmark count them). */
  opened = 0

  /** Sends `query` to `server`; the listener hears the datagrams that carry its ID until `done`. */
  send(server: DnsServer, query: Buffer, listener: Listener): PooledQuery {
    const entry = this.pick(server)
    let id = query.readUInt16BE(0)
    while (entry.pending.has(id)) id = queryId()
    query.writeUInt16BE(id, 0)
    entry.pending.set(id, listener)
    entry.uses++
    if (entry.uses >= MAX_USES) entry.retired = true
    if (entry.connected) this.transmit(entry, query)
    else entry.queue.push(query)
    return {
      id,
      done: () => {
        if (entry.pending.get(id) !== listener) return
        entry.pending.delete(id)
        if (entry.retired && entry.pending.size === 0) this.close(server, entry)
      },
    }
  }

  private transmit(entry: PoolSocket, query: Buffer): void {
    entry.socket.send(query, (error) => {
      if (error) this.fail(entry, error)
    })
  }

  private fail(entry: PoolSocket, error: NodeJS.ErrnoException): void {
    for (const listener of [...entry.pending.values()]) listener.onError(error)
  }

  private pick(server: DnsServer): PoolSocket {
    const key = `${server.host}|${server.port}`
    const list = this.servers.get(key) ?? []
    this.servers.set(key, list)
    const open = list.filter((s) => !s.retired)
    if (open.length >= SOCKETS_PER_SERVER || (open.length > 0 && open.some((s) => s.pending.size === 0))) {
      return open.reduce((a, b) => (b.pending.size < a.pending.size ? b : a))
    }
    const socket = dgram.createSocket({type: isIP(server.host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup})
    this.opened++
    const entry: PoolSocket = {socket, pending: new Map(), uses: 0, connected: false, queue: [], retired: false}
    socket.unref()
    socket.on('message', (message: Buffer) => {
      if (message.length < 2) return
      entry.pending.get(message.readUInt16BE(0))?.onMessage(message)
    })
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(entry, error))
    socket.connect(server.port, server.host, () => {
      entry.connected = true
      for (const query of entry.queue.splice(0)) this.transmit(entry, query)
    })
    list.push(entry)
    return entry
  }

  private close(server: DnsServer, entry: PoolSocket): void {
    const key = `${server.host}|${server.port}`
    const list = this.servers.get(key)
    if (list) list.splice(list.indexOf(entry), 1)
    entry.socket.close()
  }
}

/** --qps: query starts spaced 1/qps seconds apart. */
export class Pacer {
  private next = 0

  constructor(private readonly qps: number) {}

  /** Resolves when the next query may start. */
  turn(): Promise<void> {
    const now = performance.now()
    const at = Math.max(now, this.next)
    this.next = at + 1000 / this.qps
    return at <= now ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, at - now))
  }
}
