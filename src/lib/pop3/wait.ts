import {bareMessageId} from '../imap/wait.js'
import type {Finding} from '../findings.js'
import type {NetContext} from '../net/context.js'
import {Transcript} from '../net/transcript.js'
import type {TlsInfo} from '../tls/inspect.js'
import {Pop3Client, type Pop3AuthMethod} from './client.js'
import {headersOf, MAX_LISTED_MESSAGES, MAX_TOP_BYTES, MAX_TOP_LINES, openPop3Session, POP3_PORT, POP3S_PORT, type Pop3TlsMode} from './list.js'

/** Between two polls: each is a whole session (TLS, login), as a POP3 session never sees mail that arrives during it (RFC 1939 §8). */
export const DEFAULT_POP3_POLL_MS = 2000
/** Headers read per poll (TOP n 0), newest first: a flood of new mail does not make one poll endless. */
const MAX_CANDIDATES = 10

export interface Pop3WaitOptions {
  host: string
  port?: number
  tls?: Pop3TlsMode
  net?: NetContext
  certDays?: number
  user: string
  password: string
  auth?: Pop3AuthMethod
  allowInsecureAuth?: boolean
  /** The Message-ID to wait for, with or without its angle brackets. */
  messageId: string
  timeoutMs: number
  pollMs?: number
  /** Epoch ms: latencyMs counts from here. */
  startedAt: number
  transcript?: Transcript
  /** Runs after the first session (login checked, the maildrop's unique-ids noted) and before the first poll. */
  onReady?: () => Promise<void>
  onProgress?: (text: string) => void
}

export interface Pop3WaitOutcome {
  address: string | null
  port: number
  tlsMode: 'implicit' | 'starttls' | 'none'
  tls: TlsInfo | null
  authMethod: Pop3AuthMethod | null
  found: boolean
  /** UIDL unique-id of the message, when the server has UIDL. */
  uid: string | null
  latencyMs: number | null
  waitedMs: number
  /** Sessions held after the first (each: STAT, UIDL, TOP of the new messages). */
  polls: number
  /** The message's header, as TOP n 0 returned it (bounded by MAX_TOP_BYTES). */
  header: string | null
  /** The first session's login, in ms. */
  loginMs: number | null
  findings: Finding[]
}

/**
 * Waits for a message in a POP3 maildrop, reading only: a first session logs in and notes the
 * unique-ids already there (then `onReady` runs: roundtrip sends); then, every `pollMs`, a new
 * session — STAT, UIDL, and TOP n 0 of the messages not seen before, newest first — until one
 * carries the Message-ID or `timeoutMs` has passed. Never RETR, never DELE; each session ends with
 * RSET and QUIT (Pop3Client.close). Findings (certificate, STLS) come from the first session.
 */
export async function waitForPop3Message(options: Pop3WaitOptions): Promise<Pop3WaitOutcome> {
  const mode: Pop3TlsMode = options.tls ?? 'auto'
  const port = options.port ?? (mode === 'implicit' ? POP3S_PORT : POP3_PORT)
  const implicit = mode === 'implicit' || (mode === 'auto' && port === POP3S_PORT)
  const transcript = options.transcript ?? new Transcript(performance.now())
  transcript.protectCredential(options.user, options.password)
  const wanted = bareMessageId(options.messageId)
  const known = new Set<string>()
  const findings: Finding[] = []
  const pollMs = options.pollMs ?? DEFAULT_POP3_POLL_MS

  /** One session: open, log in, then `work`; RSET and QUIT whatever happens. */
  const session = async <T>(work: (client: Pop3Client) => Promise<T>, into: Finding[]) => {
    const client = new Pop3Client({host: options.host, port, net: options.net, transcript})
    try {
      const opened = await openPop3Session(client, options, {mode, implicit, now: new Date()}, into)
      const value = await work(client)
      return {opened, value, address: client.remoteAddress ?? null, loginMs: client.timings.authMs ?? null}
    } finally {
      await client.close()
    }
  }

  const first = await session(async (client) => {
    const stat = await client.stat()
    for (const {uid} of await unseenUids(client, stat.messages, known)) if (uid !== null) known.add(uid)
    return client.capabilities === null || client.hasCapability('UIDL')
  }, findings)
  await options.onReady?.()

  const started = Date.now()
  const deadline = started + options.timeoutMs
  let polls = 0
  for (;;) {
    polls++
    options.onProgress?.(`polling the POP3 maildrop (${Math.max(0, Math.ceil((deadline - Date.now()) / 1000))} s left)`)
    const {value: match} = await session(async (client) => {
      const stat = await client.stat()
      const candidates = (await unseenUids(client, stat.messages, known)).slice(0, MAX_CANDIDATES)
      if (candidates.length === 0) return undefined
      const tops = await client.top(candidates.map((c) => c.number), {maxLines: MAX_TOP_LINES, maxBytes: MAX_TOP_BYTES})
      for (const candidate of candidates) {
        const lines = tops.get(candidate.number)
        if (!lines) continue
        const id = headersOf(lines).messageId
        if (id !== null && bareMessageId(id) === wanted) return {uid: candidate.uid, header: lines.join('\r\n')}
        if (candidate.uid !== null) known.add(candidate.uid)
      }
      return undefined
    }, [])
    const now = Date.now()
    if (match) {
      return {...base(), found: true, uid: match.uid, latencyMs: Math.max(0, now - options.startedAt), waitedMs: now - started, polls, header: match.header}
    }
    if (now >= deadline) return {...base(), found: false, uid: null, latencyMs: null, waitedMs: now - started, polls, header: null}
    await sleep(Math.min(pollMs, deadline - now))
  }

  function base() {
    return {
      address: first.address,
      port,
      tlsMode: first.opened.tlsMode ?? 'none',
      tls: first.opened.tls ?? null,
      authMethod: first.opened.auth?.method ?? null,
      loginMs: first.loginMs,
      findings,
    } as const
  }
}

/**
 * The messages whose unique-id is not in `known`, newest (highest number) first. Without UIDL
 * every message counts as new (each poll then reads the newest few again). A maildrop too large
 * for one UIDL listing is asked message by message, for the newest few.
 */
async function unseenUids(client: Pop3Client, count: number, known: ReadonlySet<string>): Promise<Array<{number: number; uid: string | null}>> {
  if (count === 0) return []
  const newest = (n: number) => Array.from({length: Math.min(n, count)}, (_, i) => count - i)
  const uidl = client.capabilities === null || client.hasCapability('UIDL')
  let entries: Array<{number: number; uid: string | null}>
  if (!uidl) {
    entries = newest(MAX_CANDIDATES).map((number) => ({number, uid: null}))
  } else if (count <= MAX_LISTED_MESSAGES) {
    const listing = await client.uidl(count)
    entries = listing ? listing.map((e) => ({number: e.number, uid: e.uid})) : newest(MAX_CANDIDATES).map((number) => ({number, uid: null}))
  } else {
    const ids = await client.uidlEach(newest(MAX_CANDIDATES * 5))
    entries = [...ids].map(([number, uid]) => ({number, uid}))
  }
  return entries.filter((e) => e.uid === null || !known.has(e.uid)).sort((a, b) => b.number - a.number)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
