import chalk, {Chalk, type ChalkInstance} from 'chalk'

/**
 * Colour decisions in one place. chalk 5 ignores NO_COLOR on a TTY, so it is honoured here
 * (https://no-color.org), along with TERM=dumb and output that is not a terminal; FORCE_COLOR wins.
 */
export function colourLevel(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') {
    const n = Number(force)
    return (n >= 1 && n <= 3 ? n : Math.max(1, chalk.level)) as 1 | 2 | 3
  }
  if (force === '0' || force === 'false') return 0
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0
  if (env.TERM === 'dumb' || !stream.isTTY) return 0
  return Math.max(1, chalk.level) as 1 | 2 | 3
}

export function makeStyle(level: 0 | 1 | 2 | 3): ChalkInstance {
  return new Chalk({level})
}

export interface Marks {
  ok: string
  fail: string
  warn: string
  info: string
}

export function marks(c: ChalkInstance): Marks {
  return {ok: c.green('✔'), fail: c.red('✖'), warn: c.yellow('⚠'), info: c.blue('ℹ')}
}

/** Width of a string as shown, without colour escapes. */
export function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length
}

export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)))
}

/**
 * The width human output is laid out for: $COLUMNS when set (as most terminal tools honour it), else the terminal's
 * width when stdout is one; 0 (no limit) for a pipe or a file, so that saved output is never folded.
 */
export function outputColumns(env: NodeJS.ProcessEnv = process.env, stream: NodeJS.WriteStream = process.stdout): number {
  const fromEnv = Number(env.COLUMNS)
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  return stream.isTTY ? (stream.columns ?? 0) : 0
}

/**
 * A plain table: a header row, then rows; columns as wide as their widest cell. On a narrow terminal (`columns`) a
 * row that does not fit goes on over more lines, broken between cells (the continuation indented under the second
 * column), and a cell wider than a whole line is broken between words: never in the middle of a word, as the
 * terminal's own wrapping would.
 */
export function table(c: ChalkInstance, header: string[], rows: string[][], columns = outputColumns()): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]))).join('  ').trimEnd()
  const all = [c.bold(line(header)), ...rows.map(line)]
  if (columns <= 0 || all.every((l) => visibleLength(l) <= columns)) return all.join('\n')
  const indent = Math.min(widths[0] + 2, Math.floor(columns / 3))
  const fold = (cells: string[], style: (t: string) => string = (t) => t) => {
    const out: string[] = []
    let current = ''
    cells.forEach((cell, i) => {
      const text = i === cells.length - 1 ? cell : pad(cell, widths[i])
      const next = current === '' ? text : `${current}  ${text}`
      if (current !== '' && visibleLength(next.trimEnd()) > columns) {
        out.push(current.trimEnd())
        current = ' '.repeat(indent) + text
      } else {
        current = next
      }
    })
    if (current.trim() !== '') out.push(current.trimEnd())
    return out.flatMap((l) => wrapWords(l, columns, indent)).map(style)
  }
  return [...fold(header, (t) => c.bold(t)), ...rows.flatMap((r) => fold(r))].join('\n')
}

/** A line longer than `columns` broken between words, continuations indented by `indent`. */
function wrapWords(text: string, columns: number, indent: number): string[] {
  if (visibleLength(text) <= columns) return [text]
  const lead = /^ */.exec(text)![0]
  const words = text.slice(lead.length).split(/ +/)
  const lines: string[] = []
  let current = lead
  for (const word of words) {
    const next = current.trim() === '' ? `${current}${word}` : `${current} ${word}`
    if (current.trim() !== '' && visibleLength(next) > columns) {
      lines.push(current)
      current = ' '.repeat(indent) + word
    } else {
      current = next
    }
  }
  lines.push(current)
  return lines
}

/**
 * One line of a diagram folded to `columns` between words, never inside one: `lead` (indent, rail, icon) starts the
 * first line, `next` (the rail going on, spaces) each continuation. Unfolded when it fits, or for a pipe (columns 0).
 */
export function foldLine(lead: string, text: string, next: string, columns = outputColumns()): string[] {
  if (columns <= 0 || visibleLength(lead + text) <= columns) return [lead + text]
  const lines: string[] = []
  let current = lead
  let empty = true
  for (const word of text.split(/ +/).filter((w) => w !== '')) {
    const candidate = empty ? current + word : `${current} ${word}`
    if (!empty && visibleLength(candidate) > columns) {
      lines.push(current)
      current = next + word
    } else {
      current = candidate
    }
    empty = false
  }
  lines.push(current)
  return lines
}
