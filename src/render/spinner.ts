/**
 * Spinners (ora) only where they help: stderr is a terminal with a width, not under CI, --json or
 * --quiet (ora floods a 0-column TTY and writes lines when piped). ora is imported only then.
 */
export interface Spinner {
  text(text: string): void
  stop(): void
}

const silent: Spinner = {text() {}, stop() {}}

export function spinnerWanted(options: {json: boolean; quiet: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  const stderr = process.stderr
  return !options.json && !options.quiet && !env.CI && Boolean(stderr.isTTY) && (stderr.columns ?? 0) > 0
}

export async function startSpinner(text: string, options: {json: boolean; quiet: boolean}): Promise<Spinner> {
  if (!spinnerWanted(options)) return silent
  const {default: ora} = await import('ora')
  const spinner = ora({text, stream: process.stderr, discardStdin: false}).start()
  return {
    text(t) {
      spinner.text = t
    },
    stop() {
      spinner.stop()
    },
  }
}
