import {isProblem, type TargetItem} from './targets.js'

/**
 * The batch runner: one single-target check run over a stream of targets, `concurrency` at a time,
 * each result handed to `write` as soon as it is ready (completion order). It reads the next target
 * only when a slot is free, and keeps nothing of a target after its result is written, so memory
 * stays flat over any number of targets. A check is expected to turn its own failures into a result
 * (one bad target never stops the run); a failing `write` (the output is gone) does stop it.
 *
 * Every command's check joins with one function: `(item) => Promise<result>`.
 */
export interface BatchRun<R> {
  targets: AsyncIterable<TargetItem>
  concurrency: number
  /** Runs one target, or reports one line's problem (an item with `problem`). Must not reject. */
  check: (item: TargetItem) => Promise<R>
  /** Writes one result; called one at a time, in completion order. */
  write: (result: R, item: TargetItem) => Promise<void> | void
  /** Targets to leave out (another shard's, or already in the --resume file). Problems are never left out. */
  skip?: (target: string) => boolean
  /** Once aborted, no new target starts; the ones in flight finish and are written. */
  signal?: AbortSignal
  /** Called after each written result. */
  onProgress?: (progress: BatchProgress) => void
}

export interface BatchProgress {
  /** Results written. */
  done: number
  /** Targets started and not yet written. */
  running: number
  /** Targets left out (skip). */
  skipped: number
  elapsedMs: number
}

export interface BatchSummary extends BatchProgress {
  /** The signal stopped the run before the input ended. */
  interrupted: boolean
}

const ABORTED = Symbol('aborted')

/**
 * `promise`, or ABORTED once the signal fires first. The listener goes when the promise settles:
 * racing each wait against one long-lived promise would keep a reaction per wait on it (memory
 * growing with every target of a long run).
 */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | typeof ABORTED> {
  if (!signal) return promise
  if (signal.aborted) return Promise.resolve(ABORTED)
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

export async function runBatch<R>(run: BatchRun<R>): Promise<BatchSummary> {
  const started = performance.now()
  const concurrency = Math.max(1, Math.floor(run.concurrency))
  const running = new Set<Promise<void>>()
  let done = 0
  let skipped = 0
  let writing: Promise<void> = Promise.resolve()
  let writeFailure: unknown
  const progress = (): BatchProgress => ({done, running: running.size, skipped, elapsedMs: performance.now() - started})
  // A free slot (a task ended) or the signal wakes the loop: one waiter at a time, nothing kept after.
  let wakeUp: (() => void) | undefined
  const wake = () => {
    const resolve = wakeUp
    wakeUp = undefined
    resolve?.()
  }
  run.signal?.addEventListener('abort', wake, {once: true})
  const iterator = run.targets[Symbol.asyncIterator]()
  let interrupted = false
  try {
    for (;;) {
      while (running.size >= concurrency && !run.signal?.aborted) await new Promise<void>((resolve) => (wakeUp = resolve))
      if (run.signal?.aborted || writeFailure !== undefined) {
        interrupted = run.signal?.aborted ?? false
        break
      }
      let next: IteratorResult<TargetItem> | typeof ABORTED
      try {
        next = await unlessAborted(iterator.next(), run.signal)
      } catch (error) {
        // The input failed (a deadline, a read error): what is in flight is finished and written first.
        await Promise.all(running)
        await writing
        throw error
      }
      if (next === ABORTED) {
        interrupted = true
        break
      }
      if (next.done) break
      const item = next.value
      if (!isProblem(item) && run.skip?.(item.target)) {
        skipped++
        continue
      }
      const task: Promise<void> = run
        .check(item)
        .then((result) => {
          writing = writing.then(async () => {
            if (writeFailure !== undefined) return
            try {
              await run.write(result, item)
              done++
            } catch (error) {
              writeFailure = error
            }
          })
          return writing
        })
        .finally(() => {
          running.delete(task)
          run.onProgress?.(progress())
          wake()
        })
      running.add(task)
    }
    await Promise.all(running)
    await writing
  } finally {
    run.signal?.removeEventListener('abort', wake)
    // Stops reading (and closes the input) when the run ends early.
    void iterator.return?.(undefined)
  }
  if (writeFailure !== undefined) throw writeFailure
  return {...progress(), interrupted}
}
