import {isMaildigError, MaildigError, withPartial} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {netContext, type NetContext} from '../net/context.js'
import {elapsedMs, withDeadline} from '../net/deadline.js'
import {Transcript, type TranscriptLine} from '../net/transcript.js'
import {assertWireSafe, bareHost, formatEndpoint, serverNameFor} from '../net/wire.js'
import {inspectTls, isCertificateValid, type TlsInspection} from '../tls/inspect.js'
import {imapError} from './errors.js'
import {ImapGreeter, openImap} from './greet.js'
import type {ImapAuthMethod, ImapCheckResult, ImapMailbox, ImapQuota, ImapTimings, ImapTlsMode, ImapWaitFor} from './schema.js'
import {handedOverTransport} from './transport.js'
import {DEFAULT_POLL_MS, readHeader, removeMessage, waitForMessage, type MessageHeader, type Removal} from './wait.js'
import {ImapWireLog} from './wire-log.js'

// Types only (erased at build): imapflow itself loads lazily, in checkImap.
type AuthOptions = import('imapflow').AuthOptions
type ImapFlow = import('imapflow').ImapFlow
type ImapFlowOptions = import('imapflow').ImapFlowOptions
type ListResponse = import('imapflow').ListResponse
type QuotaResponse = import('imapflow').QuotaResponse
type StatusObject = import('imapflow').StatusObject

/** Bounds on what imapflow reads (docs/cli.md: every read is bounded). A check reads names, counts and envelopes. */
const MAX_LINE_BYTES = 1024 * 1024
const MAX_LITERAL_BYTES = 1024 * 1024
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024
/** imapflow's inactivity watchdog; maildig's own per-reply deadline (wire-log.ts) is the one that matters. */
const SOCKET_IDLE_MS = 5 * 60_000
export const DEFAULT_QUOTA_WARN_PERCENT = 90

export interface ImapCheckOptions {
  /** The host name or IP literal the user asked for: SNI, the certificate check and messages use it. */
  host: string
  /** Default 993, or 143 with `tls: 'starttls' | 'none'`. */
  port?: number
  /**
   * Default (undefined): TLS from the first byte on 993, elsewhere STARTTLS when offered (and a
   * STARTTLS_NOT_OFFERED finding, and no credentials sent, when it is not). 'starttls' fails
   * when the server does not offer it: never a silent downgrade.
   */
  tls?: ImapTlsMode
  /** Resolver, `--timeout` deadlines, `--ca-file`, source address (tests connect from their own 127.0.1.x). */
  net?: NetContext
  certDays?: number
  user?: string
  password?: string
  /** OAuth2 access token: XOAUTH2 or OAUTHBEARER. */
  token?: string
  auth?: ImapAuthMethod
  allowInsecureAuth?: boolean
  /** Only this mailbox (STATUS, quota root, where to wait). */
  mailbox?: string
  quotaWarnPercent?: number
  waitFor?: {
    subject?: string
    messageId?: string
    timeoutMs: number
    pollMs?: number
    /** Runs once the mailbox is open read-only, before the first search (wait.ts onReady). */
    onReady?: () => Promise<void>
    /** Read the found message's header (BODY.PEEK[HEADER]), keeping at most this many bytes. */
    headerBytes?: number
    /** Remove the found message, and only it (wait.ts removeMessage): roundtrip --cleanup. */
    remove?: boolean
  }
  transcript?: Transcript
  /** The command's start (epoch ms): waitFor.latencyMs counts from it. */
  startedAt?: number
  /** Sent in ID (RFC 2971). */
  clientVersion?: string
  now?: Date
  onProgress?: (text: string) => void
}

export interface ImapCheckOutcome {
  result: ImapCheckResult
  findings: Finding[]
  transcript: TranscriptLine[]
  /** With waitFor.headerBytes or waitFor.remove, once the message was found. */
  found?: {header: MessageHeader | null; removal: Removal | null}
}

