import {closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync} from 'node:fs'
import type {Readable} from 'node:stream'
import {MaildigError, UsageError} from '../lib/errors.js'
import {nodeV8} from '../lib/builtins.js'
import {parseDuration, formatDuration} from '../lib/duration.js'
import type {FixContext} from '../lib/findings.js'
import {DnsResolver} from '../lib/dns/resolver.js'
import {HostGate} from '../lib/net/host-gate.js'
import {runBatch} from '../lib/batch/run.js'
import {inShard, parseShard, type Shard} from '../lib/batch/shard.js'
import {isProblem, readTargets, TargetInputError, type TargetItem} from '../lib/batch/targets.js'
import type {Envelope} from '../render/json.js'
import {csvHeader, csvRow} from '../render/csv.js'
import {startProgress} from '../render/progress.js'
import {openInput} from './input.js'
import type {CommonOptions} from './options.js'
import {OUTPUT_FAILED_EXIT, SIGNAL_EXIT_CODES, systemErrorText, type Interruption} from './output.js'

/**
 * A batch run (docs/cli.md "Batch runs"): the command's single-target check over every target of
 * --targets, through the library's runner (src/lib/batch/run.ts). Each target's line is exactly the
 * document `--json` prints for that target alone, with `target` added; the run's politeness (DNS
 * cache and socket pool, per-host caps, each server probed once) is set up here, once.
 */

/** Targets at once by default: mostly waiting on the network, so far more than the cores. */
export const DEFAULT_CONCURRENCY = 32
const MAX_CONCURRENCY = 1000
/** A --resume line longer than this is not one of maildig's lines. */
const MAX_RESUME_LINE = 64 * 1024 * 1024

/** Flags that only mean something with --targets. */
const BATCH_ONLY = ['concurrency', 'per-host', 'host-interval', 'qps', 'resume', 'shard'] as const

/** A flag as oclif describes it: enough to check one per-target option. */
export interface FlagShape {
  type: string
  multiple?: boolean
  options?: readonly string[]
  /** The flag's own parser (src/cli/flags.ts): a per-target value is checked and typed as the flag's is. */
  parse?: (input: string, context: {token?: unknown}, options: {name: string}) => Promise<unknown>
}

export interface BatchCommand {
  /** The command's name (its documents' `command`). */
  command: string
  flags: Record<string, unknown>
  /** The positional target given instead of --targets (with --format csv). */
  positional: string | undefined
  /** The positional argument a target fills. */
  targetArg: string
  /** Flags a target's NDJSON line may set for that target. */
  targetOptions: readonly string[]
  flagTable: Record<string, FlagShape>
  options: CommonOptions
  fixContext: FixContext
  format: 'ndjson' | 'csv'
  /** One target's check: the command's own work, rendered as its --json document. */
  check: (flags: Record<string, unknown>, args: Record<string, unknown>, options: CommonOptions) => Promise<Envelope>
  /** A usage problem of one line, as its document. */
  problem: (error: MaildigError) => Envelope
}

/** Whether the command line asks for a batch run: --targets, or a CSV row. */
export function isBatchRun(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === '--targets' || a.startsWith('--targets=') || (a === '--format' && argv[i + 1] === 'csv') || a === '--format=csv')
}

interface Settings {
  concurrency: number
  perHost: number
  intervalMs: number
  qps: number | undefined
  shard: Shard | undefined
  resume: string | undefined
}

/** --concurrency and friends without --targets are a mistake worth saying, not something to ignore. */
export function assertBatchFlagsUsed(flags: Record<string, unknown>): void {
  const given = BATCH_ONLY.filter((f) => flags[f] !== undefined)
  if (flags.targets === undefined && given.length > 0) throw new UsageError(`--${given[0]}: only with --targets FILE`)
}

function wholeNumber(flag: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const text = String(value).trim()
  if (!/^-?\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`${flag}: "${text}" is not a whole number from ${min} to ${max}`)
  return Number(text)
}

