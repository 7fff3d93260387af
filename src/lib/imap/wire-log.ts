import {MaildigError} from '../errors.js'
import {SECRET_MASK, type Transcript} from '../net/transcript.js'
import {classifyServerLine, maskCommandLine, parseCommandLine, SENSITIVE_COMMANDS, visible, WireSplitter, type ImapGreeting, type WireItem} from './wire.js'

// Types only (erased at build): imapflow itself loads lazily, in checkImap.
type ImapLogger = import('imapflow').Logger

/** What imapflow hands its logger (the field we read). */
export interface ImapLogEntry {
  msg?: string
  [key: string]: unknown
}

export interface TaggedReply {
  status: 'OK' | 'NO' | 'BAD'
  code: string | null
  text: string
}

/** The credentials exchange, as seen on the wire. */
export interface AuthExchange {
  tag: string
  /** `LOGIN` or `AUTHENTICATE PLAIN` (…), never with arguments. */
  command: string
  startedAt: number
  finishedAt?: number
  reply?: TaggedReply
}

export interface WireLogOptions {
  transcript: Transcript
  /** Deadline for each reply (docs/cli.md, --timeout "each reply"). 0 or Infinity: none. */
  replyTimeoutMs: number
  /** `host [address]:port`, for messages. */
  endpoint: string
  /** The greeting maildig read before it handed the connection to imapflow (greet.ts). */
  greeting: ImapGreeting & {line: string}
  /** Called once with the first fatal observation (garbage, a reply deadline): break the connection there. */
  onFatal?: (error: MaildigError) => void
}

interface Pending {
  command: string
  since: number
  /** IDLE waits by design until DONE; its deadline starts then. */
  idling: boolean
}

/**
 * maildig's record of the IMAP session after the hand-over to imapflow. The Connection under
 * imapflow shows it every byte read and written (net/hand-over.ts); this splits them into lines
 * and literals, and from that:
 * - fills the transcript, with LOGIN's password and AUTHENTICATE's payloads masked where they
 *   enter (every frame of a credentials exchange, whatever imapflow chose to log);
 * - judges what the server sends: untagged data, continuations or replies to commands that were
 *   sent — anything else is garbage;
 * - keeps the per-reply deadline (docs/cli.md: a deadline, not an idle timer): a command without
 *   its tagged reply `replyTimeoutMs` after it was sent (or after the server's last `+`) fails the
 *   session with REPLY_TIMEOUT, also when the server trickles bytes or floods untagged lines. It is
 *   checked by a timer and on every chunk that arrives, so a server that never stops sending cannot
 *   starve it.
 *
 * It is also imapflow's logger, which only passes warnings on as notes: imapflow's own logger
 * would write pino JSON to stdout.
 */
export class ImapWireLog {
  readonly greeting: ImapGreeting & {line: string}
  /** Bytes the server sent after the hand-over. */
  serverBytes = 0
  failure?: MaildigError
  /** Rejects with the first fatal observation: imapflow's promises are raced against it, so maildig stops when it does. */
  readonly failed: Promise<never>
  auth?: AuthExchange
  /** An untagged BYE that did not answer LOGOUT: the server's reason for closing. */
  bye?: string
  /** Tagged replies by command name, the latest of each (for error messages). */
  readonly lastReply = new Map<string, TaggedReply>()
  /** Untagged responses since the last tagged reply while a command waited for one (a flood instead of an answer). */
  untaggedWhileWaiting = 0
  /** Texts of [ALERT] response codes (RFC 9051 §7.1): meant to be shown to the user. */
  readonly alerts: string[] = []

  private readonly transcript: Transcript
  private readonly options: WireLogOptions
  private readonly server = new WireSplitter()
  private readonly client = new WireSplitter()
  private readonly pending = new Map<string, Pending>()
  /** The tag of a LOGIN/AUTHENTICATE whose reply has not come: every client frame until then is secret. */
  private sensitiveTag?: string
  private clientSecretCommand = false
  private running = false
  private timer?: NodeJS.Timeout
  private rejectFailed!: (error: MaildigError) => void

