import type {DnsQuery} from '../dns/cache.js'
import type {ResolverContext} from '../net/context.js'
import type {Transcript} from '../net/transcript.js'
import type {Finding} from '../findings.js'
import type {SenderTarget} from './target.js'
import type {SenderDkim, SenderSpf} from './schema.js'

/** What `sender` is asked to check besides its target: the values of its flags, validated (src/commands/sender.ts). */
export interface SenderOptions {
  /** --ip: the sending addresses, IPv4 or IPv6, as given. */
  ips: string[]
  /** --helo: the HELO/EHLO name (A-label), or undefined. */
  helo?: string
  /** --selector: DKIM selectors; none means "try the common ones". */
  selectors: string[]
  /** --message: a saved message, raw bytes (its DKIM-Signature and ARC headers are verified). */
  message?: Buffer
  /** --dnsbl: the blocklist zones (replacing the defaults); null: the default zones; []: none (--no-dnsbl). */
  dnsblZones: string[] | null
  /** --bimi-selector (default "default"). */
  bimiSelector?: string
  /** --resolver, --timeout, --ca-file. */
  net: ResolverContext
  /** --transcript: every DNS question and answer of the run is recorded here. */
  transcript?: Transcript
}

/** What every section of the check gets: the target, the options, and one cached DNS for the run. */
export interface SenderContext {
  target: SenderTarget
  /** The domain DKIM, DMARC and BIMI are checked for: the target's domain, or for "<>" the --helo name. */
  domain: string
  options: SenderOptions
  /** The run's DNS: every question asked once, shared by all sections. */
  query: DnsQuery
}

/** A section's result and the findings it raised. Sections never throw for DNS trouble: that is status "unknown". */
export interface SectionOutcome<T> {
  value: T
  findings: Finding[]
}

/**
 * What a section may wait for: DMARC needs the SPF and DKIM results for alignment, BIMI needs DMARC. Sections start
 * together (src/lib/sender/check.ts); one that needs another's result awaits its promise.
 */
export interface SectionDependencies {
  spf: Promise<SectionOutcome<SenderSpf>>
  dkim: Promise<SectionOutcome<SenderDkim>>
}