/** Every batch flag checked before any work: a bad one is exit 2 with one line. */
export function batchSettings(flags: Record<string, unknown>, format: 'ndjson' | 'csv', env: NodeJS.ProcessEnv = process.env): Settings {
  assertBatchFlagsUsed(flags)
  let intervalMs = 0
  if (flags['host-interval'] !== undefined) {
    const ms = parseDuration(String(flags['host-interval']))
    if (ms === undefined || ms > 3_600_000) throw new UsageError(`--host-interval: "${String(flags['host-interval'])}" is not a duration of at most 1 h (write e.g. 500ms or 2s)`)
    intervalMs = ms
  }
  let qps: number | undefined
  if (flags.qps !== undefined) {
    const text = String(flags.qps).trim()
    qps = Number(text)
    if (!/^\d+(\.\d+)?$/.test(text) || qps <= 0 || qps > 1_000_000) throw new UsageError(`--qps: "${text}" is not a rate above 0 (queries per second)`)
  }
  let shard: Shard | undefined
  if (flags.shard !== undefined) {
    const parsed = parseShard(String(flags.shard), env)
    if (typeof parsed === 'string') throw new UsageError(`--shard: ${parsed}`)
    shard = parsed
  }
  const resume = flags.resume === undefined ? undefined : String(flags.resume)
  if (resume !== undefined && format === 'csv') throw new UsageError('--resume: only with NDJSON output (not --format csv): the file is read back to find the targets done')
  return {
    concurrency: wholeNumber('--concurrency', flags.concurrency, DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY),
    perHost: wholeNumber('--per-host', flags['per-host'], 2, 1, 100),
    intervalMs,
    qps,
    shard,
    resume,
  }
}

/**
 * The targets already in a --resume file: every line must be a JSON object with a `target` (one of
 * maildig's lines), else the file is not NDJSON and the run stops before any work. A last line cut
 * short (the run before was killed mid-write) is cut off, so the new lines start on a line of their own.
 */
export function readResumeFile(path: string): Set<string> {
  const done = new Set<string>()
  if (!existsSync(path)) return done
  let fd: number
  try {
    fd = openSync(path, 'r+')
  } catch (error) {
    throw new UsageError(`--resume: cannot open ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UsageError(`--resume: ${path} is not a regular file`)
    const chunk = Buffer.alloc(1024 * 1024)
    let carry: Buffer[] = []
    let carryBytes = 0
    let offset = 0
    let lineStart = 0
    let line = 0
    const take = (text: string, last: boolean): boolean => {
      line++
      if (text.trim() === '') return true
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        if (last) return false
        throw new UsageError(`--resume: ${path} is not NDJSON (line ${line} is not JSON)`)
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--resume: ${path} is not NDJSON (line ${line} is not a JSON object)`)
      const target = (value as {target?: unknown}).target
      if (typeof target === 'string') done.add(target)
      else if (!('error' in value)) throw new UsageError(`--resume: ${path} line ${line} is not a maildig batch line (no "target")`)
      return true
    }
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, offset)
      if (n === 0) break
      let data = chunk.subarray(0, n)
      let base = offset
      offset += n
      for (;;) {
        const newline = data.indexOf(0x0a)
        if (newline < 0) {
          carry.push(Buffer.from(data))
          carryBytes += data.length
          if (carryBytes > MAX_RESUME_LINE) throw new UsageError(`--resume: ${path} is not NDJSON (line ${line + 1} is longer than 64 MiB)`)
          break
        }
        take(Buffer.concat([...carry, data.subarray(0, newline)]).toString('utf8'), false)
        carry = []
        carryBytes = 0
        lineStart = base + newline + 1
        base = lineStart
        data = data.subarray(newline + 1)
      }
    }
    if (carryBytes > 0) {
      const complete = take(Buffer.concat(carry).toString('utf8'), true)
      // A complete last line without its newline gets one; a line cut short is cut off.
      if (complete) writeSync(fd, '\n', offset)
      else ftruncateSync(fd, lineStart)
    }
  } finally {
    closeSync(fd)
  }
  return done
}

/**
 * Turns a target's NDJSON options into flag values, checked against the flags the command allows per
 * target and parsed by each flag's own parser, so that a value means what it means on the command line.
 */
