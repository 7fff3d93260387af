import {connect as netConnect, type Socket} from 'node:net'
import type {ConnectionOptions, TLSSocket} from 'node:tls'
import {nodeTls} from '../builtins.js'
import {fromSocketError, MaildigError} from '../errors.js'
import {elapsedMs, timeoutError, type StageTimeouts} from '../net/deadline.js'
import type {Transcript} from '../net/transcript.js'
import {secureContextFor, type CaInput} from '../tls/trust.js'
import {tlsError} from '../net/connection.js'

// Types only (erased at build): imapflow itself loads lazily, in checkImap.
type ImapTransport = import('imapflow').ImapTransport
type ImapTransportSocket = import('imapflow').ImapTransportSocket

/** What the transport saw: the phases' timings and the TLS socket, for tls/inspect. */
export interface TransportRecord {
  connectMs?: number
  /** The TLS handshake alone (implicit, or after STARTTLS). */
  tlsMs?: number
  /** When the session could begin (TCP up, and TLS for implicit TLS): the greeting's clock starts. */
  readyAt?: number
  tlsSocket?: TLSSocket
  tlsKind?: 'implicit' | 'starttls'
  localAddress?: string
}

export interface ImapTransportOptions {
  /** The address to connect to (resolved by the caller through maildig's resolver). */
  address: string
  port: number
  /** `host [address]:port`, for messages. */
  endpoint: string
  /** SNI, and the name the certificate is judged against; undefined for an IP literal (RFC 6066 §3). */
  servername?: string
  ca?: CaInput
  localAddress?: string
  timeouts: StageTimeouts
  transcript: Transcript
  /** Every failure the transport sees, mapped to a MaildigError (the first one is what is reported). */
  onFailure: (error: MaildigError) => void
}

/**
 * imapflow's `transport` option over node:net and node:tls, so that maildig owns the sockets:
 * the address is the one maildig's resolver found (imapflow has no `lookup` option), the connect
 * and TLS stages get their own deadlines and timings, the source address can be chosen, and the
 * TLS socket is at hand for the certificate report. Certificates are not rejected here
 * (`rejectUnauthorized: false`): tls/inspect judges them, and check.ts withholds credentials
 * from a session whose certificate fails (AUTH_INSECURE).
 */
