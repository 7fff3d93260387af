import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {commonFlags} from '../cli/flags.js'
import {UsageError} from '../lib/errors.js'
import {analyzeMessage, type ObservedAnalysis} from '../lib/route/observed.js'
import {observedMermaid, renderObserved} from '../render/observed.js'
import {renderFindings} from '../render/findings.js'

/** A message file larger than this is not a mail message (and is not read whole). */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024

type TraceResult = Partial<ObservedAnalysis> & Record<string, unknown>

export default class Trace extends MaildigCommand<TraceResult> {
  static override summary = 'Show the route a message takes to a recipient, or the route a delivered message took.'
  static override description = `With --message, reads a delivered message's header (a file, or - for standard input) and shows the route it took: the Received hops oldest first, the delay at each, clocks that are off, TLS per hop, and the SPF/DKIM/DMARC/ARC verdicts the receivers recorded. Works offline.`
  static override examples = [
    '<%= config.bin %> trace --message examples/postfix-relay-chain.eml',
    '<%= config.bin %> trace --message - < message.eml --json',
    '<%= config.bin %> trace --message examples/skewed-clock.eml --format mermaid',
  ]
  static override args = {recipient: Args.string({description: 'The recipient address (the route to it is predicted).', required: false})}
  static override flags = {
    ...commonFlags,
    from: Flags.string({description: 'The sender address (its domain\'s submission server and SPF/DMARC are checked).', helpValue: 'SENDER'}),
    message: Flags.string({description: 'A delivered message (file, or - for standard input): show the route it took.', helpValue: 'FILE|-'}),
    format: Flags.string({description: 'Human output format.', options: ['text', 'mermaid'], default: 'text'}),
  }

  private format = 'text'

  protected async work(flags: Record<string, unknown>, args: Record<string, unknown>, _context: RunContext): Promise<Outcome<TraceResult>> {
    this.format = String(flags.format)
    const messageSource = flags.message as string | undefined
    if (!messageSource && !args.recipient) throw new UsageError('give a recipient address, or --message FILE to read a delivered message')
    if (!messageSource) throw new UsageError('route prediction for a recipient is not available yet; use --message FILE')
    const input = await readMessage(messageSource)
    try {
      const {analysis, findings} = analyzeMessage(input)
      return {result: analysis, findings}
    } catch (error) {
      if (error instanceof UsageError) throw new UsageError(`--message: ${error.message}`)
      throw error
    }
  }

  protected renderHuman(outcome: Outcome<TraceResult>, style: ChalkInstance): string {
    const analysis = outcome.result as ObservedAnalysis
    if (this.format === 'mermaid') return observedMermaid(analysis)
    return `${renderObserved(style, analysis)}\n\n${renderFindings(style, outcome.findings)}`
  }
}

async function readMessage(source: string): Promise<Buffer> {
  if (source === '-') {
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length
      if (size > MAX_MESSAGE_BYTES) throw new UsageError(`--message: standard input is larger than ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB`)
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks)
  }
  try {
    const handle = await import('node:fs/promises').then((fs) => fs.open(source, 'r'))
    try {
      const stat = await handle.stat()
      if (!stat.isFile()) throw new UsageError(`--message: ${source} is not a file`)
      // Only the header matters; read at most the bound.
      const {buffer, bytesRead} = await handle.read({buffer: Buffer.alloc(Math.min(stat.size, MAX_MESSAGE_BYTES)), position: 0})
      return buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`--message: cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

