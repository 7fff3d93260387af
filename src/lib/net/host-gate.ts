/**
 * Politeness towards the servers of a batch run: at most `perHost` conversations with one server
 * address at a time, a start at least `intervalMs` after the previous one to the same address, and a
 * back-off for an address that said it is busy (SMTP 421) or tarpitted (a stage deadline passed):
 * the next conversation with it waits BACKOFF_MS, doubling up to MAX_BACKOFF_MS. Waiting here is
 * outside every stage deadline: the deadlines start when the conversation does.
 *
 * Also the memo that makes each server probed once per run: the first caller's promise is shared by
 * every later caller with the same key.
 */
export interface HostGateOptions {
  /** Conversations at once per address (default 2). */
  perHost?: number
  /** Least time between two conversation starts to one address (default 0). */
  intervalMs?: number
}

const BACKOFF_MS = 5_000
/** Probe results kept for sharing: far more than the distinct MX servers of a hosting audit, bounded all the same. */
const MAX_MEMO = 2_000
const MAX_BACKOFF_MS = 60_000

interface HostState {
  active: number
  queue: (() => void)[]
  /** Earliest start of the next conversation. */
  notBefore: number
  backoffMs: number
}

export class HostGate {
  readonly perHost: number
  readonly intervalMs: number
  private readonly hosts = new Map<string, HostState>()
  private readonly memo = new Map<string, Promise<unknown>>()
  /** Conversations started, per address (what a server would count). */
  readonly started = new Map<string, number>()

  constructor(options: HostGateOptions = {}) {
    this.perHost = Math.max(1, options.perHost ?? 2)
    this.intervalMs = Math.max(0, options.intervalMs ?? 0)
  }

  /** Runs `conversation` with `address` once a slot is free and the interval (or back-off) has passed. */
  async run<T>(address: string, conversation: () => Promise<T>): Promise<T> {
    const state = this.state(address)
    if (state.active >= this.perHost) await new Promise<void>((resolve) => state.queue.push(resolve))
    else state.active++
    try {
      const wait = state.notBefore - performance.now()
      state.notBefore = Math.max(performance.now(), state.notBefore) + this.intervalMs
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      this.started.set(address, (this.started.get(address) ?? 0) + 1)
      return await conversation()
    } finally {
      const next = state.queue.shift()
      // The slot passes straight to the next waiter; with nobody waiting, it is freed (and an idle address forgotten).
      if (next) next()
      else if (--state.active === 0 && state.backoffMs === 0 && state.notBefore <= performance.now()) this.hosts.delete(address)
    }
  }

  /** The server is busy (421) or tarpits: its next conversation waits, longer each time. */
  backOff(address: string): void {
    const state = this.state(address)
    state.backoffMs = state.backoffMs === 0 ? BACKOFF_MS : Math.min(MAX_BACKOFF_MS, state.backoffMs * 2)
    state.notBefore = Math.max(state.notBefore, performance.now() + state.backoffMs)
  }

  /**
   * The first call with `key` runs `work`; every later call gets the same promise. At most MAX_MEMO
   * results are kept, the oldest leaving first: a result no other target can share (trace's RCPT test
   * names each target's recipient) must not make memory grow with the number of targets.
   */
  once<T>(key: string, work: () => Promise<T>): Promise<T> {
    let promise = this.memo.get(key) as Promise<T> | undefined
    if (!promise) {
      this.memo.set(key, (promise = work()))
      if (this.memo.size > MAX_MEMO) this.memo.delete(this.memo.keys().next().value as string)
    }
    return promise
  }

  private state(address: string): HostState {
    let state = this.hosts.get(address)
    if (!state) this.hosts.set(address, (state = {active: 0, queue: [], notBefore: 0, backoffMs: 0}))
    return state
  }
}
