import {MaildigError} from '../errors.js'
import {SECRET_MASK, type Transcript} from '../net/transcript.js'
import {
  classifyServerLine,
  guessProtocol,
  maskCommandLine,
  parseCommandLine,
  parseGreeting,
  SENSITIVE_COMMANDS,
  visible,
  WireSplitter,
  type ImapGreeting,
  type WireItem,
} from './wire.js'

/** What imapflow hands its logger (the fields we read; see imapflow's `logRaw` option). */
export interface ImapLogEntry {
  src?: string
  msg?: string
  /** With logRaw: the bytes read or written, base64. */
  data?: string
  /** imapflow withheld a frame of a LOGIN/AUTHENTICATE exchange (data is a placeholder). */
  hidden?: boolean
  secure?: boolean
  comment?: string
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
  /** Called once with the first fatal observation (garbage, a BYE greeting, a reply deadline). */
  onFatal?: (error: MaildigError) => void
}

interface Pending {
  command: string
  since: number
  /** IDLE waits by design until DONE; its deadline starts then. */
  idling: boolean
}

/**
 * imapflow's logger, made into maildig's record of the session. With `logRaw`, imapflow logs every
 * chunk it reads and writes (base64); this decodes them, splits them into lines and literals, and
 * from that:
 * - fills the transcript, with LOGIN's password and AUTHENTICATE's payloads masked (imapflow's
 *   own placeholder is not relied on: every frame of a credentials exchange is masked here);
 * - judges what the server sends: the first line must be an IMAP greeting, later lines untagged
 *   data, continuations or replies to commands that were sent — anything else is garbage;
 * - keeps the per-reply deadline: a command without its tagged reply after `replyTimeoutMs`
 *   (from when it was sent, or from the server's last `+`) fails the session with REPLY_TIMEOUT,
 *   also when the server trickles bytes. imapflow itself only has an inactivity timer.
 *
 * It never prints: the logger imapflow would otherwise create writes pino JSON to stdout.
 */
export class ImapWireLog {
  greeting?: ImapGreeting & {at: number; line: string}
  /** Bytes the server sent (a greeting timeout with bytes but no line means garbage). */
  serverBytes = 0
  failure?: MaildigError
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
  private lastClientDebug?: {msg: string; comment?: string}
  /** The tag of a LOGIN/AUTHENTICATE whose reply has not come: every client frame until then is secret. */
  private sensitiveTag?: string
  private clientSecretCommand = false
  private watchdog?: NodeJS.Timeout

  constructor(options: WireLogOptions) {
    this.options = options
    this.transcript = options.transcript
  }

  // The logger interface imapflow calls (see its Logger type). error/fatal are accepted silently:
  // the failure reaches us as the rejected promise, and is reported once, by maildig.
  trace(entry: ImapLogEntry): void {
    this.entry(entry)
  }

  debug(entry: ImapLogEntry): void {
    if (entry?.src === 'c' && typeof entry.msg === 'string') this.lastClientDebug = {msg: entry.msg, comment: entry.comment}
  }

  info(_entry: ImapLogEntry): void {}

  warn(entry: ImapLogEntry): void {
    // e.g. "Server does not support STARTTLS, continuing over an unencrypted connection"
    if (typeof entry?.msg === 'string') this.transcript.info(`imapflow: ${entry.msg}`)
  }

  error(_entry: ImapLogEntry): void {}

  fatal(_entry: ImapLogEntry): void {}

  /** imapflow builds debug and trace entries only when asked to. */
  isLevelEnabled(_level: string): boolean {
    return true
  }

  /** Starts the per-reply deadline checks. */
  start(): void {
    const limit = this.options.replyTimeoutMs
    if (!(limit > 0) || !Number.isFinite(limit) || this.watchdog) return
    this.watchdog = setInterval(() => this.checkDeadlines(), Math.max(20, Math.min(250, limit / 5)))
    this.watchdog.unref()
  }

  stop(): void {
    if (this.watchdog) clearInterval(this.watchdog)
    this.watchdog = undefined
  }

  /** Records the first fatal condition and tells the session to close. Later ones are ignored. */
  fail(error: MaildigError): void {
    if (this.failure) return
    this.failure = error
    this.transcript.info(`! ${error.message}`)
    this.stop()
    this.options.onFatal?.(error)
  }

  /** Commands sent and not answered (for a message about where the session stopped). */
  get pendingCommands(): string[] {
    return [...this.pending.values()].map((p) => p.command)
  }

  private entry(entry: ImapLogEntry): void {
    if (!entry || typeof entry.data !== 'string') return
    const secure = entry.secure === true
    if (entry.src === 's') {
      const chunk = Buffer.from(entry.data, 'base64')
      this.serverBytes += chunk.length
      for (const item of this.server.push(chunk)) this.serverItem(item, secure)
    } else if (entry.src === 'c') {
      if (entry.hidden) this.hiddenClientFrame(secure)
      else for (const item of this.client.push(Buffer.from(entry.data, 'base64'))) this.clientItem(item, secure)
    }
  }

  /**
   * imapflow withholds every frame of a LOGIN/AUTHENTICATE exchange from its raw log. The first is
   * the command itself: its text comes from the debug entry logged just before (imapflow masks the
   * password there too; maskCommandLine masks it again). The others are credentials.
   */
  private hiddenClientFrame(secure: boolean): void {
    const debug = this.lastClientDebug
    this.lastClientDebug = undefined
    const command = debug && !debug.comment && !this.sensitiveTag ? parseCommandLine(debug.msg) : undefined
    if (debug && command) {
      this.command(debug.msg, command, secure)
      return
    }
    this.transcript.add('send', SECRET_MASK, secure)
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
    if (!this.greeting) {
      this.greetingLine(item.text)
      return
    }
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
        return
      }
    }
  }

  private greetingLine(text: string): void {
    const greeting = parseGreeting(text)
    if (!greeting) {
      const other = guessProtocol(text)
      this.fail(
        new MaildigError(
          'PROTOCOL_ERROR',
          'protocol',
          `${this.options.endpoint} did not greet like an IMAP server: "${visible(text)}"${other ? ` — this looks like ${other}` : ''}; check the host and --port`,
          {subject: this.options.endpoint, response: visible(text)},
        ),
      )
      return
    }
    this.greeting = {...greeting, at: performance.now(), line: text}
    if (greeting.code === 'ALERT') this.alerts.push(greeting.text)
    if (greeting.status === 'BYE') {
      // RFC 9051 §7.1.5: a BYE greeting means the server will not accept a session now.
      this.fail(
        new MaildigError('IMAP_GREETING_BYE', 'connection', `${this.options.endpoint} greeted with BYE and closed: ${greeting.text || '(no reason given)'}`, {
          subject: this.options.endpoint,
          response: text,
          temporary: true,
        }),
      )
    }
  }

  private checkDeadlines(): void {
    if (this.failure) return
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
