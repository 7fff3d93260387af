import type {DnsAnswer, DnsResolver, RecordType} from './resolver.js'
import type {Transcript} from '../net/transcript.js'

/** A DNS query function: the resolver's, or one that answers repeated questions from a run's cache. */
export type DnsQuery = <T extends RecordType>(name: string, type: T) => Promise<DnsAnswer<T>>

/**
 * The resolver's query, each question asked once per run: checks that run side by side (SPF for several addresses,
 * DMARC and BIMI reading the same records) share one answer, and a question asked twice at once is sent once. With a
 * transcript, each question and its answer are recorded (--transcript shows the DNS conversation).
 */
export function cachedQuery(resolver: DnsResolver, transcript?: Transcript): DnsQuery {
  const cache = new Map<string, Promise<DnsAnswer>>()
  return <T extends RecordType>(name: string, type: T) => {
    const qname = name.trim().toLowerCase().replace(/\.$/, '')
    const key = `${type} ${qname}`
    let pending = cache.get(key)
    if (!pending) {
      transcript?.add('send', `${type} ${qname}?`, false)
      pending = resolver.query(qname, type)
      if (transcript) void pending.then((answer) => transcript.add('recv', describeAnswer(answer), false))
      cache.set(key, pending)
    }
    return pending as Promise<DnsAnswer<T>>
  }
}

/** One answer as a transcript line: the question, the outcome, the records (as dig's short form writes them). */
export function describeAnswer(answer: DnsAnswer): string {
  const where = answer.server ? ` from ${answer.server}` : ''
  const head = `${answer.type} ${answer.name}: ${answer.rcode ?? answer.status}${where} in ${Math.round(answer.ms)} ms`
  if (answer.status !== 'ok') return `${head} (${answer.detail ?? answer.status})`
  const records = answer.records.map((r) => {
    if ('address' in r) return r.address
    if ('exchange' in r) return `${r.preference} ${r.exchange}`
    if ('text' in r) return JSON.stringify(r.text)
    if ('name' in r) return r.name
    if ('target' in r) return r.target
    return JSON.stringify(r)
  })
  const aliases = answer.cnames.map((c) => `${c.name} CNAME ${c.target}; `).join('')
  return `${head}: ${aliases}${records.join(', ')}`
}
