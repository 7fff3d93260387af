import {Command, Config, Errors} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {InvalidValueError, MaildigError, UsageError, EXIT_CODES, isMaildigError, partialOf} from '../lib/errors.js'
import {catalogEntry, contextOf, fixFor, hasErrors, type FixContext, type Finding} from '../lib/findings.js'
import type {TranscriptLine} from '../lib/net/transcript.js'
import {printable} from '../lib/dns/names.js'
import {commonOptions, type CommonOptions} from './options.js'
import {DirectConfig} from './direct.js'
import {commonFlags} from './flags.js'
import {usageLineOf} from './flag-names.js'
import {envelope, toJson, type Envelope} from '../render/json.js'
import {colourLevel, makeStyle, marks, prepareColour} from '../render/style.js'
import {renderFindings} from '../render/findings.js'
import {renderTranscript} from '../render/transcript.js'
import {renderSteps} from '../render/steps.js'
import {startSpinner, type Spinner} from '../render/spinner.js'
import {escapeControls, escapeUntrusted} from '../render/sanitize.js'
import {onInterrupt, OUTPUT_FAILED_EXIT, ownOutputErrors, SIGNAL_EXIT_CODES, systemErrorText, writeResult} from './output.js'
import {usageFromParseError, type FlagTable} from './parse-errors.js'
import {loadConfig, profileFrom, withConfig} from './config.js'
import {canonicalChoices} from './argv.js'
import {everywhere} from '../lib/net/secrets.js'
import {MONITORING_FORMATS, monitoringOptions, requestedFormat, writeFileAtomically, type Format} from './format.js'
import {buildReport, judge, samplesOf, stagesOf, type CheckDocument, type Measurements, type Threshold} from '../render/monitoring.js'
import {renderNagios, renderNagiosUsage} from '../render/nagios.js'
import {renderPrometheus} from '../render/prometheus.js'
import {renderJunit} from '../render/junit.js'
import {assertBatchFlagsUsed, isBatchRun, runTargets, type FlagShape} from './batch.js'

/** What a command's work produced: the fields docs/cli.md names, the findings, and optionally its own exit code. */
export interface Outcome<R extends object = Record<string, unknown>> {
  result: R
  findings: Finding[]
  /** Overrides the exit code that follows from the findings (e.g. a rejected recipient). */
  exitCode?: number
  transcript?: TranscriptLine[]
}

export interface RunContext {
  options: CommonOptions
  style: ChalkInstance
  spinner: Spinner
}

/**
 * The base of every command: parses flags, builds the shared options, runs the command's work and
 * renders it per docs/cli.md. It owns the exit code (oclif loses it under --json, oclif/core#1423), so
 * commands only return an Outcome or throw a MaildigError.
 */
export abstract class MaildigCommand<R extends object = Record<string, unknown>> extends Command {
  protected started = performance.now()
  /** The positional argument a batch run's targets fill (docs/cli.md "Batch runs"); none: the command has no batch form. */
  static targetArg?: string
  /** Flags a target's NDJSON line may set for that target alone. */
  static targetOptions: readonly string[] = []
  /** Flags a batch run refuses (they read one input, or make sense for one target only). */
  static notInBatch: readonly string[] = []

  /** The flags and arguments as parsed: what measure() reads besides the document. */
  private parsedInput: {flags: object; args: Record<string, unknown>} = {flags: {}, args: {}}

  /**
   * oclif's Command.run loads the configuration a second time (about 4 ms) even when config.runCommand
   * hands it the one just loaded, in case the command was built against another @oclif/core. maildig's
   * commands and its oclif are one bundle, so a loaded configuration is used as it is.
   */
  public static override async run<T extends Command>(this: new (argv: string[], config: Config) => T, argv?: string[], opts?: Parameters<typeof Command.run>[1] | DirectConfig): Promise<ReturnType<T['run']>> {
    // A direct run (src/cli/direct.ts) hands the few values oclif's Command reads of a configuration.
    // (DirectConfig first: reading oclif's Config class loads oclif's configuration modules, which a direct run does without.)
    if (!(opts instanceof DirectConfig) && !(opts instanceof Config)) return Command.run.call(this, argv, opts) as Promise<ReturnType<T['run']>>
    const command = new this(argv ?? process.argv.slice(2), opts as Config) as unknown as MaildigCommand
    return command._run()
  }

