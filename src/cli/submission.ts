import {UsageError} from '../lib/errors.js'
import {printable} from '../lib/dns/names.js'
import type {SendTlsMode} from '../lib/send/deliver.js'
import {valueFlag} from './flags.js'
import {hostSchema, portSchema} from './validate.js'

/**
 * --server of send and roundtrip, and roundtrip's --mailbox-host: HOST[:PORT] or [IPv6]:PORT, parsed while the flags
 * are (a bad value is a usage error naming the flag). The port, when given, decides the TLS default (submissionRoute).
 */
export function hostAndPort(value: string): {host: string; port?: number} | {problem: string} {
  const match = /^\[([^\]]+)\](?::([^]*))?$/.exec(value) ?? /^([^:]+)(?::([^]*))?$/.exec(value)
  if (!match) return {problem: `"${printable(value)}" is not HOST[:PORT] (write [IPv6]:PORT for IPv6)`}
  const host = hostSchema().safeParse(match[1])
  if (!host.success) return {problem: host.error.issues[0].message}
  if (match[2] === undefined) return {host: host.data}
  const port = portSchema().safeParse(match[2])
  return port.success ? {host: host.data, port: port.data} : {problem: port.error.issues[0].message}
}

/** A flag taking HOST[:PORT]. */
export const hostPortFlag = valueFlag(hostAndPort, {helpValue: 'HOST[:PORT]'})

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
