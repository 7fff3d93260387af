import {MaildigError} from '../errors.js'

/**
 * Per-stage deadlines. The `--timeout` of docs/cli.md is a deadline for *each* stage, not an idle
 * timer: a server that trickles one byte every 200 ms (a tarpit, or a slowloris-style attack on
 * the client) must not keep a reply open for ever, so a stage's clock runs from its start to its
 * end whatever arrives in between.
 */
export type Stage = 'dns' | 'connect' | 'tls' | 'greeting' | 'reply'

export type StageTimeouts = Record<Stage, number>

/** Used when the caller gives no timeout. A diagnostic tool should answer in seconds, not minutes. */
export const DEFAULT_TIMEOUT_MS = 10_000

/**
 * After a failure, closing (FIN, then waiting for the server's FIN) takes at most this long before
 * the socket is destroyed (docs/cli.md: "Closing a connection after a failure takes at most 1 s more").
 */
export const CLOSE_GRACE_MS = 1000

/** The error code each stage reports when its deadline passes; all are category 'timeout' (exit 5). */
export const STAGE_TIMEOUT_CODES: Record<Stage, string> = {
  dns: 'DNS_TIMEOUT',
  connect: 'CONNECT_TIMEOUT',
  tls: 'TLS_TIMEOUT',
  greeting: 'GREETING_TIMEOUT',
  reply: 'REPLY_TIMEOUT',
}

const STAGE_WAITS_FOR: Record<Stage, string> = {
  dns: 'no address for',
  connect: 'could not connect to',
  tls: 'TLS handshake did not complete with',
  greeting: 'no greeting from',
  reply: 'no complete reply from',
}

/**
 * One timeout for every stage (what `--timeout` gives), or a value per stage. A stage set to 0 or
 * Infinity has no deadline.
 */
export function stageTimeouts(timeout: number | Partial<StageTimeouts> | undefined, fallback = DEFAULT_TIMEOUT_MS): StageTimeouts {
  const base = typeof timeout === 'number' ? timeout : fallback
  const per = typeof timeout === 'object' ? timeout : {}
  return {
    dns: per.dns ?? base,
    connect: per.connect ?? base,
    tls: per.tls ?? base,
    greeting: per.greeting ?? base,
    reply: per.reply ?? base,
  }
}

export function timeoutError(stage: Stage, subject: string, timeoutMs: number, command?: string): MaildigError {
  const after = command ? ` to ${command}` : ''
  return new MaildigError(
    STAGE_TIMEOUT_CODES[stage],
    'timeout',
    `${STAGE_WAITS_FOR[stage]} ${subject}${after} within ${formatMs(timeoutMs)}`,
    {subject, command, temporary: true},
  )
}

export interface DeadlineOptions {
  stage: Stage
  timeoutMs: number
  /** The host or endpoint, for the message. */
  subject: string
  /** The command whose reply is awaited (masked: never a secret). */
  command?: string
  /** Called with the timeout error before the returned promise rejects: close the socket here. */
  onTimeout?: (error: MaildigError) => void
}

/**
 * Resolves or rejects as `work` does, unless the stage's deadline passes first: then `onTimeout`
 * runs (it should abort the I/O behind `work`) and the promise rejects with the stage's timeout
 * error. A late rejection of `work` is swallowed, so it cannot become an unhandled rejection.
 */
export async function withDeadline<T>(work: Promise<T>, options: DeadlineOptions): Promise<T> {
  const {timeoutMs} = options
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return work
  work.catch(() => undefined)
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError(options.stage, options.subject, timeoutMs, options.command)
      try {
        options.onTimeout?.(error)
      } finally {
        reject(error)
      }
    }, timeoutMs)
  })
  try {
    return await Promise.race([work, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** Milliseconds since `start` (a performance.now() value), to 0.1 ms. */
export function elapsedMs(start: number): number {
  return roundMs(performance.now() - start)
}

/** Milliseconds to 0.1 ms, as every timing in a result is given. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`
}
