import * as z from 'zod'
import {UsageError} from '../lib/errors.js'
import {printable, toHost} from '../lib/dns/names.js'

/**
 * Flag values are validated by zod schemas; the first issue becomes the one usage line (exit 2),
 * naming the flag. The schemas check strings as oclif hands them over and transform them into the
 * values the library takes.
 */
export function flagValue<T>(schema: FlagSchema<T>, value: unknown, flag: string): T {
  const result = schema().safeParse(value)
  if (result.success) return result.data
  throw new UsageError(`${flag}: ${result.error.issues[0]?.message ?? 'invalid value'}`)
}

/** A flag's schema, built on first use: a zod schema costs a fraction of a millisecond to build, and a run needs few. */
export type FlagSchema<T> = () => z.ZodType<T>

/** A schema from a check that returns the value or the problem in words. */
export function checked<T>(check: (text: string) => T | {problem: string}): FlagSchema<T> {
  let schema: z.ZodType<T> | undefined
  return () =>
    (schema ??= z.string().transform((text, ctx) => {
      const value = check(text)
      if (value && typeof value === 'object' && 'problem' in value) {
        ctx.addIssue({code: 'custom', message: value.problem})
        return z.NEVER
      }
      return value as T
    }))
}

export const portSchema = checked((text) => {
  if (!/^\d{1,5}$/.test(text)) return {problem: `"${printable(text)}" is not a port number`}
  const port = Number(text)
  return port < 1 || port > 65535 ? {problem: `${port} is out of range (1-65535)`} : port
})

export const certDaysSchema = checked((text) => (/^\d{1,4}$/.test(text) ? Number(text) : {problem: `"${text}" is not a whole number of days`}))

export function parsePort(text: string, flag = '--port'): number {
  return flagValue(portSchema, text, flag)
}

export function parseCertDays(text: string): number {
  return flagValue(certDaysSchema, text, '--cert-days')
}



/** A server given as a host name (Unicode allowed: its A-label is used) or an IP address, [IPv6] included (src/lib/dns/names.ts toHost). */
export const hostSchema = checked((text) => {
  const host = toHost(text)
  if (typeof host === 'string') return {problem: host}
  return host.kind === 'address' ? host.address : host.ascii
})

export function parseHostArgument(text: string, what = 'host'): string {
  return flagValue(hostSchema, text, what)
}
