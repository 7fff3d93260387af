import {UsageError} from '../lib/errors.js'
import {nearest} from './suggest.js'
import {FlagValueError} from './flags.js'

/** What a command declares, as far as turning oclif's parser errors into maildig's usage lines needs. */
export interface FlagTable {
  flags?: Record<string, {char?: string; type?: string; env?: string; options?: readonly string[]}>
}

/** Flags people type from other tools' habits, each with where that value comes from in maildig. */
const REDIRECTED_FLAGS: Record<string, string> = {
  '--password':
    'a password is never a flag value (it would show in `ps` and the shell history): set MAILDIG_PASSWORD, pipe it in with --password-stdin, or leave both out to be asked for it on a terminal',
  '--pass': 'see --password: set MAILDIG_PASSWORD or use --password-stdin',
}

/**
 * oclif's parser errors as maildig's usage errors (exit 2): one line per problem, flags named with
 * their `--`, the nearest flag suggested for a typo (`--reslover` → `--resolver`), and oclif's own
 * wording ("The following errors occurred", "See more help with --help") gone.
 */
export function usageFromParseError(error: Error & {flags?: string[]}, command: FlagTable): UsageError {
  // A typed flag's value that did not parse (flags.ts): its line names the flag or the environment variable.
  if (error instanceof FlagValueError) return new UsageError(error.line)
  const known = Object.keys(command.flags ?? {}).map((name) => `--${name}`)
  const lines: string[] = []
  if (Array.isArray(error.flags)) {
    for (const raw of error.flags) {
      const typed = raw.split('=')[0]
      const redirect = REDIRECTED_FLAGS[typed]
      if (redirect) {
        lines.push(`${typed}: ${redirect}`)
        continue
      }
      const suggestion = typed.startsWith('--') ? nearest(typed, known) : undefined
      lines.push(`${typed}: no such flag${suggestion ? `; did you mean ${suggestion}?` : ''}`)
    }
    return new UsageError(lines.join('\n'))
  }
  const text = error.message
    .replace(/\u001b\[[0-9;]*m/g, '')
    .replace(/\s*See more help with --help\s*$/, '')
    // oclif's advice to put arguments before a multiple flag is wrong here: maildig's take one value each time.
    .replace(/\s*Note: --[\w-]+(?:, --[\w-]+)* allows? multiple values\.[\s\S]*$/, '')
  let argumentsMissing = false
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    if (/^The following errors? occurred:$/.test(line)) continue
    // "Missing 1 required arg:" followed by "domain  The mail domain…" lines.
    if (/^Missing \d+ required args?:/.test(line)) {
      argumentsMissing = true
      continue
    }
    if (argumentsMissing) {
      const [name, ...description] = line.split(/\s{2,}/)
      lines.push(`missing the argument <${name}>${description.length > 0 ? ` (${description.join(' ')})` : ''}`)
      continue
    }
    const missing = /^Missing required flag:? ?([\w-]+)$/.exec(line)
    if (missing) {
      lines.push(`--${missing[1]}: this flag is required`)
      continue
    }
    lines.push(line)
  }
  return new UsageError(lines.length > 0 ? lines.join('\n') : text.trim())
}
