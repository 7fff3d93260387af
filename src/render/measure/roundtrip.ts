import type {RoundtripResult} from '../../lib/roundtrip/schema.js'
import {stagesOf, tlsFact, type Check, type CheckDocument, type Measurements, type TlsFact, type Value} from '../monitoring.js'

/**
 * roundtrip: the end-to-end latency (the value --warning and --critical judge without a label), whether the message
 * arrived, one duration and one check per stage, the TLS of the submission server and of the mailbox server.
 */
export function roundtripMeasurements(doc: CheckDocument & Partial<RoundtripResult>, target: string): Measurements {
  const stages: Record<string, number> = {}
  const checks: Check[] = []
  if (doc.stages) {
    for (const stage of doc.stages) {
      const name = stage.name.replace(/-/g, '_')
      if (stage.ms !== null) stages[name] = stage.ms
      checks.push({name: stage.name, status: stage.ok ? 'passed' : 'failed', ...(stage.ms === null ? {} : {ms: stage.ms})})
    }
  } else {
    // A run that failed before its first stage: what the timings say, without the run's own sums.
    const {latency: _l, waited: _w, ...rest} = stagesOf(doc.timings)
    Object.assign(stages, rest)
  }
  if (doc.delivered !== undefined) {
    checks.push({
      name: 'delivered within --wait',
      status: doc.delivered ? 'passed' : 'failed',
      ...(doc.latencyMs === null || doc.latencyMs === undefined ? {} : {ms: doc.latencyMs}),
      message: doc.delivered ? `seen in the mailbox after ${doc.mailbox?.checks ?? 0} checks` : `not in the mailbox within ${Math.round((doc.waitMs ?? 0) / 1000)} s`,
    })
  }
  const cleanup = doc.mailbox?.cleanup
  if (cleanup?.requested) checks.push({name: 'cleanup', status: cleanup.removed ? 'passed' : 'skipped', message: cleanup.reason ?? 'the message was removed'})

  const tls: TlsFact[] = []
  const submitted = doc.submission?.server
  const submissionTls = tlsFact(doc.submission?.tls, `submission ${submitted?.host ?? ''}`.trim())
  if (submissionTls) tls.push(submissionTls)
  const mailboxTls = tlsFact(doc.mailbox?.tls, `mailbox ${doc.mailbox?.host ?? ''}`.trim())
  if (mailboxTls) tls.push(mailboxTls)

  const values: Value[] = []
  if (doc.latencyMs !== null && doc.latencyMs !== undefined) {
    values.push({name: 'latency', value: doc.latencyMs / 1000, unit: 's', help: 'roundtrip: from the start of sending until the message was first seen in the mailbox, in seconds.', min: 0})
  }
  if (doc.delivered !== undefined) values.push({name: 'delivered', value: doc.delivered ? 1 : 0, unit: '', help: 'roundtrip: whether the test message arrived in the mailbox within --wait (1) or not (0).', min: 0, max: 1})
  const queue = doc.submission?.queueId ? ` (queue id ${doc.submission.queueId})` : ''
  const summary =
    doc.delivered === true && doc.latencyMs !== null && doc.latencyMs !== undefined
      ? `delivered in ${(doc.latencyMs / 1000).toFixed(3)} s end to end${queue}`
      : doc.delivered === false
        ? `not delivered within ${Math.round((doc.waitMs ?? 0) / 1000)} s${queue}`
        : undefined
  return {service: 'ROUNDTRIP', target, ...(summary ? {summary} : {}), stages, tls, values, checks}
}