/** What a failed check got to know; attached to the thrown MaildigError as `partial`. */
export type ImapCheckPartial = Partial<ImapCheckResult> & {timings: ImapTimings; transcript: TranscriptLine[]; findings: Finding[]}

/**
 * `imap-check`: connects (implicit TLS or STARTTLS, through maildig's resolver), judges the
 * certificate, reads the greeting, capabilities and ID, logs in (only over a verified TLS session
 * unless allowed otherwise), lists the mailboxes with STATUS, reads the quota and optionally waits
 * for a message. Strictly read-only: EXAMINE, STATUS, SEARCH, FETCH of ENVELOPE/INTERNALDATE
 * (never a body without PEEK), no STORE, no EXPUNGE, no flag changes — except that roundtrip's
 * waitFor.remove removes the one message it sent (wait.ts removeMessage).
 *
 * Throws a MaildigError (with `partial`) when the check cannot complete: DNS, connection, TLS,
 * greeting, login, protocol. Problems found along the way are findings.
 */
export async function checkImap(options: ImapCheckOptions): Promise<ImapCheckOutcome> {
  const started = performance.now()
  const startedAt = options.startedAt ?? Date.now()
  const transcript = options.transcript ?? new Transcript(started)
  const net = options.net ?? netContext()
  const {timeouts} = net
  const host = bareHost(options.host)
  const requested = options.tls
  const port = options.port ?? (requested === 'starttls' || requested === 'none' ? 143 : 993)
  const implicit = requested === 'implicit' || (requested === undefined && port === 993)
  const servername = serverNameFor(host)
  const now = options.now ?? new Date()
  const quotaWarn = options.quotaWarnPercent ?? DEFAULT_QUOTA_WARN_PERCENT
  const user = options.user
  const credentials = user !== undefined && (options.password !== undefined || options.token !== undefined)
  if (user !== undefined) assertWireSafe(user, 'the user name')
  if (options.mailbox !== undefined) assertWireSafe(options.mailbox, 'the mailbox name')
  if (options.waitFor?.subject !== undefined) assertWireSafe(options.waitFor.subject, 'the subject waited for')
  if (options.waitFor?.messageId !== undefined) assertWireSafe(options.waitFor.messageId, 'the Message-ID waited for')
  transcript.protectCredential(user, options.password, options.token)

  const timings: Partial<ImapTimings> = {}
  const findings: Finding[] = []
  const result: Partial<ImapCheckResult> = {host: options.host, port}
  let endpoint = formatEndpoint(host, port)
  const fail = (error: MaildigError): MaildigError => {
    const scrubbed = new MaildigError(error.code, error.category, transcript.scrub(error.message), {
      subject: error.subject,
      command: error.command,
      response: error.response === undefined ? undefined : transcript.scrub(error.response),
      temporary: error.temporary,
      cause: error.cause,
    })
    const partial: ImapCheckPartial = {...result, findings, timings: {...timings, totalMs: elapsedMs(started)}, transcript: transcript.lines}
    return withPartial(scrubbed, partial)
  }

  // imapflow loads before the first deadline starts (about 70 ms from the CLI's vendor script, dist/vendor/imapflow.cjs;
  // about 250 ms from node_modules through import()). Loading is this process's own work, which held up the event loop:
  // loaded while maildig connected and greeted, on a loaded machine it let a connect or greeting deadline pass and blamed
  // the server (CONNECT_TIMEOUT against a local server, in CI).
  const {ImapFlow} = await import('imapflow')

  // maildig opens the session on its own floor: DNS through the NetContext's resolver, connect,
  // TLS (implicit, or STARTTLS done here), the greeting, each under its stage deadline, into the
  // transcript. imapflow then gets the ready connection (Connection.handOver) and opens no socket.
  options.onProgress?.(`connecting to ${endpoint}`)
  const greeter = new ImapGreeter({host, port, net, transcript})
  /** The TLS report, once per run (for credentials, the result, and a failure's partial result). */
  let inspection: TlsInspection | undefined
  const inspect = (): TlsInspection | undefined => {
    if (!inspection && greeter.tlsSocket) inspection = inspectTls(greeter.tlsSocket, {hostname: host, certDays: options.certDays, now, servername: servername ?? null})
    return inspection
  }
  /** The TLS result and its findings, once: kept when a later step fails (AUTH_INSECURE keeps TLS_HOSTNAME_MISMATCH beside it). */
  let tlsNoted = false
  const noteTls = (): TlsInspection | undefined => {
    const tls = inspect()
    if (tlsNoted) return tls
    tlsNoted = true
    if (tlsKind !== 'none') result.tlsMode = tlsKind
    result.tls = tls?.tls ?? null
    findings.push(...(tls?.findings ?? []))
    return tls
  }
  let wireLog: ImapWireLog | undefined
  /** The phases the floor and the wire log timed (also for a failure's partial result). */
  const sessionTimings = () => {
    // A STARTTLS handshake is timed on the connection, after the session copied its timings.
    const measured = {...greeter.timings, ...greeter.connection?.timings}
    for (const key of ['lookupMs', 'connectMs', 'tlsMs', 'greetingMs'] as const) if (measured[key] !== undefined) timings[key] = measured[key]
    const auth = wireLog?.auth
    if (auth?.finishedAt !== undefined) timings.authMs = round(auth.finishedAt - auth.startedAt)
  }
  let tlsKind: 'implicit' | 'starttls' | 'none' = 'none'
  try {
    tlsKind = await openImap(greeter, {port, implicitTls: implicit, starttls: implicit || requested === 'none' ? 'never' : requested === 'starttls' ? 'required' : 'when-offered'})
  } catch (error) {
    if (greeter.remoteAddress) result.address = greeter.remoteAddress
    sessionTimings()
    if (greeter.tlsSocket) {
      // TLS was up when the opening failed (a silent server after the handshake): its report stays.
      tlsKind = implicit ? 'implicit' : 'starttls'
      noteTls()
    }
    await greeter.close()
    throw isMaildigError(error) ? fail(error) : error
  }
  const address = greeter.remoteAddress!
  result.address = address
  endpoint = greeter.endpoint

  let client: ImapFlow | undefined
  let closing = false
  const wire = new ImapWireLog({
    transcript,
    replyTimeoutMs: timeouts.reply,
    endpoint,
    greeting: greeter.greeting!,
    // The floor breaks the connection (and records why); imapflow learns of it from the socket.
    onFatal: (error) => {
      greeter.connection?.abort(error)
      client?.close()
    },
  })
  wireLog = wire
  transcript.info('the session goes on in imapflow, over this connection', greeter.secure)
  const stream = greeter.handOver({onRead: (chunk, tls) => wire.received(chunk, tls), onWrite: (chunk, tls) => wire.sent(chunk, tls)})

  // Credentials are decided at the moment imapflow is about to send them (it reads `auth` then and
  // only then): after the greeting and STARTTLS, with the certificate known.
  const gate: {decided: boolean; auth?: AuthOptions; refusal?: MaildigError; capabilities?: string[]} = {decided: false}
  const decideAuth = (): AuthOptions | undefined => {
    if (gate.decided) return gate.auth
    gate.decided = true
    gate.capabilities = client ? [...client.capabilities.keys()] : []
    const tls = inspect()
    if (!credentials) return undefined
    if (!options.allowInsecureAuth) {
      if (!tls) {
        gate.refusal = new MaildigError('AUTH_INSECURE', 'auth', `not sending the password to ${endpoint}: the session is not encrypted (use port 993 or TLS mode starttls; or allow insecure authentication to send it anyway)`, {subject: endpoint})
        return undefined
      }
      if (!isCertificateValid(tls.tls, now)) {
        const why = tls.findings.filter((f) => f.severity === 'error').map((f) => f.message).join('; ') || 'it is not valid'
        gate.refusal = new MaildigError('AUTH_INSECURE', 'auth', `not sending the password to ${endpoint}: its certificate is not verified (${why}); trust a private CA's certificate, or allow insecure authentication`, {subject: endpoint})
        return undefined
      }
    }
    const caps = new Set(gate.capabilities)
    const mechanisms = [...caps].filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5))
    const offered = mechanisms.length > 0 ? mechanisms.join(', ') : 'none'
    const wantsToken = options.auth === 'xoauth2' || (options.auth === undefined && options.password === undefined)
    if (wantsToken && !['XOAUTH2', 'XOAUTH', 'OAUTHBEARER'].some((m) => caps.has(`AUTH=${m}`))) {
      gate.refusal = new MaildigError('AUTH_NOT_OFFERED', 'auth', `${endpoint} offers neither XOAUTH2 nor OAUTHBEARER for the token (its mechanisms: ${offered})`, {subject: endpoint})
      return undefined
    }
    if (options.auth === 'plain' && !caps.has('AUTH=PLAIN')) {
      gate.refusal = new MaildigError('AUTH_NOT_OFFERED', 'auth', `${endpoint} does not offer AUTHENTICATE PLAIN here (its mechanisms: ${offered}); try the login method login`, {subject: endpoint})
      return undefined
    }
    gate.auth = wantsToken
      ? {user: user!, accessToken: options.token}
      : {user: user!, pass: options.password, loginMethod: options.auth === 'login' ? 'LOGIN' : options.auth === 'plain' ? 'AUTH=PLAIN' : undefined}
    return gate.auth
  }

  const clientOptions: ImapFlowOptions = {
    host: address,
    port,
    // As secure as maildig made it: imapflow neither connects nor starts TLS (no `upgrade` in the transport).
    secure: greeter.secure,
    doSTARTTLS: false,
    ...(servername ? {servername} : {}),
    transport: handedOverTransport(stream),
    logger: wire.logger,
    disableAutoIdle: true,
    disableCompression: true,
    disableAutoEnable: true,
    clientInfo: {name: 'maildig', version: options.clientVersion ?? 'dev', vendor: false, 'support-url': false},
    // The greeting is replayed at once: these only bound imapflow's own start.
    greetingTimeout: finite(timeouts.greeting),
    connectionTimeout: finite(timeouts.connect),
    socketTimeout: SOCKET_IDLE_MS,
    maxLineLength: MAX_LINE_BYTES,
    maxLiteralSize: MAX_LITERAL_BYTES,
    maxResponseSize: MAX_RESPONSE_BYTES,
    get auth() {
      return decideAuth()
    },
  }
  client = new ImapFlow(clientOptions)
  const session = client
  const context = () => ({
    endpoint,
    port,
    implicit,
    user,
    wire,
    authRefusal: gate.refusal,
    authMs: wire.auth?.finishedAt !== undefined ? wire.auth.finishedAt - wire.auth.startedAt : undefined,
  })
  // After connect() imapflow reports a broken connection as an 'error' event; the pending command rejects too.
  session.on('error', (error: unknown) => {
    if (!closing && !wire.failure) {
      try {
        wire.fail(imapError(error, context()))
      } catch {
        // not from the server: the pending command reports it
      }
    }
  })
  const abort = async (error: unknown): Promise<MaildigError> => {
    closing = true
    wire.stop()
    session.close()
    sessionTimings()
    noteTls()
    const reported = fail(imapError(error, context()))
    await greeter.close()
    return reported
  }

  wire.start()
  let loggedIn = false
  let found: ImapCheckOutcome['found']
  try {
    await wire.guard(session.connect())
    loggedIn = session.authenticated === true
  } catch (error) {
    const authFailure = (error as {authenticationFailed?: boolean})?.authenticationFailed === true
    if (!(authFailure && !credentials && gate.decided && !wire.failure)) throw await abort(error)
    // No credentials were given: the check stops before login, by design.
    transcript.info('no user given: not logging in')
  }

  // What the session told us up to here.
  const greeting = wire.greeting
  sessionTimings()
  const tlsInspection = noteTls()
  const beforeLogin = gate.capabilities ?? [...session.capabilities.keys()]
  result.greeting = {status: greeting.status, text: greeting.text, capabilities: greeting.capabilities}
  result.tlsMode = tlsKind
  result.tls = tlsInspection?.tls ?? null
  result.capabilitiesBeforeLogin = beforeLogin
  result.capabilities = loggedIn ? [...session.capabilities.keys()] : beforeLogin
  result.serverId = serverId(session.serverInfo)
  result.auth = {
    user: user ?? null,
    mechanisms: beforeLogin.filter((c) => c.toUpperCase().startsWith('AUTH=')).map((c) => c.slice(5)),
    method: wire.auth?.command ?? null,
    result: greeting.status === 'PREAUTH' ? 'preauth' : loggedIn ? 'ok' : 'not-tested',
  }
  result.mailboxes = []
  result.quota = null
  result.waitFor = null
  if (!implicit && requested === undefined && tlsKind === 'none') {
    findings.push(finding('STARTTLS_NOT_OFFERED', `${endpoint} does not offer STARTTLS: the session${credentials ? ', and the password,' : ''} would travel unencrypted`, host))
  }
  if (!credentials && greeting.status !== 'PREAUTH') {
    findings.push(finding('LOGIN_SKIPPED', 'no user given: the greeting, TLS and capabilities were checked; the login, mailboxes and quota were not', host))
  }

  if (loggedIn) {
    try {
      await wire.guard(mailboxesAndQuota())
      if (options.waitFor && !findings.some((f) => f.code === 'MAILBOX_NOT_FOUND')) await wire.guard(waitFor())
    } catch (error) {
      throw await abort(error)
    }
  }

  for (const alert of wire.alerts) findings.push(finding('IMAP_ALERT', `the server says: ${alert}`, host))
  result.alerts = [...wire.alerts]

  // LOGOUT, within one reply deadline; a failure here changes nothing about the result.
  if (!session.usable && loggedIn) transcript.info('the connection is already closed')
  closing = true
  wire.stop()
  if (session.usable) {
    const logoutStarted = performance.now()
    try {
      await withDeadline(session.logout(), {stage: 'reply', timeoutMs: timeouts.reply, subject: endpoint, command: 'LOGOUT', onTimeout: () => session.close()})
      timings.logoutMs = elapsedMs(logoutStarted)
    } catch (error) {
      transcript.info(`LOGOUT failed: ${(error as Error).message}`)
      session.close()
    }
  } else {
    session.close()
  }
  // FIN and the server's close, within the close grace.
  await greeter.close()
  result.timings = {...timings, totalMs: elapsedMs(started)}
  return {result: result as ImapCheckResult, findings, transcript: transcript.lines, ...(found ? {found} : {})}

  async function mailboxesAndQuota(): Promise<void> {
    const listStarted = performance.now()
    const statusQuery = {messages: true, unseen: true, uidNext: true}
    options.onProgress?.('listing mailboxes')
    let entries: ListResponse[]
    try {
      entries = await session.list(options.mailbox === undefined ? {statusQuery} : {})
    } catch (error) {
      if (!isCommandRefusal(error)) throw error
      findings.push(finding('IMAP_COMMAND_FAILED', `LIST failed: ${refusalText(error)}`, host))
      entries = []
    }
    let quotaMailbox = 'INBOX'
    if (options.mailbox !== undefined) {
      const wanted = options.mailbox
      const entry = entries.find((e) => samePath(e.path, wanted))
      if (!entry || entry.flags.has('\\NonExistent')) {
        const have = entries.map((e) => e.path)
        findings.push(
          finding('MAILBOX_NOT_FOUND', `no mailbox "${wanted}" for ${user}${have.length ? `; there are: ${have.slice(0, 20).join(', ')}${have.length > 20 ? ', …' : ''}` : ''}`, wanted),
        )
      } else {
        quotaMailbox = entry.path
        let status: StatusObject | {error: unknown} | undefined
        if (!entry.flags.has('\\Noselect')) {
          try {
            status = (await session.status(entry.path, statusQuery)) || {error: new Error('STATUS was refused')}
          } catch (error) {
            if (!isCommandRefusal(error)) throw error
            status = {error}
          }
        }
        entry.status = status as StatusObject
        result.mailboxes = [describeMailbox(entry)]
      }
    } else {
      result.mailboxes = entries.map(describeMailbox)
    }
    for (const mailbox of result.mailboxes ?? []) {
      if (mailbox.error) findings.push(finding('IMAP_COMMAND_FAILED', `STATUS ${mailbox.path} failed: ${mailbox.error}`, mailbox.path))
    }
    timings.listMs = elapsedMs(listStarted)

    const capabilities = [...session.capabilities.keys()]
    if (capabilities.some((c) => c === 'QUOTA' || c.startsWith('QUOTA=RES-')) && !findings.some((f) => f.code === 'MAILBOX_NOT_FOUND')) {
      const quotaStarted = performance.now()
      options.onProgress?.('reading the quota')
      const quota = await session.getQuota(quotaMailbox)
      timings.quotaMs = elapsedMs(quotaStarted)
      if (quota) {
        result.quota = describeQuota(quota, quotaMailbox)
        findings.push(...quotaFindings(result.quota, quotaWarn, user ?? host))
      } else {
        findings.push(finding('IMAP_COMMAND_FAILED', `GETQUOTAROOT ${quotaMailbox} failed: ${wire.lastReply.get('GETQUOTAROOT')?.text ?? 'no answer'}`, quotaMailbox))
      }
    }
  }

  async function waitFor(): Promise<void> {
    const spec = options.waitFor!
    const waitStarted = performance.now()
    const mailbox = result.mailboxes?.length === 1 && options.mailbox !== undefined ? result.mailboxes[0].path : (options.mailbox ?? 'INBOX')
    let outcome: ImapWaitFor
    try {
      outcome = await waitForMessage(session, {
        criterion: spec.messageId !== undefined ? 'message-id' : 'subject',
        value: spec.messageId ?? spec.subject ?? '',
        mailbox,
        timeoutMs: spec.timeoutMs,
        startedAt,
        idle: session.capabilities.has('IDLE'),
        pollMs: spec.pollMs ?? DEFAULT_POLL_MS,
        onProgress: options.onProgress,
        progress: options.net?.progress,
        onReady: spec.onReady,
      })
    } catch (error) {
      if (isMaildigError(error) && error.code === 'IMAP_COMMAND_FAILED' && !wire.failure) {
        findings.push(finding('IMAP_COMMAND_FAILED', error.message, mailbox))
        return
      }
      if (!isCommandRefusal(error) || wire.failure) throw error
      const missing = (error as {mailboxMissing?: boolean}).mailboxMissing
      findings.push(missing ? finding('MAILBOX_NOT_FOUND', `no mailbox "${mailbox}" to wait in`, mailbox) : finding('IMAP_COMMAND_FAILED', `waiting in ${mailbox} failed: ${refusalText(error)}`, mailbox))
      return
    }
    timings.waitMs = elapsedMs(waitStarted)
    result.waitFor = outcome
    if (outcome.found && outcome.uid !== null && (spec.headerBytes !== undefined || spec.remove)) {
      const header = spec.headerBytes === undefined ? null : await readHeader(session, outcome.uid, spec.headerBytes)
      const removal = spec.remove ? await removeMessage(session, mailbox, outcome.uid) : null
      found = {header, removal}
    }
    if (!outcome.found) {
      const what = outcome.criterion === 'message-id' ? `Message-ID <${outcome.value}>` : `subject "${outcome.value}"`
      findings.push(finding('MESSAGE_NOT_FOUND', `no message with ${what} arrived in ${mailbox} within ${Math.round(spec.timeoutMs / 100) / 10} s`, mailbox))
    }
  }
}

