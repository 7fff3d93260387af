import {closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync, accessSync, constants} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {UsageError} from '../lib/errors.js'
import {criticalInsideWarning, parseRange, type Range, type RangeUnit} from '../lib/range.js'
import type {Threshold} from '../render/monitoring.js'
import {choice, valueFlag} from './flags.js'

/**
 * --format, --output, --warning and --critical (docs/cli.md "Output formats", docs/monitoring.md).
 * `text` is the human report; `json` is the same as --json; nagios, prometheus and junit are the
 * monitoring formats, rendered from the command's document and its `measure()` (src/render/monitoring.ts).
 */
export const FORMATS = ['text', 'json', 'nagios', 'prometheus', 'junit'] as const
export type Format = (typeof FORMATS)[number] | (string & {})
export const MONITORING_FORMATS: readonly string[] = ['nagios', 'prometheus', 'junit']

/**
 * The exit codes under --format nagios, which are the monitoring plugins' states rather than docs/cli.md's codes
 * (docs/monitoring.md): said beside every check command's exit codes and the root help's, so no help text promises
 * exit 1 where a plugin run exits 2.
 */
export const NAGIOS_EXIT_CODES = 'With --format nagios the exit code is the state instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (docs/monitoring.md).'

/**
 * --format and --output. A command with human formats of its own (trace's mermaid) names them; they
 * come after text. A new command gets the monitoring formats by spreading `outputFlags()` and
 * `thresholdFlags({...})` into its flags and overriding `measure()` (docs/monitoring.md "A new command").
 */
export function outputFlags<const T extends readonly string[] = []>(own: T = [] as unknown as T) {
  const options = ['text', ...own, 'json', 'nagios', 'prometheus', 'junit'] as const
  return {
    format: choice(options)({
      // No `default`: the generic options would not type it; an absent --format is text. defaultHelp shows it as every
      // other flag's default is shown ("[default: text]"), for every command alike (test/cli/help.test.ts).
      defaultHelp: async () => 'text',
      description: `Output format: text (the report), ${own.length ? `${own.join(', ')}, ` : ''}json (as --json), nagios (plugin status line, perfdata, exit 0-3), prometheus (text exposition format), junit (JUnit XML). See docs/monitoring.md.`,
    }),
    output: valueFlag(outputFile, {helpValue: 'FILE'})({
      description: "Write the result to FILE instead of standard output, atomically (a temporary file in the same folder, then renamed): for node_exporter's textfile collector and CI reports.",
    }),
  }
}

/** What --warning and --critical may name for a command: its measurements and how their numbers are read. The first is the default label. */
export type Measures = Record<string, RangeUnit>

/** One --warning or --critical value: the measurement it judges and the range. */
export interface LabelledRange {
  label: string
  range: Range
}

/**
 * --warning and --critical for a command that measures `measures`: each value is `[LABEL=]RANGE` in the
 * monitoring plugins' syntax, parsed into a LabelledRange; a value without a label judges the first measure
 * (`time`, or roundtrip's `latency`). Whether critical is beyond warning is checked by thresholdsOf().
 */
export function thresholdFlags(measures: Measures) {
  const labels = Object.keys(measures)
  const read = (text: string): LabelledRange | {problem: string} => {
    const match = /^([a-z][a-z0-9_]*)=(.*)$/s.exec(text)
    const label = match ? match[1] : labels[0]
    if (!(label in measures)) return {problem: `"${label}" is not measured by this command (it measures ${labels.join(', ')})`}
    const range = parseRange(match ? match[2] : text, measures[label])
    return 'problem' in range ? range : {label, range}
  }
  const others = labels.slice(1)
  const which = `Without LABEL= it judges ${labels[0]}${others.length ? `; other labels: ${others.join(', ')}` : ''}`
  return {
    warning: valueFlag(read, {helpValue: '[LABEL=]RANGE'})({
      description: `WARNING when a measurement is outside this range (monitoring-plugins syntax: 2s, 10:, ~:1.5, @1:2): a THRESHOLD_WARNING finding, which leaves the exit code as it is (with --format nagios: WARNING, exit 1). ${which}. Repeatable.`,
      multiple: true,
      multipleNonGreedy: true,
    }),
    critical: valueFlag(read, {helpValue: '[LABEL=]RANGE'})({
      description: 'CRITICAL when a measurement is outside this range: a THRESHOLD_CRITICAL error finding, exit 1 (with --format nagios: CRITICAL, exit 2); same syntax and labels as --warning. Repeatable.',
      multiple: true,
      multipleNonGreedy: true,
    }),
  }
}

