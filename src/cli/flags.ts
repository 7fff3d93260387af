import {Flags} from '@oclif/core'
import type {Interfaces} from '@oclif/core'
import {UsageError} from '../lib/errors.js'
import {DEFAULT_TIMEOUT_MS} from '../lib/net/deadline.js'
import type {DnsServer} from '../lib/dns/resolver.js'
import {
  certDaysSchema,
  checked,
  durationSchema,
  durationText,
  ehloSchema,
  hostSchema,
  mailAddressSchema,
  portSchema,
  resolverListSchema,
  type FlagSchema,
} from './validate.js'

/**
 * Typed flags: each builder parses the text of a flag (or of its environment variable, or of the configuration file)
 * into the value the library takes, so a command's work() gets a port as a number, a duration in milliseconds, a
 * resolver as a list of servers, a TLS mode as its enum. A bad value is a one-line usage error (exit 2) naming where
 * it came from: `--timeout: "abc" is not a duration…`, or `MAILDIG_TIMEOUT: …` when the environment gave it.
 *
 * In a command:
 *
 *   static override flags = {
 *     ...commonFlags,
 *     port: port({description: 'TCP port (default 25).'}),           // number | undefined
 *     tls: choice(['starttls', 'implicit', 'none'] as const)({description: '…'}),  // 'starttls' | 'implicit' | 'none' | undefined
 *     wait: duration({description: '…', default: 60_000}),           // number (ms); help shows "60s"
 *     rcpt: mailAddress({description: '…', multiple: true}),         // MailAddress[] | undefined
 *     'cert-days': certDays(),                                        // number, default 14
 *   }
 *   protected async work(flags: FlagsOf<typeof MyCommand>, args: ArgsOf<typeof MyCommand>, context: RunContext) {…}
 *
 * A value check of a new kind: valueFlag((text) => value or {problem: 'is not …'}, {helpValue: 'X'}). A flag that takes
 * one of a few words is choice(): its options also feed help, shell completion and case-insensitive parsing (argv.ts).
 */

/** The parsed flags of a command class: FlagsOf<typeof Probe> in its work(). */
export type FlagsOf<C extends {flags: Interfaces.FlagInput}> = Interfaces.InferredFlags<C['flags']>
/** The parsed arguments of a command class. */
export type ArgsOf<C extends {args: Interfaces.ArgInput}> = Interfaces.InferredArgs<C['args']>

/** A flag whose text `schema` turns into a T; `defaults` are oclif flag properties (helpValue, description…). */
export function schemaFlag<T>(schema: FlagSchema<T>, defaults: {helpValue?: string} = {}) {
  const parse = async (input: string, context: {token?: unknown}, options: {name: string; env?: string}): Promise<T> => {
    const result = schema().safeParse(input)
    if (result.success) return result.data
    // Without a token the value came from the flag's environment variable (oclif does not parse defaults).
    const source = context.token === undefined && options.env ? options.env : `--${options.name}`
    throw new FlagValueError(`${source}: ${result.error.issues[0]?.message ?? 'invalid value'}`)
  }
  // oclif's overloads type the parser through NotArray<T>, which TypeScript cannot resolve for a T still generic here;
  // the parser above is the exact type, and each flag made of this is typed T.
  return Flags.custom<T>({...defaults, parse: parse as never})
}

/** A flag checked by a function that returns the value or the problem in words. */
export function valueFlag<T>(check: (text: string) => T | {problem: string}, defaults: {helpValue?: string} = {}) {
  return schemaFlag(checked(check), defaults)
}

/**
 * A bad flag value, thrown inside oclif's parser. oclif rewrites an error's message on its way out ("Parsing --port …
 * See more help with --help"), so the usage line travels apart from it (parse-errors.ts takes it).
 */
export class FlagValueError extends UsageError {
  constructor(readonly line: string) {
    super(line)
    this.name = 'FlagValueError'
  }
}

/** One of a few words, typed as their union. Written in any case on the command line (argv.ts canonicalChoices). */
export function choice<const T extends readonly string[]>(options: T) {
  return Flags.option({options})
}

/** A comma list of some of `words` (any case, spaces allowed): `--require starttls,valid-cert`. */
export function wordList<const T extends readonly string[]>(words: T, {upper = false}: {upper?: boolean} = {}) {
  return valueFlag((text): Array<T[number]> | {problem: string} => {
    const values = text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .map((v) => (upper ? v.toUpperCase() : v.toLowerCase()))
    const bad = values.find((v) => !words.includes(v))
    return bad === undefined ? (values as Array<T[number]>) : {problem: `"${bad}" is not one of ${words.join(', ')}`}
  }, {helpValue: 'LIST'})
}

