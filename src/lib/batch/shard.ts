/**
 * `--shard I/N`: which of N machines takes a target. A stable hash of the target (FNV-1a, 32 bits,
 * over its lower-cased UTF-8 form) decides, so N runs given the same input cover it exactly once,
 * on any machine, in any order, with any other options.
 */
export interface Shard {
  /** 1-based: shard 1 of 4 … shard 4 of 4. */
  index: number
  count: number
}

/** Parses `I/N` (1 ≤ I ≤ N) or `auto/N` (I is JOB_COMPLETION_INDEX + 1, Kubernetes Indexed Jobs count from 0). */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): Shard | string {
  const match = /^\s*(auto|\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text)
  if (!match) return `"${text}" is not I/N (e.g. 1/4, or auto/4 on Kubernetes)`
  const count = Number(match[2])
  if (count < 1) return 'N must be at least 1'
  let index: number
  if (match[1] === 'auto') {
    const fromEnv = env.JOB_COMPLETION_INDEX
    if (fromEnv === undefined || !/^\d{1,6}$/.test(fromEnv.trim())) return 'auto needs JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it, counting from 0)'
    index = Number(fromEnv.trim()) + 1
    if (index > count) return `JOB_COMPLETION_INDEX ${fromEnv.trim()} is not below N (${count})`
  } else {
    index = Number(match[1])
    if (index < 1 || index > count) return `I must be between 1 and ${count}`
  }
  return {index, count}
}

/** FNV-1a over the UTF-8 bytes of the lower-cased target: tiny, stable, and spreads host names evenly. */
export function targetHash(target: string): number {
  let hash = 0x811c9dc5
  for (const byte of Buffer.from(target.trim().toLowerCase(), 'utf8')) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

export function inShard(target: string, shard: Shard): boolean {
  return targetHash(target) % shard.count === shard.index - 1
}
