import {randomBytes} from 'node:crypto'
import type {MailAddress} from '../address.js'
import {lookupAll} from '../dns/lookup.js'
import {isMaildigError, MaildigError, withPartial} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {MAX_HEADER_BYTES} from '../headers/message.js'
import type {ImapTlsMode} from '../imap/schema.js'
import {lookupOf, type ResolverContext} from '../net/context.js'
import {Transcript, type TranscriptLine} from '../net/transcript.js'
import type {Pop3AuthMethod} from '../pop3/client.js'
import type {Pop3TlsMode} from '../pop3/list.js'
import {compareRoutes} from '../route/compare.js'
import {lookupSrv} from '../route/mailbox.js'
import {analyzeMessage} from '../route/observed.js'
import {predictRoute, type PredictedRoute} from '../route/predict.js'
import {composeMessage} from '../send/compose.js'
import type {Delivery, SendTlsMode} from '../send/deliver.js'
import {sendMessage, type SendRoute} from '../send/route.js'
import type {RoundtripAuthentication, RoundtripResult, RoundtripStage} from './schema.js'

export type {RoundtripResult}

/** RFC 6186 §3.2 services, implicit TLS first (RFC 8314 §5.1), with the TLS each means. */
const SRV_SERVICES = {
  imap: [
    {service: 'imaps', tls: 'implicit'},
    {service: 'imap', tls: 'starttls'},
  ],
  pop3: [
    {service: 'pop3s', tls: 'implicit'},
    {service: 'pop3', tls: 'starttls'},
  ],
} as const
const DEFAULT_PORTS = {imap: 993, pop3: 995} as const

export interface RoundtripOptions {
  from: MailAddress
  to: MailAddress
  /** Through a submission server (host, port, TLS as send's --server and --tls), or straight to the MX hosts. */
  submission: {kind: 'server'; host: string; port: number; tls: SendTlsMode} | {kind: 'mx'; tls: SendTlsMode}
  user?: string
  password?: string
  ehloName?: string
  allowInsecureAuth: boolean
  mailbox: {
    protocol: 'imap' | 'pop3'
    /** Found by SRV (RFC 6186) from the mailbox user's domain when absent. */
    host?: string
    port?: number
    tls?: ImapTlsMode | Pop3TlsMode
    user: string
    password: string
    /** IMAP: where to wait (default INBOX). */
    folder?: string
    pop3Auth?: Pop3AuthMethod
  }
  waitMs: number
  /** Remove the message afterwards (IMAP with UIDPLUS only). */
  cleanup: boolean
  /** Predict the route as `trace` does and compare it with the one the message took. */
  predict: boolean
  net: ResolverContext
  certDays?: number
  transcript: Transcript
  clientVersion?: string
  /** Polling interval (IMAP without IDLE: NOOP; POP3: a new session). */
  pollMs?: number
  onProgress?: (text: string) => void
}

export interface RoundtripOutcome {
  result: RoundtripResult
  findings: Finding[]
  transcript: TranscriptLine[]
}

/** What the submission side got to know, for the result and for a failure's partial result. */
interface Sent {
  delivery: Delivery
  findings: Finding[]
  startedAt: number
  acceptedAt: number
  dnsMs: number | null
}

/**
 * `roundtrip`: opens the recipient's mailbox (IMAP: EXAMINE; POP3: a first session) so that its
 * login is checked before anything is sent; sends a message carrying a fresh token through
 * `send`'s library; waits for it in the mailbox (IMAP IDLE or NOOP polling, POP3 polling sessions);
 * reads the delivered copy's header only (BODY.PEEK[HEADER], TOP n 0) and judges it as `trace
 * --message` does, beside the route `trace` predicts. The mailbox is only read, unless `cleanup`:
 * then the one message with this run's token is removed by UID (IMAP with UIDPLUS only).
 *
 * Throws (with `partial`) when a stage cannot complete: the mailbox login (nothing was sent then),
 * the submission, the mailbox session during the wait. A message that does not arrive in time is
 * a finding (ROUNDTRIP_NOT_DELIVERED), as is failed authentication at the receiver. The latency
 * (`latencyMs`) is judged by the CLI's --warning/--critical, as every command's measurements are.
 */
