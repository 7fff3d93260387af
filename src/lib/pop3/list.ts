import {invalidValue, isMaildigError, MaildigError, UsageError, withPartial} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {decodeEncodedWords, headerValue, MAX_HEADER_BYTES, readHeaders} from '../headers/message.js'
import type {NetContext} from '../net/context.js'
import {Transcript} from '../net/transcript.js'
import {assertWireSafe, bareHost} from '../net/wire.js'
import type {TlsInfo} from '../tls/inspect.js'
import {methodLabel, Pop3Client, POP3_AUTH_METHODS, type Pop3AuthMethod} from './client.js'
import type {Pop3Headers, Pop3ListPartial, Pop3ListResult, Pop3Message} from './schema.js'

export type {Pop3Headers, Pop3ListPartial, Pop3ListResult, Pop3Message}

export const POP3_TLS_MODES = ['auto', 'starttls', 'implicit', 'none'] as const
export type Pop3TlsMode = (typeof POP3_TLS_MODES)[number]

/** RFC 1939 §3 port 110 (STLS inside, RFC 2595) and RFC 8314 §3.3 port 995 (TLS from the first byte). */
export const POP3_PORT = 110
export const POP3S_PORT = 995

/**
 * Above this many messages the whole LIST and UIDL are not read (a hostile server could claim a
 * billion); with --limit, the newest messages are asked for one by one instead.
 */
export const MAX_LISTED_MESSAGES = 100_000

/** Bounds of one TOP n 0 response: the header of one message (headers/message.ts allows 1 MiB). */
export const MAX_TOP_LINES = 20_000
export const MAX_TOP_BYTES = MAX_HEADER_BYTES + 64 * 1024

export interface Pop3ListOptions {
  /** The host name (or IP literal) the user asked for: SNI, the certificate check and messages use it. */
  host: string
  /** Default 995 with `tls: 'implicit'`, else 110. */
  port?: number
  address?: string
  /** Resolver, `--timeout` deadlines, `--ca-file`, source address: how to reach the server. */
  net?: NetContext
  /** Default 'auto': implicit TLS on port 995, STLS where offered elsewhere. 'starttls' fails when STLS is refused. */
  tls?: Pop3TlsMode
  /** TLS_CERT_EXPIRING below this many days (default 14). */
  certDays?: number
  /** Without a user, the server is checked (greeting, CAPA, TLS) and nothing is listed. */
  user?: string
  /** The password (with `auth: 'xoauth2'`, the access token). */
  password?: string
  /** Default: the best the server offers. */
  auth?: Pop3AuthMethod
  allowInsecureAuth?: boolean
  /** Only the newest `limit` messages (the highest message numbers). */
  limit?: number
  transcript?: Transcript
  now?: Date
}

/**
 * Lists a POP3 maildrop without changing it: greeting, CAPA, TLS (implicit or STLS) and the
 * certificate, login, STAT, LIST, UIDL, and the header of each listed message by TOP n 0 (which,
 * unlike RETR, does not mark it seen). Never DELE; the session ends with RSET and QUIT.
 *
 * Problems observed along the way are findings. A failure that stops the listing throws a
 * MaildigError whose category gives the exit code; `partialOf<Pop3ListPartial>(error)` (errors.ts) returns what was learnt
 * until then (transcript, timings, greeting, capabilities, TLS).
 */
export async function listPop3(options: Pop3ListOptions): Promise<Pop3ListResult> {
  const started = performance.now()
  const mode: Pop3TlsMode = options.tls ?? 'auto'
  const port = options.port ?? (mode === 'implicit' ? POP3S_PORT : POP3_PORT)
  validateOptions(options, port, mode)
  const transcript = options.transcript ?? new Transcript(started)
  transcript.protectCredential(options.user, options.password)
  const now = options.now ?? new Date()
  const implicit = mode === 'implicit' || (mode === 'auto' && port === POP3S_PORT)
  const host = bareHost(options.host)
  const findings: Finding[] = []
  const limit = options.limit ?? null
  const partial: Partial<Pop3ListResult> & {findings: Finding[]} = {host, port, findings, limit}

  const client = new Pop3Client({
    host: options.host,
    port,
    address: options.address,
    net: options.net,
    transcript,
  })

  const snapshot = (): Pop3ListPartial => ({...partial, host, port, ...client.progress(started, client.remoteAddress ?? options.address), findings: [...findings]})

  try {
    await openPop3Session(client, options, {mode, implicit, now}, findings, partial)
    const tlsMode = partial.tlsMode!
    if (options.user !== undefined) {
      const stat = (partial.stat = await client.stat())
      partial.messages = await listMessages(client, stat.messages, limit, host, findings)
    }

    // RSET and QUIT within about 1 s: a server that will not say goodbye does not hold the result up.
    const {where, record} = await client.finish(started, {host, port, tlsMode, address: options.address})
    return {
      ...where,
      greeting: partial.greeting!,
      capabilities: partial.capabilities ?? null,
      tls: partial.tls ?? null,
      auth: partial.auth ?? null,
      stat: partial.stat ?? null,
      messages: partial.messages ?? [],
      limit,
      ...record,
      findings,
    }
  } catch (error) {
    await client.close()
    throw isMaildigError(error) && error.category !== 'usage' ? withPartial(error, snapshot()) : error
  }
}

