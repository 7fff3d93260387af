import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, certDays, choice, commonFlags, port, valueFlag, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {readCredentials} from '../cli/credentials.js'
import {parseHostArgument} from '../cli/validate.js'
import {UsageError} from '../lib/errors.js'
import {Transcript} from '../lib/net/transcript.js'
import {POP3_AUTH_METHODS} from '../lib/pop3/client.js'
import {listPop3} from '../lib/pop3/list.js'
import {renderPop3List, type Pop3ListView} from '../render/pop3.js'
import {pop3Measurements} from '../render/measure/pop3.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

export default class Pop3List extends MaildigCommand<Pop3ListView> {
  static override summary = 'List a POP3 mailbox without changing it: TLS, capabilities, login, and each message\'s size, UID and headers.'
  static override description = `Connects with TLS from the first byte (port 995) or STLS (port 110, RFC 2595), reports the certificate, the greeting and the capabilities (CAPA), logs in (only over a verified TLS session, unless --allow-insecure-auth), then lists the messages, newest first: number, size, UIDL, and From, Subject, Date and Message-ID read with TOP n 0 (encoded-words decoded).

Read-only: maildig never sends DELE or RETR, and ends the session with RSET then QUIT, so nothing on the server changes (TOP does not mark a message as read).

The password comes from MAILDIG_PASSWORD or --password-stdin; an OAuth2 access token (--auth xoauth2) from MAILDIG_OAUTH_TOKEN. Without --user, only the server is checked.

Exit codes: 0 fine, 1 a problem found (an error finding; the mailbox locked by another session [IN-USE]; a server failure [SYS/TEMP], [SYS/PERM]), 2 usage, 3 DNS, 4 connection (refused, closed, a -ERR greeting), 5 timeout, 6 TLS (STLS refused or not offered with --tls starttls, handshake failed), 7 login failed, refused ([LOGIN-DELAY]) or not attempted because the connection is not secure, 8 protocol.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    'MAILDIG_PASSWORD=… <%= config.bin %> pop3-list pop.example.com --user me@example.com',
    '<%= config.bin %> pop3-list pop.example.com --port 110 --user me@example.com --password-stdin < pw.txt',
    '<%= config.bin %> pop3-list pop.example.com --user me@example.com --limit 10 --json | jq \'.messages[].headers.subject\'',
    '<%= config.bin %> pop3-list pop.example.com --tls implicit --transcript',
  ]
  static override args = {host: Args.string({description: 'The POP3 server (host name or IP address).', required: true, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...outputFlags(),
    ...thresholdFlags({time: 'seconds', cert_days: 'number', maildrop_messages: 'number', maildrop_size: 'number', lookup: 'seconds', connect: 'seconds', tls: 'seconds', greeting: 'seconds'}),
    ...authFlags,
    port: port({description: 'TCP port. Default: 110, or 995 with --tls implicit.'}),
    tls: choice(['implicit', 'starttls', 'none'] as const)({
      description: 'implicit (TLS from the first byte), starttls (STLS, required: fails if not offered), or none. Default: implicit on 995, STLS when offered elsewhere.',
    }),
    auth: choice(POP3_AUTH_METHODS)({
      description: 'Login method: user (USER/PASS), apop, plain, login, cram-md5, xoauth2 (token in MAILDIG_OAUTH_TOKEN). Default: the best the server offers.',
    }),
    limit: valueFlag((text) => (/^\d{1,9}$/.test(text.trim()) && Number(text) >= 1 ? Number(text) : {problem: `"${text}" is not a whole number of messages (1 or more)`}), {helpValue: 'N'})({
      description: 'List only the newest N messages.',
    }),
    'cert-days': certDays(),
  }

  protected async work(flags: FlagsOf<typeof Pop3List>, args: ArgsOf<typeof Pop3List>, {options, spinner}: RunContext): Promise<Outcome<Pop3ListView>> {
    const host = parseHostArgument(args.host)
    const method = flags.auth

    if (flags.user === undefined && flags.limit !== undefined) throw new UsageError('--limit: needs a login (--user)')
    const login = await readCredentials(flags, {method, methodFlag: '--auth', tokens: true, deadlineMs: options.timeoutMs, argv: this.argv})
    // USER, APOP and CRAM-MD5 put the name in a line of words: refused now, before a connection, not after the greeting.
    if (login && /\s/.test(login.user) && (method === undefined || method === 'user' || method === 'apop' || method === 'cram-md5')) {
      throw new UsageError(`--user: the name contains white space, which ${method === undefined ? 'USER, APOP and CRAM-MD5 cannot' : `${method.toUpperCase()} cannot`} carry; use --auth plain or --auth login`)
    }
    const user = login?.user
    const secret = login?.password ?? login?.token

    spinner.text(`listing the POP3 mailbox at ${host}`)
    const result = await listPop3({
      host,
      port: flags.port,
      tls: flags.tls,
      net: options.net,
      certDays: flags['cert-days'],
      user,
      password: secret,
      auth: login?.token !== undefined ? 'xoauth2' : method,
      allowInsecureAuth: flags['allow-insecure-auth'],
      limit: flags.limit,
      transcript: new Transcript(this.started),
    })
    const {transcript, findings, ...view} = result
    return {result: view, findings, transcript}
  }

  protected override measure(doc: CheckDocument & Partial<Pop3ListView>, flags: FlagsOf<typeof Pop3List>, args: ArgsOf<typeof Pop3List>): Measurements {
    return pop3Measurements(doc, `${args.host}${flags.port === undefined ? '' : `:${flags.port}`}`)
  }

  protected renderHuman(outcome: Outcome<Pop3ListView>, style: ChalkInstance): string {
    return renderPop3List(style, outcome.result, outcome.findings)
  }
}