function finite(ms: number): number {
  return ms > 0 && Number.isFinite(ms) ? ms : 60_000
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

/** INBOX is case-insensitive (RFC 9051 §5.1); other names are compared as given. */
function samePath(a: string, b: string): boolean {
  return a.toUpperCase() === 'INBOX' ? b.toUpperCase() === 'INBOX' : a === b
}

/** A tagged NO/BAD to a command: the session goes on. */
function isCommandRefusal(error: unknown): boolean {
  const status = (error as {responseStatus?: string})?.responseStatus
  return status === 'NO' || status === 'BAD'
}

function refusalText(error: unknown): string {
  const e = error as {responseStatus?: string; responseText?: string; message?: string}
  return `${e.responseStatus ?? ''} ${e.responseText ?? e.message ?? ''}`.trim()
}

function serverId(info: unknown): Record<string, string> | null {
  if (!info || typeof info !== 'object') return null
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(info as Record<string, unknown>)) {
    if (value !== null && value !== undefined && value !== false) out[key] = String(value).slice(0, 200)
  }
  return Object.keys(out).length > 0 ? out : null
}

function describeMailbox(entry: ListResponse): ImapMailbox {
  const status = entry.status as (StatusObject & {error?: unknown}) | undefined
  const error = status?.error
  const source = entry.specialUseSource === 'extension' || entry.specialUseSource === 'user' ? 'server' : entry.specialUseSource === 'name' ? 'name' : null
  return {
    path: entry.path,
    name: entry.name,
    delimiter: entry.delimiter || null,
    flags: [...entry.flags],
    specialUse: entry.specialUse ?? null,
    specialUseSource: entry.specialUse ? source : null,
    subscribed: entry.subscribed,
    messages: error ? null : (status?.messages ?? null),
    unseen: error ? null : (status?.unseen ?? null),
    uidNext: error ? null : (status?.uidNext ?? null),
    ...(error ? {error: refusalText(error)} : {}),
  }
}

