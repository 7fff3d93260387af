import {execFile, spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'

/**
 * Process plumbing shared by the test world's servers: checked binaries, commands with a deadline,
 * long-running servers whose output goes to a log file in the world's folder, readiness probes
 * and a stop that kills exactly the PIDs we started (never a name, never a system instance).
 */

export class WorldError extends Error {
  override name = 'WorldError'
}

/** A missing server binary fails setup loudly: a test world without its servers must never pass by skipping. */
export function requireBinary(path: string, debianPackage: string): string {
  try {
    fs.accessSync(path, fs.constants.X_OK)
  } catch {
    throw new WorldError(
      `test world: ${path} is missing (Debian package ${debianPackage}). ` +
        `Install the test servers with: sudo bash scripts/install-test-servers.sh`,
    )
  }
  return path
}

export interface RunResult {
  stdout: string
  stderr: string
}

/** Runs a short command to completion; a failure carries the command line and its stderr. */
export function run(
  command: string,
  args: string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 20_000, maxBuffer: 8 << 20},
      (error, stdout, stderr) => {
        if (error) {
          const line = [command, ...args].join(' ')
          reject(new WorldError(`test world: \`${line}\` failed: ${error.message.trim()}\n${stderr}`.trim()))
          return
        }
        resolve({stdout: String(stdout), stderr: String(stderr)})
      },
    )
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The last lines of a log file, or a note that it does not exist yet. */
export function tail(file: string, lines = 40): string {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return `(no log at ${file})`
  }
  const all = text.trimEnd().split('\n')
  return all.slice(-lines).join('\n')
}

export interface ServerProcess {
  name: string
  pid: number
  /** Where the process's stdout/stderr go (the server's own log may be another file). */
  outputFile: string
  /** Logs whose tail explains a failure. */
  logFiles: string[]
  child: ChildProcess
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
  isRunning(): boolean
}

const started = new Set<ServerProcess>()

/**
 * Starts a server in the foreground of its own process group (detached: a Ctrl-C to vitest does not
 * reach it half-way; stop() and the exit hook below end it by PID).
 */
export function startProcess(
  name: string,
  command: string,
  args: string[],
  options: {outputFile: string; logFiles?: string[]; cwd?: string; env?: NodeJS.ProcessEnv},
): ServerProcess {
  const out = fs.openSync(options.outputFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
      detached: true,
    })
  } finally {
    fs.closeSync(out)
  }
  if (child.pid === undefined) throw new WorldError(`test world: could not start ${name} (${command})`)
  let running = true
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false
      resolve({code, signal})
    })
    child.once('error', () => {
      running = false
      resolve({code: null, signal: null})
    })
  })
  const proc: ServerProcess = {
    name,
    pid: child.pid,
    outputFile: options.outputFile,
    logFiles: options.logFiles ?? [options.outputFile],
    child,
    exited,
    isRunning: () => running,
  }
  started.add(proc)
  void exited.then(() => started.delete(proc))
  return proc
}

// If vitest dies without running the teardown, do not leave servers bound to 127.0.1.x behind.
process.once('exit', () => {
  for (const proc of started) {
    for (const pid of [...descendants(proc.pid), proc.pid]) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
})

/** Explains a server that did not come up: its exit status (if any) and the tail of its logs. */
export function failureReport(proc: ServerProcess, why: string): WorldError {
  const logs = proc.logFiles
    .map((file) => `--- ${file} (last lines) ---\n${tail(file)}`)
    .join('\n')
  return new WorldError(`test world: ${proc.name} (pid ${proc.pid}) ${why}\n${logs}`)
}

/** Retries `probe` until it resolves truthy, the process dies, or the deadline passes. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: {timeoutMs: number; intervalMs?: number; proc?: ServerProcess},
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs
  let lastError: unknown
  for (;;) {
    if (options.proc && !options.proc.isRunning()) {
      const status = await options.proc.exited
      throw failureReport(options.proc, `exited (code ${status.code}, signal ${status.signal}) before ${what}`)
    }
    try {
      const value = await probe()
      if (value) return value
    } catch (error) {
      lastError = error
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
      if (options.proc) throw failureReport(options.proc, `timed out waiting for ${what}${detail}`)
      throw new WorldError(`test world: timed out waiting for ${what}${detail}`)
    }
    await sleep(options.intervalMs ?? 50)
  }
}

/**
 * Connects (plain or implicit TLS, trusting `ca`) and resolves with the first line the server sends:
 * readiness means a real greeting, not only an open port.
 */
export function readGreeting(
  host: string,
  port: number,
  options: {tls?: boolean; ca?: string; servername?: string; timeoutMs?: number} = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: net.Socket = options.tls
      ? tls.connect({host, port, ca: options.ca, servername: options.servername})
      : net.connect({host, port})
    let buffer = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no greeting from ${host}:${port} within ${options.timeoutMs ?? 2000} ms`))
    }, options.timeoutMs ?? 2000)
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buffer += chunk
      const end = buffer.indexOf('\n')
      if (end >= 0) {
        clearTimeout(timer)
        socket.destroy()
        resolve(buffer.slice(0, end).replace(/\r$/, ''))
      }
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      reject(new Error(`${host}:${port} closed before a greeting`))
    })
  })
}

/** Every live descendant of `pid` (children, grandchildren, …), read from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>()
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return []
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command name may contain spaces and parentheses: the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parentOf.set(Number(entry), Number(fields[1]))
    } catch {
      // exited while we looked
    }
  }
  const result: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const parent = queue.shift()!
    for (const [child, ppid] of parentOf) {
      if (ppid === parent && !result.includes(child)) {
        result.push(child)
        queue.push(child)
      }
    }
  }
  return result
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; /proc tells it apart.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/**
 * When the process with this PID started (clock ticks after boot, /proc/PID/stat field 22), or
 * undefined when there is none. PIDs come round again (pid_max is 32768 here, and a test run starts
 * thousands of processes), so a PID names the same process only while its start time is the same.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

/**
 * Stops a server by its PID: SIGTERM (each of these masters then ends its own children), and after
 * `graceMs` SIGKILL for it and any descendant still there. Resolves once none of them is alive. Each
 * process is known by its PID and start time, so a PID that another process took meanwhile is neither
 * waited for nor killed.
 */
export async function stopProcess(proc: ServerProcess, graceMs = 5000): Promise<void> {
  const family = new Map<number, string | undefined>()
  const note = (pid: number) => {
    if (!family.has(pid)) family.set(pid, startTimeOf(pid))
  }
  for (const pid of [proc.pid, ...descendants(proc.pid)]) note(pid)
  const same = (pid: number) => startTimeOf(pid) === family.get(pid)
  if (proc.isRunning()) {
    try {
      process.kill(proc.pid, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + graceMs
  for (;;) {
    for (const pid of descendants(proc.pid)) note(pid)
    const alive = [...family.keys()].filter((pid) => (pid === proc.pid ? proc.isRunning() : isAlive(pid) && same(pid)))
    if (alive.length === 0) break
    if (Date.now() > deadline) {
      for (const pid of alive) {
        try {
          if (pid === proc.pid || same(pid)) process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
    // A killed process ends once the kernel lets it (one in uninterruptible I/O waits for that I/O): on a loaded
    // machine that can take seconds.
    if (Date.now() > deadline + 15_000) {
      throw new WorldError(`test world: ${proc.name}: processes ${alive.join(', ')} survived SIGKILL`)
    }
    await sleep(25)
  }
  started.delete(proc)
}
