import {hostname} from 'node:os'
import {randomBytes} from 'node:crypto'
import {invalidValue} from '../errors.js'
import type {MailAddress} from '../address.js'

export interface MessageInput {
  from: MailAddress
  to: MailAddress[]
  cc: MailAddress[]
  subject?: string
  text?: string
  html?: string
  /** Read by the caller, within its bounds (the library reads no files). */
  attachments: Array<{filename: string; content: Buffer}>
  /** "Name: value" strings; a name given twice keeps the last value. */
  headers: string[]
  now?: Date
  /** The unique token (default: 12 random hex digits); roundtrip chooses it to put it in its own header too. */
  token?: string
}

export interface ComposedMessage {
  raw: Buffer
  messageId: string
  subject: string
  /** The unique token in the default subject, for finding the message again. */
  token: string
  envelope: {from: string; to: string[]}
}

/** Headers whose value nodemailer owns; an extra header of such a name replaces it through the matching mail option. */
const OWN_HEADERS = new Set(['from', 'to', 'cc', 'subject', 'message-id', 'date'])

/** One extra header, "Name: value"; a bad one is an InvalidValueError of the field `headers`. */
export function parseHeader(text: string): {name: string; value: string} {
  if (/[\r\n\0]/.test(text)) throw invalidValue<MessageInput>('headers', 'the header contains a CR, LF or NUL character')
  const match = /^([!-9;-~]+):\s?(.*)$/.exec(text)
  if (!match) throw invalidValue<MessageInput>('headers', `"${text}" is not "Name: value"`)
  return {name: match[1], value: match[2]}
}

/**
 * Builds the message with nodemailer's MIME composer (loaded only here, when a message is sent).
 * The default subject carries a unique token and the time, so the message can be found again
 * (imap-check --wait-for-subject); the default body says what sent it, when, and from where.
 */
export async function composeMessage(input: MessageInput): Promise<ComposedMessage> {
  const now = input.now ?? new Date()
  const token = input.token ?? randomBytes(6).toString('hex')
  const headers = new Map<string, {name: string; value: string}>()
  for (const h of input.headers) {
    const header = parseHeader(h)
    headers.set(header.name.toLowerCase(), header)
  }
  const own = (name: string) => headers.get(name)?.value
  const subject = own('subject') ?? input.subject ?? `maildig test ${token} ${now.toISOString()}`
  if (/[\r\n\0]/.test(subject)) throw invalidValue<MessageInput>('subject', 'the subject contains a CR, LF or NUL character')
  const domain = input.from.asciiDomain
  const messageId = own('message-id') ?? `<maildig.${token}.${now.getTime()}@${domain}>`
  const text =
    input.text ??
    (input.html
      ? undefined
      : `This is a test message from maildig, a mail delivery diagnostic tool.\nSent at ${now.toISOString()} from ${hostname()}.\n\nToken: ${token}\n`)

  const extra: Record<string, string> = {}
  for (const [key, header] of headers) if (!OWN_HEADERS.has(key)) extra[header.name] = header.value

  const {default: MailComposer} = await import('nodemailer/lib/mail-composer')
  const mail = new MailComposer({
    from: own('from') ?? input.from.address,
    to: own('to') ?? input.to.map((a) => a.address),
    cc: own('cc') ?? (input.cc.length ? input.cc.map((a) => a.address) : undefined),
    subject,
    messageId,
    date: own('date') ?? now,
    text,
    html: input.html,
    attachments: input.attachments,
    headers: {...extra, 'X-Mailer': extra['X-Mailer'] ?? 'maildig'},
  })
  const raw: Buffer = await new Promise((resolve, reject) => mail.compile().build((error: Error | null, message: Buffer) => (error ? reject(error) : resolve(message))))
  return {
    raw,
    messageId,
    subject,
    token,
    // The envelope carries A-labels unless the local part needs SMTPUTF8 anyway.
    envelope: {from: wire(input.from), to: [...input.to, ...input.cc].map(wire)},
  }
}

function wire(address: MailAddress): string {
  return address.needsSmtpUtf8 ? address.address : address.wireAddress
}
