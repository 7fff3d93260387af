/**
 * Errors the library throws. Each carries a stable `code` (an UPPER_SNAKE finding or error code,
 * like undici's UND_ERR_*) and a `category` that decides the exit code docs/cli.md gives, so a command
 * never has to guess from a message.
 */
export type ErrorCategory =
  | 'usage'
  | 'check'
  | 'dns'
  | 'connection'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'protocol'
  | 'internal'

/** Exit codes (docs/cli.md). `internal` (a bug) also exits 1: the check could not complete. */
export const EXIT_CODES: Record<ErrorCategory | 'ok', number> = {
  ok: 0,
  check: 1,
  internal: 1,
  usage: 2,
  dns: 3,
  connection: 4,
  timeout: 5,
  tls: 6,
  auth: 7,
  protocol: 8,
}

export interface MaildigErrorOptions {
  cause?: unknown
  /** The host, address or name the error is about. */
  subject?: string
  /** The protocol command that was answered (never with secrets in it). */
  command?: string
  /** The server's reply that caused the error, if any. */
  response?: string
  responseCode?: number
  /** A 4xx-style condition that may pass on its own. */
  temporary?: boolean
}

export class MaildigError extends Error {
  readonly code: string
  readonly category: ErrorCategory
  readonly subject?: string
  readonly command?: string
  readonly response?: string
  readonly responseCode?: number
  readonly temporary: boolean

  constructor(code: string, category: ErrorCategory, message: string, options: MaildigErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'MaildigError'
    this.code = code
    this.category = category
    this.subject = options.subject
    this.command = options.command
    this.response = options.response
    this.responseCode = options.responseCode
    this.temporary = options.temporary ?? false
  }

  get exitCode(): number {
    return EXIT_CODES[this.category]
  }
}

/** A bad flag, argument or input: exit 2, one clear line. */
export class UsageError extends MaildigError {
  constructor(message: string, options: MaildigErrorOptions = {}) {
    super('USAGE', 'usage', message, options)
    this.name = 'UsageError'
  }
}

/**
 * A value handed to the library that it cannot use. It names the value by its field in the call's options (`port`,
 * `waitFor.subject`) and says what is wrong with it, never which flag or environment variable carried it: that is
 * the command line's to say (src/cli/flag-names.ts turns the field into the flag of the usage line).
 */
export class InvalidValueError extends UsageError {
  constructor(
    readonly field: string,
    readonly problem: string,
    options: MaildigErrorOptions = {},
  ) {
    super(`${field}: ${problem}`, options)
    this.name = 'InvalidValueError'
  }
}

/** An InvalidValueError whose field is checked against the options type `O` of the call (`invalidValue<Pop3ListOptions>('port', …)`). */
export function invalidValue<O extends object>(field: Extract<keyof O, string> | `${Extract<keyof O, string>}.${string}`, problem: string): InvalidValueError {
  return new InvalidValueError(field, problem)
}

export function isMaildigError(error: unknown): error is MaildigError {
  return error instanceof MaildigError
}

/**
 * A failed check still learnt something (the banner, the certificate, the transcript up to the
 * failure): the library attaches it to the error it throws, and the command reports it beside the
 * error. Not enumerable, so it never leaks into a serialised error by accident.
 */
export function withPartial<E extends object, P extends object>(error: E, partial: P): E & {partial: P} {
  Object.defineProperty(error, 'partial', {value: partial, enumerable: false, configurable: true, writable: true})
  return error as E & {partial: P}
}

/** What a failed check learnt before it failed (see withPartial), if anything. */
export function partialOf<P extends object>(error: unknown): P | undefined {
  return isMaildigError(error) && 'partial' in error ? ((error as {partial?: P}).partial ?? undefined) : undefined
}

/** Maps a Node socket error code to a MaildigError a person can act on. */
export function fromSocketError(error: NodeJS.ErrnoException, subject: string): MaildigError {
  switch (error.code) {
    case 'ECONNREFUSED':
      // node:dns's "could not contact DNS servers" (dns.CONNREFUSED): an error of a query (syscall queryA, getaddrinfo), not of a connect.
      if (isDnsError(error)) return new MaildigError('DNS_UNREACHABLE', 'dns', `no DNS server could be reached to look up ${subject} (${error.message})`, {cause: error, subject})
      return new MaildigError('CONNECT_REFUSED', 'connection', `connection to ${subject} refused: nothing listens there`, {cause: error, subject})
    case 'ECONNRESET':
    case 'EPIPE':
      return new MaildigError('CONNECTION_RESET', 'connection', `connection to ${subject} was reset by the server`, {cause: error, subject})
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new MaildigError('CONNECT_UNREACHABLE', 'connection', `${subject} is unreachable (${error.code})`, {cause: error, subject})
    // Name resolution failures surface through the socket when the lookup fails.
    case 'ENOTFOUND':
    case 'ENODATA':
      return new MaildigError('DOMAIN_NOT_FOUND', 'dns', `${subject}: the name has no address (${error.message})`, {cause: error, subject})
    case 'ETIMEOUT':
      return new MaildigError('DNS_TIMEOUT', 'timeout', `${subject}: no DNS answer in time`, {cause: error, subject})
    case 'EBADRESP':
      return new MaildigError('DNS_MALFORMED', 'dns', `${subject}: the DNS answer was malformed (${error.message})`, {cause: error, subject})
    case 'EAI_AGAIN':
    case 'ESERVFAIL':
      return new MaildigError('DNS_SERVFAIL', 'dns', `${subject}: the name could not be resolved (${error.message})`, {cause: error, subject})
    case 'ETIMEDOUT':
      return new MaildigError('CONNECT_TIMEOUT', 'timeout', `connection to ${subject} timed out`, {cause: error, subject})
    default:
      return new MaildigError('CONNECTION_FAILED', 'connection', `connection to ${subject} failed: ${error.message}`, {cause: error, subject})
  }
}

/** An error of a DNS query (node:dns's resolver and lookup set syscall to queryA, queryMx, …, getaddrinfo), not of a socket. */
export function isDnsError(error: NodeJS.ErrnoException): boolean {
  return error.syscall !== undefined && (/^query[A-Za-z]+$/.test(error.syscall) || error.syscall === 'getaddrinfo')
}
