import type {TranscriptLine} from './transcript-schema.js'

export type {TranscriptLine}


/** What stands in for a secret in every output. */
export const SECRET_MASK = '/* secret */'

/**
 * The record of a protocol conversation. Secrets are masked when they are recorded, so no later
 * output (human, JSON, error message, debug log) can leak them.
 */
export class Transcript {
  readonly lines: TranscriptLine[] = []
  private readonly started: number
  /** Bound on what is kept, so a chatty server cannot grow memory without limit. */
  private readonly maxLines: number
  /** Values that are masked wherever they appear, longest first (see `protect`). */
  private readonly secrets: string[] = []

  constructor(started = performance.now(), maxLines = 5000) {
    this.started = started
    this.maxLines = maxLines
  }

  /** Records a line. `secret` masks the whole line, or the part after a prefix (`AUTH PLAIN `). */
  add(dir: TranscriptLine['dir'], line: string, tls: boolean, secret?: {keepPrefix?: string} | true): void {
    if (this.lines.length >= this.maxLines) return
    const scrubbed = this.scrub(line)
    let text = scrubbed.length > 512 ? `${scrubbed.slice(0, 512)}… (${scrubbed.length} characters)` : scrubbed
    if (secret === true) text = SECRET_MASK
    else if (secret) text = `${secret.keepPrefix ?? ''}${SECRET_MASK}`
    this.lines.push({t: Math.round((performance.now() - this.started) * 10) / 10, dir, tls, line: text})
  }

  info(line: string, tls = false): void {
    this.add('info', line, tls)
  }

  /**
   * Registers secrets (a password, a token, a SASL payload) to be masked wherever they appear in
   * later lines, also in what the server sends back or in an info line: a second fence behind the
   * masking of the commands that carry them. Values shorter than 3 characters are not registered,
   * since masking them would garble every line.
   */
  protect(...values: Array<string | undefined>): void {
    for (const value of values) {
      if (value && value.length >= 3 && !this.secrets.includes(value)) this.secrets.push(value)
    }
    this.secrets.sort((a, b) => b.length - a.length)
  }

  /** `text` with every registered secret masked (for error messages built outside the transcript). */
  scrub(text: string): string {
    let out = text
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK)
    return out
  }
}
