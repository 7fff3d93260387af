import {UsageError} from '../lib/errors.js'
import {parseDuration} from '../lib/duration.js'
import {checked, flagValue} from './validate.js'
import {readCaFile} from './ca-file.js'
import {sourceOf} from './credentials.js'
import {DnsResolver, parseServer} from '../lib/dns/resolver.js'
import {netContext, type ResolverContext} from '../lib/net/context.js'

export interface CommonOptions {
  json: boolean
  quiet: boolean
  transcript: boolean
  /** --timeout, for what the CLI reads itself (standard input, FIFOs, files); connections take theirs from `net`. */
  timeoutMs: number
  /** --resolver, --timeout and --ca-file, as every library call that resolves or connects takes them. */
  net: ResolverContext
}

export interface CommonFlagValues {
  json: boolean
  quiet: boolean
  transcript: boolean
  timeout: string
  resolver?: string[] | string
  'ca-file'?: string
}

/** The longest stage deadline accepted: beyond this a typo (10m for 10s) is more likely than intent. */
const MAX_TIMEOUT_MS = 60 * 60 * 1000

/** One DNS server: IP, IP:PORT, [IPv6] or [IPv6]:PORT. */
export const resolverSchema = checked((text) => {
  const server = parseServer(text)
  return typeof server === 'string' ? {problem: server} : server
})

export const durationSchema = checked((text) => {
  const ms = parseDuration(text)
  if (ms === undefined) return {problem: `"${text}" is not a duration (write e.g. 500ms, 10s or 2m)`}
  if (ms <= 0) return {problem: 'the duration must be more than zero'}
  return ms > MAX_TIMEOUT_MS ? {problem: `${text} is longer than the 1 h maximum`} : ms
})

export function parseTimeout(text: string, flag = '--timeout'): number {
  return flagValue(durationSchema, text, flag)
}

export async function commonOptions(flags: CommonFlagValues, argv: readonly string[] = []): Promise<CommonOptions> {
  // Name the source the user will recognise: the flag when given, else the environment variable.
  const timeoutMs = parseTimeout(flags.timeout, sourceOf('--timeout', 'MAILDIG_TIMEOUT', argv))
  // From the environment oclif hands a multiple flag over as one string.
  const label = sourceOf('--resolver', 'MAILDIG_RESOLVER', argv)
  const servers = [flags.resolver ?? []]
    .flat()
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
    .map((v) => flagValue(resolverSchema, v, label))
  const resolver = new DnsResolver({servers, timeoutMs})
  // Only the user's authorities: the TLS layer (tls/trust.ts) adds Node's roots and NODE_EXTRA_CA_CERTS.
  const ca = flags['ca-file'] ? await readCaFile(flags['ca-file'], timeoutMs) : undefined
  return {json: flags.json, quiet: flags.quiet, transcript: flags.transcript, timeoutMs, net: {...netContext({timeoutMs, ca}), resolver}}
}

/** Rejects a CR, LF or NUL in anything that could reach the wire (docs/cli.md, safety promises). */
export function assertNoControl(value: string, flag: string): string {
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${flag}: the value contains a CR, LF or NUL character`)
  return value
}

