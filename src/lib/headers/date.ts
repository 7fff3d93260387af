/**
 * Dates as mail headers write them: RFC 5322 §3.3, plus the obsolete forms of §4.3 that real
 * servers still emit. `new Date(string)` is not used to parse: it accepts things no mail server
 * writes (ISO strings, month-first dates), guesses local time when the zone is missing, and
 * rolls "31 Feb" over into March without complaint.
 */

export interface MailDate {
  /** Milliseconds since the epoch. */
  epochMs: number
  /** The same instant as an ISO 8601 string in UTC. */
  iso: string
  /**
   * The writer's offset from UTC in minutes, or null when the zone says nothing about it: "-0000",
   * military letters and unrecognised names (RFC 5322 §3.3 and §4.3). The instant is then read
   * as UTC, as the RFC says, but it may be off by the writer's real offset.
   */
  offsetMinutes: number | null
  /**
   * False when the zone was a military letter or an unrecognised name ("CET", "MSK"): the instant
   * is then a guess that can be off by whole hours. "-0000" is a known zone: it is UTC.
   */
  zoneKnown: boolean
  /** True when the date used an obsolete form: a 2- or 3-digit year, an alphabetic zone, asctime order. */
  obsolete: boolean
}

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
}

const DAY_NAME = /^(mon|tue|wed|thu|fri|sat|sun)(day|sday|nesday|rsday|urday)?$/i

// RFC 5322 §4.3: UT and GMT are +0000; the North American names have fixed offsets.
const NAMED_ZONES: Record<string, number> = {
  ut: 0, gmt: 0, utc: 0, z: 0,
  est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420,
}

/** Removes comments, which §4.3 allows between almost any two tokens ("+0000 (UTC)"). */
function stripComments(text: string): string | null {
  let out = ''
  let depth = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && depth > 0) {
      i++
      continue
    }
    if (c === '(') {
      depth++
      out += ' '
    } else if (c === ')') {
      if (depth === 0) return null
      depth--
    } else if (depth === 0) {
      out += c
    }
  }
  return depth === 0 ? out : null
}

interface Zone {
  offsetMinutes: number | null
  known: boolean
  obsolete: boolean
}

function parseZone(text: string): Zone | null {
  // "+01:00" is not RFC syntax, but some gateways write it and its meaning is not in doubt.
  const numeric = /^([+-])(\d\d):?(\d\d)$/.exec(text)
  if (numeric) {
    const hours = Number(numeric[2])
    const minutes = Number(numeric[3])
    if (minutes > 59 || hours > 23) return null
    // §3.3: "-0000" says the time is UTC but nothing about the writer's local zone.
    if (numeric[1] === '-' && hours === 0 && minutes === 0) return {offsetMinutes: null, known: true, obsolete: false}
    return {offsetMinutes: (numeric[1] === '-' ? -1 : 1) * (hours * 60 + minutes), known: true, obsolete: false}
  }
  const lower = text.toLowerCase()
  if (lower in NAMED_ZONES) return {offsetMinutes: NAMED_ZONES[lower], known: true, obsolete: lower !== 'utc' && lower !== 'z'}
  // §4.3: military zones were defined with the wrong sign in RFC 822, so they carry no
  // information, and any other alphabetic zone "SHOULD be considered equivalent to -0000".
  if (/^[a-z]{1,5}$/i.test(text)) return {offsetMinutes: null, known: false, obsolete: true}
  return null
}

function expandYear(text: string): {year: number; obsolete: boolean} | null {
  const value = Number(text)
  // §4.3: two-digit years 00–49 are 20xx, 50–99 and any three-digit year are 19xx.
  if (text.length === 2) return {year: value < 50 ? 2000 + value : 1900 + value, obsolete: true}
  if (text.length === 3) return {year: 1900 + value, obsolete: true}
  // §3.3: "any numeric year 1900 or later".
  return value >= 1900 ? {year: value, obsolete: false} : null
}

function build(
  day: number, monthName: string, yearText: string, hour: string, minute: string, second: string | undefined, zoneText: string, asctime: boolean,
): MailDate | null {
  const month = MONTHS[monthName.toLowerCase()]
  if (month === undefined) return null
  const year = expandYear(yearText)
  const zone = parseZone(zoneText)
  if (!year || !zone) return null
  const h = Number(hour)
  const m = Number(minute)
  // §3.3 allows second 60 for a leap second; Date.UTC carries it into the next minute.
  const s = second === undefined ? 0 : Number(second)
  if (h > 23 || m > 59 || s > 60 || day < 1) return null
  const base = Date.UTC(year.year, month, day)
  // Catches "31 Feb" and "31 Apr", which Date.UTC would roll over into the next month.
  if (new Date(base).getUTCDate() !== day) return null
  const epochMs = base + ((h * 60 + m) * 60 + s) * 1000 - (zone.offsetMinutes ?? 0) * 60_000
  return {
    epochMs,
    iso: new Date(epochMs).toISOString(),
    offsetMinutes: zone.offsetMinutes,
    zoneKnown: zone.known,
    obsolete: year.obsolete || zone.obsolete || asctime,
  }
}

// [day-name [","]] day month year hour ":" minute [":" second] zone. The separators between day,
// month and year may also be "-" (RFC 850 style, still written by a few old gateways).
const RFC5322 =
  /^(?:([a-z]+)\s*,?\s*)?(\d{1,2})(?:\s+|\s*-\s*)([a-z]{3})(?:\s+|\s*-\s*)(\d{2,4})\s+(\d{1,2})\s*:\s*(\d\d)(?:\s*:\s*(\d\d))?(?:\.\d+)?\s*([+-]\d\d:?\d\d|[a-z]{1,5})$/i

// asctime / date(1) order: "Mon Jan  1 10:00:00 2024 +0000" or "Mon Jan  1 10:00:00 UTC 2024".
const ASCTIME =
  /^(?:([a-z]+)\s*,?\s+)?([a-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s+(?:(\S+)\s+(\d{4})|(\d{4})\s+(\S+))$/i

/**
 * Parses a date-time as mail headers write it, or returns null. A date without a zone is refused:
 * its instant is unknowable and guessing would invent clock skew between hops.
 */
export function parseMailDate(text: string): MailDate | null {
  if (text.length > 200) return null
  const clean = stripComments(text)
  if (clean === null) return null
  const value = clean.replace(/\s+/g, ' ').trim()
  const rfc = RFC5322.exec(value)
  if (rfc) {
    if (rfc[1] !== undefined && !DAY_NAME.test(rfc[1])) return null
    // The day-of-week is redundant (§3.3): a wrong one is the writer's bug, the rest still stands.
    return build(Number(rfc[2]), rfc[3], rfc[4], rfc[5], rfc[6], rfc[7], rfc[8], false)
  }
  const asc = ASCTIME.exec(value)
  if (asc) {
    if (asc[1] !== undefined && !DAY_NAME.test(asc[1])) return null
    const zoneText = asc[7] ?? asc[10]
    const yearText = asc[8] ?? asc[9]
    return build(Number(asc[3]), asc[2], yearText, asc[4], asc[5], asc[6], zoneText, true)
  }
  return null
}
