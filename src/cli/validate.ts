import {UsageError} from '../lib/errors.js'
import {printable, toEhloName, toHost} from '../lib/dns/names.js'
import {checkMailAddress} from '../lib/address.js'
import {parseDuration} from '../lib/duration.js'
import {parseServer} from '../lib/dns/resolver.js'

/**
 * The values flags and arguments carry: checks that take the text oclif hands over and turn it into the value the
 * library takes. src/cli/flags.ts makes flags of them; the problem becomes the one usage line (exit 2) naming the flag,
 * the environment variable or the argument. Plain functions, not zod: zod's first schemas cost every run about 2 ms of
 * loading for what is one function call (zod describes the JSON documents, in the schema files).
 */
export function flagValue<T>(schema: FlagSchema<T>, value: unknown, flag: string): T {
  const result = schema().safeParse(value)
  if (result.success) return result.data
  throw new UsageError(`${flag}: ${result.error.issues[0]?.message ?? 'invalid value'}`)
}

/** The outcome of checking a value, in the shape zod's safeParse has. */
export type CheckResult<T> = {success: true; data: T} | {success: false; error: {issues: Array<{message: string}>}}

/** A flag's check: `safeParse(text)` gives the value or the problem in words. */
export type FlagSchema<T> = () => {safeParse(value: unknown): CheckResult<T>}

/** A check from a function that returns the value or the problem in words. */
export function checked<T>(check: (text: string) => T | {problem: string}): FlagSchema<T> {
  const checker = {
    safeParse(value: unknown): CheckResult<T> {
      if (typeof value !== 'string') return {success: false, error: {issues: [{message: 'Invalid input: expected string'}]}}
      const result = check(value)
      if (result && typeof result === 'object' && 'problem' in result) return {success: false, error: {issues: [{message: result.problem}]}}
      return {success: true, data: result as T}
    },
  }
  return () => checker
}

export const portSchema = checked((text) => {
  if (!/^\d{1,5}$/.test(text)) return {problem: `"${printable(text)}" is not a port number`}
  const port = Number(text)
  return port < 1 || port > 65535 ? {problem: `${port} is out of range (1-65535)`} : port
})

export const certDaysSchema = checked((text) => (/^\d{1,4}$/.test(text) ? Number(text) : {problem: `"${text}" is not a whole number of days`}))

/** The longest duration accepted: beyond this a typo (10m for 10s) is more likely than intent. */
const MAX_DURATION_MS = 60 * 60 * 1000

export const durationSchema = checked((text) => {
  const ms = parseDuration(text)
  if (ms === undefined) return {problem: `"${text}" is not a duration (write e.g. 500ms, 10s or 2m)`}
  if (ms <= 0) return {problem: 'the duration must be more than zero'}
  return ms > MAX_DURATION_MS ? {problem: `${text} is longer than the 1 h maximum`} : ms
})

/** A duration as a flag is written: 10s, 500ms, 2m. */
export function durationText(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/** One DNS server: IP, IP:PORT, [IPv6] or [IPv6]:PORT. */
export const resolverSchema = checked((text) => {
  const server = parseServer(text)
  return typeof server === 'string' ? {problem: server} : server
})

/** DNS servers, comma-separated (the form MAILDIG_RESOLVER and the configuration file write a list in). */
export const resolverListSchema = checked((text) => {
  const servers = []
  for (const item of text.split(',').map((v) => v.trim()).filter(Boolean)) {
    const server = parseServer(item)
    if (typeof server === 'string') return {problem: server}
    servers.push(server)
  }
  return servers
})

/** A server given as a host name (Unicode allowed: its A-label is used) or an IP address, [IPv6] included (src/lib/dns/names.ts toHost). */
export const hostSchema = checked((text) => {
  const host = toHost(text)
  if (typeof host === 'string') return {problem: host}
  return host.kind === 'address' ? host.address : host.ascii
})

/** --ehlo: a domain (a Unicode name becomes its A-label) or an address literal, checked as the SMTP client checks it. */
export const ehloSchema = checked((text) => toEhloName(text))

/** A mailbox address (lib/address.ts): strict, no display name. */
export const mailAddressSchema = checked((text) => checkMailAddress(text))

export function parsePort(text: string, flag = '--port'): number {
  return flagValue(portSchema, text, flag)
}

export function parseHostArgument(text: string, what = 'host'): string {
  return flagValue(hostSchema, text, what)
}

/**
 * `HOST[:PORT]` as swaks, curl and `send --server` take it: `mx.example.com:587`, `192.0.2.1:25`, `[2001:db8::1]:25`.
 * A bare IPv6 address (more than one colon, no brackets) is a host without a port. `typed` is the host as written.
 * The one parser of HOST[:PORT]: probe-smtp's argument, and the --server and --mailbox-host flags (src/cli/submission.ts).
 */
export function hostPort(text: string): {host: string; port: number | undefined; typed: string} | {problem: string} {
  // Only plain spaces around the value go (docs/cli.md): a CR or LF pasted at the end is refused, never trimmed away.
  const trimmed = text.replace(/^ +| +$/g, '')
  const match = /^\[([^\]]+)\](?::([^]*))?$/.exec(trimmed) ?? (/^[^:]*:[^:]*$/.test(trimmed) ? /^([^:]*):([^]*)$/.exec(trimmed) : null)
  if (!match && /^\[/.test(trimmed)) return {problem: `"${printable(text)}" is not HOST[:PORT] (write [IPv6]:PORT for IPv6)`}
  // In brackets only an IPv6 (or IPv4) address: toHost refuses a name there.
  const host = hostSchema().safeParse(!match ? text : trimmed.startsWith('[') ? `[${match[1]}]` : match[1])
  if (!host.success) return {problem: host.error.issues[0].message}
  if (!match || match[2] === undefined) return {host: host.data, port: undefined, typed: match ? match[1] : text}
  const port = portSchema().safeParse(match[2])
  return port.success ? {host: host.data, port: port.data, typed: match[1]} : {problem: port.error.issues[0].message}
}

/** hostPort() for an argument: a bad value is a usage error that names `what`. */
export function parseHostPort(text: string, what: string): {host: string; port: number | undefined; typed: string} {
  const parsed = hostPort(text)
  if ('problem' in parsed) throw new UsageError(`${what}: ${parsed.problem}`)
  return parsed
}