  /**
   * oclif's init warns when the command or the alias it was called by is deprecated, looking the command line up in
   * the configuration's command list, which a direct run does not load. maildig deprecates no command and no alias (a
   * test checks), so a direct run skips it.
   */
  protected override async init(): Promise<void> {
    if (!(this.config instanceof DirectConfig)) await super.init()
  }

  /** Every command has the shared flags (docs/cli.md, "Shared flags"); a command adds its own to them. */
  static override flags = commonFlags

  /**
   * The command's work: check what the flags mean together, call the library, return the result. A command declares
   * its parameters as FlagsOf<typeof Itself> and ArgsOf<typeof Itself> (src/cli/flags.ts): the values its flags parse into.
   */
  protected abstract work(flags: object, args: object, context: RunContext): Promise<Outcome<R>>

  /** Human rendering of the result (src/render). */
  protected abstract renderHuman(outcome: Outcome<R>, style: ChalkInstance): string

  /**
   * The monitoring hook (docs/monitoring.md, "A new command"): what this run measured, from the command's JSON
   * document (which may be a failed run's, holding only the fields learnt before the failure) and its parsed flags
   * and arguments. The default gives the service name, the first argument as target and the stage durations from
   * `timings`; a command overrides it, typed as work() is, to add its TLS sessions, its own numbers and its checks.
   */
  protected measure(doc: CheckDocument & Partial<R>, _flags: object, args: object): Measurements {
    const first = Object.values(args).find((v) => typeof v === 'string')
    return {service: (this.id ?? 'maildig').toUpperCase(), target: typeof first === 'string' ? first : '', stages: stagesOf(doc.timings)}
  }

