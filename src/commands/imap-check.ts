import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, certDays, choice, commonFlags, duration, port, valueFlag, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {assertNoControl} from '../cli/options.js'
import {readCredentials} from '../cli/credentials.js'
import {durationText, parseHostArgument} from '../cli/validate.js'
import {UsageError} from '../lib/errors.js'
import {checkImap, DEFAULT_QUOTA_WARN_PERCENT} from '../lib/imap/check.js'
import type {ImapCheckResult} from '../lib/imap/schema.js'
import {Transcript} from '../lib/net/transcript.js'
import {renderImapCheck} from '../render/imap.js'
import {imapMeasurements} from '../render/measure/imap.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

/** How long --wait-for-* waits when --wait is not given. */
const DEFAULT_WAIT_MS = 60_000

export default class ImapCheck extends MaildigCommand<ImapCheckResult> {
  static override summary = 'Check an IMAP server and a mailbox: TLS, capabilities, login, mailboxes, quota; wait for a message.'
  static override description = `Connects with TLS from the first byte (port 993) or STARTTLS (143), reports the certificate, greeting, capabilities before and after login and the server's ID, logs in (only over a verified TLS session, unless --allow-insecure-auth), lists the mailboxes with their message counts (STATUS) and reads the quota.

With --wait-for-subject or --wait-for-message-id it then waits (IDLE, or NOOP polling where the server has no IDLE) until the message is in the mailbox, and reports its UID and how long it took: the second half of a round-trip check after \`maildig send\`.

Read-only: the mailbox is opened with EXAMINE, messages are only searched and their envelopes fetched; no flag changes, no EXPUNGE.

The password comes from MAILDIG_PASSWORD or --password-stdin; an OAuth2 access token (XOAUTH2/OAUTHBEARER) from MAILDIG_OAUTH_TOKEN.

Exit codes: 0 fine, 1 a problem found (an error finding: mailbox or message not found, quota full…), 2 usage, 3 DNS, 4 connection (refused, closed, BYE greeting), 5 timeout, 6 TLS, 7 login failed or refused, 8 protocol.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    '<%= config.bin %> imap-check imap.example.com',
    'MAILDIG_PASSWORD=… <%= config.bin %> imap-check imap.example.com --user me@example.com',
    '<%= config.bin %> imap-check imap.example.com --port 143 --tls starttls --user me@example.com --password-stdin < pw.txt',
    '<%= config.bin %> imap-check imap.example.com --user me@example.com --wait-for-message-id "$(maildig send --from me@example.com --to me@example.com --json | jq -r .messageId)" --wait 2m',
  ]
  static override args = {host: Args.string({description: 'The IMAP server (host name or IP address).', required: true, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...outputFlags(),
    ...thresholdFlags({time: 'seconds', cert_days: 'number', wait_latency: 'seconds', quota_storage: 'number', lookup: 'seconds', connect: 'seconds', tls: 'seconds', greeting: 'seconds'}),
    ...authFlags,
    port: port({description: 'TCP port. Default: 993, or 143 with --tls starttls|none.'}),
    tls: choice(['implicit', 'starttls', 'none'] as const)({description: 'implicit (TLS from the first byte), starttls (required: fails if not offered), or none. Default: implicit on 993, STARTTLS when offered elsewhere.'}),
    auth: choice(['login', 'plain', 'xoauth2'] as const)({description: 'Login method: login (the LOGIN command), plain (AUTHENTICATE PLAIN), xoauth2 (token in MAILDIG_OAUTH_TOKEN). Default: the best the server offers.'}),
    mailbox: Flags.string({description: 'Check only this mailbox (STATUS, quota root) and wait for messages in it. Default: all mailboxes; wait in INBOX.', helpValue: 'NAME'}),
    'wait-for-subject': Flags.string({description: 'Wait until a message whose Subject contains this text is in the mailbox.', helpValue: 'TEXT'}),
    'wait-for-message-id': Flags.string({description: 'Wait until the message with this Message-ID is in the mailbox (as `maildig send --json` prints it).', helpValue: 'ID'}),
    wait: duration({description: `How long to wait for the message (default ${durationText(DEFAULT_WAIT_MS)}).`}),
    'quota-warn': valueFlag(percent, {helpValue: 'PERCENT'})({description: 'Warn when the quota is used above this percentage.', default: DEFAULT_QUOTA_WARN_PERCENT}),
    'cert-days': certDays(),
  }

  protected async work(flags: FlagsOf<typeof ImapCheck>, args: ArgsOf<typeof ImapCheck>, {options, spinner}: RunContext): Promise<Outcome<ImapCheckResult>> {
    const host = parseHostArgument(args.host)
    const mailbox = flags.mailbox === undefined ? undefined : parseMailbox(flags.mailbox)
    const subject = flags['wait-for-subject']
    const messageId = flags['wait-for-message-id']
    if (subject !== undefined && messageId !== undefined) throw new UsageError('--wait-for-subject and --wait-for-message-id: give one of them, not both')
    if (subject !== undefined && assertNoControl(subject, '--wait-for-subject').trim() === '') throw new UsageError('--wait-for-subject: the text is empty')
    if (messageId !== undefined && !/^<?[^<>\s]+>?$/.test(assertNoControl(messageId, '--wait-for-message-id').trim())) {
      throw new UsageError(`--wait-for-message-id: "${messageId}" is not a Message-ID (like <id@example.com>)`)
    }
    const waiting = subject !== undefined || messageId !== undefined
    if (flags.wait !== undefined && !waiting) throw new UsageError('--wait: give --wait-for-subject or --wait-for-message-id too')
    const waitMs = waiting ? (flags.wait ?? DEFAULT_WAIT_MS) : undefined

    const method = flags.auth
    if (flags.user === undefined && (mailbox !== undefined || waiting)) throw new UsageError(`${mailbox === undefined ? '--wait-for-*' : '--mailbox'}: needs a login (--user)`)
    const login = await readCredentials(flags, {method, methodFlag: '--auth', tokens: true, deadlineMs: options.timeoutMs, argv: this.argv})
    const {user, password, token} = login ?? {}

    const startedAt = Date.now() - (performance.now() - this.started)
    const {result, findings, transcript} = await checkImap({
      host,
      port: flags.port,
      tls: flags.tls,
      net: options.net,
      certDays: flags['cert-days'],
      user,
      password,
      token,
      auth: method,
      allowInsecureAuth: flags['allow-insecure-auth'],
      mailbox,
      quotaWarnPercent: flags['quota-warn'],
      waitFor: waitMs === undefined ? undefined : {subject, messageId, timeoutMs: waitMs},
      startedAt,
      transcript: new Transcript(this.started),
      clientVersion: this.config.version,
      onProgress: (text) => spinner.text(text),
    })
    return {result, findings, transcript}
  }

  protected override measure(doc: CheckDocument & Partial<ImapCheckResult>, flags: FlagsOf<typeof ImapCheck>, args: ArgsOf<typeof ImapCheck>): Measurements {
    return imapMeasurements(doc, `${args.host}${flags.port === undefined ? '' : `:${flags.port}`}`)
  }

  protected renderHuman(outcome: Outcome<ImapCheckResult>, style: ChalkInstance): string {
    return renderImapCheck(style, outcome.result, outcome.findings)
  }
}

function percent(text: string): number | {problem: string} {
  const value = Number(text.trim().replace(/%$/, ''))
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || value > 100) return {problem: `"${text}" is not a percentage between 1 and 100`}
  return value
}

function parseMailbox(text: string): string {
  assertNoControl(text, '--mailbox')
  if (text.trim() === '') throw new UsageError('--mailbox: the mailbox name is empty (INBOX is the inbox)')
  if (Buffer.byteLength(text) > 1000) throw new UsageError('--mailbox: the name is longer than 1000 bytes')
  return text
}
