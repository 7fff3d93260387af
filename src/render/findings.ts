import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import {marks} from './style.js'

/** Findings, most severe first, each with its fix. */
export function renderFindings(c: ChalkInstance, findings: readonly Finding[]): string {
  if (findings.length === 0) return `${marks(c).ok} no problems found`
  const m = marks(c)
  const icon = {error: m.fail, warning: m.warn, info: m.info}
  const order = {error: 0, warning: 1, info: 2}
  return [...findings]
    .sort((a, b) => order[a.severity] - order[b.severity])
    .map((f) => {
      const head = `${icon[f.severity]} ${c.bold(f.code)} ${f.message}`
      return f.fix && f.severity !== 'info' ? `${head}\n    ${c.dim(`fix: ${f.fix}`)}` : head
    })
    .join('\n')
}
