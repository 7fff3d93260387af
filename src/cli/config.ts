import {closeSync, constants, fstatSync, openSync, readSync, statSync} from 'node:fs'
import {homedir} from 'node:os'
import {isAbsolute, join} from 'node:path'
import {UsageError} from '../lib/errors.js'
import type {ConfigResult} from '../lib/config/schema.js'
import {DEFAULT_CERT_DAYS, DEFAULT_TIMEOUT} from './flags.js'

/**
 * maildig's configuration file: the values a sysadmin types every time (resolver, CA file, user, timeout), with named
 * profiles. Where: $MAILDIG_CONFIG, else $XDG_CONFIG_HOME/maildig/config, else ~/.config/maildig/config. Format (INI):
 *
 *   # applies to every run
 *   resolver = 127.0.0.53
 *   timeout = 15s
 *
 *   [profile staging]
 *   resolver = 10.0.0.53, 10.0.0.54
 *   ca-file = /etc/ssl/staging-ca.pem
 *   user = monitor@staging.example
 *
 * A value is used only by the commands that have that flag, and only when neither the flag nor its environment
 * variable is given: flags override the file, the environment overrides it too. The profile is chosen with --profile or
 * MAILDIG_PROFILE; its values override the top section's.
 */
export const CONFIG_KEYS = ['resolver', 'timeout', 'ca-file', 'user', 'ehlo', 'cert-days', 'server', 'from', 'transcript', 'quiet'] as const
/** Never from a file: a password belongs in MAILDIG_PASSWORD or a prompt, and insecure logins are chosen per run. */
const REFUSED_KEYS: Record<string, string> = {
  password: 'a password is never kept in the configuration file: use MAILDIG_PASSWORD, --password-stdin or the prompt',
  'password-stdin': 'standard input is read only when a run asks for it',
  'allow-insecure-auth': 'sending credentials insecurely is chosen on the command line, run by run',
}
const MAX_CONFIG_BYTES = 64 * 1024

export interface ConfigValue {
  key: string
  value: string
  /** `file:line`. */
  from: string
}

export interface LoadedConfig {
  file: string
  exists: boolean
  profile?: string
  /** Every profile the file names. */
  profiles: string[]
  /** The values in force for the profile (its own over the top section's), by key. */
  values: Map<string, ConfigValue>
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAILDIG_CONFIG) return env.MAILDIG_CONFIG
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'maildig', 'config')
}

/** The profile asked for on the command line (`--profile X`, `--profile=X`) or in MAILDIG_PROFILE. */
export function profileFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break
    if (argv[i] === '--profile') return argv[i + 1]
    if (argv[i].startsWith('--profile=')) return argv[i].slice('--profile='.length)
  }
  return env.MAILDIG_PROFILE || undefined
}

export function loadConfig(profile: string | undefined, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const file = configPath(env)
  const text = readConfigFile(file, env.MAILDIG_CONFIG !== undefined)
  const config: LoadedConfig = {file, exists: text !== undefined, profile, profiles: [], values: new Map()}
  if (text !== undefined) parseConfig(text, file, config)
  if (profile !== undefined && !config.profiles.includes(profile)) {
    const known = config.profiles.length > 0 ? ` (it has: ${config.profiles.join(', ')})` : ''
    throw new UsageError(`--profile: ${config.exists ? `${file} has no profile "${printableName(profile)}"${known}` : `no configuration file at ${file}, so no profile "${printableName(profile)}"`}`)
  }
  return config
}

function parseConfig(text: string, file: string, config: LoadedConfig): void {
  const top = new Map<string, ConfigValue>()
  const chosen = new Map<string, ConfigValue>()
  let section: string | undefined
  text.split('\n').forEach((raw, index) => {
    const where = `${file}:${index + 1}`
    const line = raw.replace(/\r$/, '').trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return
    const header = /^\[\s*profile\s+([A-Za-z0-9_.-]{1,64})\s*\]$/.exec(line)
    if (header) {
      section = header[1]
      if (!config.profiles.includes(section)) config.profiles.push(section)
      return
    }
    if (line.startsWith('[')) throw new UsageError(`${where}: a section is written [profile NAME] (NAME: letters, digits, . _ -)`)
    const pair = /^([a-z][a-z0-9-]*)\s*=\s*(.*)$/.exec(line)
    if (!pair) throw new UsageError(`${where}: expected "key = value", a [profile NAME] line or a # comment`)
    const [, key, value] = pair
    if (REFUSED_KEYS[key]) throw new UsageError(`${where}: ${key}: ${REFUSED_KEYS[key]}`)
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) throw new UsageError(`${where}: "${key}" is not a configuration key (keys: ${CONFIG_KEYS.join(', ')})`)
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new UsageError(`${where}: ${key}: the value contains a control character`)
    const target = section === undefined ? top : section === config.profile ? chosen : undefined
    target?.set(key, {key, value, from: where})
  })
  for (const [key, value] of [...top, ...chosen]) config.values.set(key, value)
}

