/**
 * A batch run's DNS answers, kept for their TTL (RFC 1035 §3.2.1) and negative answers for the
 * SOA's negative TTL (RFC 2308 §5): the MX hosts a thousand domains share are asked once. A question
 * asked while the same question is in flight waits for that answer instead of asking again. Failures
 * (timeouts, SERVFAIL) are never kept. At most MAX_ENTRIES answers, the least recently used leaving
 * first, so memory stays flat over any number of targets. The bound is small on purpose: what the cache is for (the
 * MX hosts, SPF includes and DMARC records many domains share) is asked again and again and stays; a target's own
 * answers are asked once and only need to outlive that target. The cache is most of a batch run's live heap, and V8
 * sizes the heap from the live heap: with 10,000 entries a 100,000-target run peaked 8 MiB above one with 2,000, at
 * the same speed (docs/testing.md "Batch runs").
 */
export const MAX_ENTRIES = 2_000
/** No answer is kept longer than a day, whatever its TTL says (RFC 8767 §4 suggests capping too). */
const MAX_TTL_S = 86_400

interface Entry<T> {
  value: T
  expires: number
}

export class DnsCache<T> {
  private readonly entries = new Map<string, Entry<T>>()
  private readonly inFlight = new Map<string, Promise<T>>()
  hits = 0
  misses = 0

  constructor(
    private readonly maxEntries = MAX_ENTRIES,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The kept answer for `key`, the one in flight, or `load`'s; `load` says for how many seconds its answer may be kept. */
  async get(key: string, load: () => Promise<{value: T; ttl: number}>): Promise<T> {
    const entry = this.entries.get(key)
    if (entry) {
      if (entry.expires > this.now()) {
        // Least recently used leaves first: a hit moves to the end.
        this.entries.delete(key)
        this.entries.set(key, entry)
        this.hits++
        return entry.value
      }
      this.entries.delete(key)
    }
    const pending = this.inFlight.get(key)
    if (pending) {
      this.hits++
      return pending
    }
    this.misses++
    const promise = load().then(
      ({value, ttl}) => {
        this.inFlight.delete(key)
        const seconds = Math.min(MAX_TTL_S, Math.max(0, ttl))
        if (seconds > 0) {
          this.entries.set(key, {value, expires: this.now() + seconds * 1000})
          if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
        }
        return value
      },
      (error: unknown) => {
        this.inFlight.delete(key)
        throw error
      },
    )
    this.inFlight.set(key, promise)
    return promise
  }

  get size(): number {
    return this.entries.size
  }
}
