import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {batchFlags, commonFlags, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {UsageError} from '../lib/errors.js'
import {toDomain} from '../lib/dns/names.js'
import {resolveMx, type MxResult} from '../lib/mx/resolve-mx.js'
import {renderMx, renderMxShort} from '../render/mx.js'
import {mxMeasurements} from '../render/measure/mx.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

export default class Mx extends MaildigCommand<MxResult> {
  static override summary = 'Show the mail exchangers of a domain, as a sending server would choose them.'
  static override description = `Follows RFC 5321 §5.1: MX records by preference; the domain's own address when it has no MX (implicit MX); a null MX (RFC 7505) means the domain takes no mail. Every exchange gets its A/AAAA addresses, each address its PTR and a forward-confirmed reverse DNS check. Lookups run concurrently.

Exit codes: 0 fine, 1 an error finding (null MX, an exchange without address…), 2 usage, 3 the domain does not exist or DNS failed, 5 DNS timeout.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    '<%= config.bin %> mx example.com',
    '<%= config.bin %> mx bücher.example --resolver 9.9.9.9',
    '<%= config.bin %> mx example.com --json | jq \'.exchanges[].exchange\'',
    '<%= config.bin %> mx example.com --short',
    '<%= config.bin %> mx --targets domains.txt --concurrency 64 > mx-audit.ndjson',
  ]
  static override targetArg = 'domain'
  static override args = {domain: Args.string({description: 'The mail domain (Unicode allowed).', required: true, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...outputFlags(['csv']),
    ...thresholdFlags({time: 'seconds', lookup: 'seconds'}),
    ...batchFlags,
    short: Flags.boolean({description: 'Only the exchanges, one per line, in the order a sender tries them (like dig +short); the exit code still tells of problems.', default: false}),
  }
  private short = false

  protected async work(flags: FlagsOf<typeof Mx>, args: ArgsOf<typeof Mx>, {options, spinner}: RunContext): Promise<Outcome<MxResult>> {
    this.short = flags.short
    const domain = toDomain(args.domain)
    if (typeof domain === 'string') throw new UsageError(`domain: ${domain}`)
    spinner.text(`looking up the mail exchangers of ${domain.ascii}`)
    const {result, findings} = await resolveMx(domain, options.net.resolver)
    return {result, findings}
  }

  protected override measure(doc: CheckDocument & Partial<MxResult>, _flags: FlagsOf<typeof Mx>, args: ArgsOf<typeof Mx>): Measurements {
    return mxMeasurements(doc, args.domain)
  }

  protected renderHuman(outcome: Outcome<MxResult>, style: ChalkInstance): string {
    return this.short ? renderMxShort(outcome.result) : renderMx(style, outcome.result, outcome.findings)
  }
}
