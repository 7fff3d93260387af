import {basename} from 'node:path'
import {Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, certDays, choice, commonFlags, ehlo, mailAddress, valueFlag, wordList, type FlagsOf} from '../cli/flags.js'
import {readCredentials} from '../cli/credentials.js'
import {hostPortFlag, submissionRoute} from '../cli/submission.js'
import {partialOf, UsageError, withPartial} from '../lib/errors.js'
import {composeMessage} from '../lib/send/compose.js'
import {InputBudget} from '../cli/input.js'
import type {SendTlsMode} from '../lib/send/deliver.js'
import {sendMessage, type SendResult, type SendRoute} from '../lib/send/route.js'
import {lookupAll} from '../lib/dns/lookup.js'
import {lookupOf} from '../lib/net/context.js'
import {Transcript} from '../lib/net/transcript.js'
import {renderSend} from '../render/send.js'

const DSN_NOTIFY = ['NEVER', 'SUCCESS', 'FAILURE', 'DELAY'] as const
/** A diagnostic message, not a file transfer: its text, HTML part and attachments together. */
const MAX_MESSAGE_INPUT_BYTES = 25 * 1024 * 1024

export default class Send extends MaildigCommand<SendResult> {
  static override summary = 'Send a test message through a submission server, or straight to the recipients\' MX.'
  static override description = `Builds a message (nodemailer) and sends it. With --server it goes to that submission server (587 with STARTTLS, or 465 with TLS); without, straight to each recipient domain's MX hosts in preference order, the next tried when one cannot be reached. The default subject carries a unique token and the time, so the message can be found again (imap-check --wait-for-message-id).

Exit codes: 0 every recipient accepted, 1 any rejected, 2 usage (nothing sent), 3 DNS, 4 connection, 5 timeout, 6 TLS, 7 authentication, 8 protocol.`
  static override examples = [
    '<%= config.bin %> send --from me@example.com --to you@example.org',
    '<%= config.bin %> send --server smtp.example.com --user me@example.com --from me@example.com --to you@example.org --password-stdin < pw.txt',
    '<%= config.bin %> send --from me@example.com --to you@example.org --subject "hello" --body-file - < body.txt',
    '<%= config.bin %> send --from me@example.com --to you@example.org --dry-run',
  ]
  static override flags = {
    ...commonFlags,
    ...authFlags,
    to: mailAddress({description: 'Recipient. Repeatable.', multiple: true, multipleNonGreedy: true, required: true}),
    cc: mailAddress({description: 'Copy recipient. Repeatable.', multiple: true, multipleNonGreedy: true}),
    from: mailAddress({description: 'Sender (envelope and From header).', required: true}),
    subject: Flags.string({description: 'Subject (default: "maildig test <token> <time>").'}),
    body: Flags.string({description: 'The message text.', exclusive: ['body-file']}),
    'body-file': Flags.string({description: 'The message text from a file, or - for standard input (standard input is read only then).', helpValue: 'FILE|-'}),
    'html-file': Flags.string({description: 'An HTML part from a file.', helpValue: 'FILE'}),
    attach: Flags.string({description: 'Attach a file. Repeatable.', multiple: true, multipleNonGreedy: true, helpValue: 'FILE'}),
    header: Flags.string({description: 'Add a header "Name: value"; replaces a header of the same name. Repeatable.', multiple: true, multipleNonGreedy: true, helpValue: '"Name: value"'}),
    server: hostPortFlag({description: 'Submission server HOST[:PORT] (default port 587, or 465 with --tls implicit). Without it: direct to MX.'}),
    tls: choice(['starttls', 'implicit', 'none'] as const)({description: 'starttls (required), implicit, or none. Default: implicit on 465, STARTTLS required on 587, STARTTLS when offered otherwise.'}),
    ehlo: ehlo({description: 'The name to send with EHLO.'}),
    'dsn-notify': wordList(DSN_NOTIFY, {upper: true})({description: 'DSN NOTIFY: NEVER, or a comma list of SUCCESS, FAILURE, DELAY.'}),
    'dsn-ret': choice(['FULL', 'HDRS'] as const)({description: 'DSN RET: FULL or HDRS.'}),
    'dsn-envid': valueFlag((text) => (/^[\x21-\x7e]{1,100}$/.test(text) ? text : {problem: 'printable ASCII without spaces, at most 100 characters'}), {helpValue: 'ID'})({description: 'DSN ENVID.'}),
    'cert-days': certDays(),
    'dry-run': Flags.boolean({description: 'Print the complete MIME message and send nothing.', default: false}),
    'no-dane': Flags.boolean({description: 'Direct to MX: deliver to an MX even when its certificate fails its DNSSEC-validated TLSA records (DANE, RFC 7672), as senders without DANE do.', default: false}),
  }