  constructor(options: WireLogOptions) {
    this.options = options
    this.transcript = options.transcript
    this.greeting = options.greeting
    if (options.greeting.code === 'ALERT') this.alerts.push(options.greeting.text)
    this.failed = new Promise<never>((_resolve, reject) => {
      this.rejectFailed = reject
    })
    this.failed.catch(() => undefined)
  }

  /** Bytes read from the server (HandOverOptions.onRead). */
  received(chunk: Buffer, tls: boolean): void {
    this.serverBytes += chunk.length
    for (const item of this.server.push(chunk)) this.serverItem(item, tls)
    this.checkDeadlines()
  }

  /** Bytes imapflow writes (HandOverOptions.onWrite). */
  sent(chunk: Buffer, tls: boolean): void {
    for (const item of this.client.push(chunk)) this.clientItem(item, tls)
  }

  /**
   * The logger imapflow calls. Only warnings are taken (as notes): imapflow asks a plain object
   * which levels it has, so it builds no debug or trace entries at all. error and fatal are
   * accepted silently: the failure reaches maildig as the rejected promise, and is reported once.
   */
  get logger(): ImapLogger {
    return {
      warn: (entry: ImapLogEntry) => {
        if (typeof entry?.msg === 'string') this.transcript.info(`imapflow: ${entry.msg}`)
      },
      error: () => undefined,
      fatal: () => undefined,
    } as unknown as ImapLogger
  }

  /** Starts the per-reply deadlines. */
  start(): void {
    this.running = true
    this.schedule()
  }