  public async run(): Promise<void> {
    // chalk loads only when standard output or error may have colour (a terminal, FORCE_COLOR).
    await prepareColour()
    if (this.commandClass.targetArg && isBatchRun(this.argv)) return this.runBatch()
    // The format is read before the flags are parsed, so that a usage error is reported in it too.
    let format: Format = requestedFormat(this.argv)
    const json = format === 'json'
    let thresholds: Threshold[] = []
    let outputPath: string | undefined
    let wantTranscript = this.argv.includes('--transcript')
    let quiet = false
    let outcome: Outcome<R> | undefined
    let failure: MaildigError | undefined
    let spinner: Spinner | undefined
    const command = this.id ?? 'maildig'
    const fixContext = this.fixContext(command)
    ownOutputErrors()
    // Under --json an interrupted run still prints its one document (docs/cli.md, "Exit codes"); under a monitoring
    // format its report, in which the check could not be made: UNKNOWN, probe_success 0, a JUnit <error> (docs/monitoring.md).
    const stopWatching = onInterrupt((signal) => {
      spinner?.stop()
      if (!json && !MONITORING_FORMATS.includes(format)) return undefined
      const error = new MaildigError('INTERRUPTED', 'check', `interrupted by ${signal} before the check finished`)
      const exitCode = SIGNAL_EXIT_CODES[signal]
      const doc = everywhere.scrubDeep(envelope(command, exitCode, {}, [errorFinding(error)], performance.now() - this.started, {code: error.code, message: error.message}))
      if (json) return {text: toJson(doc), exitCode}
      const rendered = this.renderMonitoring(format, doc, thresholds)
      // Nagios reads the state from the exit code (UNKNOWN); a scraper or CI job gets the signal's, as under --json.
      return {text: rendered.text, exitCode: rendered.state ?? exitCode, write: (text) => this.emit(text, outputPath)}
    })
    try {
      const {flags, args} = await this.parseFlags()
      this.parsedInput = {flags, args}
      const monitoring = monitoringOptions(flags)
      format = monitoring.format
      outputPath = monitoring.outputPath
      thresholds = monitoring.thresholds
      if (this.commandClass.targetArg) assertBatchFlagsUsed(flags)
      const options = await commonOptions(flags)
      // The machine formats are plain documents too: no spinner, no colour.
      if (format === 'json' || MONITORING_FORMATS.includes(format)) options.json = true
      wantTranscript = options.transcript
      quiet = options.quiet
      spinner = await startSpinner(`${command}…`, options)
      const shown = spinner
      // The spinner says what a conversation waits for now ("waiting for the greeting from … (connected after 3 ms)").
      options.net.progress = (event) => shown.progress(event)
      const style = makeStyle(format !== 'text' || outputPath ? 0 : colourLevel(process.stdout))
      outcome = await this.work(flags, args, {options, style, spinner})
    } catch (error) {
      failure = error instanceof InvalidValueError ? usageLineOf(error, this.commandClass, this.argv) : toMaildigError(error)
    } finally {
      spinner?.stop()
      stopWatching()
    }
    const totalMs = performance.now() - this.started

    const emit = (text: string) => this.emit(text, outputPath)
    if (failure) {
      process.exitCode = failure.exitCode
      const partial = partialOf<{transcript?: TranscriptLine[]; timings?: Record<string, number>; findings?: Finding[]}>(failure)
      if (format === 'nagios' && failure.category === 'usage') {
        // A plugin always answers with a status line; a bad command line is UNKNOWN (docs/monitoring.md).
        process.exitCode = 3
        await writeResult(everywhere.scrub(renderNagiosUsage(this.id ?? 'maildig', failure.message)))
        return
      }
      if (MONITORING_FORMATS.includes(format) && failure.category !== 'usage') {
        const findings: Finding[] = [...withFittingFixes(partial?.findings ?? [], fixContext), errorFinding(failure, fixContext)]
        const {findings: _f, transcript: _t, ...learntFields} = (partial ?? {}) as Record<string, unknown>
        const doc = everywhere.scrubDeep(envelope(command, failure.exitCode, learntFields, findings, totalMs, {code: failure.code, message: failure.message}))
        if (wantTranscript) this.transcriptToStderr(partial?.transcript)
        await this.emitMonitoring(format, doc, thresholds, outputPath)
        return
      }
      if (json) {
        await emit(toJson(failureDocument(command, failure, totalMs, fixContext, wantTranscript)))
      } else {
        // Server and message text is escaped where it enters the rendering; the colours are added after.
        const style = makeStyle(colourLevel(process.stderr))
        if (wantTranscript && partial?.transcript?.length) process.stderr.write(`${renderTranscript(style, escapeUntrusted(everywhere.scrubDeep(partial.transcript)))}\n`)
        // Without the transcript: the steps that worked before the failure (connected, greeting, EHLO…), as swaks shows them.
        else if (!quiet && failure.category !== 'usage' && partial?.transcript?.length) {
          const steps = renderSteps(style, escapeUntrusted(everywhere.scrubDeep(partial.transcript)))
          if (steps !== '') process.stderr.write(`${steps}\n`)
        }
        // A usage error is one line (it names the flag); other failures add the catalog's fix.
        const hint = failure.category === 'usage' ? ` (see: maildig ${command} --help)` : ''
        // A usage error may name several problems, one per line (two required flags missing); each gets its own mark.
        const message = everywhere.scrub(failure.message)
        const lines = failure.category === 'usage' ? message.split('\n') : [message]
        lines.forEach((line, i) => process.stderr.write(`${marks(style).fail} ${escapeControls(printable(line))}${i === lines.length - 1 ? hint : ''}\n`))
        const fix = failure.category === 'usage' ? undefined : fixFor(failure.code, errorContext(failure, fixContext))
        if (fix) process.stderr.write(`  ${style.dim(`fix: ${escapeControls(fix)}`)}\n`)
        const learnt = withFittingFixes(partial?.findings ?? [], fixContext).filter((f) => f.code !== failure!.code)
        if (learnt.length > 0) process.stderr.write(`${renderFindings(style, escapeUntrusted(everywhere.scrubDeep(learnt)))}\n`)
        if (failure.category === 'internal' && debugEnabled() && failure.cause instanceof Error) process.stderr.write(`${everywhere.scrub(failure.cause.stack ?? '')}\n`)
      }
      return
    }

    const result = {...outcome!, findings: withFittingFixes(outcome!.findings, fixContext)}
    const fields: Record<string, unknown> = {...(result.result as Record<string, unknown>)}
    if (thresholds.length > 0) {
      // --warning/--critical judge what the command measured; the verdict is a finding every format shows.
      const doc = everywhere.scrubDeep(envelope(command, 0, fields, result.findings, totalMs))
      const report = buildReport(doc, this.measure(doc as CheckDocument & Partial<R>, this.parsedInput.flags, this.parsedInput.args), thresholds)
      result.findings = [...result.findings, ...judge(samplesOf(report))]
    }
    const exitCode = exitCodeOf(result)
    process.exitCode = exitCode
    if (MONITORING_FORMATS.includes(format)) {
      // The monitoring system reads standard output; the conversation goes to standard error, for a person debugging the check.
      if (wantTranscript) this.transcriptToStderr(result.transcript)
      await this.emitMonitoring(format, everywhere.scrubDeep(envelope(command, exitCode, fields, result.findings, totalMs)), thresholds, outputPath)
      return
    }
    if (json) {
      await emit(toJson(outcomeDocument(command, result, totalMs, fixContext, wantTranscript)))
      return
    }
    const style = makeStyle(outputPath ? 0 : colourLevel(process.stdout))
    // Server and message text is escaped where it enters the rendering (secrets masked first); the renderers add the colours.
    const escaped = escapeUntrusted(everywhere.scrubDeep(result))
    if (wantTranscript && escaped.transcript?.length) process.stderr.write(`${renderTranscript(makeStyle(colourLevel(process.stderr)), escaped.transcript)}\n`)
    // -q: only the result: the report, and its warnings and errors without the fix lines (no info findings, no spinner).
    const shown = quiet ? {...escaped, findings: escaped.findings.filter((f) => f.severity !== 'info').map(({fix: _fix, ...f}) => f)} : escaped
    const text = everywhere.scrub(this.renderHuman(shown, style))
    // A terse form with nothing to say (mx --short of a null MX) prints nothing, not an empty line.
    if (text !== '') await emit(`${text}\n`)
  }

