import {MaildigError} from '../errors.js'
import type {ImapWaitFor} from './schema.js'
import type {NetContext} from '../net/context.js'

// Types only (erased at build): imapflow itself loads lazily, in checkImap.
type FetchMessageObject = import('imapflow').FetchMessageObject
type ImapFlow = import('imapflow').ImapFlow
type SearchObject = import('imapflow').SearchObject

/** RFC 2177 §3: clients should re-issue IDLE at least every 29 minutes; restart well before. */
export const MAX_IDLE_MS = 25 * 60_000
/** Without IDLE: a NOOP (and a SEARCH) this often. */
export const DEFAULT_POLL_MS = 1000
/** Candidates fetched per search: the newest matches (UIDs only grow, RFC 9051 §2.3.1.1). */
const MAX_CANDIDATES = 10

export interface WaitForOptions {
  criterion: 'subject' | 'message-id'
  /** Subject text, or a Message-ID with or without its angle brackets. */
  value: string
  mailbox: string
  timeoutMs: number
  /** When the command started (epoch ms): latencyMs counts from here. */
  startedAt: number
  /** Use IDLE (the server offers it) or NOOP polling. */
  idle: boolean
  pollMs?: number
  onProgress?: (text: string) => void
  /** Told the deadline of the wait, so that a spinner can count down to it (NetContext.progress). */
  progress?: NetContext['progress']
  /**
   * Runs once the mailbox is open (read-only) and before the first search: roundtrip sends its
   * message here, so the login was checked before anything was sent and IDLE hears the arrival.
   */
  onReady?: () => Promise<void>
}

/** `<abc@example.org>` → `abc@example.org`: the Message-ID as a search substring and for comparing. */
export function bareMessageId(id: string): string {
  return id.trim().replace(/^<\s*/, '').replace(/\s*>$/, '')
}

/** Whether the fetched envelope is the awaited message (the server's HEADER search is a substring match). */
export function matchesEnvelope(message: Pick<FetchMessageObject, 'envelope'>, criterion: WaitForOptions['criterion'], value: string): boolean {
  const envelope = message.envelope
  if (!envelope) return true
  if (criterion === 'message-id') return envelope.messageId !== undefined && bareMessageId(envelope.messageId) === bareMessageId(value)
  // The server decodes encoded-words for SEARCH (RFC 9051 §6.4.4); the envelope's subject is decoded too.
  return envelope.subject === undefined || envelope.subject.toLowerCase().includes(value.toLowerCase())
}

/**
 * Waits read-only for a message in `mailbox`: EXAMINE, then UID SEARCH HEADER until it is there;
 * between searches IDLE (woken by EXISTS) or, where IDLE is missing, NOOP every `pollMs`. The
 * match is fetched with ENVELOPE and INTERNALDATE, which never set \Seen. A message already in
 * the mailbox counts (a fast delivery can beat the command); of several matches the newest.
 */
export async function waitForMessage(client: ImapFlow, options: WaitForOptions): Promise<ImapWaitFor> {
  const started = Date.now()
  const deadline = started + options.timeoutMs
  const value = options.criterion === 'message-id' ? bareMessageId(options.value) : options.value
  const query: SearchObject = {header: {[options.criterion === 'message-id' ? 'message-id' : 'subject']: value}}
  let method: ImapWaitFor['method'] = options.idle ? 'idle' : 'noop'
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS
  const base = {criterion: options.criterion, value, mailbox: options.mailbox}

  const opened = await client.mailboxOpen(options.mailbox, {readOnly: true})
  if (!opened.readOnly) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `EXAMINE ${options.mailbox} did not open it read-only`)
  await options.onReady?.()
  let searches = 0
  for (;;) {
    // A message that arrives while the search runs is not in its results, and its EXISTS comes with them (Dovecot
    // reports new mail after each command), before anyone listens for one: IDLE would not hear of it again.
    const existsBefore = existsOf(client)
    const uids = await client.search(query, {uid: true})
    searches++
    if (!uids) {
      throw new MaildigError('IMAP_COMMAND_FAILED', 'check', `the server refused to search ${options.mailbox} for the ${options.criterion}`)
    }
    const found = await newestMatch(client, uids, options.criterion, value)
    if (found) {
      const seenAt = Date.now()
      const date = toDate(found.envelope?.date)
      const internal = toDate(found.internalDate)
      return {
        ...base,
        method,
        found: true,
        alreadyThere: searches === 1,
        uid: found.uid,
        latencyMs: Math.max(0, seenAt - options.startedAt),
        sinceDateMs: date ? seenAt - date.getTime() : null,
        deliveryMs: date && internal ? internal.getTime() - date.getTime() : null,
        waitedMs: seenAt - started,
        searches,
        message: {
          subject: found.envelope?.subject ?? null,
          messageId: found.envelope?.messageId ?? null,
          date: date?.toISOString() ?? null,
          internalDate: internal?.toISOString() ?? null,
          from: found.envelope?.from?.[0]?.address ?? null,
        },
      }
    }
    const now = Date.now()
    if (now >= deadline) {
      return {...base, method, found: false, alreadyThere: false, uid: null, latencyMs: null, sinceDateMs: null, deliveryMs: null, waitedMs: now - started, searches, message: null}
    }
    if (existsOf(client) !== existsBefore) continue
    const slice = Math.min(deadline - now, MAX_IDLE_MS)
    options.onProgress?.(`waiting for the message in ${options.mailbox} (${Math.ceil((deadline - now) / 1000)} s left)`)
    options.progress?.({stage: 'wait', what: `the message in ${options.mailbox}`, deadline})
    if (method === 'idle') {
      if ((await idleUntilChange(client, slice)) === 'refused') method = 'noop'
    } else {
      await sleep(Math.min(pollMs, slice))
      await client.noop()
    }
  }
}