  stop(): void {
    this.running = false
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Records the first fatal condition and tells the session to close. Later ones are ignored. */
  fail(error: MaildigError): void {
    if (this.failure) return
    this.failure = error
    this.stop()
    this.rejectFailed(error)
    this.options.onFatal?.(error)
  }

  /** Commands sent and not answered (for a message about where the session stopped). */
  get pendingCommands(): string[] {
    return [...this.pending.values()].map((p) => p.command)
  }

  /** Races imapflow's `work` against the session's first fatal observation. */
  guard<T>(work: Promise<T>): Promise<T> {
    work.catch(() => undefined)
    return Promise.race([work, this.failed])
  }

  private clientItem(item: WireItem, secure: boolean): void {
    if (item.kind === 'literal') {
      if (this.clientSecretCommand || this.sensitiveTag) {
        this.transcript.add('send', `${SECRET_MASK} (${item.bytes} bytes)`, secure)
      } else {
        this.transcript.add('send', `{${item.bytes} bytes}${item.lines.length ? ` ${item.lines.join(' ⏎ ')}` : ''}${item.truncated ? ' …' : ''}`, secure)
      }
      return
    }
    if (!item.first) {
      // The rest of a command after a literal.
      this.transcript.add('send', this.clientSecretCommand ? SECRET_MASK : item.text, secure)
      return
    }
    if (this.sensitiveTag) {
      // A SASL response (RFC 9051 §6.2.2): base64 of credentials, or "*" to cancel.
      this.transcript.add('send', item.text === '*' ? '*' : SECRET_MASK, secure)
      return
    }
    const idle = [...this.pending.entries()].find(([, p]) => p.command === 'IDLE')
    if (item.text.toUpperCase() === 'DONE' && idle) {
      idle[1].idling = false
      idle[1].since = performance.now()
      this.transcript.add('send', item.text, secure)
      this.schedule()
      return
    }
    const command = parseCommandLine(item.text)
    if (!command) {
      this.transcript.add('send', item.text, secure)
      return
    }
    this.command(item.text, command, secure)
  }

  private command(line: string, command: {tag: string; command: string}, secure: boolean): void {
    const sensitive = SENSITIVE_COMMANDS.has(command.command)
    this.clientSecretCommand = sensitive
    this.transcript.add('send', sensitive ? maskCommandLine(line) : line, secure)
    const name = command.command === 'AUTHENTICATE' ? `AUTHENTICATE ${(/^\S+ \S+ (\S+)/.exec(line)?.[1] ?? '').toUpperCase()}`.trim() : command.command
    this.pending.set(command.tag, {command: name, since: performance.now(), idling: command.command === 'IDLE'})
    if (sensitive) {
      this.sensitiveTag = command.tag
      this.auth = {tag: command.tag, command: name, startedAt: performance.now()}
    }
    this.schedule()
  }

  private serverItem(item: WireItem, secure: boolean): void {
    if (item.kind === 'literal') {
      for (const line of item.lines) this.transcript.add('recv', line, secure)
      this.transcript.add('info', `(literal: ${item.bytes} bytes${item.truncated ? ', not all shown' : ''})`, secure)
      return
    }
    const text = item.truncated ? `${item.text}… (${item.bytes} bytes)` : item.text
    this.transcript.add('recv', text, secure)
    if (this.failure) return
    // The rest of a response after a literal.
    if (!item.first) return
    const line = classifyServerLine(item.text)
    switch (line.kind) {
      case 'invalid':
        this.fail(
          new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.options.endpoint} sent a line that is not IMAP: "${visible(item.text)}"`, {
            subject: this.options.endpoint,
            response: visible(item.text),
          }),
        )
        return
      case 'continuation': {
        // The exchange goes on (a SASL challenge, a literal accepted, IDLE started): its deadline restarts.
        const current = [...this.pending.values()].find((p) => !p.idling)
        if (current) current.since = performance.now()
        this.schedule()
        return
      }
      case 'untagged':
        if ([...this.pending.values()].some((p) => !p.idling)) this.untaggedWhileWaiting++
        if (line.code === 'ALERT') this.alerts.push(line.text)
        if (line.status === 'BYE' && ![...this.pending.values()].some((p) => p.command === 'LOGOUT')) this.bye = line.text
        return
      case 'tagged': {
        if (line.code === 'ALERT') this.alerts.push(line.text)
        const pending = this.pending.get(line.tag)
        if (!pending) {
          this.fail(
            new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.options.endpoint} answered a command that was never sent (tag ${visible(line.tag)}): "${visible(item.text)}"`, {
              subject: this.options.endpoint,
              response: visible(item.text),
            }),
          )
          return
        }
        this.pending.delete(line.tag)
        this.untaggedWhileWaiting = 0
        const reply = {status: line.status, code: line.code, text: line.text}
        this.lastReply.set(pending.command, reply)
        if (line.tag === this.sensitiveTag) {
          this.sensitiveTag = undefined
          this.clientSecretCommand = false
          if (this.auth) {
            this.auth.finishedAt = performance.now()
            this.auth.reply = reply
          }
        }
        this.schedule()
        return
      }
    }
  }

  /** Arms the timer for the earliest reply deadline of the commands waiting (IDLE waits by design until DONE). */
  private schedule(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const limit = this.options.replyTimeoutMs
    if (!this.running || this.failure || !(limit > 0) || !Number.isFinite(limit)) return
    let since = Infinity
    for (const pending of this.pending.values()) if (!pending.idling) since = Math.min(since, pending.since)
    if (since === Infinity) return
    this.timer = setTimeout(() => this.checkDeadlines(), Math.max(0, since + limit - performance.now()) + 1)
    this.timer.unref()
  }

  private checkDeadlines(): void {
    const limit = this.options.replyTimeoutMs
    if (this.failure || !this.running || !(limit > 0) || !Number.isFinite(limit)) return
    const now = performance.now()
    for (const pending of this.pending.values()) {
      if (pending.idling) continue
      const waited = now - pending.since
      if (waited > this.options.replyTimeoutMs) {
        const ms = this.options.replyTimeoutMs
        this.fail(
          new MaildigError(
            'REPLY_TIMEOUT',
            'timeout',
            `no complete reply from ${this.options.endpoint} to ${pending.command} within ${ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`}: the server stopped answering`,
            {subject: this.options.endpoint, command: pending.command, temporary: true},
          ),
        )
        return
      }
    }
  }
}
