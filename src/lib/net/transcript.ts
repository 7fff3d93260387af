import {z} from 'zod'

export const transcriptLineSchema = z.object({
  t: z.number().describe('milliseconds since the command started'),
  dir: z.enum(['send', 'recv', 'info']),
  tls: z.boolean().describe('whether the line travelled inside TLS'),
  line: z.string().describe('the line as sent or received, secrets masked'),
})
export type TranscriptLine = z.infer<typeof transcriptLineSchema>

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

  constructor(started = performance.now(), maxLines = 5000) {
    this.started = started
    this.maxLines = maxLines
  }

  /** Records a line. `secret` masks the whole line, or the part after a prefix (`AUTH PLAIN `). */
  add(dir: TranscriptLine['dir'], line: string, tls: boolean, secret?: {keepPrefix?: string} | true): void {
    if (this.lines.length >= this.maxLines) return
    let text = line.length > 512 ? `${line.slice(0, 512)}… (${line.length} characters)` : line
    if (secret === true) text = SECRET_MASK
    else if (secret) text = `${secret.keepPrefix ?? ''}${SECRET_MASK}`
    this.lines.push({t: Math.round((performance.now() - this.started) * 10) / 10, dir, tls, line: text})
  }

  info(line: string, tls = false): void {
    this.add('info', line, tls)
  }
}