/** What the base command reads of the monitoring flags (a command without them parses to undefined here). */
export interface MonitoringFlagValues {
  json?: boolean
  format?: string
  output?: string
  warning?: LabelledRange[]
  critical?: LabelledRange[]
}

/** The format, the --output path and the thresholds of a run, from its parsed flags. */
export function monitoringOptions(flags: MonitoringFlagValues): {format: Format; outputPath: string | undefined; thresholds: Threshold[]} {
  return {format: checkFormat(flags.json === true, flags.format), outputPath: flags.output === undefined ? undefined : writableFile(flags.output), thresholds: thresholdsOf(flags.warning, flags.critical)}
}

/**
 * The format asked for, read from the arguments before they are parsed, so that a usage error is
 * reported in it (a Nagios UNKNOWN line). A value that is not a format, or a conflict with --json,
 * is left for the parser and the validation to refuse; until then the text form is used.
 */
export function requestedFormat(argv: readonly string[]): Format {
  let format: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') break
    if (word === '--format' && i + 1 < argv.length) format = argv[++i]
    else if (word.startsWith('--format=')) format = word.slice('--format='.length)
  }
  if (argv.includes('--json')) return 'json'
  const lower = format?.toLowerCase()
  return lower !== undefined && (FORMATS as readonly string[]).includes(lower) ? lower : 'text'
}

/** --json wins over the human formats (text, trace's mermaid), as it always has; with a monitoring format it is a conflict. */
export function checkFormat(json: boolean, format: string | undefined): Format {
  const chosen = format ?? 'text'
  if (json && MONITORING_FORMATS.includes(chosen)) throw new UsageError(`--json and --format ${chosen}: choose one (--json is --format json)`)
  return json ? 'json' : chosen
}

/**
 * The --warning and --critical values joined per label. A label given twice in one flag, or a critical range that
 * alerts on less than its warning range, is a usage error.
 */
export function thresholdsOf(warning: readonly LabelledRange[] = [], critical: readonly LabelledRange[] = []): Threshold[] {
  const byLabel = new Map<string, Threshold>()
  const add = (values: readonly LabelledRange[], which: 'warning' | 'critical') => {
    for (const {label, range} of values) {
      const threshold = byLabel.get(label) ?? {label}
      if (threshold[which]) throw new UsageError(`--${which}: ${label} is given twice`)
      threshold[which] = range
      byLabel.set(label, threshold)
    }
  }
  add(warning, 'warning')
  add(critical, 'critical')
  for (const t of byLabel.values()) {
    if (t.warning && t.critical && criticalInsideWarning(t.warning, t.critical)) {
      throw new UsageError(`--critical: the critical range for ${t.label} alerts on less than the warning range does (critical must be beyond warning: e.g. --warning 5s --critical 10s)`)
    }
  }
  return [...byLabel.values()]
}

/** --output as parsed: the absolute path of a file name. Whether it can be written is checked when the command runs (writableFile). */
function outputFile(file: string): string | {problem: string} {
  return file === '' || file.includes('\0') ? {problem: 'give a file name'} : resolve(file)
}

/**
 * --output: a file in a folder that exists and is writable, checked before any work (a usage error otherwise). Not while
 * parsing: a command line stays parseable on a machine without that folder (the documentation's examples are parsed).
 */
function writableFile(path: string): string {
  const problem = (text: string) => new UsageError(`--output: ${text}`)
  const folder = dirname(path)
  let isFolder = false
  try {
    isFolder = statSync(folder).isDirectory()
  } catch {
    throw problem(`the folder ${folder} does not exist`)
  }
  if (!isFolder) throw problem(`${folder} is not a folder`)
  try {
    accessSync(folder, constants.W_OK)
  } catch {
    throw problem(`the folder ${folder} is not writable`)
  }
  let isDirectory = false
  try {
    isDirectory = statSync(path).isDirectory()
  } catch {
    // Not there yet: it will be created.
  }
  if (isDirectory) throw problem(`${path} is a folder`)
  return path
}

/**
 * Writes the text to a temporary file in the target's folder, flushes it and renames it over the
 * target: a reader (node_exporter's textfile collector) sees the old file or the new one, never half.
 * Throws the system error; the temporary file is removed then.
 */
export function writeFileAtomically(path: string, text: string): void {
  // 'wx' refuses an existing file, so two runs never share a temporary name. (node:crypto would cost start-up time.)
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`)
  let fd: number | undefined
  try {
    fd = openSync(temp, 'wx', 0o644)
    writeSync(fd, text)
    fsyncSync(fd)
    closeSync(fd)
    fd = undefined
    renameSync(temp, path)
  } catch (error) {
    if (fd !== undefined) closeSync(fd)
    rmSync(temp, {force: true})
    throw error
  }
}

export type {Range}
