import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import {foldLine, marks, outputColumns} from './style.js'

/**
 * Findings, most severe first, each with its fix. On a terminal narrower than a line (`columns`, as the other sections
 * fold) the message goes on under its code and the fix under "fix:", broken between words; on a pipe nothing is folded.
 */
export function renderFindings(c: ChalkInstance, findings: readonly Finding[], columns = outputColumns()): string {
  if (findings.length === 0) return `${marks(c).ok} no problems found`
  const m = marks(c)
  const icon = {error: m.fail, warning: m.warn, info: m.info}
  const order = {error: 0, warning: 1, info: 2}
  return [...findings]
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map((f) => {
      const head = foldLine(`${icon[f.severity]} `, `${c.bold(f.code)} ${f.message}`, '  ', columns)
      const fix = f.fix && f.severity !== 'info' ? foldLine('    ', `fix: ${f.fix}`, '         ', columns).map((line) => c.dim(line)) : []
      return [...head, ...fix].join('\n')
    })
    .join('\n')
}
