import type {MxResult} from '../../lib/mx/resolve-mx.js'
import type {CheckDocument, Measurements} from '../monitoring.js'

/** mx: the lookup's time, how many exchanges and addresses it found. */
export function mxMeasurements(doc: CheckDocument & Partial<MxResult>, target: string): Measurements {
  const exchanges = doc.exchanges ?? []
  const addresses = exchanges.reduce((n, e) => n + e.addresses.length, 0)
  const summary = doc.kind === 'null' ? 'null MX: the domain takes no mail' : `${exchanges.length} exchange${exchanges.length === 1 ? '' : 's'}, ${addresses} address${addresses === 1 ? '' : 'es'}${doc.kind === 'implicit' ? ' (implicit MX)' : ''}`
  return {
    service: 'MX',
    target,
    ...(doc.exchanges ? {summary} : {}),
    // The whole command is the DNS lookup (docs/monitoring.md): blackbox_exporter's probe_dns_lookup_time_seconds.
    stages: {lookup: doc.timings.totalMs ?? 0},
    values: doc.exchanges
      ? [
          {name: 'exchanges', value: exchanges.length, unit: '', help: 'The number of mail exchangers (MX hosts) the domain has.', min: 0},
          {name: 'addresses', value: addresses, unit: '', help: 'The number of addresses of all mail exchangers.', min: 0},
        ]
      : [],
    checks: [{name: 'MX lookup', status: doc.error ? 'error' : 'passed', ms: doc.timings.totalMs}],
  }
}
