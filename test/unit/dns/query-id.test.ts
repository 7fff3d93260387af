import {describe, expect, it} from 'vitest'
import {queryId} from '../../../src/lib/dns/query-id.js'

describe('queryId', () => {
  it('gives 16-bit IDs spread over the whole range, past the refill of its pool', () => {
    const ids = Array.from({length: 4096}, () => queryId())
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id <= 0xffff)).toBe(true)
    // 4096 draws from 65536 values repeat about 128 times (birthday problem); both halves of the range are used.
    expect(new Set(ids).size).toBeGreaterThan(3900)
    expect(ids.some((id) => id >= 0x8000)).toBe(true)
    expect(ids.some((id) => id < 0x8000)).toBe(true)
  })
})
