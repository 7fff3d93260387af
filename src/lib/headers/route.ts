import {parseMailDate} from './date.js'
import {decodeEncodedWords, headerValue, headerValues, type HeaderField} from './message.js'
import {parseReceived} from './received.js'
import type {ClockSkew, ObservedHop, ObservedRoute} from './schema.js'

export type {ClockSkew, ObservedHop, ObservedRoute}

/**
 * The route a delivered message took, read from its Received fields. Each server prepends its
 * field (RFC 5321 §4.4), so the header lists them newest first; the route lists them oldest first.
 */


export interface ObservedRouteOptions {
  /**
   * A negative delay smaller than this is not skew: Received dates have whole seconds, and hops
   * that hand a message on within the same second can disagree by one or two.
   */
  skewToleranceMs?: number
}

export const DEFAULT_SKEW_TOLERANCE_MS = 2000

interface TimePoint {
  source: ClockSkew['source']
  hop: number | null
  by: string | null
  t: number
  zoneKnown: boolean
}

function describeMs(ms: number): string {
  const abs = Math.abs(ms)
  if (abs >= 3_600_000) return `${(abs / 3_600_000).toFixed(1)} h`
  if (abs >= 60_000) return `${Math.round(abs / 60_000)} min`
  return `${Math.round(abs / 1000)} s`
}

/** Within two minutes of a whole number of hours (at least one). */
function nearWholeHours(ms: number): boolean {
  const abs = Math.abs(ms)
  const off = abs % 3_600_000
  return abs >= 3_540_000 && Math.min(off, 3_600_000 - off) < 120_000
}

/**
 * A hop as people count it: from 1, oldest first, as the route diagram numbers them ([1], [2], …).
 * Only the JSON `index` counts from 0; every text says `hopName(index)`.
 */
export function hopNumber(index: number): number {
  return index + 1
}

export function hopName(index: number): string {
  return `hop ${hopNumber(index)}`
}

function label(point: TimePoint): string {
  if (point.source === 'date-header') return 'the Date header'
  return `${point.hop === null ? 'a hop' : hopName(point.hop)}${point.by ? ` (${point.by})` : ''}`
}

/** The first place, from `from` on, where time runs backwards by more than the tolerance. */
function firstBackwardStep(times: number[], tolerance: number, from: number): number {
  for (let k = Math.max(0, from); k + 1 < times.length; k++) if (times[k + 1] < times[k] - tolerance) return k
  return -1
}

/**
 * Decides which clock is wrong at each backward step. A timestamp that is out of line with both
 * its neighbours, while they agree with each other, is the skewed one. When several consecutive
 * hops share the wrong clock (one organisation's servers), the shortest such run is blamed. The
 * Date header takes part as the oldest point: a sender's clock is wrong far more often than an
 * MTA's, so a tie between it and a hop goes against it.
 */
function attributeSkew(points: TimePoint[], tolerance: number): ClockSkew[] {
  const times = points.map((p) => p.t)
  const found: ClockSkew[] = []
  // Corrections only touch the run just blamed, so the scan resumes just before it.
  let resume = 0
  for (let guard = 0; guard < points.length; guard++) {
    const a = firstBackwardStep(times, tolerance, resume)
    if (a < 0) break
    const b = a + 1
    // Run of points from b on that is behind: ends where a later point agrees with a again.
    let behindEnd = b
    while (behindEnd + 1 < times.length && times[behindEnd + 1] < times[a] - tolerance) behindEnd++
    const behindClosed = behindEnd + 1 < times.length
    // Run of points up to a that is ahead: starts after the earlier point that agrees with b.
    let aheadStart = a
    while (aheadStart - 1 >= 0 && times[aheadStart - 1] > times[b] + tolerance) aheadStart--
    const aheadClosed = aheadStart > 0
    const behindLength = behindEnd - b + 1
    const aheadLength = a - aheadStart + 1

    let blameAhead: boolean
    let confidence: ClockSkew['confidence'] = 'likely'
    if (behindClosed !== aheadClosed) blameAhead = aheadClosed
    else if (behindLength !== aheadLength) blameAhead = aheadLength < behindLength
    else if (points[a].source === 'date-header') blameAhead = true
    else {
      blameAhead = false
      confidence = 'ambiguous'
    }

    const skew = blameAhead ? times[a] - times[b] : times[b] - times[a]
    const [start, end] = blameAhead ? [aheadStart, a] : [b, behindEnd]
    for (let k = start; k <= end; k++) {
      const point = points[k]
      const other = blameAhead ? points[b] : points[a]
      const direction = skew < 0 ? 'behind' : 'ahead'
      const closed = blameAhead ? aheadClosed : behindClosed
      let reason =
        `${label(point)} is ${describeMs(skew)} ${skew < 0 ? 'earlier' : 'later'} than ${label(other)}` +
        (closed ? ', while the hops around it agree with each other' : '') +
        `: its clock is about ${describeMs(skew)} ${direction}`
      if (confidence === 'ambiguous') reason += ` (or ${label(other)}'s clock is ${skew < 0 ? 'ahead' : 'behind'}: the timestamps cannot tell)`
      if (!point.zoneKnown) reason += '; its date has an unrecognised time zone, read as UTC, which alone can explain whole hours'
      else if (nearWholeHours(skew)) {
        reason += '; a whole number of hours usually means a wrong time zone setting rather than a drifting clock'
      }
      found.push({source: point.source, hop: point.hop, by: point.by, estimatedSkewMs: skew, confidence, reason})
      times[k] -= skew
    }
    resume = start - 1
  }
  return found
}

/** The route of a delivered message, its timings and clock skew, and the fields that identify it. */
export function observedRoute(fields: readonly HeaderField[], options: ObservedRouteOptions = {}): ObservedRoute {
  const tolerance = options.skewToleranceMs ?? DEFAULT_SKEW_TOLERANCE_MS
  const received = headerValues(fields, 'Received').reverse().map(parseReceived)
  const times = received.map((r) => (r.date === null ? null : Date.parse(r.date)))

  const hops: ObservedHop[] = received.map((r, index) => {
    const previous = index > 0 ? times[index - 1] : null
    const current = times[index]
    return {...r, index, delayMs: previous === null || current === null ? null : current - previous}
  })

  const dateValue = headerValue(fields, 'Date')
  const date = dateValue === null ? null : parseMailDate(dateValue)
  const known = times.filter((t): t is number => t !== null)
  const first = known.at(0) ?? null
  const last = known.at(-1) ?? null

  const points: TimePoint[] = []
  if (date) points.push({source: 'date-header', hop: null, by: null, t: date.epochMs, zoneKnown: date.zoneKnown})
  hops.forEach((hop, index) => {
    const t = times[index]
    if (t !== null) points.push({source: 'received', hop: index, by: hop.by, t, zoneKnown: hop.dateZoneKnown !== false})
  })

  const to = headerValues(fields, 'To')
  const decoded = (value: string | null) => (value === null ? null : decodeEncodedWords(value))
  return {
    messageId: headerValue(fields, 'Message-ID'),
    date: date?.iso ?? null,
    from: decoded(headerValue(fields, 'From')),
    to: to.length === 0 ? null : to.map(decodeEncodedWords).join(', '),
    subject: decoded(headerValue(fields, 'Subject')),
    hops,
    totalMs: first === null || last === null || known.length < 2 ? null : last - first,
    dateToFirstHopMs: date && first !== null ? first - date.epochMs : null,
    dateToLastHopMs: date && last !== null ? last - date.epochMs : null,
    skew: attributeSkew(points, tolerance),
  }
}
