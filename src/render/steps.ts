import type {ChalkInstance} from 'chalk'
import type {TranscriptLine} from '../lib/net/transcript.js'
import {formatDuration} from '../lib/duration.js'
import {marks} from './style.js'

const CLOSING = new Set(['RSET', 'QUIT', 'LOGOUT'])

/** At most this many steps before a failure are shown; earlier ones are summed up in one line. */
const MAX_STEPS = 12

/**
 * The steps a failed conversation got through before it failed, as swaks shows them: connected, the greeting, each
 * command with the first line of its reply, TLS. Made from the (masked) transcript, so it is the same for SMTP, POP3
 * and IMAP; the command that got no answer is left out (the error line below says what went wrong there).
 */
export function renderSteps(c: ChalkInstance, transcript: readonly TranscriptLine[]): string {
  const m = marks(c)
  const steps: string[] = []
  const step = (mark: string, label: string, text: string) => steps.push(`  ${mark} ${label.padEnd(11)} ${text}`)
  let connecting: {endpoint: string; t: number} | undefined
  let pending: string | undefined
  let greeted = false
  for (const line of transcript) {
    if (line.dir === 'info') {
      const to = /^connecting to (.+?)(?: from .*)?$/.exec(line.line)
      if (to) connecting = {endpoint: to[1], t: line.t}
      else if (/^connected from /.test(line.line) && connecting) {
        step(m.ok, 'connected', `${connecting.endpoint}${c.dim(`  ${formatDuration(line.t - connecting.t)}`)}`)
        greeted = false
        pending = undefined
      } else if (/^TLS established: /.test(line.line)) step(m.ok, 'TLS', line.line.replace(/^TLS established: /, ''))
      continue
    }
    if (line.dir === 'send') {
      pending = line.line
      continue
    }
    // The first line of a reply: the greeting, or the answer to the command sent last.
    if (!greeted) {
      greeted = true
      step(replyMark(m, line.line), 'greeting', line.line)
    } else if (pending !== undefined) {
      // The goodbye after a refusal (RSET, QUIT, LOGOUT) is the polite close, not a step towards the check.
      const verb = verbOf(pending)
      if (!CLOSING.has(verb)) step(replyMark(m, line.line), verb, line.line)
      pending = undefined
    }
  }
  if (steps.length > MAX_STEPS) return [c.dim(`  … ${steps.length - MAX_STEPS} earlier steps (--transcript shows them all)`), ...steps.slice(-MAX_STEPS)].join('\n')
  return steps.join('\n')
}

/** The command's verb as a label (`EHLO`, `MAIL FROM`, an IMAP tag's command); a masked line stays masked. */
function verbOf(line: string): string {
  const words = line.split(' ')
  // IMAP: "A1 LOGIN …": the tag is not the verb.
  const first = /^[A-Z]\d+$/.test(words[0] ?? '') && words.length > 1 ? words[1] : words[0]
  if (/^(MAIL|RCPT)$/i.test(first ?? '')) return `${first} ${(words[1] ?? '').split(':')[0]}`.toUpperCase()
  return (first ?? '').startsWith('/*') ? 'AUTH' : (first ?? '').toUpperCase()
}

/** ✔ for a positive reply (SMTP 2xx/3xx, POP3 +OK, IMAP OK), ✖ for a refusal, · otherwise. */
function replyMark(m: ReturnType<typeof marks>, reply: string): string {
  if (/^[23]\d\d[ -]|^\+OK\b|^\+ |^\* OK\b|^\S+ OK\b|^\* (CAPABILITY|PREAUTH)\b/i.test(reply)) return m.ok
  if (/^[45]\d\d[ -]|^-ERR\b|^\S+ (NO|BAD)\b|^\* BYE\b/i.test(reply)) return m.fail
  return '·'
}
