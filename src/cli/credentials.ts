import {UsageError} from '../lib/errors.js'
import {everywhere} from '../lib/net/secrets.js'
import {readInput} from './input.js'

/**
 * Credentials, read in one place with one rule for every command that logs in (docs/cli.md,
 * "Credentials"):
 * - the user name comes from --user or MAILDIG_USER; empty, or with a CR, LF or NUL, it is refused;
 * - an OAuth2 access token comes only from MAILDIG_OAUTH_TOKEN: it is used when the login method
 *   asks for one, or when no method is named, the command can log in with a token, and no
 *   password was given (neither MAILDIG_PASSWORD nor --password-stdin);
 * - otherwise the password comes from MAILDIG_PASSWORD or --password-stdin (never a flag value);
 * - --password-stdin without a user is refused, so standard input is never read for nothing.
 * Every problem is a usage error (exit 2) naming the flag or variable, before any connection.
 */
export interface Credentials {
  user: string
  password?: string
  token?: string
}

export interface CredentialFlags {
  user?: string
  'password-stdin': boolean
}

export interface CredentialRule {
  /** The login method named on the command line (--auth, --auth-mechanism), lower case. */
  method?: string
  /** The flag that names the login method, for the messages. */
  methodFlag?: string
  /** The command can log in with a token at all (send cannot). */
  tokens: boolean
  /** The deadline of reading standard input (--timeout). */
  deadlineMs: number
  /** The command line, to say whether a value came from a flag or from the environment. */
  argv: readonly string[]
}

/** A password, a passphrase or a token: anything longer is not one. */
const MAX_SECRET_BYTES = 64 * 1024

export async function readCredentials(flags: CredentialFlags, rule: CredentialRule, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (flags.user === undefined) {
    if (flags['password-stdin']) throw new UsageError('--password-stdin: give the user name too (--user or MAILDIG_USER)')
    if (rule.method !== undefined) throw new UsageError(`${rule.methodFlag ?? '--auth'}: needs a login (--user)`)
    return undefined
  }
  const userSource = sourceOf('--user', 'MAILDIG_USER', rule.argv, env)
  const user = checkSecretText(flags.user, userSource)
  if (user.trim() === '') throw new UsageError(`${userSource}: the user name is empty`)

  const envToken = env.MAILDIG_OAUTH_TOKEN || undefined
  const passwordGiven = Boolean(env.MAILDIG_PASSWORD) || flags['password-stdin']
  const useToken = rule.method === 'xoauth2' || (rule.tokens && rule.method === undefined && envToken !== undefined && !passwordGiven)
  if (useToken) {
    if (envToken === undefined) throw new UsageError(`${rule.methodFlag ?? '--auth'} xoauth2: set the access token in MAILDIG_OAUTH_TOKEN`)
    // Registered where it enters, with every form it travels in: no output of this process can show it (net/secrets.ts).
    everywhere.addCredential(user, envToken)
    return {user, token: checkSecretText(envToken, 'MAILDIG_OAUTH_TOKEN')}
  }
  let password = await readPassword(flags['password-stdin'], rule.deadlineMs, env)
  // Nothing given, and a person at a terminal: ask, without echo, as swaks and curl do.
  if (password === undefined && process.stdin.isTTY && process.stderr.isTTY) {
    const typed = await promptPassword(user)
    if (typed) password = checkSecretText(typed, 'the password typed')
  }
  everywhere.addCredential(user, password)
  if (password === undefined) {
    const token = rule.tokens ? ' (or an access token in MAILDIG_OAUTH_TOKEN)' : ''
    throw new UsageError(`${userSource}: give the password in MAILDIG_PASSWORD or with --password-stdin${token}`)
  }
  return {user, password}
}

/**
 * The second password of a command that logs in to two places (roundtrip: the submission server with
 * --user, the mailbox with --mailbox-user). It comes from its own variable (MAILDIG_MAILBOX_PASSWORD);
 * when the two users are the same it may be the first password; on a terminal it is asked for.
 * Standard input is never read for it (--password-stdin belongs to the first). Registered with the
 * process's secrets as it enters, like every other (net/secrets.ts).
 */
