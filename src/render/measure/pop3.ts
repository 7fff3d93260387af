import type {Pop3ListResult} from '../../lib/pop3/list.js'
import {stagesOf, tlsFact, type CheckDocument, type Measurements, type Value} from '../monitoring.js'

/** pop3-list: stages, TLS, and the maildrop's size (STAT). */
export function pop3Measurements(doc: CheckDocument & Partial<Omit<Pop3ListResult, 'findings' | 'transcript'>>, target: string): Measurements {
  const values: Value[] = []
  if (doc.stat) {
    values.push({name: 'maildrop_messages', value: doc.stat.messages, unit: '', help: 'The number of messages in the POP3 maildrop (STAT).', min: 0})
    values.push({name: 'maildrop_size', value: doc.stat.octets, unit: 'B', help: 'The size of the POP3 maildrop in bytes (STAT).', min: 0})
  }
  const fact = tlsFact(doc.tls)
  const summary = doc.greeting ? `+OK ${doc.greeting.text}${doc.tls?.version ? `, ${doc.tls.version}` : ''}` : undefined
  return {service: 'POP', target, ...(summary ? {summary} : {}), stages: stagesOf(doc.timings), tls: fact ? [fact] : [], values}
}