  protected async work(flags: FlagsOf<typeof Send>, _args: object, {options, spinner}: RunContext): Promise<Outcome<SendResult>> {
    const {from, to, cc = []} = flags
    const dsn = dsnOf(flags)
    const route = submissionRoute(flags.server, flags.tls)
    // Before --dry-run's early return, so that a dry run refuses what the real run would.
    if (flags.user !== undefined && route.kind === 'mx') throw new UsageError('--user: credentials go to a submission server; add --server HOST')
    if (flags['no-dane'] && route.kind === 'server') throw new UsageError('--no-dane: DANE is judged only when delivering straight to the MX; --server sends through a submission server')
    const stdinUsers = [flags['password-stdin'] && '--password-stdin', flags['body-file'] === '-' && '--body-file -', flags['html-file'] === '-' && '--html-file -'].filter(Boolean)
    if (stdinUsers.length > 1) throw new UsageError(`${stdinUsers[1]}: standard input is already used by ${stdinUsers[0]}`)
    // Read one after another, so that no more than the bound is ever held.
    const budget = new InputBudget(MAX_MESSAGE_INPUT_BYTES, 'the 25 MiB that the body and attachments may take together')
    const readText = async (source: string, label: string) => (await budget.read(source, label, options.timeoutMs)).toString('utf8')
    const text =
      flags.body !== undefined
        ? flags.body
        : flags['body-file']
          ? await readText(flags['body-file'], '--body-file')
          : // Standard input is read only when asked for (--body-file -, as in swaks): in a `while read` loop, or
            // under ssh or docker exec -i, an unasked read would swallow the loop's input or wait for ever.
            undefined
    const html = flags['html-file'] ? await readText(flags['html-file'], '--html-file') : undefined
    const attachments: Array<{filename: string; content: Buffer}> = []
    for (const path of flags.attach ?? []) attachments.push({filename: basename(path), content: await budget.read(path, '--attach', options.timeoutMs)})
    const message = await composeMessage({from, to, cc, subject: flags.subject, text, html, attachments, headers: flags.header ?? []})
    const base = {messageId: message.messageId, subject: message.subject, token: message.token, envelope: message.envelope}

    if (flags['dry-run']) {
      return {result: {...base, accepted: [], rejected: [], response: null, server: null, deliveries: [], timings: {}, dryRun: true, message: message.raw.toString('utf8')}, findings: []}
    }
    const {user, password} = (await readCredentials(flags, {tokens: false, deadlineMs: options.timeoutMs, argv: this.argv})) ?? {}

    const transcript = new Transcript(this.started)
    transcript.protect(password)
    let sendRoute: SendRoute = {kind: 'mx'}
    if (route.kind === 'server') {
      spinner.text(`resolving ${route.host}`)
      const addresses = (await lookupAll(lookupOf(options.net), route.host, options.net.timeouts.dns)).map((a) => a.address)
      sendRoute = {kind: 'server', host: route.host, port: route.port, addresses}
    }
    spinner.text(route.kind === 'server' ? `sending through ${route.host}:${route.port}` : 'sending to the recipients\' MX hosts')
    const {deliveries, findings, rejected} = await sendMessage(
      sendRoute,
      [...to, ...cc],
      message.envelope,
      message.raw,
      {
        tls: route.kind === 'server' ? route.tls : (flags.tls ?? 'auto'),
        net: options.net,
        ehloName: flags.ehlo,
        user,
        password,
        allowInsecureAuth: flags['allow-insecure-auth'],
        certDays: flags['cert-days'],
        dsn,
        needsSmtpUtf8: [from, ...to, ...cc].some((a) => a.needsSmtpUtf8),
        transcript,
        dane: !flags['no-dane'],
      },
    ).catch((error) => {
      withPartial(error, {...partialOf(error), transcript: [...transcript.lines]})
      throw error
    })
    const first = deliveries[0]
    const result: SendResult = {
      ...base,
      accepted: deliveries.flatMap((d) => d.accepted),
      rejected: [...deliveries.flatMap((d) => d.rejected), ...rejected],
      response: first?.response ?? null,
      server: first?.server ?? null,
      deliveries,
      timings: {...first?.timings},
      dryRun: false,
    }
    for (const r of rejected) {
      if (!findings.some((f) => f.subject === r.address || r.text.startsWith(f.code))) findings.push({code: 'RCPT_REJECTED', severity: 'error', message: `<${r.address}>: ${r.text}`, subject: r.address})
    }
    // docs/cli.md: 1 when any recipient was rejected, whatever the findings say.
    const exitCode = result.rejected.length > 0 ? 1 : undefined
    return {result, findings, transcript: transcript.lines, exitCode}
  }

  protected renderHuman(outcome: Outcome<SendResult>, style: ChalkInstance): string {
    return renderSend(style, outcome.result, outcome.findings)
  }
}

function dsnOf(flags: FlagsOf<typeof Send>): {notify?: string[]; ret?: 'FULL' | 'HDRS'; envid?: string} | undefined {
  const {'dsn-notify': notify, 'dsn-ret': ret, 'dsn-envid': envid} = flags
  if (notify === undefined && ret === undefined && envid === undefined) return undefined
  if (notify?.includes('NEVER') && notify.length > 1) throw new UsageError('--dsn-notify: NEVER cannot be combined with other values (RFC 3461 §4.1)')
  return {notify, ret, envid}
}
