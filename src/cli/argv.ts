/**
 * Values of flags that take one of a few words, written in the case the flag lists them (`--tls STARTTLS` →
 * `--tls starttls`, `--dsn-ret full` → `FULL`): the protocols' own words are case-insensitive, so the flags are too,
 * while help, completion and the JSON keep one spelling. A value that matches no word is left for the parser to refuse.
 */
export function canonicalChoices(argv: readonly string[], flags: Record<string, {options?: readonly string[]; type?: string; char?: string}>): string[] {
  const out = [...argv]
  const choose = (name: string, value: string) => flags[name]?.options?.find((o) => o.toLowerCase() === value.toLowerCase()) ?? value
  for (let i = 0; i < out.length; i++) {
    const word = out[i]
    if (word === '--') break
    const inline = /^--([a-z0-9-]+)=(.*)$/s.exec(word)
    if (inline && flags[inline[1]]?.options) {
      out[i] = `--${inline[1]}=${choose(inline[1], inline[2])}`
    } else if (word.startsWith('--') && flags[word.slice(2)]?.options && i + 1 < out.length) {
      out[i + 1] = choose(word.slice(2), out[i + 1])
      i++
    }
  }
  return out
}