export async function readSecondPassword(
  user: string,
  rule: {variable: string; userSource: string; first?: Credentials},
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (/[\r\n\0]/.test(user) || user.trim() === '') throw new UsageError(`${rule.userSource}: the user name is empty or contains a CR, LF or NUL character`)
  let password = env[rule.variable] ? checkSecretText(env[rule.variable]!, rule.variable) : undefined
  if (password === undefined && rule.first?.password !== undefined && rule.first.user === user) password = rule.first.password
  if (password === undefined && process.stdin.isTTY && process.stderr.isTTY) {
    const typed = await promptPassword(user)
    if (typed) password = checkSecretText(typed, 'the password typed')
  }
  if (password === undefined) throw new UsageError(`${rule.userSource}: give the mailbox password in ${rule.variable}`)
  everywhere.addCredential(user, password)
  return password
}

/** The password from MAILDIG_PASSWORD or standard input; never from a flag value. */
async function readPassword(fromStdin: boolean, deadlineMs: number, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (!fromStdin) return env.MAILDIG_PASSWORD ? checkSecretText(env.MAILDIG_PASSWORD, 'MAILDIG_PASSWORD') : undefined
  if (process.stdin.isTTY) throw new UsageError('--password-stdin: standard input is a terminal; pipe the password in')
  const password = (await readInput('-', {label: '--password-stdin', maxBytes: MAX_SECRET_BYTES, deadlineMs})).toString('utf8').replace(/\r?\n$/, '')
  if (!password) throw new UsageError('--password-stdin: standard input was empty')
  return checkSecretText(password, '--password-stdin')
}

/** A value that reaches the wire: a CR, LF or NUL in it would end the command early. The value itself is never echoed. */
function checkSecretText(value: string, source: string): string {
  if (/[\r\n\0]/.test(value)) throw new UsageError(`${source}: the value contains a CR, LF or NUL character`)
  if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new UsageError(`${source}: the value is longer than 64 KiB`)
  return value
}

/** The flag when the command line has it, else the environment variable when that is set. */
export function sourceOf(flag: string, variable: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const onCommandLine = argv.some((a) => a === flag || a.startsWith(`${flag}=`))
  return onCommandLine || !env[variable] ? flag : variable
}

/** A person types a password in well under this; a prompt nobody answers must still end. */
const PROMPT_DEADLINE_MS = 5 * 60 * 1000

/**
 * Asks for the password on the terminal (the prompt on stderr, so stdout stays the result's), reading it in raw mode
 * so that nothing is echoed. Enter ends it; Backspace deletes; Ctrl-C interrupts the run as it would anywhere; Ctrl-D
 * on an empty line, or no answer within 5 minutes, gives up (undefined: the usual usage error follows).
 */
export async function promptPassword(user: string, deadlineMs = PROMPT_DEADLINE_MS): Promise<string | undefined> {
  const stdin = process.stdin
  // Raw mode first: what is typed once the prompt shows must never be echoed.
  stdin.setRawMode(true)
  process.stderr.write(`Password for ${user.replace(/[^\x20-\x7e\u00a0-\uffff]/g, '?')}: `)
  stdin.resume()
  try {
    return await new Promise<string | undefined>((resolve) => {
      let typed = ''
      const timer = setTimeout(() => finish(undefined), deadlineMs)
      timer.unref()
      const finish = (value: string | undefined) => {
        clearTimeout(timer)
        stdin.off('data', onData)
        resolve(value)
      }
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') return finish(typed)
          if (char === '\u0003') {
            stdin.setRawMode(false)
            process.kill(process.pid, 'SIGINT')
            return finish(undefined)
          }
          if (char === '\u0004') {
            if (typed === '') return finish(undefined)
            continue
          }
          if (char === '\u007f' || char === '\b') {
            typed = [...typed].slice(0, -1).join('')
            continue
          }
          if (Buffer.byteLength(typed) + Buffer.byteLength(char) > MAX_SECRET_BYTES) return finish(undefined)
          typed += char
        }
      }
      stdin.on('data', onData)
    })
  } finally {
    if (stdin.isTTY) stdin.setRawMode(false)
    stdin.pause()
    process.stderr.write('\n')
  }
}
