import {UsageError} from '../lib/errors.js'
import type {SendTlsMode} from '../lib/send/deliver.js'
import {valueFlag} from './flags.js'
import {hostPort} from './validate.js'

/**
 * A flag taking HOST[:PORT] (validate.ts hostPort): --server of send and roundtrip, and roundtrip's --mailbox-host, parsed
 * while the flags are (a bad value is a usage error naming the flag). The port, when given, decides the TLS default
 * (submissionRoute).
 */
export const hostPortFlag = valueFlag((text): {host: string; port?: number} | {problem: string} => {
  const parsed = hostPort(text)
  return 'problem' in parsed ? parsed : parsed.port === undefined ? {host: parsed.host} : {host: parsed.host, port: parsed.port}
}, {helpValue: 'HOST[:PORT]'})

/**
 * Where a message goes: the submission server (port 587 by default, or 465 with --tls implicit; the TLS mode follows
 * the port: implicit on 465, STARTTLS required on 587, when offered elsewhere), or without --server straight to the
 * recipients' MX hosts, where implicit TLS does not exist.
 */
export function submissionRoute(server: {host: string; port?: number} | undefined, tls: 'starttls' | 'implicit' | 'none' | undefined): {kind: 'mx'} | {kind: 'server'; host: string; port: number; tls: SendTlsMode} {
  if (server === undefined) {
    if (tls === 'implicit') throw new UsageError('--tls implicit: direct-to-MX delivery uses port 25; give --server for implicit TLS')
    return {kind: 'mx'}
  }
  const port = server.port ?? (tls === 'implicit' ? 465 : 587)
  const mode: SendTlsMode = tls ?? (port === 465 ? 'implicit' : port === 587 ? 'starttls' : 'auto')
  return {kind: 'server', host: server.host, port, tls: mode}
}
