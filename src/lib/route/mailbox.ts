import {isMaildigError, MaildigError} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import type {DnsResolver, SrvRecord} from '../dns/resolver.js'
import {Connection} from '../net/connection.js'
import {Transcript} from '../net/transcript.js'
import {inspectTls, type TlsInfo} from '../tls/inspect.js'
import type {NetContext} from '../net/context.js'
import type {ServiceProbe, SrvLookup} from './schema.js'

export type {ServiceProbe, SrvLookup}

/** The mailbox services a domain can publish (RFC 6186 §3.2), implicit TLS first (RFC 8314 §5.1). */
export const MAILBOX_SERVICES = ['imaps', 'imap', 'pop3s', 'pop3'] as const
export type MailboxService = (typeof MAILBOX_SERVICES)[number]


/** SRV records in the order a client tries them: priority, then weight (highest first, as a fixed stand-in for RFC 2782's weighted random). */
export async function lookupSrv(resolver: DnsResolver, name: string): Promise<SrvLookup> {
  const answer = await resolver.query(name, 'SRV')
  const records = [...answer.records].sort((a: SrvRecord, b: SrvRecord) => a.priority - b.priority || b.weight - a.weight)
  // A lone "." target says the service is decidedly not available at this domain (RFC 2782, RFC 6186 §3.4).
  if (records.length === 1 && (records[0].target === '.' || records[0].target === '')) return {name, status: 'unavailable', records: []}
  return {name, status: answer.status, records: records.map((r) => ({priority: r.priority, weight: r.weight, port: r.port, target: r.target.replace(/\.$/, '')}))}
}

export interface ServiceProbeOptions {
  net?: NetContext
  certDays?: number
  transcript?: Transcript
}

/**
 * Greets an IMAP or POP3 server and secures the session (implicit TLS, or STARTTLS / STLS),
 * then leaves (LOGOUT / QUIT): no login, nothing read from any mailbox.
 */
export async function probeMailboxServer(service: MailboxService, host: string, port: number, options: ServiceProbeOptions): Promise<{probe: ServiceProbe; findings: Finding[]}> {
  const started = performance.now()
  const findings: Finding[] = []
  const implicit = service === 'imaps' || service === 'pop3s'
  const imap = service.startsWith('imap')
  const probe: ServiceProbe = {service, host, port, address: null, ok: false, greeting: null, tlsMode: null, tls: null, error: null, ms: 0}
  let conn: Connection | undefined
  try {
    conn = await Connection.open({host, port, net: options.net, transcript: options.transcript, tls: implicit})
    probe.address = conn.address
    const greeting = await conn.deadline('greeting', conn.readLine())
    probe.greeting = greeting
    if (imap && /^\* BYE/i.test(greeting)) throw new MaildigError('IMAP_GREETING_BYE', 'connection', `${conn.endpoint} greeted with BYE: ${greeting}`, {subject: host})
    if (imap && !/^\* (OK|PREAUTH)/i.test(greeting)) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${conn.endpoint} sent no IMAP greeting: ${greeting.slice(0, 80)}`, {subject: host})
    if (!imap && /^-ERR/i.test(greeting)) throw new MaildigError('POP3_GREETING_ERR', 'connection', `${conn.endpoint} greeted with -ERR: ${greeting}`, {subject: host})
    if (!imap && !/^\+OK/i.test(greeting)) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${conn.endpoint} sent no POP3 greeting: ${greeting.slice(0, 80)}`, {subject: host})
    let tls: TlsInfo | null = null
    if (implicit) {
      probe.tlsMode = 'implicit'
    } else {
      const answer = imap ? await imapCommand(conn, 'm1', 'STARTTLS') : await pop3Command(conn, 'STLS')
      if (answer) {
        await conn.upgradeToTls({kind: 'starttls'})
        probe.tlsMode = 'starttls'
      } else {
        probe.tlsMode = 'none'
        findings.push(finding('STARTTLS_NOT_OFFERED', `${conn.endpoint} (${service}) does not offer ${imap ? 'STARTTLS' : 'STLS'}: logins there travel unencrypted`, host))
      }
    }
    if (conn.tlsSocket) {
      const inspection = inspectTls(conn.tlsSocket, {hostname: host, certDays: options.certDays})
      tls = inspection.tls
      findings.push(...inspection.findings)
    }
    probe.tls = tls
    probe.ok = true
    // Leave politely; the answer does not matter.
    if (imap) conn.writeLine('m9 LOGOUT')
    else conn.writeLine('QUIT')
  } catch (error) {
    if (!isMaildigError(error)) throw error
    probe.error = {code: error.code, message: error.message}
  } finally {
    await conn?.close()
    probe.ms = Math.round((performance.now() - started) * 10) / 10
  }
  return {probe, findings}
}

/** Sends a tagged IMAP command and reads to its tagged answer (bounded): true for OK. */
async function imapCommand(conn: Connection, tag: string, command: string): Promise<boolean> {
  conn.writeLine(`${tag} ${command}`)
  for (let i = 0; i < 50; i++) {
    const line = await conn.deadline('reply', conn.readLine(), command)
    if (line.startsWith(`${tag} `)) return /^\S+ OK/i.test(line)
  }
  throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${conn.endpoint}: no answer to ${command} within 50 lines`)
}

async function pop3Command(conn: Connection, command: string): Promise<boolean> {
  conn.writeLine(command)
  const line = await conn.deadline('reply', conn.readLine(), command)
  return /^\+OK/i.test(line)
}