/** How many messages the open mailbox has, as imapflow keeps count from the server's EXISTS responses. */
function existsOf(client: ImapFlow): number | undefined {
  return client.mailbox ? client.mailbox.exists : undefined
}

async function newestMatch(client: ImapFlow, uids: number[], criterion: WaitForOptions['criterion'], value: string): Promise<FetchMessageObject | undefined> {
  for (const uid of [...uids].sort((a, b) => b - a).slice(0, MAX_CANDIDATES)) {
    const message = await client.fetchOne(String(uid), {uid: true, envelope: true, internalDate: true}, {uid: true})
    if (message && matchesEnvelope(message, criterion, value)) return message
  }
  return undefined
}

/**
 * IDLE until the mailbox reports a new message (EXISTS), the slice ends, or IDLE ends on its own.
 * IDLE is left running: imapflow sends DONE before the next command (the SEARCH).
 */
async function idleUntilChange(client: ImapFlow, sliceMs: number): Promise<'woke' | 'ended' | 'refused'> {
  let wake!: () => void
  const woke = new Promise<'woke'>((resolve) => (wake = () => resolve('woke')))
  const timer = setTimeout(wake, sliceMs)
  client.on('exists', wake)
  try {
    // A failure here (the connection went away) shows again at the next command, which reports it.
    const idling = client.idle().then(
      (outcome) => (outcome === false ? ('refused' as const) : ('ended' as const)),
      () => 'ended' as const,
    )
    return await Promise.race([woke, idling])
  } finally {
    clearTimeout(timer)
    client.off('exists', wake)
  }
}

function toDate(value: Date | string | undefined): Date | undefined {
  if (!value) return undefined
  const date = value instanceof Date ? value : new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A delivered message's header, read as roundtrip needs it (BODY.PEEK[HEADER], bounded). */
export interface MessageHeader {
  /** The header as received, up to `maxBytes`. */
  text: string
  truncated: boolean
}

/**
 * The header of the message with `uid`, by UID FETCH BODY.PEEK[HEADER]: PEEK, so \Seen is not set
 * (RFC 9051 §6.4.5). The session's literal bound (check.ts) caps what the server may send; `maxBytes`
 * caps what is kept. Null when the message is gone or the server sends no header.
 */
export async function readHeader(client: ImapFlow, uid: number, maxBytes: number): Promise<MessageHeader | null> {
  const message = await client.fetchOne(String(uid), {uid: true, headers: true}, {uid: true})
  const header = message ? message.headers : undefined
  if (!header) return null
  return {text: header.subarray(0, maxBytes).toString('utf8'), truncated: header.length > maxBytes}
}

/** What became of a message roundtrip was asked to remove. */
export interface Removal {
  removed: boolean
  /** Why not, in words (no UIDPLUS, the server refused, the message stayed). */
  reason: string | null
}

/**
 * Removes the one message with `uid` from `mailbox`, and nothing else: SELECT (read-write), then
 * UID STORE +FLAGS (\Deleted) and UID EXPUNGE (RFC 4315 §2.1) of that UID alone, then a UID
 * SEARCH to see it gone. Without UIDPLUS nothing is touched: a plain EXPUNGE would also remove
 * every other message somebody had flagged \Deleted.
 */
export async function removeMessage(client: ImapFlow, mailbox: string, uid: number): Promise<Removal> {
  if (!client.capabilities.has('UIDPLUS')) {
    return {removed: false, reason: 'the server does not offer UIDPLUS (RFC 4315): UID EXPUNGE of this one message is not possible, and a plain EXPUNGE could remove other messages flagged \\Deleted; the mailbox was left as it is'}
  }
  const opened = await client.mailboxOpen(mailbox, {readOnly: false})
  if (opened.readOnly) return {removed: false, reason: `${mailbox} opened read-only (the server refused write access): nothing was removed`}
  // messageDelete: UID STORE +FLAGS (\Deleted), then UID EXPUNGE of that range (UIDPLUS was checked above).
  const done = await client.messageDelete(String(uid), {uid: true})
  if (!done) return {removed: false, reason: `the server refused to flag or expunge UID ${uid}`}
  const left = await client.search({uid: String(uid)}, {uid: true})
  if (left && left.includes(uid)) return {removed: false, reason: `UID ${uid} is still in ${mailbox} after UID EXPUNGE`}
  return {removed: true, reason: null}
}
