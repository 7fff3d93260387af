import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {batchFlags, commonFlags, ehlo, schemaFlag, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {flagValue} from '../cli/validate.js'
import {readInput} from '../cli/input.js'
import {dnsblZoneSchema, ipSchema, messageProblem, selectorSchema, senderTargetSchema} from '../cli/validate-sender.js'
import {UsageError, EXIT_CODES} from '../lib/errors.js'
import {checkSender} from '../lib/sender/check.js'
import {MAX_SIGNED_MESSAGE_BYTES} from '../lib/dkim/verify.js'
import {Transcript} from '../lib/net/transcript.js'
import type {SenderResult} from '../lib/sender/schema.js'
import {renderSender} from '../render/sender.js'
import {senderMeasurements} from '../render/measure/sender.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

export default class Sender extends MaildigCommand<SenderResult> {
  static override summary = 'Will receivers trust mail from this sender? SPF for each sending address, DKIM, DMARC, BIMI, blocklists and reverse DNS.'
  static override description = `The argument is a domain (checked as MAIL FROM postmaster@<domain>), an address, or "<>" (the null reverse path of bounces: only the HELO identity is checked, RFC 7208 §2.4). For each --ip: SPF check_host() (RFC 7208) with the MAIL FROM identity and, with --helo, the HELO identity; the address's PTR and forward-confirmed reverse DNS; its status in DNS blocklists (RFC 5782). Also the domain's DKIM keys (--selector, or the selectors of a saved --message, whose signatures are verified), its DMARC policy (RFC 9989) and BIMI record.

Every check ends in one of three outcomes: found, absent, or could not be checked (a lookup timed out or failed: never reported as missing). Sections run in parallel on one DNS cache.

Exit codes: 0 no error finding, 1 an error finding (an SPF fail, a blocklist listing…), 2 usage, 3 the domain does not exist, or DNS failed (no server reached, SERVFAIL) so that nothing could be checked, 5 no DNS answer in time (nothing could be checked).

${NAGIOS_EXIT_CODES}`
  static override examples = [
    '<%= config.bin %> sender example.com --ip 192.0.2.25',
    '<%= config.bin %> sender alice@example.com --ip 192.0.2.25 --ip 2001:db8::25 --helo mail.example.com',
    '<%= config.bin %> sender "<>" --helo mail.example.com --ip 192.0.2.25 --no-dnsbl',
    '<%= config.bin %> sender example.com --selector s1 --selector s2',
    '<%= config.bin %> sender example.com --message examples/postfix-relay-chain.eml --json | jq .dkim.signatures',
    '<%= config.bin %> sender example.com --ip 192.0.2.25 --dnsbl bl.example.net --json | jq \'.dnsbl[] | select(.status == "listed")\'',
    '<%= config.bin %> sender --targets examples/senders.ndjson --no-dnsbl',
  ]
  static override targetArg = 'sender'
  static override targetOptions = ['ip', 'helo', 'selector', 'dnsbl', 'no-dnsbl', 'bimi-selector']
  static override notInBatch = ['message']
  static override args = {
    sender: Args.string({description: 'The sender: a domain, an address (local@domain), or "<>" for the null reverse path.', required: true, ignoreStdin: true}),
  }
  static override flags = {
    ...commonFlags,
    ...outputFlags(['csv']),
    ...thresholdFlags({time: 'seconds', spf_lookups: 'number', dnsbl_listed: 'number', dkim_keys: 'number'}),
    ...batchFlags,
    ip: schemaFlag(ipSchema, {helpValue: 'ADDR'})({description: 'A sending address (IPv4 or IPv6): SPF, reverse DNS and blocklists are checked for it. Repeatable.', multiple: true, multipleNonGreedy: true}),
    helo: ehlo({description: 'The HELO/EHLO name the sending server uses: SPF checks that identity too (RFC 7208 §2.3).'}),
    selector: schemaFlag(selectorSchema, {helpValue: 'NAME'})({description: 'A DKIM selector to look up at <selector>._domainkey.<domain>. Repeatable; without it, common selectors are tried.', multiple: true, multipleNonGreedy: true}),
    message: Flags.string({description: 'A saved message (file, or - for standard input): its DKIM signatures and ARC chain are verified, its selectors looked up.', helpValue: 'FILE|-'}),
    dnsbl: schemaFlag(dnsblZoneSchema, {helpValue: 'ZONE'})({description: 'A DNS blocklist zone to use instead of the default ones. Repeatable.', multiple: true, multipleNonGreedy: true, exclusive: ['no-dnsbl']}),
    'no-dnsbl': Flags.boolean({description: 'Check no blocklist.', default: false}),
    'bimi-selector': schemaFlag(selectorSchema, {helpValue: 'NAME'})({description: 'The BIMI selector (default: "default").'}),
  }

  protected async work(flags: FlagsOf<typeof Sender>, args: ArgsOf<typeof Sender>, {options, spinner}: RunContext): Promise<Outcome<SenderResult>> {
    // Every value is checked before the first lookup (the flags as they are parsed): bad input costs no DNS query.
    const target = flagValue(senderTargetSchema, args.sender, 'sender')
    const {ip: ips = [], helo, selector: selectors = [], 'bimi-selector': bimiSelector} = flags
    const zones = flags['no-dnsbl'] ? [] : (flags.dnsbl ?? null)
    if (target.kind === 'null' && helo === undefined) throw new UsageError('sender: the null sender "<>" is checked with its HELO identity alone: give --helo NAME')
    let message: Buffer | undefined
    if (flags.message !== undefined) {
      message = await readInput(flags.message, {label: '--message', maxBytes: MAX_SIGNED_MESSAGE_BYTES, deadlineMs: options.timeoutMs})
      const problem = messageProblem(message)
      if (problem) throw new UsageError(`--message: ${problem}`)
    }
    spinner.text(`checking ${target.domain ?? helo}`)
    const transcript = new Transcript(this.started)
    const {result, findings, domainNotFound, unresolved} = await checkSender(target, {ips, helo, selectors, message, dnsblZones: zones, bimiSelector, net: options.net, transcript})
    const exitCode = domainNotFound || unresolved === 'failed' ? EXIT_CODES.dns : unresolved === 'timeout' ? EXIT_CODES.timeout : undefined
    return {result, findings, transcript: transcript.lines, ...(exitCode === undefined ? {} : {exitCode})}
  }

  protected override measure(doc: CheckDocument & Partial<SenderResult>, _flags: FlagsOf<typeof Sender>, args: ArgsOf<typeof Sender>): Measurements {
    return senderMeasurements(doc, args.sender)
  }

  protected renderHuman(outcome: Outcome<SenderResult>, style: ChalkInstance): string {
    return renderSender(style, outcome.result, outcome.findings)
  }
}
