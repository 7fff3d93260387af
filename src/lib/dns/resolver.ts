import dgram from 'node:dgram'
import net from 'node:net'
import {nodeDns} from '../builtins.js'
import * as packet from 'dns-packet'
import {queryId} from './query-id.js'
import {InvalidValueError} from '../errors.js'
import {isIP, isIPv4} from '../net/ip.js'
import {DEFAULT_TIMEOUT_MS} from '../net/deadline.js'
import {DnsCache} from './answer-cache.js'
import {Pacer, UdpPool} from './pool.js'

/**
 * The DNS layer. node:dns on Node 20 has no TLSA, no AD flag, few TTLs and folds NXDOMAIN and NODATA
 * together, so queries go out as dns-packet messages over UDP, with TCP when the answer is truncated.
 * Every query has one deadline (the --timeout stage); retries and the other servers fit inside it.
 */

export interface DnsServer {
  host: string
  port: number
}

export type RecordType = 'A' | 'AAAA' | 'MX' | 'PTR' | 'TXT' | 'SRV' | 'CNAME' | 'TLSA'

/** Distinct outcomes: a domain that does not exist is not a domain without that record type. */
export type DnsStatus = 'ok' | 'nodata' | 'nxdomain' | 'servfail' | 'refused' | 'timeout' | 'malformed' | 'error'

export interface MxRecord { preference: number; exchange: string; ttl: number }
export interface AddressRecord { address: string; ttl: number }
export interface NameRecord { name: string; ttl: number }
export interface TxtRecord { text: string; chunks: string[]; ttl: number }
export interface SrvRecord { priority: number; weight: number; port: number; target: string; ttl: number }
export interface CnameRecord { target: string; ttl: number }
export interface TlsaRecord { usage: number; selector: number; matchingType: number; data: string; ttl: number }

export interface RecordMap {
  A: AddressRecord
  AAAA: AddressRecord
  MX: MxRecord
  PTR: NameRecord
  TXT: TxtRecord
  SRV: SrvRecord
  CNAME: CnameRecord
  TLSA: TlsaRecord
}

export interface DnsAnswer<T extends RecordType = RecordType> {
  name: string
  type: T
  status: DnsStatus
  /** The response code as the server sent it (NOERROR, NXDOMAIN, SERVFAIL, …), or null without a response. */
  rcode: string | null
  records: RecordMap[T][]
  /** Aliases followed on the way to the answer, in order. */
  cnames: {name: string; target: string; ttl: number}[]
  /** The resolver vouches for the answer (DNSSEC-validated, RFC 4035 §3.2.3). Meaningful only from a validating resolver you trust. */
  authenticated: boolean
  server: string | null
  transport: 'udp' | 'tcp' | null
  ms: number
  /** Why there is no answer, in words. */
  detail?: string
}

export interface ResolverOptions {
  servers?: DnsServer[]
  timeoutMs?: number
  /**
   * A batch run's resolver (docs/cli.md "Batch runs"): answers kept for their TTL and shared by
   * concurrent askers (answer-cache.ts), queries multiplexed over a few sockets per server (pool.ts), and
   * with `qps`, query starts spaced to at most that many per second.
   */
  batch?: {qps?: number}
}

/** Parses `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT`; a bare IPv6 address has no port. */
export function parseServer(text: string): DnsServer | string {
  const value = text.trim()
  let host = value
  let portText: string | undefined
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(value)
  if (bracket) {
    host = bracket[1]
    portText = bracket[2]
  } else if (isIPv4(value.split(':')[0]) && value.includes(':')) {
    ;[host, portText] = value.split(/:(.*)/s)
  }
  if (!isIP(host)) return `"${value}" is not an IP address (write IP, IP:PORT or [IPv6]:PORT)`
  if (portText === undefined) return {host, port: 53}
  if (!/^\d{1,5}$/.test(portText)) return `"${portText}" is not a port number`
  const port = Number(portText)
  if (port < 1 || port > 65535) return `port ${port} is out of range (1-65535)`
  return {host, port}
}

