import {UsageError} from '../lib/errors.js'
import {readCaFile} from './ca-file.js'
import {commonFlags, resolverServers, type FlagsOf} from './flags.js'
import {DnsResolver} from '../lib/dns/resolver.js'
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

export type CommonFlagValues = FlagsOf<{flags: typeof commonFlags}>

export async function commonOptions(flags: CommonFlagValues): Promise<CommonOptions> {
  const timeoutMs = flags.timeout
  const resolver = new DnsResolver({servers: resolverServers(flags.resolver), timeoutMs})
  // Only the user's authorities: the TLS layer (tls/trust.ts) adds Node's roots and NODE_EXTRA_CA_CERTS.
  const ca = flags['ca-file'] ? await readCaFile(flags['ca-file'], timeoutMs) : undefined
  return {json: flags.json, quiet: flags.quiet, transcript: flags.transcript, timeoutMs, net: {...netContext({timeoutMs, ca}), resolver}}
}

/** Rejects a CR, LF or NUL in anything that could reach the wire (docs/cli.md, safety promises). */
export function assertNoControl(value: string, flag: string): string {
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${flag}: the value contains a CR, LF or NUL character`)
  return value
}

