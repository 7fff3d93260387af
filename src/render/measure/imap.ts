import type {ImapCheckResult} from '../../lib/imap/schema.js'
import {stageChecks, stagesOf, tlsFact, type CheckDocument, type Measurements, type Value} from '../monitoring.js'

/** imap-check: stages, TLS, per mailbox its messages and unseen, the quota, and --wait-for's latency. */
export function imapMeasurements(doc: CheckDocument & Partial<ImapCheckResult>, target: string): Measurements {
  const values: Value[] = []
  for (const m of doc.mailboxes ?? []) {
    if (m.messages !== null) values.push({name: 'mailbox_messages', value: m.messages, unit: '', help: 'The number of messages in the mailbox (IMAP STATUS MESSAGES).', labels: {mailbox: m.path}, min: 0})
    if (m.unseen !== null) values.push({name: 'mailbox_unseen', value: m.unseen, unit: '', help: 'The number of messages without \\Seen in the mailbox (IMAP STATUS UNSEEN).', labels: {mailbox: m.path}, min: 0})
  }
  const storage = doc.quota?.storage
  if (storage?.percent !== null && storage?.percent !== undefined) values.push({name: 'quota_storage', value: storage.percent, unit: '%', help: 'How full the storage quota is, in percent.', min: 0, max: 100})
  if (doc.waitFor?.latencyMs !== null && doc.waitFor?.latencyMs !== undefined) values.push({name: 'wait_latency', value: doc.waitFor.latencyMs / 1000, unit: 's', help: 'From the start of the run until the awaited message was seen in the mailbox, in seconds.', min: 0})
  const stages = stagesOf(doc.timings)
  const summary = doc.greeting ? `${doc.greeting.status} ${doc.greeting.text}${doc.tls?.version ? `, ${doc.tls.version}` : ''}` : undefined
  const fact = tlsFact(doc.tls)
  return {
    service: 'IMAP',
    target,
    ...(summary ? {summary} : {}),
    stages,
    tls: fact ? [fact] : [],
    values,
    checks: [
      ...stageChecks(stages, doc),
      ...(doc.waitFor ? [{name: `wait for ${doc.waitFor.criterion} ${doc.waitFor.value}`, status: doc.waitFor.found ? ('passed' as const) : ('failed' as const), ms: doc.waitFor.waitedMs}] : []),
    ],
  }
}
