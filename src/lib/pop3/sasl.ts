import {MaildigError} from '../errors.js'
import {saslCramMd5, saslLoginStep, saslPlain, saslXoauth2} from '../net/sasl.js'
import type {ReplyParser, Session} from '../net/session.js'
import {parseAuthLine, type Pop3AuthLine, type Pop3Response} from './response.js'

/** The login methods that run as POP3 AUTH (RFC 5034), and their SASL names. */
export const POP3_SASL_NAMES = {plain: 'PLAIN', login: 'LOGIN', 'cram-md5': 'CRAM-MD5', xoauth2: 'XOAUTH2'} as const
export type Pop3SaslMethod = keyof typeof POP3_SASL_NAMES

/**
 * RFC 5034 §4: "If the initial response would cause the AUTH command to exceed 255 octets, the
 * client MUST NOT include it"; it is sent after an empty challenge instead.
 */
const AUTH_COMMAND_MAX = 255

/** What each challenge is answered with (`step` counts them); undefined cancels the exchange. */
type Respond = (challenge: string, step: number) => string | undefined

/**
 * POP3 AUTH with `method` for `user`: the SASL payloads (net/sasl.ts) over the session, each one
 * registered as a secret and sent masked. Returns the server's final +OK/-ERR.
 * (`password` is the OAuth2 access token with xoauth2.)
 */
export function pop3Sasl(session: Session<object>, method: Pop3SaslMethod, user: string, password: string): Promise<Pop3Response> {
  const mechanism = POP3_SASL_NAMES[method]
  switch (method) {
    case 'plain':
      return exchange(session, mechanism, saslPlain(user, password), () => undefined)
    case 'login': {
      const steps = [saslLoginStep(user), saslLoginStep(password)]
      session.transcript.protect(steps[1])
      return exchange(session, mechanism, undefined, (_challenge, step) => steps[step])
    }
    case 'cram-md5':
      return exchange(session, mechanism, undefined, (challenge, step) => {
        if (step > 0) return undefined
        const payload = saslCramMd5(user, password, challenge)
        session.transcript.protect(payload)
        return payload
      })
    case 'xoauth2':
      // On failure the server sends a continuation with a base64 JSON error and waits for an empty line.
      return exchange(session, mechanism, saslXoauth2(user, password), (_challenge, step) => (step === 0 ? '' : undefined))
  }
}

/**
 * AUTH (RFC 5034): the mechanism with its initial response when the command fits in 255 octets
 * (else the initial response answers the first, empty, challenge), then `respond` answers each
 * continuation until the final +OK/-ERR. When `respond` has no answer, "*" cancels the exchange
 * (§4) and the server's -ERR is returned.
 */
async function exchange(session: Session<object>, mechanism: string, initial: string | undefined, respond: Respond): Promise<Pop3Response> {
  const label = `AUTH ${mechanism}`
  if (initial) session.transcript.protect(initial)
  const parser = (): ReplyParser<Pop3AuthLine> => ({push: (line) => parseAuthLine(line, session.endpoint)})
  const command = initial === undefined ? undefined : `AUTH ${mechanism} ${initial || '='}`
  const inline = command !== undefined && command.length <= AUTH_COMMAND_MAX
  let line = inline ? await session.exec(command, parser(), {label, secret: {keepPrefix: `${label} `}}) : await session.exec(label, parser(), {label})
  let pendingInitial = inline ? undefined : initial
  let step = 0
  for (;;) {
    if (!line.continuation) return line
    let answer: string | undefined
    if (pendingInitial !== undefined) {
      answer = pendingInitial
      pendingInitial = undefined
    } else {
      answer = respond(line.challenge, step++)
    }
    if (answer === undefined) {
      session.write('*')
      const final = await session.read(parser(), {label})
      if (final.continuation) {
        throw session.markFatal(new MaildigError('PROTOCOL_ERROR', 'protocol', `${session.endpoint} went on with ${label} after it was cancelled`, {subject: session.endpoint, command: label}))
      }
      return final
    }
    session.write(answer, true)
    line = await session.read(parser(), {label})
  }
}