  /** The document in a monitoring format (docs/monitoring.md); under nagios the plugin state is the exit code. */
  private async emitMonitoring(format: Format, doc: CheckDocument, thresholds: Threshold[], outputPath: string | undefined): Promise<void> {
    const {text, state} = this.renderMonitoring(format, doc, thresholds)
    if (state !== undefined) process.exitCode = state
    await this.emit(text, outputPath)
  }

  /** The document's report in a monitoring format, secrets masked; `state` is the Nagios plugin state (nagios only). */
  private renderMonitoring(format: Format, doc: CheckDocument, thresholds: Threshold[]): {text: string; state?: number} {
    const report = buildReport(doc, this.measure(doc as CheckDocument & Partial<R>, this.parsedInput.flags, this.parsedInput.args), thresholds)
    if (format === 'nagios') {
      const rendered = renderNagios(report)
      return {text: everywhere.scrub(rendered.text), state: rendered.exitCode}
    }
    return {text: everywhere.scrub(format === 'prometheus' ? renderPrometheus(report) : renderJunit(report))}
  }

  private transcriptToStderr(transcript: TranscriptLine[] | undefined): void {
    if (transcript?.length) process.stderr.write(`${renderTranscript(makeStyle(colourLevel(process.stderr)), escapeUntrusted(everywhere.scrubDeep(transcript)))}\n`)
  }

  /** To standard output, or with --output atomically to the file (a failure there is exit 74, as for standard output). */
  private async emit(text: string, outputPath: string | undefined): Promise<void> {
    if (outputPath === undefined) {
      await writeResult(text)
      return
    }
    try {
      writeFileAtomically(outputPath, text)
    } catch (error) {
      process.exitCode = OUTPUT_FAILED_EXIT
      process.stderr.write(`maildig: cannot write ${outputPath}: ${systemErrorText(error as Error)}\n`)
    }
  }

  /** This command's class, whose static flags and args the parser reads. */
  private get commandClass(): typeof MaildigCommand {
    return this.constructor as typeof MaildigCommand
  }

