/**
 * "Did you mean" for mistyped commands and flags: the candidate at the smallest Damerau-Levenshtein
 * distance (a swapped pair of letters counts once: `--jsno` → `--json`), when it is close enough to
 * be a typo rather than another word (at most a third of the typed length, and at most 3 edits).
 */
export function nearest(typed: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(typed.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(typed.length / 3)))
  // A candidate that starts with what was typed (`--res` for `--resolver`) is a suggestion as well.
  if (best === undefined || bestDistance > allowed) return candidates.find((c) => typed.length >= 3 && c.startsWith(typed))
  return best
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({length: rows}, (_, i) => Array.from({length: cols}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}
