import type {ProgressEvent} from '../lib/net/context.js'
import {formatDuration} from '../lib/duration.js'

/**
 * Spinners (ora) only where they help: stderr is a terminal with a width, not under CI, --json or
 * --quiet (ora floods a 0-column TTY and writes lines when piped). ora is imported only then.
 */
export interface Spinner {
  text(text: string): void
  /** What a conversation waits for now (NetContext.progress); a wait with a deadline counts down, once a second. */
  progress(event: ProgressEvent): void
  stop(): void
}

const silent: Spinner = {text() {}, progress() {}, stop() {}}

export function spinnerWanted(options: {json: boolean; quiet: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  const stderr = process.stderr
  return !options.json && !options.quiet && !env.CI && Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0
}

/** The spinner's words for a progress event: what is being waited for, from where, and what is known so far. */
export function describeProgress(event: ProgressEvent, now = Date.now()): string {
  switch (event.stage) {
    case 'connect':
      return `connecting to ${event.endpoint}`
    case 'greeting':
      return `waiting for the greeting from ${event.endpoint} (connected after ${formatDuration(event.connectMs)})`
    case 'tls':
      return `TLS handshake with ${event.endpoint}`
    case 'reply':
      return `waiting for ${event.endpoint}'s answer to ${event.command}`
    case 'wait': {
      const left = Math.max(0, Math.ceil((event.deadline - now) / 1000))
      return `waiting for ${event.what}: ${left} s left`
    }
  }
}

export async function startSpinner(text: string, options: {json: boolean; quiet: boolean}): Promise<Spinner> {
  if (!spinnerWanted(options)) return silent
  const {default: ora} = await import('ora')
  const spinner = ora({text, stream: process.stderr, discardStdin: false}).start()
  let ticker: NodeJS.Timeout | undefined
  const stopTicking = () => {
    if (ticker) clearInterval(ticker)
    ticker = undefined
  }
  return {
    text(t) {
      stopTicking()
      spinner.text = t
    },
    progress(event) {
      stopTicking()
      spinner.text = describeProgress(event)
      if (event.stage !== 'wait') return
      // A countdown: the text is redone every second until the next event (the timer never keeps the process alive).
      ticker = setInterval(() => (spinner.text = describeProgress(event)), 1000)
      ticker.unref()
    },
    stop() {
      stopTicking()
      spinner.stop()
    },
  }
}