/**
 * The listed messages, newest (highest number) first: LIST for sizes, UIDL for unique-ids and
 * TOP n 0 for headers. RFC 1939 numbers the messages of a session 1…n, oldest first.
 */
async function listMessages(client: Pop3Client, count: number, limit: number | null, host: string, findings: Finding[]): Promise<Pop3Message[]> {
  if (count === 0) return []
  const capa = client.capabilities
  let numbers: number[]
  const sizes = new Map<number, number | null>()
  const uids = new Map<number, string | null>()
  let uidl = capa === null || client.hasCapability('UIDL')
  if (count <= MAX_LISTED_MESSAGES) {
    const listing = await client.list(count)
    for (const entry of listing) sizes.set(entry.number, entry.size)
    numbers = [...sizes.keys()].sort((a, b) => b - a)
    if (limit !== null) numbers = numbers.slice(0, limit)
    if (uidl) {
      const ids = await client.uidl(count)
      if (ids) for (const entry of ids) uids.set(entry.number, entry.uid)
      else uidl = false
    }
  } else {
    if (limit === null || limit > MAX_LISTED_MESSAGES) {
      // The login and STAT worked: the check ran, so this is a finding in the document, not a usage error.
      findings.push(finding('POP3_MAILDROP_TOO_LARGE', `${client.endpoint} holds ${count.toLocaleString('en-US')} messages, more than one listing reads (${MAX_LISTED_MESSAGES.toLocaleString('en-US')}): nothing was listed`, host))
      return []
    }
    numbers = Array.from({length: Math.min(limit, count)}, (_, i) => count - i)
    for (const [n, size] of await client.listEach(numbers)) sizes.set(n, size)
    if (uidl) {
      const ids = await client.uidlEach(numbers)
      for (const [n, uid] of ids) uids.set(n, uid)
      if (capa === null && [...ids.values()].every((uid) => uid === null)) uidl = false
    }
  }
  if (!uidl) findings.push(finding('POP3_UIDL_UNSUPPORTED', `${client.endpoint} does not support UIDL: messages have no stable identity across sessions`, host))

  const headers = new Map<number, Pop3Headers | null>()
  const topKnown = capa === null ? undefined : client.hasCapability('TOP')
  if (topKnown !== false && numbers.length > 0) {
    const limits = {maxLines: MAX_TOP_LINES, maxBytes: MAX_TOP_BYTES}
    // Without CAPA, one TOP says whether the server has it before the others are sent.
    const first = topKnown ? new Map<number, string[] | null>() : await client.top([numbers[0]], limits)
    const supported = topKnown || first.get(numbers[0]) !== null
    if (supported) {
      const rest = await client.top(numbers.filter((n) => !first.has(n)), limits)
      for (const [n, lines] of [...first, ...rest]) headers.set(n, lines ? headersOf(lines) : null)
    } else {
      findings.push(finding('POP3_TOP_UNSUPPORTED', `${client.endpoint} does not support TOP: the messages' headers cannot be read without RETR, which maildig does not use`, host))
    }
  } else if (topKnown === false) {
    findings.push(finding('POP3_TOP_UNSUPPORTED', `${client.endpoint} does not offer TOP (CAPA): the messages' headers cannot be read without RETR, which maildig does not use`, host))
  }
  return numbers.map((number) => ({number, size: sizes.get(number) ?? null, uid: uids.get(number) ?? null, headers: headers.get(number) ?? null}))
}

/** From, Subject, Date and Message-ID of a TOP n 0 response; fields it lacks (or a header that is not one) are null. */
export function headersOf(lines: readonly string[]): Pop3Headers {
  const empty: Pop3Headers = {from: null, subject: null, date: null, messageId: null}
  let fields
  try {
    fields = readHeaders(lines.join('\r\n'))
  } catch {
    return empty
  }
  const decoded = (name: string) => {
    const value = headerValue(fields, name)
    return value === null ? null : decodeEncodedWords(value)
  }
  return {from: decoded('From'), subject: decoded('Subject'), date: headerValue(fields, 'Date'), messageId: headerValue(fields, 'Message-ID')}
}