export async function runRoundtrip(options: RoundtripOptions): Promise<RoundtripOutcome> {
  const started = performance.now()
  const startedAt = Date.now()
  const at = (epoch: number) => round(epoch - startedAt)
  const {transcript, net} = options
  // imapflow and nodemailer's composer load before the first deadline starts: loading them is this process's own work,
  // which, overlapping the mailbox session's connect and greeting on a loaded machine, let their deadlines pass and blamed
  // the server (CONNECT_TIMEOUT against a local server, in CI). From the CLI's vendor scripts they take about 70 and 30 ms.
  await Promise.all([options.mailbox.protocol === 'imap' ? import('imapflow') : undefined, import('nodemailer/lib/mail-composer')])
  const token = randomBytes(8).toString('hex')
  const now = new Date(startedAt)
  const messageId = `<maildig.${token}.${startedAt}@${options.from.asciiDomain}>`
  const subject = `maildig roundtrip ${token} ${now.toISOString()}`
  // Composed while the mailbox session opens (nodemailer has loaded above); needed only when it is sent.
  const composing = composeMessage({
    from: options.from,
    to: [options.to],
    cc: [],
    subject,
    headers: [`X-Maildig-Roundtrip: ${token}`, `Message-ID: ${messageId}`],
    attachments: [],
    token,
    now,
  })
  composing.catch(() => undefined)
  const stages: RoundtripStage[] = []
  const findings: Finding[] = []
  const mailboxUser = options.mailbox.user
  const partial = () => ({token, messageId, subject, stages: [...stages], transcript: transcript.lines, findings: [...findings], ...(sent ? {submission: submissionOf(sent)} : {})})

  options.onProgress?.('finding the mailbox server')
  const server = await locateMailbox(options).catch((error) => {
    throw isMaildigError(error) ? withPartial(error, partial()) : error
  })
  transcript.info(`mailbox: ${options.mailbox.protocol} ${server.host}:${server.port} (${server.discovery === 'srv' ? 'from SRV' : server.discovery === 'given' ? 'given' : 'no SRV record: the domain itself'})`)

  let sent: Sent | undefined
  let sendError: unknown
  let prediction: Promise<{route: PredictedRoute} | null> = Promise.resolve(null)
  let mailboxStarted = performance.now()
  /** Runs once the mailbox is open and its login checked (the wait's onReady). */
  const send = async () => {
    stages.push({name: 'mailbox-login', ok: true, ms: round(performance.now() - mailboxStarted), endedAtMs: at(Date.now())})
    try {
      sent = await submit(options, await composing, transcript)
    } catch (error) {
      sendError = error
      throw error
    }
    const {delivery} = sent
    if (sent.dnsMs !== null) stages.push({name: 'dns', ok: true, ms: sent.dnsMs, endedAtMs: null})
    stages.push({name: 'connect', ok: true, ms: delivery.timings.connectMs ?? null, endedAtMs: null})
    if (delivery.timings.authMs !== undefined) stages.push({name: 'auth', ok: true, ms: delivery.timings.authMs, endedAtMs: null})
    stages.push({name: 'submission', ok: true, ms: round((delivery.timings.envelopeMs ?? 0) + (delivery.timings.messageMs ?? 0)), endedAtMs: at(sent.acceptedAt)})
    findings.push(...sent.findings)
    if (options.predict) {
      // Beside the wait: the prediction probes the MX hosts up to RCPT TO, never DATA.
      prediction = predictRoute({recipient: options.to, sender: options.from, net, certDays: options.certDays, ehloName: options.ehloName, transcript}).catch((error) => {
        transcript.info(`the route prediction failed: ${(error as Error).message}`)
        return null
      })
    }
    options.onProgress?.(`waiting for the message in ${mailboxUser}'s mailbox`)
  }

  let waited: Waited
  try {
    mailboxStarted = performance.now()
    waited = await waitInMailbox(options, server, messageId, startedAt, send)
  } catch (error) {
    if (sendError !== undefined) throw isMaildigError(sendError) ? withPartial(sendError, partial()) : sendError
    throw isMaildigError(error) ? withPartial(error, partial()) : error
  }
  findings.push(...waited.findings)
  if (!sent) throw new MaildigError('INTERNAL_ERROR', 'internal', 'the mailbox wait ended without sending the message')

  const seenAt = waited.latencyMs === null ? null : startedAt + waited.latencyMs
  const latencyMs = seenAt === null ? null : round(seenAt - sent.startedAt)
  stages.push({name: 'delivery', ok: seenAt !== null, ms: seenAt === null ? null : round(seenAt - sent.acceptedAt), endedAtMs: seenAt === null ? null : at(seenAt)})

  // The delivered copy, read as trace --message reads a file.
  let observed: RoundtripResult['observed'] = null
  let authentication: RoundtripAuthentication | null = null
  if (waited.header) {
    try {
      const analysis = analyzeMessage(waited.header.text)
      observed = analysis.analysis
      authentication = summarize(analysis.analysis)
      // The receiver's verdict on our own message: a failure here is what the round trip is for.
      findings.push(...analysis.findings.map((f) => (f.code === 'AUTHENTICATION_FAILED' ? {...f, severity: 'error' as const} : f)))
    } catch (error) {
      if (!isMaildigError(error)) throw error
      transcript.info(`the delivered header could not be read: ${error.message}`)
    }
  }
  const predicted = (await prediction)?.route ?? null
  const comparison = predicted && observed ? compareRoutes(predicted, observed) : null
  if (comparison && !comparison.matches) {
    // Handed to an MX directly, the message must have entered there. Through a submission server, mail for the
    // provider's own domain is commonly delivered inside it, past no MX: worth saying, not a warning (it would make
    // every monitoring run of the usual set-up a WARNING).
    const severity = options.submission.kind === 'server' ? 'info' : undefined
    findings.push(finding('ROUNDTRIP_ROUTE_UNEXPECTED', comparison.note, options.to.asciiDomain, severity))
  }

  const waitText = formatMs(options.waitMs)
  if (seenAt === null) {
    findings.push(finding('ROUNDTRIP_NOT_DELIVERED', `the message (token ${token}, Message-ID ${messageId}${sent.delivery.queueId ? `, queue id ${sent.delivery.queueId}` : ''}) was not in ${mailboxUser}'s mailbox within ${waitText}`, mailboxUser))
  }
  if (options.cleanup && waited.removal && !waited.removal.removed) {
    findings.push(finding('ROUNDTRIP_CLEANUP_FAILED', `could not remove the message from ${mailboxUser}'s mailbox: ${waited.removal.reason}`, mailboxUser))
  }

  const deliveryMs = seenAt === null ? null : round(seenAt - sent.acceptedAt)
  const timings: Record<string, number> = {}
  for (const stage of stages) if (stage.ms !== null) timings[`${camel(stage.name)}Ms`] = stage.ms
  if (deliveryMs !== null) timings.deliveryMs = deliveryMs
  if (latencyMs !== null) timings.latencyMs = latencyMs
  timings.waitedMs = waited.waitedMs
  timings.totalMs = round(performance.now() - started)

  const result: RoundtripResult = {
    token,
    messageId,
    subject,
    from: options.from.address,
    to: options.to.address,
    delivered: seenAt !== null,
    latencyMs,
    waitMs: options.waitMs,
    stages,
    submission: submissionOf(sent),
    mailbox: {
      protocol: options.mailbox.protocol,
      host: server.host,
      port: server.port,
      address: waited.address,
      discovery: server.discovery,
      tlsMode: waited.tlsMode,
      tls: waited.tls,
      user: mailboxUser,
      folder: options.mailbox.protocol === 'imap' ? (options.mailbox.folder ?? 'INBOX') : null,
      method: waited.method,
      uid: waited.uid,
      checks: waited.checks,
      cleanup: {requested: options.cleanup, removed: waited.removal?.removed ?? false, reason: options.cleanup ? (waited.removal?.reason ?? (seenAt === null ? 'the message did not arrive' : null)) : null},
    },
    header: waited.header ? {bytes: Buffer.byteLength(waited.header.text), truncated: waited.header.truncated} : null,
    observed,
    authentication,
    predicted,
    comparison,
    timings,
  }
  return {result, findings, transcript: transcript.lines}
}