export async function targetFlags(options: Record<string, unknown>, allowed: readonly string[], table: Record<string, FlagShape>): Promise<Record<string, unknown>> {
  const flags: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    const shape = table[key]
    if (!shape || !allowed.includes(key)) {
      throw new UsageError(`"${key}" is not a per-target option here${allowed.length ? ` (these are: ${allowed.join(', ')})` : ' (this command takes none)'}`)
    }
    if (shape.type === 'boolean') {
      if (typeof value !== 'boolean') throw new UsageError(`"${key}": true or false`)
      flags[key] = value
      continue
    }
    const values = Array.isArray(value) ? value : [value]
    if (values.length === 0 || values.some((v) => typeof v !== 'string' && typeof v !== 'number')) throw new UsageError(`"${key}": a string${shape.multiple ? ' or a list of strings' : ''}`)
    if (values.length > 1 && !shape.multiple) throw new UsageError(`"${key}": one value, not a list`)
    // Choices in any case, as on the command line (src/cli/argv.ts canonicalChoices).
    const texts = values.map(String).map((t) => shape.options?.find((o) => o.toLowerCase() === t.toLowerCase()) ?? t)
    if (shape.options && texts.some((t) => !shape.options!.includes(t))) throw new UsageError(`"${key}": one of ${shape.options.join(', ')}`)
    const parsed: unknown[] = []
    for (const text of texts) {
      try {
        parsed.push(shape.parse ? await shape.parse(text, {token: {type: 'flag', flag: key, input: text}}, {name: key}) : text)
      } catch (error) {
        // The flag's parser names the flag as --key; here the option is the line's "key".
        throw new UsageError(`"${key}": ${(error as Error).message.replace(new RegExp(`^--${key}: `), '')}`)
      }
    }
    flags[key] = shape.multiple ? parsed : parsed[0]
  }
  return flags
}

/** One item per target: the input (file, pipe, standard input) streamed, or the single positional target. */
function targetSource(cmd: BatchCommand, lineDeadlineMs: number): {items: AsyncIterable<TargetItem>; stream?: Readable; fraction: () => number | undefined} {
  const source = cmd.flags.targets as string | undefined
  if (source === undefined) {
    if (cmd.positional === undefined) throw new UsageError(`give a ${cmd.targetArg}, or --targets FILE`)
    const single: TargetItem = {line: 1, target: cmd.positional, options: {}}
    return {items: (async function* () {
      yield single
    })(), fraction: () => undefined}
  }
  if (cmd.positional !== undefined) throw new UsageError(`--targets: give either a ${cmd.targetArg} or --targets FILE, not both`)
  const {stream, terminal, size} = openInput(source, {label: '--targets', maxBytes: Number.MAX_SAFE_INTEGER})
  let read = 0
  stream.on('data', (chunk: Buffer) => {
    read += chunk.length
  })
  return {
    items: readTargets(stream as AsyncIterable<Buffer>, {lineDeadlineMs: terminal ? 0 : lineDeadlineMs}),
    stream,
    fraction: () => (size ? read / size : undefined),
  }
}

/**
 * How far V8 lets the heap grow past what the last full collection left (percent): 50 instead of V8's own factor of
 * up to 4×. A batch run's live heap stays flat (about 10 MB after each full collection, at 10,000 targets as at
 * 100,000), but each target leaves short-lived garbage, some of it in the old generation, and with V8's factor the
 * heap grew to four times the live size between collections: a long run's peak RSS half again a short run's
 * (docs/testing.md "Batch runs"). The full collections this costs take 5 to 10 ms each, a dozen or two per 100,000
 * targets. V8 reads the flag at every collection, so setting it when the run starts takes effect.
 */
export const HEAP_GROWING_PERCENT = 50