export function formatServer(server: DnsServer): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`
}

/**
 * dgram's name lookup for a DNS server, which is always an IP address (parseServer): handed back as it is, so that
 * dgram does not load node:dns for it.
 */
function literalLookup(address: string, _options: unknown, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  callback(null, address, isIP(address) || 4)
}

/** The servers in /etc/resolv.conf, as Node reads them. */
export function systemServers(): DnsServer[] {
  const servers = nodeDns()
    .getServers()
    .map((s) => parseServer(s))
    .filter((s): s is DnsServer => typeof s !== 'string')
  return servers.length > 0 ? servers : [{host: '127.0.0.1', port: 53}]
}

const RCODE_STATUS: Record<string, DnsStatus> = {NXDOMAIN: 'nxdomain', SERVFAIL: 'servfail', REFUSED: 'refused'}
/** A UDP answer bigger than this is asked for over TCP instead (the DNS Flag Day 2020 size). */
const UDP_PAYLOAD = 1232
/** How many sends fit in one deadline at least: the first at 0, then evenly spread; every server gets one. */
const MIN_ATTEMPTS = 3

type Decoded = packet.Packet & {rcode?: string; flag_ad?: boolean; flag_tc?: boolean}

export class DnsResolver {
  readonly timeoutMs: number
  /** Whether the user chose the servers (--resolver): then no name may reach the system resolver. */
  readonly explicit: boolean
  private chosen: DnsServer[] | undefined
  /** A batch run's: see ResolverOptions.batch. */
  readonly cache?: DnsCache<DnsAnswer>
  readonly pool?: UdpPool
  private readonly pacer?: Pacer

  constructor(options: ResolverOptions = {}) {
    this.explicit = Boolean(options.servers && options.servers.length > 0)
    this.chosen = this.explicit ? options.servers : undefined
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    if (options.batch) {
      this.cache = new DnsCache()
      this.pool = new UdpPool()
      if (options.batch.qps) this.pacer = new Pacer(options.batch.qps)
    }
  }

  /** The servers asked: --resolver's, or the system's, read when first needed (a run may ask no DNS at all). */
  get servers(): DnsServer[] {
    return (this.chosen ??= systemServers())
  }

  async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    if (!this.cache) return (await this.ask(name, type)).answer
    const key = `${name.replace(/\.$/, '').toLowerCase()} ${type}`
    return this.cache.get(key, async () => {
      await this.pacer?.turn()
      const {answer, ttl} = await this.ask(name, type)
      return {value: answer, ttl}
    }) as Promise<DnsAnswer<T>>
  }

  /** One question on the wire, and how long its answer may be kept (0: not at all). */
  private async ask<T extends RecordType>(name: string, type: T): Promise<{answer: DnsAnswer<T>; ttl: number}> {
    const started = performance.now()
    const qname = name.replace(/\.$/, '')
    let response: {packet: Decoded; server: DnsServer; transport: 'udp' | 'tcp'} | {error: string; status: DnsStatus}
    try {
      response = await this.exchange(qname, type, started)
    } catch (error) {
      // A TCP fallback that ran out of time says so (status 'timeout': DNS_TIMEOUT, exit 5), not a failure.
      response = {error: (error as Error).message, status: (error as {status?: DnsStatus}).status ?? 'error'}
    }
    const ms = performance.now() - started
    if ('error' in response) {
      const answer = newAnswer(qname, type, response.status, null, null, null, ms)
      answer.detail = response.error
      return {answer, ttl: 0}
    }
    const {packet: reply, server, transport} = response
    const rcode = reply.rcode ?? 'NOERROR'
    const answer = newAnswer(qname, type, 'ok', rcode, formatServer(server), transport, ms)
    answer.authenticated = Boolean(reply.flag_ad)
    if (rcode !== 'NOERROR') {
      answer.status = RCODE_STATUS[rcode] ?? 'error'
      answer.detail = `the server answered ${rcode}`
      return {answer, ttl: rcode === 'NXDOMAIN' ? negativeTtl(reply) : 0}
    }
    // Follow the CNAME chain inside the answer section (RFC 1034 §3.6.2), then keep records of the asked type at its end.
    let owner = qname.toLowerCase()
    const answers = (reply.answers ?? []) as packet.Answer[]
    for (let hops = 0; hops < 16; hops++) {
      const alias = answers.find((a) => a.type === 'CNAME' && a.name.toLowerCase() === owner) as packet.StringAnswer | undefined
      if (!alias || type === 'CNAME') break
      answer.cnames.push({name: alias.name, target: alias.data, ttl: alias.ttl ?? 0})
      owner = alias.data.toLowerCase()
    }
    answer.records = answers
      .filter((a) => a.type === type && a.name.toLowerCase() === owner)
      .map((a) => toRecord(type, a)) as RecordMap[T][]
    if (answer.records.length === 0) {
      answer.status = 'nodata'
      answer.detail = answer.cnames.length > 0 ? `alias of ${owner}, which has no ${type} record` : `no ${type} record`
      return {answer, ttl: negativeTtl(reply)}
    }
    return {answer, ttl: Math.min(...answer.records.map((r) => r.ttl), ...answer.cnames.map((c) => c.ttl))}
  }

  private async exchange(name: string, type: RecordType, started: number) {
    const deadline = started + this.timeoutMs
    const udp = await this.udpExchange(name, type, deadline)
    if ('error' in udp) return udp
    if (!udp.packet.flag_tc) return udp
    // Truncated: the full answer only comes over TCP (RFC 7766).
    const remaining = deadline - performance.now()
    if (remaining <= 0) return {error: 'the truncated answer could not be fetched over TCP in time', status: 'timeout' as const}
    const tcp = await tcpExchange(udp.server, encodeQuery(name, type), remaining)
    return {packet: tcp, server: udp.server, transport: 'tcp' as const}
  }

  private udpExchange(name: string, type: RecordType, deadline: number): Promise<{packet: Decoded; server: DnsServer; transport: 'udp'} | {error: string; status: DnsStatus}> {
    return new Promise((resolve) => {
      /** Closes each send's socket (or hands its pooled ID back). */
      const releases: (() => void)[] = []
      const timers: NodeJS.Timeout[] = []
      const errors: string[] = []
      let failed: {packet: Decoded; server: DnsServer} | undefined
      /** The last answer that could not be decoded: what to report at the deadline instead of "no answer". */
      let malformed: string | undefined
      const ATTEMPTS = Math.max(MIN_ATTEMPTS, this.servers.length)
      let sent = 0
      let finished = false
      const finish = (value: {packet: Decoded; server: DnsServer; transport: 'udp'} | {error: string; status: DnsStatus}) => {
        if (finished) return
        finished = true
        for (const t of timers) clearTimeout(t)
        for (const release of releases) release()
        resolve(value)
      }
      const send = () => {
        if (finished || sent >= ATTEMPTS) return
        const server = this.servers[sent % this.servers.length]
        sent++
        const query = encodeQuery(name, type)
        let id = query.readUInt16BE(0)
        const onError = (error: NodeJS.ErrnoException) => {
          errors.push(error.code === 'ECONNREFUSED' ? `nothing answers DNS at ${formatServer(server)}` : `${formatServer(server)}: ${error.message}`)
          // Try the next send now rather than waiting for its timer; give up once every send failed.
          if (sent < ATTEMPTS) send()
          else if (errors.length >= sent) finish({error: [...new Set(errors)].join('; '), status: 'error'})
        }
        const onMessage = (message: Buffer) => {
          let decoded: Decoded
          try {
            decoded = packet.decode(message) as Decoded
          } catch (error) {
            malformed = `${formatServer(server)} sent a malformed answer (${describeDecodeError(error)})`
            // A response to this very query (its id, the QR bit) that cannot be read is the server's
            // answer: another server may do better, else it is final. Anything else may be a stray or
            // spoofed datagram: keep waiting for the real answer until the deadline.
            if (message.length >= 3 && message.readUInt16BE(0) === id && (message[2] & 0x80) !== 0) {
              if (this.servers.length > 1 && sent < ATTEMPTS) send()
              else finish({error: malformed, status: 'malformed'})
            }
            return
          }
          if (decoded.id !== id) return
          if (!sameQuestion(decoded, name, type)) {
            // Our id, but not our question (or none, with impossible counts): the server's answer is broken.
            malformed = `${formatServer(server)} sent a malformed answer (it does not repeat the question)`
            if (this.servers.length > 1 && sent < ATTEMPTS) send()
            else finish({error: malformed, status: 'malformed'})
            return
          }
          const rcode = decoded.rcode ?? 'NOERROR'
          // A server that fails or refuses is worth one more try at another server, if there is one.
          if ((rcode === 'SERVFAIL' || rcode === 'REFUSED') && this.servers.length > 1 && sent < ATTEMPTS) {
            failed = {packet: decoded, server}
            send()
            return
          }
          finish({packet: decoded, server, transport: 'udp'})
        }
        if (this.pool) {
          // A batch run: the pool's shared sockets, this query told apart by its ID.
          const pooled = this.pool.send(server, query, {onMessage, onError})
          id = pooled.id
          releases.push(pooled.done)
          return
        }
        const socket = dgram.createSocket({type: isIP(server.host) === 6 ? 'udp6' : 'udp4', lookup: literalLookup})
        releases.push(() => socket.close())
        socket.on('error', onError)
        socket.on('message', onMessage)
        // A connect that fails (no route: ENETUNREACH; a broadcast address: EACCES) hands its error to this callback
        // and leaves the socket unconnected, where send(query, callback) would read the callback as a port and throw.
        socket.connect(server.port, server.host, (connectError?: Error) => {
          if (connectError) return void socket.emit('error', connectError)
          socket.send(query, (error) => {
            if (error) socket.emit('error', error)
          })
        })
      }
      send()
      for (let i = 1; i < ATTEMPTS; i++) {
        const at = (this.timeoutMs * i) / ATTEMPTS
        timers.push(setTimeout(send, Math.max(0, deadline - this.timeoutMs + at - performance.now())))
      }
      timers.push(
        setTimeout(() => {
          if (failed) finish({...failed, transport: 'udp'})
          else if (malformed) finish({error: malformed, status: 'malformed'})
          else if (errors.length > 0 && errors.length >= sent) finish({error: [...new Set(errors)].join('; '), status: 'error'})
          else finish({error: `no answer from ${this.servers.map(formatServer).join(', ')} within ${this.timeoutMs} ms`, status: 'timeout'})
        }, Math.max(0, deadline - performance.now())),
      )
    })
  }
}

/**
 * An answer with every field but `detail` written out in one literal, in one order. Not `{...base, status, …}`: on
 * Node 20 (V8 11.3) an object that starts with a spread and then gains a property gets a hidden class (map) of its own,
 * allocated straight into the old generation, so every answer of a batch run left about 300 bytes there that only a
 * full collection frees (docs/testing.md "Batch runs"). Objects made by one literal share one map.
 */
function newAnswer<T extends RecordType>(name: string, type: T, status: DnsStatus, rcode: string | null, server: string | null, transport: 'udp' | 'tcp' | null, ms: number): DnsAnswer<T> {
  return {name, type, records: [], cnames: [], authenticated: false, status, rcode, server, transport, ms}
}

/**
 * How long a negative answer may be kept: the SOA record's TTL or its MINIMUM field, whichever is
 * less (RFC 2308 §5); without an SOA in the authority section, not at all (§5 again).
 */
function negativeTtl(reply: Decoded): number {
  const soa = (reply.authorities ?? []).find((a) => a.type === 'SOA') as {ttl?: number; data?: {minimum?: number}} | undefined
  return soa ? Math.min(soa.ttl ?? 0, soa.data?.minimum ?? 0) : 0
}

function encodeQuery(name: string, type: RecordType): Buffer {
  return packet.encode({
    type: 'query',
    id: queryId(),
    // RD: recurse for us. AD in a query asks the resolver to report validation (RFC 6840 §5.7).
    flags: packet.RECURSION_DESIRED | packet.AUTHENTIC_DATA,
    questions: [{type, name, class: 'IN'}],
    additionals: [{type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD, flags: 0, options: []} as unknown as packet.Answer],
  })
}

function sameQuestion(reply: Decoded, name: string, type: RecordType): boolean {
  const q = reply.questions?.[0]
  return Boolean(q && q.type === type && q.name.toLowerCase() === name.toLowerCase())
}

/** DNS over TCP: a two-byte length, then the message (RFC 1035 §4.2.2). Replies are at most 64 KiB by construction. */
function tcpExchange(server: DnsServer, query: Buffer, timeoutMs: number): Promise<Decoded> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: server.host, port: server.port})
    const chunks: Buffer[] = []
    let length = 0
    const timer = setTimeout(() => {
      socket.destroy()
      reject(Object.assign(new Error(`no TCP answer from ${formatServer(server)} in time`), {status: 'timeout'}))
    }, timeoutMs)
    socket.on('connect', () => {
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16BE(query.length)
      socket.write(Buffer.concat([prefix, query]))
    })
    socket.on('data', (data) => {
      chunks.push(data)
      length += data.length
      const all = Buffer.concat(chunks, length)
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        clearTimeout(timer)
        socket.destroy()
        let reply: Decoded
        try {
          reply = packet.decode(all.subarray(2, 2 + all.readUInt16BE(0))) as Decoded
        } catch (error) {
          reject(Object.assign(new Error(`${formatServer(server)} sent a malformed answer over TCP (${describeDecodeError(error)})`), {status: 'malformed'}))
          return
        }
        // The same checks as over UDP: the answer must be to this query.
        if (reply.id !== query.readUInt16BE(0)) reject(new Error(`${formatServer(server)} answered another query over TCP`))
        else resolve(reply)
      }
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/**
 * dns-packet's reason, in words: "Cannot decode name (bad pointer)" is a compression-pointer loop,
 * a read past the end is a record count the message does not hold (RFC 1035 §4.1.1).
 */
function describeDecodeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  if (/bad pointer/.test(message)) return 'a name\'s compression pointer loops or points forward'
  if (/Header must be/.test(message)) return 'shorter than a DNS header'
  if (/overflow|out of range|outside|beyond/i.test(message) || error instanceof RangeError) return 'it is shorter than its record counts say'
  if (/bad label/.test(message)) return 'not a DNS message'
  return message
}

function toRecord(type: RecordType, answer: packet.Answer): RecordMap[RecordType] {
  const ttl = (answer as {ttl?: number}).ttl ?? 0
  const data = (answer as {data: unknown}).data as never
  switch (type) {
    case 'A':
    case 'AAAA':
      return {address: data, ttl}
    case 'PTR':
      return {name: data, ttl}
    case 'CNAME':
      return {target: data, ttl}
    case 'MX': {
      const mx = data as {preference: number; exchange: string}
      return {preference: mx.preference, exchange: mx.exchange, ttl}
    }
    case 'SRV': {
      const srv = data as {priority: number; weight: number; port: number; target: string}
      return {priority: srv.priority, weight: srv.weight, port: srv.port, target: srv.target, ttl}
    }
    case 'TXT': {
      // One TXT record may hold several character-strings; SPF and friends join them with nothing between (RFC 7208 §3.3).
      const parts = (Array.isArray(data) ? data : [data]) as (Uint8Array | string)[]
      const chunks = parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('utf8')))
      return {text: chunks.join(''), chunks, ttl}
    }
    case 'TLSA': {
      const t = data as {usage: number; selector: number; matchingType: number; certificate: Buffer}
      return {usage: t.usage, selector: t.selector, matchingType: t.matchingType, data: Buffer.from(t.certificate).toString('hex'), ttl}
    }
  }
}

/** Parses DNS server values (each may be a comma list); a bad one is an InvalidValueError of the field `servers`. */
export function parseServers(values: readonly string[]): DnsServer[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => {
      const parsed = parseServer(v)
      if (typeof parsed === 'string') throw new InvalidValueError('servers', parsed)
      return parsed
    })
}
