import {closeSync, openSync, readSync} from 'node:fs'

// DNS query IDs must be unpredictable to an off-path attacker (RFC 5452 §9.2): each is two bytes of the kernel's
// random source, read 64 bytes at a time from /dev/urandom, or from Web Crypto's getRandomValues where there is no
// /dev/urandom (Windows). node:crypto would give the same, but loading it costs about 4 ms of every cold start.
const pool = Buffer.alloc(64)
let used = pool.length

/** A random 16-bit DNS message ID. */
export function queryId(): number {
  if (used + 2 > pool.length) {
    refill()
    used = 0
  }
  const id = pool.readUInt16BE(used)
  used += 2
  return id
}

function refill(): void {
  try {
    const fd = openSync('/dev/urandom', 'r')
    try {
      if (readSync(fd, pool, 0, pool.length, null) === pool.length) return
    } finally {
      closeSync(fd)
    }
  } catch {
    // no /dev/urandom: Web Crypto below
  }
  globalThis.crypto.getRandomValues(pool)
}
