import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

// The library names fields and values, never a flag or an environment variable (docs/architecture.md): a check is
// called with {port: 995, tls: 'starttls'}, whatever carried those values. The command line turns a field into its
// flag (src/cli/flag-names.ts). This test reads every string in src/lib, comments left out.
const LIB = fileURLToPath(new URL('../../../src/lib', import.meta.url))

/** Where flag names belong in src/lib, and why. */
const EXEMPT: Record<string, string> = {
  // The catalog of finding codes is the command line's advice (docs/findings.md): its fix lines name flags on purpose.
  'findings.ts': 'finding catalog',
  // Writes docs/ from the schemas: documentation of the command line.
  'docs/generate.ts': 'documentation generator',
}

/** The string literals and template texts of a TypeScript source, without its comments and regular expressions. */
export function stringsOf(source: string): {text: string; line: number; before: string}[] {
  const out: {text: string; line: number; before: string}[] = []
  let i = 0
  let line = 1
  // What a `/` after this character starts: a regular expression (after an operator or an opening bracket) or a division.
  const regexAfter = /[(,=:[!&|?{};+\-*%<>~^]|^$|\breturn$|\btypeof$/
  let lastCode = ''
  const templateDepth: number[] = []
  const take = (quote: string): void => {
    const start = i
    const startLine = line
    const before = source.slice(Math.max(0, start - 40), start)
    let text = ''
    i++
    while (i < source.length) {
      const c = source[i]
      if (c === '\\') {
        text += source.slice(i, i + 2)
        i += 2
        continue
      }
      if (c === '\n') line++
      if (c === quote) {
        i++
        break
      }
      if (quote === '`' && c === '$' && source[i + 1] === '{') {
        // The template's expression is code: scanned by the main loop until its closing brace.
        templateDepth.push(0)
        i += 2
        out.push({text, line: startLine, before})
        return
      }
      text += c
      i++
    }
    out.push({text, line: startLine, before})
  }
  while (i < source.length) {
    const c = source[i]
    const next = source[i + 1]
    if (c === '\n') line++
    if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++
      continue
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      line += source.slice(i, end).split('\n').length - 1
      i = end + 2
      continue
    }
    if (c === '/' && regexAfter.test(lastCode.trimEnd().slice(-6).replace(/^.*?(\w*|.)$/, '$1'))) {
      // A regular expression: to its closing slash, outside a character class.
      let inClass = false
      i++
      while (i < source.length) {
        const r = source[i]
        if (r === '\\') i++
        else if (r === '[') inClass = true
        else if (r === ']') inClass = false
        else if (r === '/' && !inClass) break
        i++
      }
      i++
      lastCode = 'x'
      continue
    }
    if (c === '"' || c === "'" || c === '`') {
      take(c)
      lastCode = 'x'
      continue
    }
    if (templateDepth.length > 0 && c === '{') templateDepth[templateDepth.length - 1]++
    if (templateDepth.length > 0 && c === '}') {
      if (templateDepth[templateDepth.length - 1] === 0) {
        templateDepth.pop()
        // The rest of the template, after its expression (take() steps over the brace as over a quote).
        take('`')
        lastCode = 'x'
        continue
      }
      templateDepth[templateDepth.length - 1]--
    }
    if (!/\s/.test(c)) lastCode = (lastCode + c).slice(-12)
    i++
  }
  return out
}

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
}

describe('src/lib names no flags', () => {
  it('finds strings and leaves comments and regular expressions out', () => {
    const found = stringsOf(`// '--comment'\nconst a = /--re"x/.test(b) ? '--one' : \`x\${f('--two')}--three\` /* "--four" */\nconst c = 4 / 2 / 1; const d = "--five"; e = 'MAILDIG_X'`)
    expect(found.map((s) => s.text)).toEqual(['--one', 'x', '--two', '--three', '--five', 'MAILDIG_X'])
  })

  it('no string in src/lib names a flag or an environment variable (a field name and a value instead; the CLI names the flag)', () => {
    const offending: string[] = []
    for (const file of sources(LIB)) {
      const name = relative(LIB, file)
      if (EXEMPT[name]) continue
      for (const s of stringsOf(readFileSync(file, 'utf8'))) {
        // A JSON field's description documents the command line's output (docs/schema/*.json).
        if (/\.describe\(\s*$/.test(s.before)) continue
        if (/(^|[^-\w])--[a-z]|MAILDIG_[A-Z]/.test(s.text)) offending.push(`src/lib/${name}:${s.line}: ${s.text.trim().slice(0, 100)}`)
      }
    }
    expect(offending).toEqual([])
  })
})
