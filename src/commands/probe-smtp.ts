import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, batchFlags, certDays, choice, commonFlags, ehlo, mailAddress, port, wordList, type ArgsOf, type FlagsOf} from '../cli/flags.js'
import {readCredentials} from '../cli/credentials.js'
import {parseHostPort} from '../cli/validate.js'
import {UsageError} from '../lib/errors.js'
import {toDomain} from '../lib/dns/names.js'
import {resolveMx, type MxResult} from '../lib/mx/resolve-mx.js'
import {SMTP_REQUIREMENTS, type SmtpProbeResult} from '../lib/smtp/probe.js'
import type {SaslMechanism} from '../lib/net/sasl.js'
import {probeExchanges, probeHost, takeTranscripts, type HostProbe, type ProbeSettings} from '../lib/smtp/probe-hosts.js'
import type {DaneInfo} from '../lib/policy/dane.js'
import {renderProbe, renderProbeTable} from '../render/smtp.js'
import {renderFindings} from '../render/findings.js'
import {renderMx} from '../render/mx.js'
import {smtpMeasurements} from '../render/measure/smtp.js'
import type {CheckDocument, Measurements} from '../render/monitoring.js'
import {outputFlags, thresholdFlags, NAGIOS_EXIT_CODES} from '../cli/format.js'

const SASL_MECHANISMS: Record<'plain' | 'login' | 'cram-md5' | 'xoauth2', SaslMechanism> = {plain: 'PLAIN', login: 'LOGIN', 'cram-md5': 'CRAM-MD5', xoauth2: 'XOAUTH2'}

type HostOutput = Omit<SmtpProbeResult, 'findings' | 'transcript'>
type MxOutput = {domain: string; asciiDomain: string; mx: MxResult; probes: HostProbe[]; dane: DaneInfo[]}
type ProbeOutput = HostOutput | MxOutput

