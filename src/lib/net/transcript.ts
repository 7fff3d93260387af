import {SECRET_MASK, Secrets} from './secrets.js'
import type {TranscriptLine} from './transcript-schema.js'

export type {TranscriptLine}
export {SECRET_MASK}

/**
 * The record of a protocol conversation. Secrets are masked when they are recorded, so no later
 * output (human, JSON, error message, debug log) can leak them.
 */
export class Transcript {
  readonly lines: TranscriptLine[] = []
  private readonly started: number
  /** Bound on what is kept, so a chatty server cannot grow memory without limit. */
  private readonly maxLines: number
  /** Values masked wherever they appear (see `protect`); errors and results leaving the library are scrubbed with them too. */
  readonly secrets = new Secrets()

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
   * Registers secrets (a password, a token, a SASL payload), with their base64 forms (secretForms),
   * to be masked wherever they appear in later lines, also in what the server sends back or in an
   * info line: a second fence behind the masking of the commands that carry them. Values shorter
   * than 3 characters are not registered, since masking them would garble every line.
   */
  protect(...values: Array<string | undefined>): void {
    this.secrets.add(...values)
  }

  /** A password or token, with the SASL payloads that carry it (Secrets.addCredential). */
  protectCredential(user: string | undefined, ...secrets: Array<string | undefined>): void {
    for (const secret of secrets) this.secrets.addCredential(user, secret)
  }

  /** `text` with every registered secret masked (for error messages built outside the transcript). */
  scrub(text: string): string {
    return this.secrets.scrub(text)
  }
}
