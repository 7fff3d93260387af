import {InvalidValueError, UsageError} from '../lib/errors.js'
import {sourceOf} from './credentials.js'
import type {FlagTable} from './parse-errors.js'

/** Fields of library options whose flag is not their name in kebab case. */
const FLAG_OF_FIELD: Record<string, string> = {
  password: 'the password (MAILDIG_PASSWORD or --password-stdin)',
  servers: '--resolver',
  headers: '--header',
}

/**
 * The library names a bad value by its field (lib/errors.ts InvalidValueError); the command line names the flag that
 * carried it: `authMechanism` → `--auth-mechanism`, `waitFor.subject` → `--wait-for-subject`, or the environment
 * variable when the value came from there. A field without a flag of this command keeps its name.
 */
export function usageLineOf(error: InvalidValueError, command: FlagTable, argv: readonly string[]): UsageError {
  return new UsageError(`${flagOfField(error.field, command, argv)}: ${error.problem}`, {cause: error})
}

export function flagOfField(field: string, command: FlagTable, argv: readonly string[]): string {
  if (FLAG_OF_FIELD[field]) return FLAG_OF_FIELD[field]
  const name = field.replace(/\./g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
  const flag = command.flags?.[name]
  if (!flag) return field
  return flag.env ? sourceOf(`--${name}`, flag.env, argv) : `--${name}`
}
