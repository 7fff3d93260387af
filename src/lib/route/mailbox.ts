import {isMaildigError, partialOf} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import type {DnsResolver, SrvRecord} from '../dns/resolver.js'
import {greetImap} from '../imap/greet.js'
import {greetPop3} from '../pop3/client.js'
import {Transcript} from '../net/transcript.js'
import {inspectTls} from '../tls/inspect.js'
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
 * Greets an IMAP or POP3 server and secures the session (implicit TLS, or STARTTLS / STLS), then
 * leaves (LOGOUT / QUIT): no login, nothing read from any mailbox. The protocol steps are
 * imap/greet.ts's and pop3/client.ts's; this judges what they saw.
 */
export async function probeMailboxServer(service: MailboxService, host: string, port: number, options: ServiceProbeOptions): Promise<{probe: ServiceProbe; findings: Finding[]}> {
  const started = performance.now()
  const findings: Finding[] = []
  const imap = service.startsWith('imap')
  const probe: ServiceProbe = {service, host, port, address: null, ok: false, greeting: null, tlsMode: null, tls: null, error: null, ms: 0}
  const session = {host, port, net: options.net, transcript: options.transcript, implicitTls: service === 'imaps' || service === 'pop3s'}
  try {
    const {client, greeting, tlsMode} = imap ? await greetImap(session) : await greetPop3(session)
    probe.address = client.remoteAddress ?? null
    probe.greeting = greeting
    probe.tlsMode = tlsMode
    if (tlsMode === 'none') {
      findings.push(finding('STARTTLS_NOT_OFFERED', `${client.endpoint} (${service}) does not offer ${imap ? 'STARTTLS' : 'STLS'}: logins there travel unencrypted`, host))
    }
    if (client.tlsSocket) {
      const inspection = inspectTls(client.tlsSocket, {hostname: host, certDays: options.certDays})
      probe.tls = inspection.tls
      findings.push(...inspection.findings)
    }
    probe.ok = true
    await client.close()
  } catch (error) {
    if (!isMaildigError(error)) throw error
    probe.address = partialOf<{address: string | null}>(error)?.address ?? null
    probe.error = {code: error.code, message: error.message}
  } finally {
    probe.ms = Math.round((performance.now() - started) * 10) / 10
  }
  return {probe, findings}
}