export function createImapTransport(options: ImapTransportOptions): {transport: ImapTransport; record: TransportRecord} {
  const record: TransportRecord = {}
  const {transcript, endpoint, timeouts} = options
  const tlsOptions = (): ConnectionOptions => ({
    servername: options.servername,
    // Node's authorities plus --ca-file (cached: building a context parses ~150 roots).
    secureContext: secureContextFor({ca: options.ca}),
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  })
  const sni = options.servername ? ` (SNI ${options.servername})` : ' (no SNI: IP literal)'

  const transport: ImapTransport = {
    connect(connectOptions, onConnect) {
      const secure = connectOptions.secure
      let stage: 'connect' | 'tls' | 'session' = 'connect'
      // Built before the clock starts: the first secure context parses Node's ~150 roots.
      const tlsConnectOptions = secure ? tlsOptions() : undefined
      transcript.info(`connecting to ${endpoint}${options.localAddress ? ` from ${options.localAddress}` : ''}${secure ? ', TLS from the first byte' : ''}`)
      const started = performance.now()
      let tlsStarted = started
      const socket: Socket = tlsConnectOptions
        ? // localAddress reaches net.Socket#connect (tls.connect passes its options on); the typings omit it.
          nodeTls().connect({host: options.address, port: options.port, localAddress: options.localAddress, ...tlsConnectOptions} as ConnectionOptions)
        : netConnect({host: options.address, port: options.port, localAddress: options.localAddress})
      let timer: NodeJS.Timeout | undefined
      const arm = (which: 'connect' | 'tls') => {
        clearTimeout(timer)
        const ms = timeouts[which]
        if (!(ms > 0) || !Number.isFinite(ms)) return
        timer = setTimeout(() => {
          const error = which === 'tls' ? tlsTimeout(endpoint, ms, options.port, 'implicit') : timeoutError('connect', endpoint, ms)
          options.onFailure(error)
          socket.destroy(error)
        }, ms)
      }
      arm('connect')
      socket.once('connect', () => {
        record.connectMs = elapsedMs(started)
        record.localAddress = socket.localAddress
        transcript.info(`connected from ${socket.localAddress}:${socket.localPort}`)
        if (secure) {
          stage = 'tls'
          tlsStarted = performance.now()
          transcript.info(`TLS handshake${sni}`)
          arm('tls')
        } else {
          clearTimeout(timer)
          stage = 'session'
        }
      })
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer)
        if (secure) {
          record.tlsMs = elapsedMs(tlsStarted)
          record.tlsSocket = socket as TLSSocket
          record.tlsKind = 'implicit'
          transcript.info(established(socket as TLSSocket), true)
        }
        stage = 'session'
        record.readyAt = performance.now()
        onConnect()
      })
      socket.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (error instanceof MaildigError) return
        options.onFailure(stage === 'tls' ? handshakeError('TLS_FAILED', error, endpoint, options.port, 'implicit') : fromSocketError(error, endpoint))
      })
      socket.once('close', () => clearTimeout(timer))
      return socket as unknown as ImapTransportSocket
    },

    upgrade(socketPlain, _upgradeOptions, onSecure) {
      transcript.info(`TLS handshake${sni}`)
      const upgradeOptions = tlsOptions()
      const started = performance.now()
      const secure = nodeTls().connect({socket: socketPlain as unknown as Socket, ...upgradeOptions})
      let done = false
      let timer: NodeJS.Timeout | undefined
      const ms = timeouts.tls
      if (ms > 0 && Number.isFinite(ms)) {
        timer = setTimeout(() => {
          const error = tlsTimeout(endpoint, ms, options.port, 'starttls')
          options.onFailure(error)
          secure.destroy(error)
        }, ms)
      }
      secure.once('secureConnect', () => {
        clearTimeout(timer)
        done = true
        record.tlsMs = elapsedMs(started)
        record.tlsSocket = secure
        record.tlsKind = 'starttls'
        transcript.info(established(secure), true)
        onSecure()
      })
      secure.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (error instanceof MaildigError) return
        options.onFailure(done ? fromSocketError(error, endpoint) : handshakeError('STARTTLS_FAILED', error, endpoint, options.port, 'starttls'))
      })
      secure.once('close', () => clearTimeout(timer))
      return secure as unknown as ImapTransportSocket
    },
  }
  return {transport, record}
}

function established(socket: TLSSocket): string {
  const trust = socket.authorized ? 'trusted' : `not trusted (${String(socket.authorizationError)})`
  return `TLS established: ${socket.getProtocol() ?? '?'}, ${socket.getCipher()?.name ?? '?'}; certificate ${trust}`
}

function tlsTimeout(endpoint: string, ms: number, port: number, kind: 'implicit' | 'starttls'): MaildigError {
  const base = timeoutError('tls', endpoint, ms)
  const hint = kind === 'implicit' && port !== 993 ? `; port ${port} may not speak TLS from the first byte (try --tls starttls)` : ''
  return new MaildigError(base.code, base.category, `${base.message}${hint}`, {subject: endpoint, temporary: true})
}

/** A failed handshake: the shared explanation, with IMAP's own hint for a server that answered without TLS. */
function handshakeError(code: 'TLS_FAILED' | 'STARTTLS_FAILED', error: NodeJS.ErrnoException, endpoint: string, port: number, kind: 'implicit' | 'starttls'): MaildigError {
  const notTls =
    kind === 'implicit'
      ? `: the server answered without TLS — port ${port} speaks plaintext IMAP first${port === 143 ? ' (port 143 is STARTTLS: use --tls starttls, or --port 993 for TLS)' : ' (try --tls starttls)'}`
      : ': the server did not answer in TLS after agreeing to STARTTLS'
  return tlsError(code, error, endpoint, notTls)
}
