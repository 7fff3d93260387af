import {nodeCrypto} from '../builtins.js'

/**
 * SASL payloads shared by SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP AUTHENTICATE: pure
 * functions returning base64 text. Every value they return is a secret: record it masked.
 */
export type SaslMechanism = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2'

/** RFC 4616: authzid NUL authcid NUL password, with an empty authzid. */
export function saslPlain(user: string, password: string): string {
  return Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64')
}

/** The LOGIN mechanism (draft-murchison-sasl-login): user name, then password, each base64. */
export function saslLoginStep(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64')
}

/** RFC 2195: `user SP hex(HMAC-MD5(password, challenge))`, with the challenge as the server sent it (base64). */
export function saslCramMd5(user: string, password: string, challengeBase64: string): string {
  const challenge = Buffer.from(challengeBase64.trim(), 'base64')
  const digest = nodeCrypto().createHmac('md5', Buffer.from(password, 'utf8')).update(challenge).digest('hex')
  return Buffer.from(`${user} ${digest}`, 'utf8').toString('base64')
}

/** Google/Microsoft XOAUTH2: `user=… ^A auth=Bearer … ^A ^A`. */
export function saslXoauth2(user: string, token: string): string {
  return Buffer.from(`user=${user}\x01auth=Bearer ${token}\x01\x01`, 'utf8').toString('base64')
}

/** Decodes a 334 challenge for display ("Username:"); undefined when it is not printable text. */
export function decodeChallenge(text: string): string | undefined {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed)) return undefined
  const decoded = Buffer.from(trimmed, 'base64').toString('utf8')
  return /^[\x20-\x7e]*$/.test(decoded) ? decoded : undefined
}