  /** --targets (or --format csv): the command's work over many targets, one document per line. */
  private async runBatch(): Promise<void> {
    ownOutputErrors()
    const command = this.id ?? 'maildig'
    const table = this.commandClass
    try {
      const {flags, args} = await this.parseFlags(true)
      for (const name of table.notInBatch) if (flags[name] !== undefined) throw new UsageError(`--${name}: not with --targets or --format csv (one check per run)`)
      // A batch run writes NDJSON (or CSV) as each target ends: a monitoring format, thresholds or an atomic --output
      // file describe one check. --resume FILE appends to a file.
      const format = (flags as {format?: string}).format
      if (format !== undefined && format !== 'text' && format !== 'csv') throw new UsageError(`--format ${format}: not with --targets (a batch run writes NDJSON, or CSV with --format csv)`)
      for (const name of ['output', 'warning', 'critical']) {
        if ((flags as Record<string, unknown>)[name] !== undefined) throw new UsageError(`--${name}: not with --targets or --format csv (one check per run${name === 'output' ? '; --resume FILE appends a batch run\'s lines to FILE' : ''})`)
      }
      const options = await commonOptions(flags)
      const fixContext = this.fixContext(command)
      const spinner = await startSpinner('', {json: true, quiet: true})
      const style = makeStyle(0)
      const targetArg = table.targetArg!
      process.exitCode = await runTargets({
        command,
        flags,
        positional: args[targetArg] === undefined ? undefined : String(args[targetArg]),
        targetArg,
        targetOptions: table.targetOptions,
        flagTable: (table.flags ?? {}) as unknown as Record<string, FlagShape>,
        options,
        fixContext,
        format: flags.format === 'csv' ? 'csv' : 'ndjson',
        check: async (targetFlags, targetArgs, targetOptions) => {
          const started = performance.now()
          try {
            const outcome = await this.work(targetFlags, targetArgs, {options: targetOptions, style, spinner})
            return outcomeDocument(command, outcome, performance.now() - started, fixContext, options.transcript)
          } catch (error) {
            return failureDocument(command, toMaildigError(error), performance.now() - started, fixContext, options.transcript)
          }
        },
        problem: (error) => failureDocument(command, error, 0, fixContext, false),
      })
    } catch (error) {
      const failure = toMaildigError(error)
      process.exitCode = failure.exitCode
      const style = makeStyle(colourLevel(process.stderr))
      const hint = failure.category === 'usage' ? ` (see: maildig ${command} --help)` : ''
      process.stderr.write(`${marks(style).fail} ${escapeControls(printable(everywhere.scrub(failure.message)))}${hint}\n`)
    }
  }

  private fixContext(command: string): FixContext {
    return {command, protocol: protocolOf(command, this.argv), authenticated: this.argv.some((a) => a === '--user' || a.startsWith('--user=')) || Boolean(process.env.MAILDIG_USER)}
  }

  private async parseFlags(relaxArgs = false) {
    // The configuration file's values for the flags not given (docs/cli.md "Configuration file").
    const config = loadConfig(profileFrom(this.argv))
    const {flags} = this.commandClass
    if (config.values.size > 0) this.argv = withConfig(this.argv, flags, config)
    this.argv = canonicalChoices(this.argv, flags)
    try {
      // A batch run takes its targets from --targets: the positional argument becomes optional.
      const ctor = this.commandClass
      const relaxed = relaxArgs ? {...ctor, flags: ctor.flags, strict: ctor.strict, args: Object.fromEntries(Object.entries(ctor.args ?? {}).map(([name, arg]) => [name, {...arg, required: false}]))} : ctor
      return await this.parse(relaxed as typeof ctor)
    } catch (error) {
      // oclif's parser errors (unknown flag, missing argument, bad option, a bad value) are usage errors: one line each, exit 2.
      throw usageFromParseError(error as Error, this.commandClass)
    }
  }
}

/** The exit code an outcome gives: its own, else 1 with an error finding, else 0. */
function exitCodeOf(outcome: Outcome<object>): number {
  return outcome.exitCode ?? (hasErrors(outcome.findings) ? EXIT_CODES.check : EXIT_CODES.ok)
}

