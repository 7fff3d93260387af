/**
 * The two ways a run can end outside its own code: standard output refusing the result (a full
 * disk, a closed pipe) and a signal (Ctrl-C, a service manager's SIGTERM). Both end in one line or
 * one document, never a stack (docs/cli.md, "Exit codes").
 */


/** sysexits.h EX_IOERR: the result could not be written. Apart from every code a check can end with. */
export const OUTPUT_FAILED_EXIT = 74

/** 128 + the signal's number, as a shell reports a process that a signal ended. */
export const SIGNAL_EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const
export type Interruption = keyof typeof SIGNAL_EXIT_CODES

/**
 * Writes the result to standard output. A failure (ENOSPC on `>/dev/full`, EPIPE, EIO) is reported
 * on standard error in one line and gives exit 74; it returns false then.
 */
export async function writeResult(text: string): Promise<boolean> {
  const error = await new Promise<Error | null | undefined>((resolve) => {
    try {
      process.stdout.write(text, resolve)
    } catch (e) {
      resolve(e as Error)
    }
  })
  if (!error) return true
  // A reader that stopped reading (`| head`) wanted no more: the check's own exit code stands.
  if ((error as NodeJS.ErrnoException).code === 'EPIPE') return false
  process.exitCode = OUTPUT_FAILED_EXIT
  try {
    process.stderr.write(`maildig: cannot write the output: ${systemErrorText(error)}\n`)
  } catch {
    // Standard error is gone as well: the exit code is all that is left.
  }
  return false
}

/**
 * Failed writes to standard output reach the write's callback (writeResult); the stream emits them
 * as 'error' events as well. oclif's listener rethrows every one but EPIPE (a 43 KB minified stack
 * for `>/dev/full`), and its final flush writes once more: both are taken over here, at the start of a run.
 */
export function ownOutputErrors(): void {
  process.stdout.removeAllListeners('error')
  process.stdout.on('error', () => {})
}

/** "ENOSPC: no space left on device, write" → "no space left on device". */
export function systemErrorText(error: Error): string {
  const match = /^[A-Z0-9_]+: ([^,]+)/.exec(error.message)
  return match ? match[1] : error.message
}

/** What an interrupted run still prints: the text, where (standard output by default), and the exit code then. */
export interface InterruptedResult {
  text: string
  exitCode: number
  write?: (text: string) => Promise<unknown>
}

/**
 * Watches for SIGINT and SIGTERM while a command runs. `resultFor` gives what to print (the --json document, a
 * monitoring format's report) or undefined; without one the process ends as it would without maildig's handler, by
 * the signal itself. Returns the function that stops watching.
 */
export function onInterrupt(resultFor: (signal: Interruption) => InterruptedResult | undefined): () => void {
  const handlers = new Map<Interruption, () => void>()
  const stop = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler)
  }
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as Interruption[]) {
    const handler = () => {
      stop()
      const result = resultFor(signal)
      if (result === undefined) {
        process.kill(process.pid, signal)
        return
      }
      const exit = () => process.exit(result.exitCode)
      ;(result.write ?? writeResult)(result.text).finally(exit)
    }
    handlers.set(signal, handler)
    process.on(signal, handler)
  }
  return stop
}