interface MailboxServer {
  host: string
  port: number
  tls: ImapTlsMode | Pop3TlsMode | undefined
  discovery: 'given' | 'srv' | 'domain'
}

/** --mailbox-host, else the first SRV record of the user's domain (RFC 6186: imaps before imap), else the domain itself. */
async function locateMailbox(options: RoundtripOptions): Promise<MailboxServer> {
  const {protocol, host, port, tls, user} = options.mailbox
  if (host !== undefined) return {host, port: port ?? defaultPort(protocol, tls), tls, discovery: 'given'}
  const domain = user.includes('@') ? user.slice(user.lastIndexOf('@') + 1) : options.to.asciiDomain
  for (const candidate of SRV_SERVICES[protocol]) {
    if (tls !== undefined && tls !== candidate.tls && !(tls === 'none' && candidate.tls === 'starttls')) continue
    const srv = await lookupSrv(options.net.resolver, `_${candidate.service}._tcp.${domain}`)
    const record = srv.records[0]
    if (record) return {host: record.target, port: port ?? record.port, tls: tls ?? candidate.tls, discovery: 'srv'}
  }
  return {host: domain, port: port ?? defaultPort(protocol, tls), tls, discovery: 'domain'}
}

function defaultPort(protocol: 'imap' | 'pop3', tls: string | undefined): number {
  if (tls === 'starttls' || tls === 'none') return protocol === 'imap' ? 143 : 110
  return DEFAULT_PORTS[protocol]
}

