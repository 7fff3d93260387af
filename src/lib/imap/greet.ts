import {isMaildigError, MaildigError, withPartial} from '../errors.js'
import type {ConnectionTimings} from '../net/connection.js'
import type {HandedStream, HandOverOptions} from '../net/hand-over.js'
import {SessionClient, type ReplyParser, type SessionOptions} from '../net/session.js'
import {explainOpening, starttlsRequired} from './errors.js'
import {classifyServerLine, guessProtocol, parseGreeting, splitCapabilities, visible, type ImapGreeting} from './wire.js'

/** Lines read while waiting for a tagged reply before the server is out of protocol (a short exchange: CAPABILITY, STARTTLS, LOGOUT). */
const MAX_LINES_TO_TAGGED = 50

export interface ImapGreeterTimings extends ConnectionTimings {
  /** From the session's start (TCP up, and TLS for implicit TLS) to the greeting. */
  greetingMs?: number
}

/** When to secure a session that did not start in TLS (RFC 9051 §6.2.1). */
export type StarttlsPolicy = 'required' | 'when-offered' | 'never'

/**
 * The IMAP steps maildig takes itself, on the shared session floor: the greeting (judged here:
 * BYE, garbage, another protocol), CAPABILITY, STARTTLS (RFC 9051 §6.2.1) and LOGOUT. The route's
 * mailbox-server probe stands on it; imap-check secures the session with it (`secure()`) and then
 * hands the connection to imapflow (`handOver()`) for the login and the mailboxes.
 */
export class ImapGreeter extends SessionClient<ImapGreeterTimings> {
  /** The greeting, once read. */
  greeting?: ImapGreeting & {line: string}
  private tag = 0
  private startedTls = false

  constructor(options: SessionOptions) {
    // Garbage in the greeting is quoted back (escaped) and named: another protocol, or not IMAP.
    super('IMAP', {acceptBinary: true, ...options}, {})
  }

  /** Connects (TLS first with `implicitTls`) and reads the greeting: OK or PREAUTH, else an error. */
  async connect(implicitTls: boolean): Promise<string> {
    const greeting: ReplyParser<string> = {
      push: (line) => {
        const parsed = parseGreeting(line)
        if (!parsed) {
          const other = guessProtocol(line)
          throw new MaildigError(
            'PROTOCOL_ERROR',
            'protocol',
            `${this.endpoint} did not greet like an IMAP server: "${visible(line)}"${other ? ` — this looks like ${other}` : ''}; check the host and port`,
            {subject: this.endpoint, response: visible(line)},
          )
        }
        if (parsed.status === 'BYE') {
          // RFC 9051 §7.1.5: a BYE greeting means the server will not accept a session now.
          this.session.markBroken()
          throw new MaildigError('IMAP_GREETING_BYE', 'connection', `${this.endpoint} greeted with BYE and closed: ${parsed.text || '(no reason given)'}`, {
            subject: this.endpoint,
            response: visible(line),
            temporary: true,
          })
        }
        this.greeting = {...parsed, line}
        return line
      },
    }
    return this.session.open(greeting, implicitTls)
  }

