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
export async function runCli(args: string[], options: {env?: Record<string, string | undefined>; input?: string; timeoutMs?: number} = {}): Promise<CliResult> {
  // XDG_CONFIG_HOME: no configuration file of the developer's changes what a test runs (docs/cli.md "Configuration file").
  const env: Record<string, string | undefined> = {PATH: process.env.PATH, HOME: process.env.HOME, XDG_CONFIG_HOME: '/nonexistent/maildig-tests', NO_COLOR: '1', ...options.env}
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]
  const result: CliResult = await runProcess(process.execPath, [BIN, ...args], {env: env as NodeJS.ProcessEnv, input: options.input, timeoutMs: options.timeoutMs})
  if (args.includes('--json')) {
    try {
      result.json = JSON.parse(result.stdout)
    } catch {
      // left undefined: the test asserting on json will fail and show stdout
    }
  }
  return result
}

/**
 * Runs a program to its end with `input` (or nothing) on its standard input, collecting its output. After
 * `timeoutMs` it is killed, with its whole process group when `group` is set (a shell and the commands it started).
 */
export function runProcess(
  command: string,
  args: string[],
  options: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number; group?: boolean},
): Promise<{code: number | null; stdout: string; stderr: string; ms: number}> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {env: options.env, cwd: options.cwd, detached: options.group, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => (options.group ? process.kill(-child.pid!, 'SIGKILL') : child.kill('SIGKILL')), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr, ms: performance.now() - started})
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

export interface TerminalRun {
  /** Resolves once the screen (everything printed so far) matches; rejects if the run ends first. */
  until(pattern: RegExp): Promise<void>
  ended: Promise<{screen: string; status: number | null}>
}

/**
 * Runs the built CLI on a pseudo-terminal (util-linux's `script`, 80 columns set with stty: a terminal without a
 * width gets no spinner), as a user at a terminal sees it: the spinner says what the run waits for now.
 */
export function runOnTerminal(args: string[], options: {env?: Record<string, string>} = {}): TerminalRun {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('script', ['-q', '-e', '-c', `stty cols 80 rows 24; ${quoted}`, '/dev/null'], {
    env: {PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent/maildig-tests', ...options.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let screen = ''
  const waiters: {pattern: RegExp; resolve: () => void}[] = []
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString('utf8')
    for (const w of waiters.filter((w) => w.pattern.test(screen))) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve()
    }
  })
  const ended = new Promise<{screen: string; status: number | null}>((resolve) => child.on('close', (status) => resolve({screen, status})))
  return {
    until: (pattern) =>
      pattern.test(screen)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({pattern, resolve})),
            ended.then(({screen: s}) => Promise.reject(new Error(`the run ended before its screen showed ${pattern}:\n${s.slice(-600)}`))),
          ]),
    ended,
  }
}

/**
 * Milliseconds from the first transcript line matching `from` to the first one after it matching `to`: a stage's
 * time as the run itself measured it, without the process start (seconds on a loaded machine) around it.
 */
export function transcriptSpan(transcript: {t: number; line: string}[], from: RegExp, to: RegExp): {ms: number; toT: number} {
  const start = transcript.findIndex((l) => from.test(l.line))
  if (start < 0) throw new Error(`no transcript line matches ${from}:\n${transcript.map((l) => l.line).join('\n')}`)
  const end = transcript.findIndex((l, i) => i > start && to.test(l.line))
  if (end < 0) throw new Error(`no transcript line after ${from} matches ${to}:\n${transcript.map((l) => l.line).join('\n')}`)
  return {ms: transcript[end].t - transcript[start].t, toT: transcript[end].t}
}
