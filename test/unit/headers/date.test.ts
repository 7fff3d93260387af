import {describe, expect, it} from 'vitest'

import {parseMailDate} from '../../../src/lib/headers/date.js'

const iso = (text: string) => parseMailDate(text)?.iso ?? null

describe('parseMailDate: RFC 5322 §3.3', () => {
  it('reads the canonical form and its offset', () => {
    expect(parseMailDate('Mon, 1 Jan 2024 10:00:00 +0100')).toEqual({
      epochMs: Date.UTC(2024, 0, 1, 9, 0, 0),
      iso: '2024-01-01T09:00:00.000Z',
      offsetMinutes: 60,
      zoneKnown: true,
      obsolete: false,
    })
  })

  it('applies negative offsets and half-hour zones', () => {
    expect(iso('Thu, 21 May 1998 05:33:29 -0700')).toBe('1998-05-21T12:33:29.000Z')
    expect(iso('Tue, 2 Jan 2024 15:30:00 +0530')).toBe('2024-01-02T10:00:00.000Z')
    expect(iso('Tue, 2 Jan 2024 08:15:00 -0330')).toBe('2024-01-02T11:45:00.000Z')
  })

  it('accepts a missing day name and a missing seconds field', () => {
    expect(iso('1 Jan 2024 10:00:00 +0000')).toBe('2024-01-01T10:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:05 +0000')).toBe('2024-01-01T10:05:00.000Z')
  })

  it('ignores comments and folding white space (Postfix pads the day with two spaces)', () => {
    expect(iso('Mon,  1 Jan 2024 10:00:00 +0100 (CET)')).toBe('2024-01-01T09:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 +0000 (UTC)')).toBe('2024-01-01T10:00:00.000Z')
    expect(iso('Mon,\r\n 1 Jan 2024\r\n\t10:00:00 (start (of) year)\r\n +0000')).toBe('2024-01-01T10:00:00.000Z')
  })

  it('reads "-0000" as UTC with the local zone unknown (§3.3)', () => {
    expect(parseMailDate('1 Jan 2024 10:00:00 -0000')).toMatchObject({iso: '2024-01-01T10:00:00.000Z', offsetMinutes: null, zoneKnown: true})
  })

  it('accepts a leap second', () => {
    expect(iso('Sat, 31 Dec 2016 23:59:60 +0000')).toBe('2017-01-01T00:00:00.000Z')
  })

  it('keeps the date when the day name is wrong (1 Jan 2024 was a Monday)', () => {
    expect(iso('Tue, 1 Jan 2024 10:00:00 +0000')).toBe('2024-01-01T10:00:00.000Z')
  })

  it('is case-insensitive in names', () => {
    expect(iso('MON, 1 JAN 2024 10:00:00 gmt')).toBe('2024-01-01T10:00:00.000Z')
  })
})