function validateOptions(options: Pop3ListOptions, port: number, mode: Pop3TlsMode): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidValue<Pop3ListOptions>('port', `${String(port)} is not a port number (1–65535)`)
  assertWireSafe(options.host, 'the host name')
  if (!POP3_TLS_MODES.includes(mode)) throw invalidValue<Pop3ListOptions>('tls', `${String(mode)} is not one of ${POP3_TLS_MODES.join(', ')}`)
  if (options.auth !== undefined && !POP3_AUTH_METHODS.includes(options.auth)) {
    throw invalidValue<Pop3ListOptions>('auth', `${String(options.auth)} is not one of ${POP3_AUTH_METHODS.join(', ')}`)
  }
  if (options.limit !== undefined && (!Number.isSafeInteger(options.limit) || options.limit < 1)) {
    throw invalidValue<Pop3ListOptions>('limit', `${String(options.limit)} is not a whole number of messages (1 or more)`)
  }
  if (options.user !== undefined) {
    assertWireSafe(options.user, 'the user name')
    if (options.user === '') throw invalidValue<Pop3ListOptions>('user', 'the user name is empty')
    if (options.password === undefined || options.password === '') throw invalidValue<Pop3ListOptions>('password', 'a login (user) needs a password or an access token')
    assertWireSafe(options.password, 'the password')
  }
}

/**
 * The opening of every POP3 session maildig holds (pop3-list, roundtrip's polls): greeting, CAPA,
 * TLS (implicit, or STLS where offered: RFC 2595 §4) and the certificate, CAPA again inside TLS,
 * and the login when a user is given (only over a verified TLS session unless allowed). What it
 * learns goes into `into` as it goes, so a failure's partial result keeps it.
 */
export async function openPop3Session(
  client: Pop3Client,
  options: Pick<Pop3ListOptions, 'host' | 'certDays' | 'user' | 'password' | 'auth' | 'allowInsecureAuth'>,
  how: {mode: Pop3TlsMode; implicit: boolean; now: Date},
  findings: Finding[],
  into: Partial<Pop3ListResult> = {},
): Promise<Partial<Pop3ListResult>> {
  const {mode, implicit, now} = how
  const host = bareHost(options.host)
  const greeting = await client.connect({implicitTls: implicit})
  into.address = client.remoteAddress
  into.greeting = {text: greeting.text, apop: greeting.timestamp !== null}
  let tls: TlsInfo | null = null
  const inspect = () => client.inspectTls({hostname: options.host, now, certDays: options.certDays}, findings)
  if (implicit) tls = into.tls = inspect()

  let capabilities = (into.capabilities = await client.capa())
  if (!implicit && mode !== 'none') {
    // RFC 2595 §4: STLS only when CAPA lists it; a server without CAPA is asked anyway (-ERR is harmless).
    const offered = capabilities === null || client.hasCapability('STLS')
    let secured = false
    if (offered) {
      try {
        await client.stls()
        secured = true
      } catch (error) {
        // -ERR to STLS from a server that never said it had it: not offered, not failed.
        if (!(capabilities === null && isMaildigError(error) && error.code === 'STARTTLS_FAILED' && error.command === 'STLS' && !client.failed)) throw error
      }
    }
    if (secured) {
      tls = into.tls = inspect()
      // RFC 2595 §4: what CAPA said before TLS must be forgotten; ask again.
      capabilities = into.capabilities = await client.capa()
    } else if (mode === 'starttls') {
      throw new MaildigError('STLS_NOT_OFFERED', 'tls', `${client.endpoint} does not offer STLS (required by TLS mode starttls); use port 995 for POP3 over TLS`, {
        subject: client.endpoint,
      })
    } else {
      findings.push(finding('STLS_NOT_OFFERED', `${client.endpoint} does not offer STLS: POP3 on this port runs unencrypted (port 995 may offer TLS)`, host))
    }
  }
  if (capabilities === null) {
    findings.push(finding('POP3_CAPA_UNSUPPORTED', `${client.endpoint} does not answer CAPA (RFC 2449): UIDL, TOP and the login methods are tried blind`, host))
  }
  into.tlsMode = implicit ? 'implicit' : tls ? 'starttls' : 'none'
  into.tls = tls
  into.auth = null

  if (options.user === undefined) {
    findings.push(finding('LOGIN_SKIPPED', 'no user given: the server was checked (greeting, CAPA, TLS), no mailbox was listed', host))
  } else {
    const offered = client.offeredMethods()
    const login = await client.login({
      user: options.user,
      password: options.password ?? '',
      method: options.auth,
      allowInsecureAuth: options.allowInsecureAuth,
    })
    into.auth = {user: options.user, method: login.method, offered}
    if (!client.certificateVerified) {
      const how = client.secure ? 'over TLS with a certificate that is not verified' : 'unencrypted'
      findings.push(finding('AUTH_INSECURE', `credentials were sent ${how} (${methodLabel(login.method)}), as insecure authentication was allowed`, host, 'warning'))
    }
  }
  return into
}