/** Runs the batch; returns the exit code (docs/cli.md "Batch runs"). */
export async function runTargets(cmd: BatchCommand): Promise<number> {
  if (cmd.flags.user !== undefined || cmd.flags['password-stdin'] === true) throw new UsageError('--user: a batch run does not log in (one login for many servers is not what --targets is for)')
  const settings = batchSettings(cmd.flags, cmd.format)
  if (cmd.flags.targets !== undefined) nodeV8().setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  const done = settings.resume === undefined ? new Set<string>() : readResumeFile(settings.resume)
  const {items, stream, fraction} = targetSource(cmd, cmd.options.timeoutMs)

  // One resolver for the run: answers cached (TTL respected), queries multiplexed over a few sockets, --qps per server.
  const base = cmd.options.net.resolver
  const resolver = new DnsResolver({servers: base.explicit ? base.servers : undefined, timeoutMs: base.timeoutMs, batch: {qps: settings.qps}})
  const options: CommonOptions = {...cmd.options, net: {...cmd.options.net, resolver, hosts: new HostGate({perHost: settings.perHost, intervalMs: settings.intervalMs})}}

  const output = settings.resume === undefined ? undefined : openSync(settings.resume, 'a')
  const write = (text: string): Promise<void> => {
    if (output !== undefined) {
      writeSync(output, text)
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      try {
        process.stdout.write(text, (error) => (error ? reject(error) : resolve()))
      } catch (error) {
        reject(error as Error)
      }
    })
  }

  const counts = {ok: 0, findings: 0, failed: 0}
  const stop = new AbortController()
  let signal: Interruption | undefined
  const handlers = (Object.keys(SIGNAL_EXIT_CODES) as Interruption[]).map((name) => {
    const handler = () => {
      // The first Ctrl-C lets the targets in flight finish and be written; a second one ends the run now.
      if (signal) process.exit(SIGNAL_EXIT_CODES[signal])
      signal = name
      stop.abort()
      process.stderr.write(`\nmaildig: ${name}: finishing the ${cmd.command} checks in flight (again to stop now)\n`)
    }
    process.on(name, handler)
    return [name, handler] as const
  })
  const progress = startProgress(`maildig ${cmd.command}`, {quiet: cmd.options.quiet})
  let headerWritten = false
  let lastExit = 0
  const started = performance.now()
  let summary
  try {
    summary = await runBatch<Envelope>({
      targets: items,
      concurrency: settings.concurrency,
      signal: stop.signal,
      skip: (target) => (settings.shard !== undefined && !inShard(target, settings.shard)) || done.has(target),
      check: async (item) => {
        if (isProblem(item)) return withTarget(cmd.problem(new UsageError(`--targets line ${item.line}: ${item.problem}`)), item.target, item.line)
        let perTarget: Record<string, unknown>
        try {
          perTarget = await targetFlags(item.options, cmd.targetOptions, cmd.flagTable)
        } catch (error) {
          return withTarget(cmd.problem(new UsageError(`--targets line ${item.line}: ${(error as Error).message}`)), item.target, item.line)
        }
        return withTarget(await cmd.check({...cmd.flags, ...perTarget}, {[cmd.targetArg]: item.target}, options), item.target)
      },
      write: async (doc) => {
        lastExit = doc.exitCode
        if (doc.exitCode === 0) counts.ok++
        else if (doc.exitCode === 1) counts.findings++
        else counts.failed++
        if (cmd.format === 'csv') {
          await write(`${headerWritten ? '' : csvHeader()}${csvRow(doc)}`)
          headerWritten = true
        } else await write(`${JSON.stringify(doc)}\n`)
      },
      onProgress: (p) => progress.update({...p, fraction: fraction()}),
    })
  } catch (error) {
    progress.stop()
    if (error instanceof TargetInputError) throw new UsageError(`--targets: ${error.message}`)
    if (error instanceof MaildigError) throw error
    const code = (error as NodeJS.ErrnoException).code
    // A reader that stopped reading (`| head`) wanted no more.
    if (code === 'EPIPE') return counts.findings + counts.failed > 0 ? 1 : 0
    process.stderr.write(`maildig: cannot write the output: ${systemErrorText(error as Error)}\n`)
    return OUTPUT_FAILED_EXIT
  } finally {
    for (const [name, handler] of handlers) process.off(name, handler)
    if (output !== undefined) closeSync(output)
    stream?.destroy()
    progress.stop()
  }
  if (cmd.format === 'csv' && !headerWritten && output === undefined) await write(csvHeader())
  const total = counts.ok + counts.findings + counts.failed
  if (!cmd.options.quiet && cmd.flags.targets !== undefined) {
    const elapsed = performance.now() - started
    const left = [summary.skipped > 0 ? `${summary.skipped} skipped (${[settings.shard ? `--shard ${settings.shard.index}/${settings.shard.count}` : '', done.size > 0 ? '--resume' : ''].filter(Boolean).join(', ')})` : '', signal ? `interrupted by ${signal}` : ''].filter(Boolean)
    process.stderr.write(`maildig ${cmd.command}: ${total} target${total === 1 ? '' : 's'}: ${counts.ok} ok, ${counts.findings} with findings, ${counts.failed} failed${left.length ? `; ${left.join('; ')}` : ''}; ${formatDuration(elapsed)}${total > 0 ? `, ${((total * 1000) / elapsed).toFixed(1)}/s` : ''}\n`)
  }
  if (signal) return SIGNAL_EXIT_CODES[signal]
  // One target without --targets (--format csv): that target's own exit code.
  if (cmd.flags.targets === undefined) return lastExit
  return counts.findings + counts.failed > 0 ? 1 : 0
}

/** The document with the target echoed right after `command` (and the input line of a line's own problem). */
function withTarget(doc: Envelope, target: string | undefined, line?: number): Envelope {
  const {command, ...rest} = doc
  return {command, target: target ?? null, ...(line === undefined ? {} : {line}), ...rest} as Envelope
}
