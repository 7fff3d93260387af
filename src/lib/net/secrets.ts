import {isMaildigError} from '../errors.js'
import {saslLoginStep, saslPlain, saslXoauth2} from './sasl.js'

/** What stands in for a secret in every output. */
export const SECRET_MASK = '/* secret */'

/** Shorter values are not masked: masking them would garble every line. */
const MIN_SECRET_LENGTH = 3
/** A base64 run shorter than this is too likely to occur by chance. */
const MIN_ENCODED_LENGTH = 4

/**
 * The forms a secret travels in on the wire and comes back in from a careless server: the value
 * itself, its base64, and the run of base64 characters that depends on the value's bytes alone when
 * it sits inside a longer base64 payload (at each of the 3 byte alignments: SASL PLAIN puts
 * `\0user\0` before the password, XOAUTH2 `user=…\x01auth=Bearer ` before the token).
 */
export function secretForms(value: string): string[] {
  if (value.length < MIN_SECRET_LENGTH) return []
  const bytes = Buffer.from(value, 'utf8')
  const forms = [value, bytes.toString('base64')]
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    // Character i carries bits 6i…6i+5: keep those that lie within the value's bits.
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6))
    if (core.length >= MIN_ENCODED_LENGTH) forms.push(core)
  }
  return forms
}

/**
 * A set of secrets masked wherever they appear. Every registration also reaches `everywhere`, the
 * process's registry, through which the CLI passes every byte it prints: a secret registered
 * anywhere (a password read, a SASL payload built) cannot reach an output, even through a path
 * that forgot to scrub.
 */
export class Secrets {
  private values: string[] = []

  /** Registers each value with every form it may travel in (see secretForms). */
  add(...values: Array<string | undefined>): void {
    let added = false
    for (const value of values) {
      for (const form of value === undefined ? [] : secretForms(value)) {
        if (!this.values.includes(form)) {
          this.values.push(form)
          added = true
        }
      }
    }
    // Longest first, so a payload is masked whole before a part of it is.
    if (added) this.values.sort((a, b) => b.length - a.length)
    if (this !== everywhere) everywhere.add(...values)
  }

  /**
   * Registers a password or token with the payloads that carry it whole (SASL PLAIN, LOGIN,
   * XOAUTH2; a CRAM-MD5 response depends on the challenge and is registered when it is built), so
   * that these are masked entirely, the user name in them included.
   */
  addCredential(user: string | undefined, secret: string | undefined): void {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) return
    const payloads = user === undefined ? [] : [saslPlain(user, secret), saslXoauth2(user, secret)]
    this.add(secret, saslLoginStep(secret), ...payloads)
  }

  get size(): number {
    return this.values.length
  }

  /** `text` with every registered form masked. */
  scrub(text: string): string {
    let out = text
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join(SECRET_MASK)
    return out
  }

  /** A copy of `value` with every string in it scrubbed (plain data: objects, arrays, strings). */
  scrubDeep<T>(value: T): T {
    if (this.values.length === 0) return value
    return this.scrubValue(value) as T
  }

  /** Scrubs an error's message and server response in place (its cause too), and returns it. */
  scrubError<E>(error: E): E {
    if (!(error instanceof Error) || this.values.length === 0) return error
    error.message = this.scrub(error.message)
    const fields = error as unknown as {response?: unknown}
    if (isMaildigError(error) && typeof fields.response === 'string') fields.response = this.scrub(fields.response)
    if (error.cause instanceof Error && error.cause !== error) this.scrubError(error.cause)
    return error
  }

  private scrubValue(value: unknown): unknown {
    if (typeof value === 'string') return this.scrub(value)
    if (Array.isArray(value)) return value.map((v) => this.scrubValue(v))
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.scrubValue(v)]))
    }
    return value
  }
}

/** The process's registry: every secret registered anywhere. The CLI scrubs its output with it. */
export const everywhere = new Secrets()
