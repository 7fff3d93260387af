import {isMaildigError, MaildigError, withPartial} from '../errors.js'
import type {ConnectionTimings} from '../net/connection.js'
import {SessionClient, type ReplyParser, type SessionOptions} from '../net/session.js'
import {parseGreeting, visible} from './wire.js'

/** Lines read while waiting for a tagged reply before the server is out of protocol (a short exchange: STARTTLS, LOGOUT). */
const MAX_LINES_TO_TAGGED = 50

/**
 * The few IMAP steps maildig takes itself, without imapflow: the greeting, STARTTLS (RFC 9051
 * §6.2.1) and LOGOUT, on the shared session floor. The route's mailbox-server probe stands on it;
 * imap-check's full session goes through imapflow.
 */
export class ImapGreeter extends SessionClient<ConnectionTimings> {
  private tag = 0

  constructor(options: SessionOptions) {
    super('IMAP', options, {})
  }

  /** Connects (TLS first with `implicitTls`) and reads the greeting: OK or PREAUTH, else an error. */
  async connect(implicitTls: boolean): Promise<string> {
    const greeting: ReplyParser<string> = {
      push: (line) => {
        const parsed = parseGreeting(line)
        if (parsed?.status === 'BYE') {
          throw new MaildigError('IMAP_GREETING_BYE', 'connection', `${this.endpoint} greeted with BYE: ${visible(line)}`, {subject: this.session.host, temporary: true})
        }
        if (!parsed) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint} sent no IMAP greeting: ${visible(line.slice(0, 80))}`, {subject: this.session.host})
        return line
      },
    }
    return this.session.open(greeting, implicitTls)
  }

  /** STARTTLS, and the TLS handshake when the server answers OK; false when it refuses. */
  async startTls(): Promise<boolean> {
    if (!(await this.command('STARTTLS'))) return false
    await this.session.upgradeToTls()
    return true
  }

  async close(): Promise<void> {
    await this.session.close(async () => {
      await this.command('LOGOUT')
    })
  }

  /**
   * Sends a tagged command and reads to its tagged reply: true for OK. Untagged lines before it are
   * allowed (RFC 9051 §7), so the session's check for unasked replies is not used.
   */
  private command(command: string): Promise<boolean> {
    const tag = `m${++this.tag}`
    let lines = 0
    this.session.write(`${tag} ${command}`)
    return this.session.read(
      {
        push: (line) => {
          if (line.startsWith(`${tag} `)) return /^\S+ OK/i.test(line)
          if (++lines >= MAX_LINES_TO_TAGGED) throw new MaildigError('PROTOCOL_ERROR', 'protocol', `${this.endpoint}: no answer to ${command} within ${MAX_LINES_TO_TAGGED} lines`, {subject: this.endpoint})
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