  /** CAPABILITY (RFC 9051 §6.1.1): what the server offers now. */
  async capability(): Promise<string[]> {
    const capabilities: string[] = []
    const reply = await this.command('CAPABILITY', (line) => {
      const match = /^\* CAPABILITY (.*)$/i.exec(line)
      if (match) capabilities.push(...splitCapabilities(match[1]))
    })
    if (!reply.ok) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} refused CAPABILITY: ${visible(reply.line)}`, {subject: this.endpoint, response: visible(reply.line)})
    return capabilities
  }

  /** STARTTLS, and the TLS handshake when the server answers OK; false when it refuses. */
  async startTls(): Promise<boolean> {
    if (!(await this.command('STARTTLS')).ok) return false
    await this.session.upgradeToTls()
    this.startedTls = true
    return true
  }

  /**
   * Secures a session that is not in TLS yet, as `policy` says: STARTTLS when the greeting's (or
   * CAPABILITY's) list offers it. Never a silent downgrade when it is `required`: a PREAUTH
   * greeting, a list without STARTTLS or a refusal is then STARTTLS_NOT_OFFERED. Returns whether
   * the session is now in TLS.
   */
  async secureWith(policy: StarttlsPolicy): Promise<boolean> {
    const greeting = this.greeting
    if (!greeting) throw new MaildigError('INTERNAL_ERROR', 'internal', 'the IMAP greeting was not read')
    if (policy === 'never') return false
    const notNow = (why: string): false => {
      if (policy === 'required') throw starttlsRequired(this.endpoint, why)
      this.transcript.info(`${why}: continuing without TLS`)
      return false
    }
    // RFC 9051 §6.2.1: STARTTLS is only valid before authentication, which PREAUTH skips.
    if (greeting.status === 'PREAUTH') return notNow('greeted with PREAUTH, so STARTTLS is no longer possible')
    const capabilities = greeting.capabilities ?? (await this.capability())
    if (!capabilities.some((c) => c.toUpperCase() === 'STARTTLS')) return notNow('does not offer STARTTLS')
    return (await this.startTls()) || notNow('refused STARTTLS')
  }

  /**
   * Hands the connection to imapflow, which reads the greeting again (replayed: imapflow starts
   * with it) and then speaks the rest. After STARTTLS the greeting's capability list is left out,
   * so imapflow asks again inside TLS (RFC 9051 §6.2.1: a list seen in plaintext is not kept). The
   * Connection keeps the socket's errors, the close, and a view of every byte (`options.onRead`,
   * `onWrite`).
   */
  handOver(options: Omit<HandOverOptions, 'replay'> = {}): HandedStream {
    const greeting = this.greeting
    if (!greeting) throw new MaildigError('INTERNAL_ERROR', 'internal', 'the IMAP greeting was not read')
    const line = this.startedTls ? `* ${greeting.status} ${greeting.text}` : greeting.line
    return this.session.handOver({...options, replay: Buffer.from(`${line}\r\n`)})
  }

  /** LOGOUT when the session is still ours and healthy, then the close; within the close grace. */
  async close(): Promise<void> {
    await this.session.close(async () => {
      await this.command('LOGOUT')
    })
  }

  /**
   * Sends a tagged command and reads to its tagged reply. Untagged lines before it are allowed
   * (RFC 9051 §7) and handed to `untagged`, so the session's check for unasked replies is not used.
   */
  private async command(command: string, untagged?: (line: string) => void): Promise<{ok: boolean; line: string}> {
    const tag = `m${++this.tag}`
    let lines = 0
    this.session.write(`${tag} ${command}`)
    return this.session.read(
      {
        push: (line) => {
          const kind = classifyServerLine(line)
          if (kind.kind === 'tagged' && kind.tag === tag) return {ok: kind.status === 'OK', line}
          if (kind.kind === 'invalid' || kind.kind === 'tagged') {
            throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} sent a line that is not IMAP in answer to ${command}: "${visible(line)}"`, {subject: this.endpoint, response: visible(line)})
          }
          if (++lines >= MAX_LINES_TO_TAGGED) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint}: no answer to ${command} within ${MAX_LINES_TO_TAGGED} lines`, {subject: this.endpoint})
          untagged?.(line)
          return undefined
        },
      },
      {label: command},
    )
  }
}

/**
 * Greets an IMAP server and secures the session (TLS from the first byte, or STARTTLS when the
 * server agrees), then stops before any login. The caller inspects `client.tlsSocket` and closes
 * the client (LOGOUT).
 */
export async function greetImap(options: SessionOptions & {implicitTls: boolean}): Promise<{client: ImapGreeter; greeting: string; tlsMode: 'implicit' | 'starttls' | 'none'}> {
  const client = new ImapGreeter(options)
  try {
    const greeting = await client.connect(options.implicitTls)
    if (options.implicitTls) return {client, greeting, tlsMode: 'implicit'}
    return {client, greeting, tlsMode: (await client.startTls()) ? 'starttls' : 'none'}
  } catch (error) {
    await client.close()
    throw isMaildigError(error) ? withPartial(error, {address: client.remoteAddress ?? null}) : error
  }
}

/**
 * Opens imap-check's session on the floor: connect (TLS first with `implicitTls`), the greeting,
 * and STARTTLS as `starttls` says. The floor's errors are told in IMAP's words (which port speaks
 * what). On a failure the caller reads what the client saw (timings, the TLS socket) and closes it.
 */
export async function openImap(client: ImapGreeter, options: {port: number; implicitTls: boolean; starttls: StarttlsPolicy}): Promise<'implicit' | 'starttls' | 'none'> {
  try {
    await client.connect(options.implicitTls)
    if (options.implicitTls) return 'implicit'
    return (await client.secureWith(options.starttls)) ? 'starttls' : 'none'
  } catch (error) {
    throw isMaildigError(error) ? explainOpening(error, {endpoint: client.endpoint, port: options.port, implicit: options.implicitTls}) : error
  }
}
