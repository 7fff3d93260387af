import type {ChalkInstance} from 'chalk'
import type {TranscriptLine} from '../lib/net/transcript.js'

/** `->`/`<-` for plaintext, `~>`/`<~` inside TLS, `**` for maildig's own notes; each line timed. */
export function renderTranscript(c: ChalkInstance, lines: readonly TranscriptLine[]): string {
  return lines
    .map((l) => {
      const arrow = l.dir === 'info' ? '**' : l.dir === 'send' ? (l.tls ? '~>' : '->') : l.tls ? '<~' : '<-'
      const time = c.dim(`${l.t.toFixed(1).padStart(8)} ms`)
      const colour = l.dir === 'send' ? c.cyan : l.dir === 'info' ? c.dim : (s: string) => s
      return `${time} ${colour(`${arrow} ${l.line}`)}`
    })
    .join('\n')
}