/** A TCP port, 1-65535. */
export const port = schemaFlag(portSchema, {helpValue: 'PORT'})
/** A duration (500ms, 10s, 2m, a bare number of seconds) in milliseconds; more than zero, at most 1 h. */
export const duration = schemaFlag(durationSchema, {helpValue: 'DURATION'})
/** A host name (its A-label) or an IP address: the string to connect to. */
export const host = schemaFlag(hostSchema, {helpValue: 'HOST'})
/** The EHLO name: a domain (its A-label) or an address literal. */
export const ehlo = schemaFlag(ehloSchema, {helpValue: 'NAME'})
/** A mailbox address, parsed (lib/address.ts MailAddress). */
export const mailAddress = schemaFlag(mailAddressSchema, {helpValue: 'ADDRESS'})
/** Days before a certificate's expiry that warrant a warning. */
export const DEFAULT_CERT_DAYS = 14
export const certDays = () =>
  schemaFlag(certDaysSchema, {helpValue: 'N'})({description: 'Warn when the certificate expires within this many days.', default: DEFAULT_CERT_DAYS})

/** The default --timeout, as help and `maildig config` write it: the library's DEFAULT_TIMEOUT_MS. */
export const DEFAULT_TIMEOUT = durationText(DEFAULT_TIMEOUT_MS)

/**
 * Flags every command shares (docs/cli.md, "Shared flags"). --resolver may be repeated and each value may be a comma
 * list; from MAILDIG_RESOLVER oclif hands the whole list over as one value (see resolverServers).
 */
export const commonFlags = {
  json: Flags.boolean({description: 'Print exactly one JSON document on stdout (no colour, no spinner).', default: false}),
  resolver: schemaFlag(resolverListSchema, {helpValue: 'IP[:PORT]'})({
    description: 'DNS server for every lookup, including the addresses connections go to: IP, IP:PORT or [IPv6]:PORT. Repeatable.',
    env: 'MAILDIG_RESOLVER',
    multiple: true,
    multipleNonGreedy: true,
  }),
  timeout: duration({
    description: 'Deadline for each stage (one DNS query, connect, greeting, each reply), e.g. 500ms, 10s, 2m.',
    env: 'MAILDIG_TIMEOUT',
    default: DEFAULT_TIMEOUT_MS,
    defaultHelp: async () => DEFAULT_TIMEOUT,
  }),
  transcript: Flags.boolean({description: 'Show the protocol conversation (stderr in human mode, `transcript` in JSON).', default: false}),
  'ca-file': Flags.string({description: 'Extra trusted certificate authorities (PEM file). NODE_EXTRA_CA_CERTS also works.', helpValue: 'PEM'}),
  profile: Flags.string({description: 'Use this profile of the configuration file (see: maildig config).', env: 'MAILDIG_PROFILE', helpValue: 'NAME'}),
  quiet: Flags.boolean({char: 'q', description: 'Only the result: no spinner, no fix lines or info findings.', default: false}),
}

/** The servers of --resolver: one list per flag given, or one list from MAILDIG_RESOLVER. */
export function resolverServers(value: DnsServer[][] | DnsServer[] | undefined): DnsServer[] {
  return [value ?? []].flat(2)
}

/** For commands that log in somewhere. The password is never a flag value (it would show in `ps` and shell history). */
export const authFlags = {
  user: Flags.string({description: 'Login name.', env: 'MAILDIG_USER', helpValue: 'NAME'}),
  'password-stdin': Flags.boolean({description: 'Read the password from standard input (otherwise MAILDIG_PASSWORD).', default: false}),
  'allow-insecure-auth': Flags.boolean({description: 'Send credentials even over plaintext or an unverified certificate.', default: false}),
}

/**
 * Batch runs (docs/cli.md "Batch runs"): many targets in one process. Values are validated in
 * src/cli/batch.ts, before any work.
 */
export const batchFlags = {
  targets: Flags.string({description: 'Check every target in this file (- for standard input): one per line, or NDJSON objects {"target": …, per-target options}. Output: one JSON document per line (NDJSON), in completion order.', helpValue: 'FILE|-'}),
  concurrency: Flags.string({description: 'With --targets: targets checked at once (default 32).', helpValue: 'N'}),
  'per-host': Flags.string({description: 'With --targets: conversations at once with one server address (default 2).', helpValue: 'N'}),
  'host-interval': Flags.string({description: 'With --targets: least time between two connections to one server address (default 0), e.g. 500ms.', helpValue: 'DURATION'}),
  qps: Flags.string({description: 'With --targets: DNS queries per second to each resolver (default: no limit).', helpValue: 'N'}),
  resume: Flags.string({description: 'With --targets: skip targets already in this NDJSON file and append the new lines to it (instead of stdout).', helpValue: 'FILE'}),
  shard: Flags.string({description: 'With --targets: check only shard I of N (a stable hash of each target decides); auto/N takes I from JOB_COMPLETION_INDEX.', helpValue: 'I/N'}),
}
