import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {batchFlags, certDays, commonFlags, ehlo, mailAddress, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {UsageError} from '../lib/errors.js'
import {parseMailAddress} from '../lib/address.js'
import {analyzeMessage, type ObservedAnalysis} from '../lib/route/observed.js'
import {predictRoute, type PredictedRoute} from '../lib/route/predict.js'
import {compareRoutes, type RouteComparison} from '../lib/route/compare.js'
import {Transcript} from '../lib/net/transcript.js'
import {readInput} from '../cli/input.js'
import {takeTranscripts} from '../lib/smtp/probe-hosts.js'
import {observedMermaid, renderObserved} from '../render/observed.js'
import {renderComparison, renderRoute, routeMermaid} from '../render/trace.js'
import {renderFindings} from '../render/findings.js'
import {traceMeasurements} from '../render/measure/trace.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

/** A message file larger than this is not read whole: only its header matters. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024

type TraceResult = Partial<PredictedRoute> & Partial<ObservedAnalysis> & {comparison?: RouteComparison}

export default class Trace extends MaildigCommand<TraceResult> {
  static override summary = 'Show the route a message takes to a recipient, measured hop by hop, or the route a delivered message took.'
  static override description = `With a recipient: the route a message would take, step by step — the sender's submission server (SRV, with --from), the recipient domain's MX hosts, every MX address probed in parallel up to RCPT TO (never DATA), the policies on that route (SPF, DMARC, MTA-STS, TLS-RPT, DANE), and the recipient's IMAP/POP3 servers — then a verdict.

With --message: reads a delivered message's header (a file, or - for standard input) and shows the route it took: Received hops oldest first, the delay at each, clocks that are off, TLS per hop, and the SPF/DKIM/DMARC/ARC verdicts the receivers recorded. Works offline. With both, says whether the message entered through the MX the prediction names.

Exit codes: 0 deliverable and no error finding, 1 the route fails or an error finding, 2 usage.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    '<%= config.bin %> trace --message examples/postfix-relay-chain.eml',
    '<%= config.bin %> trace bob@example.org --from alice@example.com',
    '<%= config.bin %> trace bob@example.org --format mermaid',
    '<%= config.bin %> trace bob@example.org --message received.eml --json',
    '<%= config.bin %> trace --targets recipients.txt --from alice@example.com > routes.ndjson',
  ]
  static override targetArg = 'recipient'
  static override targetOptions = ['from', 'ehlo', 'cert-days']
  static override notInBatch = ['message']
  static override args = {recipient: Args.string({description: 'The recipient address: the route to it is predicted and measured.', required: false, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...outputFlags(['mermaid', 'csv']),
    ...thresholdFlags({time: 'seconds', cert_days: 'number', observed_delivery: 'seconds'}),
    from: mailAddress({description: 'The sender: its domain\'s submission server, SPF and DMARC are checked, and it is the MAIL FROM of the RCPT test.', helpValue: 'SENDER'}),
    message: Flags.string({description: 'A delivered message (file, or - for standard input): show the route it took.', helpValue: 'FILE|-'}),
    ...batchFlags,
    ehlo: ehlo({description: 'The name to send with EHLO.'}),
    'cert-days': certDays(),
  }

  private format: FlagsOf<typeof Trace>['format'] = 'text'

  protected async work(flags: FlagsOf<typeof Trace>, args: ArgsOf<typeof Trace>, {options, spinner}: RunContext): Promise<Outcome<TraceResult>> {
    this.format = flags.format
    const recipient = args.recipient === undefined ? undefined : parseMailAddress(args.recipient, 'recipient')
    const sender = flags.from
    const messageSource = flags.message
    if (!recipient && !messageSource) throw new UsageError('give a recipient address, or --message FILE to read a delivered message')
    if (!recipient && sender) throw new UsageError('--from: give the recipient too (trace RECIPIENT --from SENDER)')

    let observed: {analysis: ObservedAnalysis; findings: Outcome['findings']} | undefined
    if (messageSource) {
      const input = await readInput(messageSource, {label: '--message', maxBytes: MAX_MESSAGE_BYTES, truncate: true, deadlineMs: options.timeoutMs})
      try {
        observed = analyzeMessage(input)
      } catch (error) {
        if (error instanceof UsageError) throw new UsageError(`--message: ${error.message}`)
        throw error
      }
    }
    if (!recipient) return {result: observed!.analysis, findings: observed!.findings}

    const transcript = new Transcript(this.started)
    const {route, findings} = await predictRoute({
      recipient,
      sender,
      net: options.net,
      certDays: flags['cert-days'],
      ehloName: flags.ehlo,
      transcript,
      onProgress: (running) => spinner.text(running.length ? `trace: ${running.join(', ')}…` : 'trace'),
    })
    const result: TraceResult = {...route}
    const all = [...findings]
    if (observed) {
      Object.assign(result, observed.analysis)
      all.push(...observed.findings)
      result.comparison = compareRoutes(route, observed.analysis)
    }
    // The MX probes ran in parallel, each with its own transcript: one conversation, in time order.
    const conversation = [...transcript.lines, ...takeTranscripts(route.probes)].sort((a, b) => a.t - b.t)
    return {result, findings: all, transcript: conversation}
  }

  protected override measure(doc: CheckDocument & Partial<TraceResult>, flags: FlagsOf<typeof Trace>, args: ArgsOf<typeof Trace>): Measurements {
    return traceMeasurements(doc, args.recipient ?? flags.message ?? '')
  }

  protected renderHuman(outcome: Outcome<TraceResult>, style: ChalkInstance): string {
    const r = outcome.result
    const predicted = r.route ? (r as PredictedRoute) : undefined
    const observed = r.observed ? (r as ObservedAnalysis) : undefined
    if (this.format === 'mermaid') return [predicted && routeMermaid(predicted), observed && observedMermaid(observed)].filter(Boolean).join('\n\n')
    const parts: string[] = []
    if (predicted) parts.push(renderRoute(style, predicted))
    if (observed) parts.push(renderObserved(style, observed))
    if (r.comparison) parts.push(renderComparison(style, r.comparison))
    parts.push(renderFindings(style, outcome.findings))
    return parts.join('\n\n')
  }
}