function describeQuota(quota: QuotaResponse, mailbox: string): ImapQuota {
  const resource = (r: unknown) => {
    const value = r as {usage?: number; limit?: number} | undefined
    if (!value || value.usage === undefined) return null
    const limit = value.limit ?? null
    return {used: value.usage, limit, percent: limit ? Math.round((value.usage / limit) * 1000) / 10 : null}
  }
  return {mailbox, root: quota.quotaRoot ?? null, storage: resource(quota.storage), messages: resource(quota.message)}
}

export function quotaFindings(quota: ImapQuota, warnPercent: number, subject: string): Finding[] {
  const out: Finding[] = []
  const check = (name: string, r: ImapQuota['storage'], unit: (n: number) => string) => {
    if (!r || r.percent === null || r.limit === null) return
    const usage = `${unit(r.used)} of ${unit(r.limit)}`
    const what = `the ${name} quota${quota.root ? ` "${quota.root}"` : ''} of ${quota.mailbox}`
    if (r.percent >= 100) out.push(finding('QUOTA_EXCEEDED', `${what} is full: ${usage} (${r.percent} %); new mail will be refused`, subject))
    else if (r.percent >= warnPercent) out.push(finding('QUOTA_NEAR_LIMIT', `${what} is ${r.percent} % used: ${usage}, above the warning level of ${warnPercent} %`, subject))
  }
  check('storage', quota.storage, formatBytes)
  check('message', quota.messages, (n) => `${n} messages`)
  return out
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`
  if (bytes < 1024 ** 3) return `${Math.round((bytes / 1024 ** 2) * 10) / 10} MiB`
  return `${Math.round((bytes / 1024 ** 3) * 10) / 10} GiB`
}
