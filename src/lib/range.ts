/**
 * Threshold ranges in the monitoring plugins' syntax (monitoring-plugin guidelines, "range
 * expressions"), the one every Nagios and Icinga user writes for -w and -c:
 *
 *   10      alert when the value is below 0 or above 10
 *   10:     alert below 10
 *   ~:10    alert above 10 (~ is minus infinity)
 *   10:20   alert outside 10…20
 *   @10:20  alert inside 10…20 (ends included)
 *
 * A pure parser: the CLI names the flag in its error.
 */
export interface Range {
  start: number
  end: number
  /** `@`: alert when the value is inside start…end instead of outside. */
  inside: boolean
}

/** How the numbers of a range are read: plain numbers, or durations (`500ms`, `2s`, `1m`; bare = seconds) given in seconds. */
export type RangeUnit = 'number' | 'seconds'

const DURATION_UNITS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600}

function parseNumber(text: string, unit: RangeUnit): number | undefined {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(ms|s|m|h)?$/.exec(text)
  if (!match || (match[2] !== undefined && unit !== 'seconds')) return undefined
  return Number(match[1]) * (match[2] ? DURATION_UNITS[match[2]] : 1)
}

/** The range, or what is wrong with the text. */
export function parseRange(text: string, unit: RangeUnit = 'number'): Range | {problem: string} {
  const trimmed = text.trim()
  const inside = trimmed.startsWith('@')
  const body = inside ? trimmed.slice(1) : trimmed
  const example = unit === 'seconds' ? '2s, 500ms, 10:, ~:1.5, @1:2' : '10, 10:, ~:10, @10:20'
  const bad = {problem: `"${text}" is not a range (write e.g. ${example})`}
  if (body === '') return bad
  const colon = body.indexOf(':')
  if (colon !== body.lastIndexOf(':')) return bad
  let start = 0
  let end = Number.POSITIVE_INFINITY
  if (colon === -1) {
    const n = parseNumber(body, unit)
    if (n === undefined) return bad
    end = n
  } else {
    const [s, e] = [body.slice(0, colon), body.slice(colon + 1)]
    if (s === '~') start = Number.NEGATIVE_INFINITY
    else if (s !== '') {
      const n = parseNumber(s, unit)
      if (n === undefined) return bad
      start = n
    }
    if (e !== '') {
      const n = parseNumber(e, unit)
      if (n === undefined) return bad
      end = n
    }
  }
  if (start > end) return {problem: `"${text}": the start of the range is above its end`}
  return {start, end, inside}
}

/** True when the value should raise an alert. */
export function alerts(range: Range, value: number): boolean {
  const within = value >= range.start && value <= range.end
  return range.inside ? within : !within
}

/** The range written back in the guidelines' syntax (for performance data): `10`, `10:`, `~:10`, `@10:20`. */
export function formatRange(range: Range, number: (n: number) => string = String): string {
  const start = range.start === Number.NEGATIVE_INFINITY ? '~' : number(range.start)
  const end = range.end === Number.POSITIVE_INFINITY ? '' : number(range.end)
  const body = range.start === 0 && end !== '' ? end : `${start}:${end}`
  return `${range.inside ? '@' : ''}${body}`
}

/**
 * A critical range that alerts on less than the warning range does, for the two simple shapes a
 * user means by "warning 10s, critical 5s": both upper bounds (`N` or `~:N`) with critical's below
 * warning's, or both lower bounds (`N:`) with critical's above warning's. Other shapes are left alone.
 */
export function criticalInsideWarning(warning: Range, critical: Range): boolean {
  if (warning.inside || critical.inside) return false
  const upper = (r: Range) => r.end !== Number.POSITIVE_INFINITY && (r.start === 0 || r.start === Number.NEGATIVE_INFINITY)
  const lower = (r: Range) => r.end === Number.POSITIVE_INFINITY
  if (upper(warning) && upper(critical)) return critical.end < warning.end
  if (lower(warning) && lower(critical)) return critical.start > warning.start
  return false
}
