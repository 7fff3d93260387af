import type {DnsAnswer, DnsResolver, RecordType} from './resolver.js'

/** A DNS query function: the resolver's, or one that answers repeated questions from a run's cache. */
export type DnsQuery = <T extends RecordType>(name: string, type: T) => Promise<DnsAnswer<T>>

/**
 * The resolver's query, each question asked once per run: checks that run side by side (SPF for several addresses,
 * DMARC and BIMI reading the same records) share one answer, and a question asked twice at once is sent once.
 */
export function cachedQuery(resolver: DnsResolver): DnsQuery {
  const cache = new Map<string, Promise<DnsAnswer>>()
  return <T extends RecordType>(name: string, type: T) => {
    const qname = name.trim().toLowerCase().replace(/\.$/, '')
    const key = `${type} ${qname}`
    let pending = cache.get(key)
    if (!pending) {
      pending = resolver.query(qname, type)
      cache.set(key, pending)
    }
    return pending as Promise<DnsAnswer<T>>
  }
}
