/**
 * The target list of a batch run (`--targets FILE|-`), read as a stream: one target per line, or one
 * NDJSON object per line (`{"target": "example.com", "port": 587}`) whose other keys are that
 * target's own options. Blank lines and lines starting with `#` are skipped. Only one line is held at
 * a time, and a line is bounded: a longer one (a 10 MB line) is reported as that line's problem and
 * skipped to its end, so memory stays flat whatever the input.
 */

/** A line longer than this is a problem of that line, not a target. */
export const MAX_TARGET_LINE_BYTES = 64 * 1024

export interface TargetEntry {
  /** 1-based line number in the input. */
  line: number
  target: string
  /** Keys of an NDJSON line besides `target`; empty for a plain line. */
  options: Record<string, unknown>
}

export interface TargetProblem {
  line: number
  /** The target, when the line named one before its problem showed. */
  target?: string
  problem: string
}

export type TargetItem = TargetEntry | TargetProblem

export function isProblem(item: TargetItem): item is TargetProblem {
  return 'problem' in item
}

/** The input as a whole is unusable (a binary file): raised before the first target is handed out. */
export class TargetInputError extends Error {}

export interface ReadTargetsOptions {
  /** Default MAX_TARGET_LINE_BYTES. */
  maxLineBytes?: number
  /**
   * Each next line must arrive within this long (0: no deadline, e.g. a person typing at a terminal).
   * A stage deadline, as every read maildig makes: a FIFO nobody writes to ends the run.
   */
  lineDeadlineMs?: number
}

/** Parses one line (without its newline). Undefined for a blank line or a comment. */
export function parseTargetLine(text: string, line: number): TargetItem | undefined {
  const trimmed = text.replace(/^\uFEFF/, '').trim()
  if (trimmed === '' || trimmed.startsWith('#')) return undefined
  if (trimmed.includes('\0')) return {line, problem: 'the line contains a NUL byte'}
  if (!trimmed.startsWith('{')) return {line, target: trimmed, options: {}}
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch (error) {
    return {line, problem: `the line is not valid JSON (${(error as Error).message})`}
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {line, problem: 'the line is not a JSON object'}
  const {target, ...options} = value as Record<string, unknown>
  if (typeof target !== 'string' || target.trim() === '') return {line, problem: 'the JSON object has no "target" string'}
  return {line, target: target.trim(), options}
}

/** A deadline on one await, rejecting with `message`. */
function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  if (ms <= 0) return promise
  let timer: NodeJS.Timeout
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TargetInputError(message())), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * The targets of `source`, one item per non-blank, non-comment line, in input order. A NUL byte in
 * the first chunk means a binary file: TargetInputError before any item.
 */
export async function* readTargets(source: AsyncIterable<Buffer | string>, options: ReadTargetsOptions = {}): AsyncGenerator<TargetItem> {
  const maxLine = options.maxLineBytes ?? MAX_TARGET_LINE_BYTES
  const deadline = options.lineDeadlineMs ?? 0
  const iterator = source[Symbol.asyncIterator]()
  let pending: Buffer[] = []
  let pendingBytes = 0
  /** Skipping the rest of an over-long line until its newline. */
  let skipping = false
  let line = 0
  let first = true
  try {
    for (;;) {
      const next = await within(iterator.next(), deadline, () => `the next line did not arrive within ${deadline} ms`)
      if (next.done) break
      let chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value
      if (first) {
        first = false
        if (chunk.includes(0)) throw new TargetInputError('it is a binary file, not a list of targets (a NUL byte in its first bytes)')
      }
      for (;;) {
        const newline = chunk.indexOf(0x0a)
        const piece = newline < 0 ? chunk : chunk.subarray(0, newline)
        if (!skipping) {
          if (pendingBytes + piece.length > maxLine) {
            line++
            skipping = true
            pending = []
            pendingBytes = 0
            yield {line, problem: `the line is longer than ${Math.round(maxLine / 1024)} KiB`}
          } else {
            pending.push(piece)
            pendingBytes += piece.length
          }
        }
        if (newline < 0) break
        if (skipping) skipping = false
        else {
          line++
          const item = parseTargetLine(Buffer.concat(pending, pendingBytes).toString('utf8'), line)
          pending = []
          pendingBytes = 0
          if (item) yield item
        }
        chunk = chunk.subarray(newline + 1)
      }
    }
    if (!skipping && pendingBytes > 0) {
      line++
      const item = parseTargetLine(Buffer.concat(pending, pendingBytes).toString('utf8'), line)
      if (item) yield item
    }
  } finally {
    // Not awaited: a stream's iterator may still wait on the read that passed its deadline.
    void iterator.return?.()?.catch(() => {})
  }
}
