import type {Finding} from '../lib/findings.js'

/** The JSON envelope (docs/cli.md): command fields at the top level beside command, ok, exitCode, findings, timings. */
export interface Envelope {
  command: string
  ok: boolean
  exitCode: number
  findings: Finding[]
  timings: Record<string, number>
  error?: {code: string; message: string}
  [field: string]: unknown
}

export function envelope(command: string, exitCode: number, result: Record<string, unknown>, findings: Finding[], totalMs: number, error?: {code: string; message: string}): Envelope {
  // Object.assign, not {...timings, totalMs}: on Node 20 an object that starts with a spread and gains a property gets a
  // hidden class of its own, allocated in the old generation (one per document of a batch run; docs/testing.md).
  const timings: Record<string, number> = Object.assign({}, result.timings as Record<string, number> | undefined, {totalMs: round(totalMs)})
  return {command, ok: exitCode === 0, exitCode, ...result, findings, timings, ...(error ? {error} : {})}
}

export function round(ms: number): number {
  return Math.round(ms * 10) / 10
}

export function toJson(doc: Envelope): string {
  return `${JSON.stringify(doc, null, 2)}\n`
}
