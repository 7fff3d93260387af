import type {LookupFunction} from 'node:net'
import type {SecureVersion} from 'node:tls'
import {createLookup} from '../dns/lookup.js'
import type {DnsResolver} from '../dns/resolver.js'
import type {CaInput} from '../tls/trust.js'
import {stageTimeouts, type StageTimeouts} from './deadline.js'
import type {HostGate} from './host-gate.js'

/** Where one conversation goes: the name asked for, the port, and the address when it is already resolved. */
export interface Endpoint {
  /** The host name (or IP literal) asked for: SNI, the certificate check and messages use it. */
  host: string
  port: number
  /** Connect here instead of resolving `host` (one probe per MX address). */
  address?: string
}

/**
 * How maildig reaches servers during one run, built once from the shared flags (src/cli/options.ts)
 * and handed to every library call that resolves a name or opens a connection. A connection option
 * is added here, and only here.
 */
export interface NetContext {
  /**
   * The DNS layer. Connections resolve their host through it as well (lookupOf), so with --resolver
   * no name reaches the system resolver. Absent (or not explicit): the system's getaddrinfo.
   */
  resolver?: DnsResolver
  /** The deadline of each stage (CONTRACT --timeout: a deadline, not an idle timer). */
  timeouts: StageTimeouts
  /** Extra trusted authorities (`--ca-file`), added to Node's own. */
  ca?: CaInput
  /** Source address to connect from (tests pick 127.0.1.x). */
  localAddress?: string
  family?: 0 | 4 | 6
  /** What TLS offers: the lowest version and the cipher list (to reach a TLS 1.0/1.1-only server). */
  tls?: {minVersion?: SecureVersion; ciphers?: string}
  /** Told what a conversation waits for now (the CLI's spinner says it); the library itself never prints. */
  progress?: (event: ProgressEvent) => void
  /**
   * A batch run's politeness (host-gate.ts): conversations per server address capped and spaced, a
   * busy server backed off, and each server probed once per run. Absent: a single-target run.
   */
  hosts?: HostGate
}

/** What a conversation is waiting for at this moment. */
export type ProgressEvent =
  | {stage: 'connect'; endpoint: string}
  | {stage: 'greeting'; endpoint: string; connectMs: number}
  | {stage: 'tls'; endpoint: string}
  | {stage: 'reply'; endpoint: string; command: string}
  /** A wait with a deadline (imap-check --wait): `deadline` is a Date.now() time. */
  | {stage: 'wait'; what: string; deadline: number}

export interface NetContextInput extends Omit<NetContext, 'timeouts'> {
  /** One deadline for every stage, or one per stage; DEFAULT_TIMEOUT_MS when absent. */
  timeoutMs?: number | Partial<StageTimeouts>
}

/** A NetContext; every field has a default (the system resolver, DEFAULT_TIMEOUT_MS per stage). */
export function netContext(input: NetContextInput = {}): NetContext {
  const {timeoutMs, ...rest} = input
  return {...rest, timeouts: stageTimeouts(timeoutMs)}
}

const lookups = new WeakMap<DnsResolver, LookupFunction>()
let systemLookup: LookupFunction | undefined

/**
 * The lookup for net.connect and friends, derived from the context's resolver: with an explicit
 * resolver (--resolver) every name goes through it, never silently through the system resolver.
 */
export function lookupOf(context: NetContext): LookupFunction {
  const {resolver} = context
  if (!resolver) return (systemLookup ??= createLookup(undefined))
  let lookup = lookups.get(resolver)
  if (!lookup) lookups.set(resolver, (lookup = createLookup(resolver)))
  return lookup
}

/** A NetContext that can ask DNS questions itself (MX, PTR, SRV, TXT), not only resolve addresses. */
export type ResolverContext = NetContext & {resolver: DnsResolver}