/** One call of send's library: the submission server (its addresses looked up first, timed) or the MX hosts. */
async function submit(options: RoundtripOptions, message: Awaited<ReturnType<typeof composeMessage>>, transcript: Transcript): Promise<Sent> {
  const startedAt = Date.now()
  let route: SendRoute = {kind: 'mx'}
  let dnsMs: number | null = null
  const {submission, net} = options
  if (submission.kind === 'server') {
    options.onProgress?.(`resolving ${submission.host}`)
    const t0 = performance.now()
    const addresses = (await lookupAll(lookupOf(net), submission.host, net.timeouts.dns)).map((a) => a.address)
    dnsMs = round(performance.now() - t0)
    route = {kind: 'server', host: submission.host, port: submission.port, addresses}
  }
  options.onProgress?.(submission.kind === 'server' ? `sending through ${submission.host}:${submission.port}` : 'sending to the recipient\'s MX hosts')
  const {deliveries, findings, rejected} = await sendMessage(
    route,
    [options.to],
    message.envelope,
    message.raw,
    {
      tls: submission.tls,
      net,
      ehloName: options.ehloName,
      user: options.user,
      password: options.password,
      allowInsecureAuth: options.allowInsecureAuth,
      certDays: options.certDays,
      needsSmtpUtf8: options.from.needsSmtpUtf8 || options.to.needsSmtpUtf8,
      transcript,
    },
  )
  const delivery = deliveries[0]
  const refusal = [...(delivery?.rejected ?? []), ...rejected][0]
  if (!delivery || delivery.accepted.length === 0) {
    const why = refusal ? `${refusal.code ?? ''} ${refusal.text}`.trim() : 'no server took it'
    throw new MaildigError('RCPT_REJECTED', 'check', `the message to <${options.to.address}> was not accepted: ${why}`, {subject: options.to.address})
  }
  return {delivery, findings, startedAt, acceptedAt: Date.now(), dnsMs}
}

function submissionOf(sent: Sent): RoundtripResult['submission'] {
  const {delivery} = sent
  return {
    route: delivery.domain === null ? 'server' : 'mx',
    server: delivery.server,
    response: delivery.response,
    queueId: delivery.queueId,
    acceptedAt: new Date(sent.acceptedAt).toISOString(),
    tls: delivery.tls,
  }
}

