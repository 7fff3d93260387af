import {Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, certDays, choice, commonFlags, duration, ehlo, mailAddress, valueFlag, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'
import {readCredentials, readSecondPassword, sourceOf} from '../cli/credentials.js'
import {hostPortFlag, submissionRoute} from '../cli/submission.js'
import {UsageError} from '../lib/errors.js'
import {Transcript} from '../lib/net/transcript.js'
import {runRoundtrip, type RoundtripOptions, type RoundtripResult} from '../lib/roundtrip/run.js'
import {renderRoundtrip} from '../render/roundtrip.js'
import {roundtripMeasurements} from '../render/measure/roundtrip.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'

/** Large providers deliver in tens of seconds at the median; their slow tail takes minutes. */
const DEFAULT_WAIT_MS = 5 * 60_000

export default class Roundtrip extends MaildigCommand<RoundtripResult> {
  static override summary = 'Send a test message and wait for it in the recipient\'s mailbox: does mail get through end to end, how long does it take, by which route.'
  static override description = `Opens the recipient's mailbox first (IMAP, or POP3 with --pop3; the server from --mailbox-host or the SRV records of the mailbox user's domain, RFC 6186), so a wrong mailbox password stops the run before anything is sent. Then sends a message carrying a unique token (in its Message-ID, an X-Maildig-Roundtrip header and the Subject) through a submission server (--server, as send does) or straight to the recipient's MX hosts, and waits for it: IMAP IDLE where offered, else NOOP polling; POP3 polling sessions (STAT, UIDL, TOP).

Reports each stage and its time (mailbox login, DNS, connect, submission accepted with the queue id, first seen in the mailbox, end to end), the delivered copy's Received chain as \`trace --message\` reads it, compared with the route \`trace\` predicts, and the SPF, DKIM and DMARC results the receiver recorded. Only the header of the delivered copy is read (IMAP BODY.PEEK[HEADER], POP3 TOP n 0).

The mailbox is only read (EXAMINE), unless --cleanup: then the one message carrying this run's token is removed by its UID (UID STORE +FLAGS (\\Deleted), UID EXPUNGE), and only where the server offers UIDPLUS. POP3 never deletes.

--warning and --critical judge the end-to-end latency (monitoring-plugins ranges: --warning 30s --critical 2m), --format nagios|prometheus|junit prints the result for monitoring and CI (docs/monitoring.md).

Passwords: the submission login from MAILDIG_PASSWORD or --password-stdin; the mailbox login from MAILDIG_MAILBOX_PASSWORD (or the same password when --mailbox-user is --user); on a terminal, whichever is missing is asked for.

Exit codes: 0 delivered in time (and no error finding), 1 not delivered within --wait (ROUNDTRIP_NOT_DELIVERED), outside --critical, failed authentication at the receiver, or the recipient refused, 2 usage (nothing sent), 3 DNS, 4 connection, 5 timeout, 6 TLS, 7 authentication (submission or mailbox; a wrong mailbox password sends nothing), 8 protocol.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    'MAILDIG_MAILBOX_PASSWORD=… <%= config.bin %> roundtrip --from me@example.com --to you@example.org',
    'MAILDIG_PASSWORD=… <%= config.bin %> roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --warning 30s --critical 2m',
    'MAILDIG_PASSWORD=… <%= config.bin %> roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --pop3 --mailbox-host pop.example.com --wait 10m',
    'MAILDIG_PASSWORD=… <%= config.bin %> roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --cleanup --format nagios',
  ]
  static override flags = {
    ...commonFlags,
    ...outputFlags(),
    ...thresholdFlags({latency: 'seconds', time: 'seconds', delivery: 'seconds', submission: 'seconds', mailbox_login: 'seconds', cert_days: 'number'}),
    ...authFlags,
    from: mailAddress({description: 'Sender (envelope and From header).', required: true}),
    to: mailAddress({description: 'The recipient whose mailbox is watched.', required: true}),
    server: hostPortFlag({description: 'Submission server HOST[:PORT] (default port 587, or 465 with --tls implicit). Without it: direct to the recipient\'s MX.'}),
    tls: choice(['starttls', 'implicit', 'none'] as const)({description: 'Submission TLS, as in send: starttls (required), implicit, or none.'}),
    ehlo: ehlo({description: 'The name to send with EHLO.'}),
    'mailbox-user': valueFlag(userName, {helpValue: 'NAME'})({description: 'Login name of the recipient\'s mailbox (default: the --to address). Its password: MAILDIG_MAILBOX_PASSWORD.', env: 'MAILDIG_MAILBOX_USER'}),
    'mailbox-host': hostPortFlag({description: 'The mailbox server HOST[:PORT]. Default: SRV records of the mailbox user\'s domain (RFC 6186), else the domain itself on 993 (995 with --pop3).'}),
    'mailbox-tls': choice(['implicit', 'starttls', 'none'] as const)({description: 'Mailbox TLS: implicit, starttls (required), or none. Default: from the SRV record, implicit on 993/995, STARTTLS when offered elsewhere.'}),
    mailbox: valueFlag(folderName, {helpValue: 'NAME'})({description: 'IMAP: the mailbox (folder) to wait in.', default: 'INBOX'}),
    pop3: Flags.boolean({description: 'Wait in the mailbox over POP3 (polling: STAT, UIDL, TOP; never RETR or DELE) instead of IMAP.', default: false}),
    wait: duration({description: 'How long to wait for the message.', default: DEFAULT_WAIT_MS, defaultHelp: async () => '5m'}),
    cleanup: Flags.boolean({description: 'Remove the test message from the mailbox afterwards (IMAP with UIDPLUS only; never with --pop3).', default: false}),
    predict: Flags.boolean({description: 'Predict the route as trace does and compare (--no-predict skips the MX probes).', default: true, allowNo: true}),
    'cert-days': certDays(),
  }

  protected async work(flags: FlagsOf<typeof Roundtrip>, _args: ArgsOf<typeof Roundtrip>, {options, spinner}: RunContext): Promise<Outcome<RoundtripResult>> {
    // Everything is checked before a password is read or a connection made (docs/cli.md: a usage error sends nothing).
    if (flags.cleanup && flags.pop3) throw new UsageError('--cleanup: POP3 never deletes (maildig sends no DELE); use IMAP to clean up, or leave --cleanup out')
    const route = submissionRoute(flags.server, flags.tls)
    if (flags.user !== undefined && route.kind === 'mx') throw new UsageError('--user: credentials go to a submission server; add --server HOST')
    const submission: RoundtripOptions['submission'] = route.kind === 'mx' ? {kind: 'mx', tls: flags.tls ?? 'auto'} : route
    const mailboxUserSource = sourceOf('--mailbox-user', 'MAILDIG_MAILBOX_USER', this.argv)
    const mailboxUser = flags['mailbox-user'] ?? flags.to.address

    const login = await readCredentials(flags, {tokens: false, deadlineMs: options.timeoutMs, argv: this.argv})
    const mailboxPassword = await readSecondPassword(mailboxUser, {variable: 'MAILDIG_MAILBOX_PASSWORD', userSource: flags['mailbox-user'] === undefined ? '--to (the mailbox user)' : mailboxUserSource, first: login})

    const transcript = new Transcript(this.started)
    transcript.protectCredential(login?.user, login?.password)
    transcript.protectCredential(mailboxUser, mailboxPassword)
    const host = flags['mailbox-host']
    const {result, findings, transcript: lines} = await runRoundtrip({
      from: flags.from,
      to: flags.to,
      submission,
      user: login?.user,
      password: login?.password,
      ehloName: flags.ehlo,
      allowInsecureAuth: flags['allow-insecure-auth'],
      mailbox: {protocol: flags.pop3 ? 'pop3' : 'imap', host: host?.host, port: host?.port, tls: flags['mailbox-tls'], user: mailboxUser, password: mailboxPassword, folder: flags.mailbox},
      waitMs: flags.wait,
      cleanup: flags.cleanup,
      predict: flags.predict,
      net: options.net,
      certDays: flags['cert-days'],
      transcript,
      clientVersion: this.config.version,
      onProgress: (text) => spinner.text(text),
    })
    return {result, findings, transcript: lines}
  }

  protected override measure(doc: CheckDocument & Partial<RoundtripResult>, flags: FlagsOf<typeof Roundtrip>): Measurements {
    return roundtripMeasurements(doc, flags.to?.address ?? '')
  }

  protected renderHuman(outcome: Outcome<RoundtripResult>, style: ChalkInstance): string {
    return renderRoundtrip(style, outcome.result, outcome.findings)
  }
}

/** An IMAP mailbox name as it goes on the wire: not empty, no CR, LF or NUL. */
function folderName(text: string): string | {problem: string} {
  if (/[\r\n\0]/.test(text)) return {problem: 'the value contains a CR, LF or NUL character'}
  return text.trim() === '' ? {problem: 'the mailbox name is empty (INBOX is the inbox)'} : text
}

/** A login name: not empty, no CR, LF or NUL (it goes on the wire). */
function userName(text: string): string | {problem: string} {
  if (/[\r\n\0]/.test(text)) return {problem: 'the value contains a CR, LF or NUL character'}
  return text.trim() === '' ? {problem: 'the user name is empty'} : text
}
