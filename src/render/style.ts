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

/** A plain table: a header row, then rows; columns as wide as their widest cell. */
export function table(c: ChalkInstance, header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))))
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]))).join('  ').trimEnd()
  return [c.bold(line(header)), ...rows.map(line)].join('\n')
}
