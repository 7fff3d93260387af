import {formatDuration} from '../lib/duration.js'

/**
 * The progress line of a batch run on stderr: count, rate and, when the input's size is known, the
 * time left. Only on a terminal with a width, never under CI or --quiet (like the spinner); nothing
 * on a pipe. Redrawn at most every 200 ms, erased at the end so the summary line stands alone.
 */
export interface ProgressLine {
  update(state: {done: number; running: number; elapsedMs: number; fraction?: number}): void
  stop(): void
}

const silent: ProgressLine = {update() {}, stop() {}}

export function startProgress(label: string, options: {quiet: boolean}, stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env): ProgressLine {
  if (options.quiet || env.CI || !stream.isTTY || (stream.columns ?? 0) <= 0) return silent
  let last = 0
  let drawn = false
  return {
    update({done, running, elapsedMs, fraction}) {
      const now = performance.now()
      if (now - last < 200) return
      last = now
      const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0
      const eta = fraction !== undefined && fraction > 0.01 && fraction < 1 ? `, ${formatDuration((elapsedMs * (1 - fraction)) / fraction)} left` : ''
      const text = `${label}: ${done} done, ${running} running, ${rate.toFixed(rate < 10 ? 1 : 0)}/s${eta}`
      stream.write(`\r\x1b[K${text.slice(0, Math.max(10, (stream.columns ?? 80) - 1))}`)
      drawn = true
    },
    stop() {
      if (drawn) stream.write('\r\x1b[K')
    },
  }
}
