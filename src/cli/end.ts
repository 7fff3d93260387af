// The end of a run. When the last callback has run, Node ends a process by freeing its environment and V8's heap
// (FreeEnvironment, Isolate::Dispose) before it exits: for a maildig run, whose heap holds oclif, the code caches and
// the command's modules, that took longer than anything else after the output (an mx run printed its table, then spent
// 15-40 ms on this machine before it exited; `node -e 0` has little to free). process.exit() skips the teardown; it
// still emits 'exit' (the user's code caches are written then). maildig ends so only when the command is done, its
// output has been handed to the system, and nothing is left but the standard streams and DNS sockets: a connection
// still closing politely, a file being written or a pending timer keeps Node's ordinary end.

/** What may remain at the end without being cut short: standard streams (pipes, terminals) and DNS's UDP sockets. */
const IDLE_RESOURCES = new Set(['PipeWrap', 'TTYWrap', 'UDPWrap'])

/** The part of `process` that the end uses (a test passes its own). */
export interface EndingProcess {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  getActiveResourcesInfo(): string[]
  exit(): void
}

/** Called when the command has returned: ends the process at once if nothing but idle resources remains (see above). */
export async function endWhenDone(proc: EndingProcess = process): Promise<void> {
  // Close callbacks of sockets and files closed as the command ended: they run after this turn's immediates, so two turns.
  await nextTurn()
  await nextTurn()
  // A write's callback runs once its data (and all before it) is with the system: on a pipe or terminal that Node
  // writes asynchronously (macOS, Windows), exiting earlier could lose the end of the output.
  await Promise.all([flushed(proc.stdout), flushed(proc.stderr)])
  if (proc.getActiveResourcesInfo().every((kind) => IDLE_RESOURCES.has(kind))) proc.exit()
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/** Resolves when everything written to `stream` so far has been handed to the system (or the stream failed). */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.write('', () => resolve())
    } catch {
      resolve()
    }
  })
}