describe('parseMailDate: obsolete forms (RFC 5322 §4.3)', () => {
  it('expands two-digit years: 00–49 to 20xx, 50–99 to 19xx', () => {
    expect(parseMailDate('Mon, 01 Jan 24 10:00:00 GMT')).toMatchObject({iso: '2024-01-01T10:00:00.000Z', obsolete: true})
    expect(iso('Fri, 31 Dec 99 23:59:59 GMT')).toBe('1999-12-31T23:59:59.000Z')
    expect(iso('Thu, 1 Jan 49 00:00:00 +0000')).toBe('2049-01-01T00:00:00.000Z')
    expect(iso('Sat, 1 Jan 50 00:00:00 +0000')).toBe('1950-01-01T00:00:00.000Z')
  })

  it('adds 1900 to three-digit years', () => {
    expect(iso('1 Jan 124 00:00:00 +0000')).toBe('2024-01-01T00:00:00.000Z')
  })

  it('reads UT, GMT and the North American zones', () => {
    expect(iso('Mon, 1 Jan 2024 10:00:00 UT')).toBe('2024-01-01T10:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 GMT')).toBe('2024-01-01T10:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 EST')).toBe('2024-01-01T15:00:00.000Z')
    expect(iso('Mon, 1 Jul 2024 10:00:00 EDT')).toBe('2024-07-01T14:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 CST')).toBe('2024-01-01T16:00:00.000Z')
    expect(iso('Mon, 1 Jul 2024 10:00:00 CDT')).toBe('2024-07-01T15:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 MST')).toBe('2024-01-01T17:00:00.000Z')
    expect(iso('Mon, 1 Jul 2024 10:00:00 MDT')).toBe('2024-07-01T16:00:00.000Z')
    expect(iso('Mon, 1 Jan 2024 10:00:00 PST')).toBe('2024-01-01T18:00:00.000Z')
    expect(parseMailDate('Mon, 1 Jul 2024 10:00:00 PDT')).toMatchObject({iso: '2024-07-01T17:00:00.000Z', offsetMinutes: -420, zoneKnown: true, obsolete: true})
  })

  it('treats military letters and unknown names as UTC with the zone unknown', () => {
    expect(parseMailDate('Mon, 1 Jan 2024 10:00:00 A')).toMatchObject({iso: '2024-01-01T10:00:00.000Z', offsetMinutes: null, zoneKnown: false})
    expect(parseMailDate('Mon, 1 Jan 2024 10:00:00 CET')).toMatchObject({iso: '2024-01-01T10:00:00.000Z', offsetMinutes: null, zoneKnown: false})
  })

  it('accepts dashes between day, month and year (RFC 850 style)', () => {
    expect(iso('Monday, 01-Jan-24 10:00:00 GMT')).toBe('2024-01-01T10:00:00.000Z')
  })

  it('accepts asctime and date(1) order when a zone is given', () => {
    expect(parseMailDate('Mon Jan  1 10:00:00 UTC 2024')).toMatchObject({iso: '2024-01-01T10:00:00.000Z', obsolete: true})
    expect(iso('Mon Jan  1 10:00:00 2024 +0100')).toBe('2024-01-01T09:00:00.000Z')
  })

  it('accepts a colon in a numeric zone, which some gateways write', () => {
    expect(iso('Mon, 1 Jan 2024 10:00:00 +01:00')).toBe('2024-01-01T09:00:00.000Z')
  })
})

describe('parseMailDate: refusals where new Date() would guess', () => {
  it.each([
    ['ISO 8601', '2024-01-01T10:00:00Z'],
    ['month first', '01/02/2024 10:00'],
    ['month spelled out', 'January 1, 2024 10:00:00 +0000'],
    ['no zone (the instant is unknowable)', 'Mon, 1 Jan 2024 10:00:00'],
    ['asctime without zone', 'Mon Jan  1 10:00:00 2024'],
    ['31 February', 'Sat, 31 Feb 2024 10:00:00 +0000'],
    ['31 April', '31 Apr 2024 10:00:00 +0000'],
    ['29 February in a common year', '29 Feb 2023 10:00:00 +0000'],
    ['hour 25', 'Mon, 1 Jan 2024 25:00:00 +0000'],
    ['minute 60', 'Mon, 1 Jan 2024 10:60:00 +0000'],
    ['second 61', 'Mon, 1 Jan 2024 10:00:61 +0000'],
    ['zone minutes 60', 'Mon, 1 Jan 2024 10:00:00 +0160'],
    ['zone with three digits', 'Mon, 1 Jan 2024 10:00:00 +100'],
    ['a year before 1900', '1 Jan 1850 10:00:00 +0000'],
    ['an unknown day name', 'Funday, 1 Jan 2024 10:00:00 +0000'],
    ['an unknown month', '1 Foo 2024 10:00:00 +0000'],
    ['day 0', '0 Jan 2024 10:00:00 +0000'],
    ['trailing junk', 'Mon, 1 Jan 2024 10:00:00 +0000 and more'],
    ['unbalanced comment', 'Mon, 1 Jan 2024 10:00:00 +0000 (UTC'],
    ['empty', ''],
    ['absurdly long', `Mon, 1 Jan 2024 10:00:00 +0000 (${'x'.repeat(300)})`],
  ])('%s: %s', (_label, text) => {
    expect(parseMailDate(text)).toBeNull()
  })

  it('accepts 29 February in a leap year', () => {
    expect(iso('29 Feb 2024 10:00:00 +0000')).toBe('2024-02-29T10:00:00.000Z')
  })
})
