import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
  ms: number
  json?: Record<string, any>
}

/** Runs the built CLI as a user would, with a clean environment (no colour, no CI spinner surprises). */
export function runCli(args: string[], options: {env?: Record<string, string | undefined>; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    // XDG_CONFIG_HOME: no configuration file of the developer's changes what a test runs (docs/cli.md "Configuration file").
    const env: Record<string, string | undefined> = {PATH: process.env.PATH, HOME: process.env.HOME, XDG_CONFIG_HOME: '/nonexistent/maildig-tests', NO_COLOR: '1', ...options.env}
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
    const child = spawn(process.execPath, [BIN, ...args], {env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const result: CliResult = {code, stdout, stderr, ms: performance.now() - started}
      if (args.includes('--json')) {
        try {
          result.json = JSON.parse(stdout)
        } catch {
          // left undefined: the test asserting on json will fail and show stdout
        }
      }
      resolve(result)
    })
    child.stdin.end(options.input ?? '')
  })
}

/**
 * A failure on stderr, human mode: the steps that worked before it (each "  ✔ …", issue 16), the one "✖" line, then
 * what follows it (the fix, findings learnt before the failure).
 */
export function splitFailure(stderr: string): {steps: string[]; error: string; rest: string[]} {
  const lines = stderr.trimEnd().split('\n')
  const at = lines.findIndex((l) => l.startsWith('✖ '))
  return {steps: at < 0 ? lines : lines.slice(0, at), error: at < 0 ? '' : lines[at], rest: at < 0 ? [] : lines.slice(at + 1)}
}