function absent(file: string): boolean {
  try {
    return statSync(file, {throwIfNoEntry: false}) === undefined
  } catch {
    return false
  }
}

/** The file, bounded: a regular file of at most 64 KiB (a FIFO or a device there is refused, never waited on). */
function readConfigFile(file: string, named: boolean): string | undefined {
  // No file is the usual case: asked without an exception (an Error with its stack trace at every run). Anything but
  // absence is judged by the open below.
  if (!named && absent(file)) return undefined
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // Absent is normal, unless MAILDIG_CONFIG names the file.
    if ((code === 'ENOENT' || code === 'ENOTDIR') && !named) return undefined
    throw new UsageError(`configuration file ${file}: cannot read it (${code ?? (error as Error).message})`)
  }
  try {
    const stat = fstatSync(fd)
    if (!stat.isFile()) throw new UsageError(`configuration file ${file}: not a regular file`)
    if (stat.size > MAX_CONFIG_BYTES) throw new UsageError(`configuration file ${file}: larger than 64 KiB`)
    const buffer = Buffer.alloc(stat.size)
    const read = readSync(fd, buffer, 0, stat.size, 0)
    const text = buffer.subarray(0, read).toString('utf8')
    if (text.includes('\uFFFD') || text.includes('\u0000')) throw new UsageError(`configuration file ${file}: not UTF-8 text`)
    return text
  } finally {
    closeSync(fd)
  }
}

export interface FlagDefinition {
  type?: string
  env?: string
}

/**
 * The command line with the configuration's values added for the flags this command has and the user did not give
 * (neither as a flag nor through its environment variable). Added before a `--`, as `--key=value`.
 */
export function withConfig(argv: readonly string[], flags: Record<string, FlagDefinition>, config: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const end = argv.indexOf('--')
  const given = end === -1 ? argv : argv.slice(0, end)
  const added: string[] = []
  for (const {key, value, from} of config.values.values()) {
    const flag = flags[key]
    if (!flag) continue
    if (given.some((a) => a === `--${key}` || a.startsWith(`--${key}=`) || (key === 'quiet' && a === '-q'))) continue
    if (flag.env && env[flag.env] !== undefined) continue
    if (flag.type === 'boolean') {
      if (/^(true|yes|on|1)$/i.test(value)) added.push(`--${key}`)
      else if (!/^(false|no|off|0)$/i.test(value)) throw new UsageError(`${from}: ${key}: write true or false`)
    } else {
      added.push(`--${key}=${value}`)
    }
  }
  return end === -1 ? [...argv, ...added] : [...argv.slice(0, end), ...added, ...argv.slice(end)]
}

function printableName(name: string): string {
  return name.replace(/[^\x20-\x7e]/g, '?')
}

/** Environment variables that set a configuration key's flag (src/cli/flags.ts). */
const ENV_OF: Partial<Record<(typeof CONFIG_KEYS)[number], string>> = {resolver: 'MAILDIG_RESOLVER', timeout: 'MAILDIG_TIMEOUT', user: 'MAILDIG_USER'}
const DEFAULTS: Partial<Record<(typeof CONFIG_KEYS)[number], string>> = {timeout: DEFAULT_TIMEOUT, 'cert-days': String(DEFAULT_CERT_DAYS), transcript: 'false', quiet: 'false'}

/** `maildig config`: the file, its profiles, and for each key the value in force and where it comes from. */
export function configReport(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const config = loadConfig(profileFrom(argv, env), env)
  const values = CONFIG_KEYS.flatMap((key) => {
    const variable = ENV_OF[key]
    if (variable && env[variable] !== undefined) return [{key, value: env[variable]!, source: `environment ${variable}`}]
    const fromFile = config.values.get(key)
    if (fromFile) return [{key, value: fromFile.value, source: fromFile.from}]
    return DEFAULTS[key] === undefined ? [] : [{key, value: DEFAULTS[key]!, source: 'default'}]
  })
  return {file: config.file, exists: config.exists, profile: config.profile ?? null, profiles: config.profiles, values}
}