export default class ProbeSmtp extends MaildigCommand<ProbeOutput> {
  static override summary = 'Probe an SMTP server: greeting, EHLO, TLS and its certificate, AUTH, recipients, relaying.'
  static override description = `Talks SMTP to one server (or, with --mx, to every MX address of a domain at once) and reports what it finds. It never sends DATA: recipient tests are MAIL FROM + RCPT TO, then RSET and QUIT.

Exit codes: 0 fine, 1 a problem found (error finding, unmet --require, rejected recipient), 2 usage, 3 DNS, 4 connection, 5 timeout, 6 TLS, 7 authentication, 8 protocol.

${NAGIOS_EXIT_CODES}`
  static override examples = [
    '<%= config.bin %> probe-smtp mx.example.com',
    '<%= config.bin %> probe-smtp smtp.example.com --port 587 --user me@example.com --password-stdin < pw.txt',
    '<%= config.bin %> probe-smtp example.com --mx --rcpt postmaster@example.com --require starttls,valid-cert',
    '<%= config.bin %> probe-smtp mx.example.com --relay-test --transcript',
    '<%= config.bin %> probe-smtp smtp.example.com:465',
    '<%= config.bin %> probe-smtp --mx --targets domains.txt --per-host 1 --format csv > mx-tls.csv',
  ]
  static override targetArg = 'host'
  static override targetOptions = ['port', 'tls', 'ehlo', 'from', 'rcpt', 'relay-test', 'require', 'cert-days']
  static override args = {host: Args.string({description: 'The SMTP server (host name or IP address, optionally HOST:PORT or [IPv6]:PORT), or with --mx a mail domain.', required: true, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...outputFlags(['csv']),
    ...thresholdFlags({time: 'seconds', cert_days: 'number', lookup: 'seconds', connect: 'seconds', tls: 'seconds', greeting: 'seconds'}),
    ...authFlags,
    ...batchFlags,
    port: port({description: 'TCP port (default 25, or 465 with --tls implicit).'}),
    tls: choice(['starttls', 'implicit', 'none'] as const)({description: 'starttls (required), implicit, or none. Default: implicit on 465, STARTTLS when offered elsewhere.'}),
    ehlo: ehlo({description: 'The name to send with EHLO (default: this host\'s name, or its address literal).'}),
    from: mailAddress({description: 'MAIL FROM for the recipient test (default: the null sender <>).'}),
    rcpt: mailAddress({description: 'Test this recipient (MAIL FROM + RCPT TO, never DATA). Repeatable.', multiple: true, multipleNonGreedy: true}),
    'relay-test': Flags.boolean({description: 'Check that the server refuses to relay from a foreign sender to a foreign recipient.', default: false}),
    require: wordList(SMTP_REQUIREMENTS)({description: 'Comma list of starttls, valid-cert, auth, tls1.2, tls1.3: each one unmet is an error (exit 1).'}),
    'cert-days': certDays(),
    mx: Flags.boolean({description: 'Treat the argument as a mail domain and probe every MX address in parallel.', default: false}),
    'auth-mechanism': choice(['plain', 'login', 'cram-md5', 'xoauth2'] as const)({description: 'SASL mechanism to use (default: the best offered).'}),
  }

  protected async work(flags: FlagsOf<typeof ProbeSmtp>, args: ArgsOf<typeof ProbeSmtp>, {options, spinner}: RunContext): Promise<Outcome<ProbeOutput>> {
    const mode = flags.tls ?? 'auto'
    // HOST:PORT and [IPv6]:PORT, as send --server and swaks take them; --port as well would be two answers to one question.
    const target = parseHostPort(args.host, 'host')
    if (target.port !== undefined && flags.port !== undefined) throw new UsageError(`--port: the port is already in the argument (${args.host}); give one of them`)
    const mechanismName = flags['auth-mechanism']
    const login = await readCredentials(flags, {method: mechanismName, methodFlag: '--auth-mechanism', tokens: true, deadlineMs: options.timeoutMs, argv: this.argv})
    const {user, password, token} = login ?? {}

    const settings: ProbeSettings = {
      port: target.port ?? flags.port ?? (mode === 'implicit' ? 465 : 25),
      tls: mode,
      net: options.net,
      ehloName: flags.ehlo,
      certDays: flags['cert-days'],
      from: flags.from?.wireAddress,
      rcpts: (flags.rcpt ?? []).map((r) => r.wireAddress),
      relayTest: flags['relay-test'],
      user,
      password,
      token,
      authMechanism: token !== undefined ? 'XOAUTH2' : mechanismName && SASL_MECHANISMS[mechanismName],
      allowInsecureAuth: flags['allow-insecure-auth'],
      require: flags.require ?? [],
    }

    if (flags.mx) {
      const domain = toDomain(target.typed)
      if (typeof domain === 'string') throw new UsageError(`host: ${domain}`)
      spinner.text(`looking up the MX hosts of ${domain.ascii}`)
      const mx = await resolveMx(domain, options.net.resolver)
      spinner.text(`probing ${mx.result.exchanges.reduce((n, e) => n + e.addresses.length, 0)} addresses in parallel`)
      const {probes, dane, findings} = await probeExchanges(mx.result, settings, this.started)
      const transcript = takeTranscripts(probes)
      const refused = probes.some((p) => p.result?.recipients.some((r) => !r.accepted))
      return {result: {domain: domain.input, asciiDomain: domain.ascii, mx: mx.result, probes, dane}, findings: [...mx.findings, ...findings], transcript, exitCode: refused ? 1 : undefined}
    }

    const host = target.host
    spinner.text(`connecting to ${host}:${settings.port}`)
    const {findings, transcript, ...result} = await probeHost(host, settings, this.started)
    // docs/cli.md: a rejected recipient is exit 1, a temporary (4xx) refusal included.
    return {result, findings, transcript, exitCode: result.recipients.some((r) => !r.accepted) ? 1 : undefined}
  }

  protected override measure(doc: CheckDocument & Partial<ProbeOutput>, flags: FlagsOf<typeof ProbeSmtp>, args: ArgsOf<typeof ProbeSmtp>): Measurements {
    return smtpMeasurements(doc as Parameters<typeof smtpMeasurements>[0], `${args.host}${flags.port === undefined ? '' : `:${flags.port}`}`)
  }

  protected renderHuman(outcome: Outcome<ProbeOutput>, style: ChalkInstance): string {
    const r = outcome.result
    if ('probes' in r) return `${renderMx(style, r.mx, null)}\n\n${renderProbeTable(style, r.probes, r.dane)}\n\n${renderFindings(style, outcome.findings)}`
    return renderProbe(style, {...r, findings: [], transcript: []}, outcome.findings)
  }
}
