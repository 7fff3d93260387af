import type {ChalkInstance} from 'chalk'
import type {ConfigResult} from '../lib/config/schema.js'
import {table} from './style.js'

/** `maildig config`: the file, its profiles, and each value with where it comes from. */
export function renderConfig(c: ChalkInstance, result: ConfigResult): string {
  const lines = [`${c.bold('configuration file')} ${result.file}${result.exists ? '' : c.dim(' (none there)')}`]
  if (result.profiles.length > 0) lines.push(`${c.bold('profiles')} ${result.profiles.map((p) => (p === result.profile ? c.bold(`${p} (in use)`) : p)).join(', ')}`)
  lines.push('', table(c, ['KEY', 'VALUE', 'FROM'], result.values.map((v) => [v.key, v.value, v.source === 'default' ? c.dim(v.source) : v.source])))
  return lines.join('\n')
}