interface Waited {
  address: string | null
  tlsMode: 'implicit' | 'starttls' | 'none' | null
  tls: RoundtripResult['mailbox']['tls']
  method: RoundtripResult['mailbox']['method']
  uid: string | null
  checks: number
  /** From the run's start (epoch `startedAt`) until the message was seen. */
  latencyMs: number | null
  waitedMs: number
  header: {text: string; truncated: boolean} | null
  removal: {removed: boolean; reason: string | null} | null
  findings: Finding[]
}

/** The wait, by IMAP (imap-check's session and wait) or POP3 (polling sessions); `onReady` sends. */
async function waitInMailbox(options: RoundtripOptions, server: MailboxServer, messageId: string, startedAt: number, onReady: () => Promise<void>): Promise<Waited> {
  const {mailbox, net, transcript} = options
  // What either protocol's session takes alike.
  const session = {host: server.host, port: server.port, net, certDays: options.certDays, user: mailbox.user, password: mailbox.password, allowInsecureAuth: options.allowInsecureAuth}
  if (mailbox.protocol === 'pop3') {
    const {waitForPop3Message} = await import('../pop3/wait.js')
    const outcome = await waitForPop3Message({
      ...session,
      tls: server.tls as Pop3TlsMode | undefined,
      auth: mailbox.pop3Auth,
      messageId,
      timeoutMs: options.waitMs,
      pollMs: options.pollMs,
      startedAt,
      transcript,
      onReady,
      onProgress: options.onProgress,
    })
    return {
      address: outcome.address,
      tlsMode: outcome.tlsMode,
      tls: outcome.tls,
      method: 'poll',
      uid: outcome.uid,
      checks: outcome.polls,
      latencyMs: outcome.latencyMs,
      waitedMs: outcome.waitedMs,
      header: outcome.header === null ? null : {text: outcome.header, truncated: false},
      removal: null,
      findings: outcome.findings,
    }
  }
  const {checkImap} = await import('../imap/check.js')
  const outcome = await checkImap({
    ...session,
    tls: server.tls as ImapTlsMode | undefined,
    mailbox: mailbox.folder ?? 'INBOX',
    waitFor: {messageId, timeoutMs: options.waitMs, pollMs: options.pollMs, onReady, headerBytes: MAX_HEADER_BYTES, remove: options.cleanup},
    startedAt,
    transcript,
    clientVersion: options.clientVersion,
    onProgress: options.onProgress,
  })
  const {result} = outcome
  const wait = result.waitFor
  // The wait's own verdict is roundtrip's (ROUNDTRIP_NOT_DELIVERED); the quota and the folders are imap-check's business.
  const findings = outcome.findings.filter((f) => !['MESSAGE_NOT_FOUND', 'LOGIN_SKIPPED', 'QUOTA_NEAR_LIMIT'].includes(f.code))
  if (!wait) {
    // The wait did not run (the folder is missing, EXAMINE refused): the findings say why.
    const why = findings.find((f) => f.severity === 'error') ?? findings[findings.length - 1]
    throw new MaildigError(why?.code ?? 'IMAP_COMMAND_FAILED', 'check', why?.message ?? `could not wait in ${mailbox.folder ?? 'INBOX'}`, {subject: mailbox.user})
  }
  return {
    address: result.address,
    tlsMode: result.tlsMode,
    tls: result.tls,
    method: wait.method,
    uid: wait.uid === null ? null : String(wait.uid),
    checks: wait.searches,
    latencyMs: wait.latencyMs,
    waitedMs: wait.waitedMs,
    header: outcome.found?.header ?? null,
    removal: outcome.found?.removal ?? null,
    findings,
  }
}

/** SPF, DKIM and DMARC as the final receiver recorded them (the first result of each method). */
function summarize(analysis: NonNullable<RoundtripResult['observed']>): RoundtripAuthentication | null {
  const receiver = analysis.authentication.receiver
  if (!receiver) return null
  const of = (method: string) => receiver.results.find((r) => r.method === method)?.result ?? null
  return {authservId: receiver.authservId, spf: of('spf'), dkim: of('dkim'), dmarc: of('dmarc')}
}

function camel(name: string): string {
  return name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 6000) / 10} min`
}