/** The --json document of a finished check (docs/cli.md "The JSON envelope"), secrets masked. */
export function outcomeDocument(command: string, outcome: Outcome<object>, totalMs: number, fixContext: FixContext, wantTranscript: boolean): Envelope {
  const findings = withFittingFixes(outcome.findings, fixContext)
  const fields: Record<string, unknown> = {...(outcome.result as Record<string, unknown>)}
  if (wantTranscript) fields.transcript = outcome.transcript ?? []
  return everywhere.scrubDeep(envelope(command, exitCodeOf({...outcome, findings}), fields, findings, totalMs))
}

/** The --json document of a check that failed as a whole: what it learnt before failing stays in it. */
export function failureDocument(command: string, failure: MaildigError, totalMs: number, fixContext: FixContext, wantTranscript: boolean): Envelope {
  const partial = partialOf<{transcript?: TranscriptLine[]; timings?: Record<string, number>; findings?: Finding[]}>(failure)
  // What the command learnt before it failed (a certificate finding before AUTH failed) stays in the document.
  const findings: Finding[] = failure.category === 'usage' ? [] : [...withFittingFixes(partial?.findings ?? [], fixContext), errorFinding(failure, fixContext)]
  // So do the command's fields it had filled (the TLS section before a refused login).
  const {findings: _f, transcript: _t, timings: _m, ...learntFields} = (partial ?? {}) as Record<string, unknown>
  const extra: Record<string, unknown> = {...learntFields}
  if (partial?.timings) extra.timings = partial.timings
  if (wantTranscript && partial?.transcript) extra.transcript = partial.transcript
  return everywhere.scrubDeep(envelope(command, failure.exitCode, extra, findings, totalMs, {code: failure.code, message: failure.message}))
}

export function toMaildigError(error: unknown): MaildigError {
  if (isMaildigError(error)) return error
  if (error instanceof Errors.CLIError) return new UsageError(error.message)
  const message = error instanceof Error ? error.message : String(error)
  return new MaildigError('INTERNAL_ERROR', 'internal', `unexpected error: ${message}${debugEnabled() ? '' : ' (set DEBUG=maildig for details)'}`, {cause: error})
}

function errorFinding(error: MaildigError, context: FixContext = {}): Finding {
  const fix = fixFor(error.code, errorContext(error, context))
  return {code: error.code, severity: 'error', message: error.message, ...(error.subject ? {subject: error.subject} : {}), ...(fix ? {fix} : {})}
}

/** The context of a fatal error's fix: the command's, and the reply that caused it (code, enhanced status code). */
function errorContext(error: MaildigError, context: FixContext): FixContext {
  const fromText = contextOf({message: `${error.response ?? ''} ${error.message}`}, context)
  return {...fromText, ...(error.responseCode === undefined ? {} : {replyCode: error.responseCode})}
}

/**
 * Findings with the fix that fits where they came from (docs/findings.md "Fixes that depend on the situation"): a
 * catalog fix is replaced by the variant for this command, protocol and reply; a fix the library wrote itself stays.
 */
function withFittingFixes(findings: readonly Finding[], context: FixContext): Finding[] {
  return findings.map((f) => {
    if (!f.fix || f.fix !== catalogEntry(f.code)?.fix) return f
    const fix = fixFor(f.code, contextOf(f, context))
    return fix === f.fix ? f : {...f, fix}
  })
}

/** The protocol a command speaks, as far as the fix texts need it: submission where a login is the point. */
function protocolOf(command: string, argv: readonly string[]): FixContext['protocol'] {
  const port = argv.find((a, i) => argv[i - 1] === '--port' || a.startsWith('--port='))?.replace(/^--port=/, '')
  const server = argv.find((a, i) => argv[i - 1] === '--server' || a.startsWith('--server='))
  switch (command) {
    case 'imap-check':
      return 'imap'
    case 'pop3-list':
      return 'pop3'
    case 'send':
      return server === undefined ? 'smtp' : 'submission'
    case 'probe-smtp':
      return port === '587' || port === '465' ? 'submission' : 'smtp'
    default:
      return undefined
  }
}

function debugEnabled(): boolean {
  return /(^|,)\s*maildig/.test(process.env.DEBUG ?? '')
}
