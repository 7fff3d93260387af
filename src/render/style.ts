import type {ChalkInstance} from 'chalk'

/** chalk, once prepareColour() has loaded it: output without colour (a pipe, a file, NO_COLOR) never needs it. */
let chalkModule: typeof import('chalk') | undefined

/**
 * Whether output to `stream` may have colour, decided without chalk. chalk 5 ignores NO_COLOR on a TTY, so it is
 * honoured here (https://no-color.org), along with TERM=dumb and output that is not a terminal; FORCE_COLOR wins.
 */
function mayColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return env.TERM !== 'dumb' && stream.isTTY === true
}

/**
 * Loads chalk (its terminal detection and styles: about 2 ms and 200 KiB of a start) when output to one of `streams`
 * may have colour. A command calls it before its first colourLevel(); a run whose output has no colour never loads it.
 */
export async function prepareColour(streams: NodeJS.WriteStream[] = [process.stdout, process.stderr], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (chalkModule === undefined && streams.some((stream) => mayColour(stream, env))) chalkModule = await import('chalk')
}

function loadedChalk(): typeof import('chalk') {
  if (chalkModule === undefined) throw new Error('colour was asked for before prepareColour()')
  return chalkModule
}

/** Colour decisions in one place: the level for output to `stream` (0: none). */
export function colourLevel(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (!mayColour(stream, env)) return 0
  const n = Number(env.FORCE_COLOR)
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && n >= 1 && n <= 3) return n as 1 | 2 | 3
  return Math.max(1, loadedChalk().default.level) as 1 | 2 | 3
}

/** Styles for output at `level`: chalk's, or at level 0 plain text (what chalk does at level 0, without chalk). */
export function makeStyle(level: 0 | 1 | 2 | 3): ChalkInstance {
  return level === 0 ? PLAIN : new (loadedChalk().Chalk)({level})
}

/**
 * Text as chalk gives it at level 0: every style (chained too: bold.red) returns its arguments joined by a space;
 * `visible` text is dropped, as chalk drops it where there is no colour; hex(), rgb()… give the same styles.
 */
const PLAIN: ChalkInstance = (() => {
  const text = (...parts: unknown[]) => (parts.length === 1 ? String(parts[0]) : parts.join(' '))
  const nothing = () => ''
  const MODELS = new Set(['rgb', 'hex', 'ansi256', 'bgRgb', 'bgHex', 'bgAnsi256'])
  const style: ChalkInstance = new Proxy(text, {
    get: (target, key) => (key === 'level' ? 0 : key === 'visible' ? nothing : typeof key === 'string' && MODELS.has(key) ? () => style : key in target ? Reflect.get(target, key) : style),
  }) as unknown as ChalkInstance
  return style
})()

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
