import {Args, Flags} from '@oclif/core'
import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, commonFlags} from '../cli/flags.js'
import {readCredentials, type CredentialFlags} from '../cli/credentials.js'
import {parsePort, parseCertDays, parseHostArgument} from '../cli/validate.js'
import {parseEhloFlag, parseSmtpRequire} from '../cli/validate-smtp.js'
import {UsageError} from '../lib/errors.js'
import {parseMailAddress} from '../lib/address.js'
import {toDomain} from '../lib/dns/names.js'
import {resolveMx, type MxResult} from '../lib/mx/resolve-mx.js'
import type {SmtpProbeResult, SmtpTlsMode} from '../lib/smtp/probe.js'
import {probeExchanges, probeHost, takeTranscripts, type HostProbe, type ProbeSettings} from '../lib/smtp/probe-hosts.js'
import type {DaneInfo} from '../lib/policy/dane.js'
import {renderProbe, renderProbeTable} from '../render/smtp.js'
import {renderFindings} from '../render/findings.js'
import {renderMx} from '../render/mx.js'

type HostOutput = Omit<SmtpProbeResult, 'findings' | 'transcript'>
type MxOutput = {domain: string; asciiDomain: string; mx: MxResult; probes: HostProbe[]; dane: DaneInfo[]}
type ProbeOutput = HostOutput | MxOutput

export default class ProbeSmtp extends MaildigCommand<ProbeOutput> {
  static override summary = 'Probe an SMTP server: greeting, EHLO, TLS and its certificate, AUTH, recipients, relaying.'
  static override description = `Talks SMTP to one server (or, with --mx, to every MX address of a domain at once) and reports what it finds. It never sends DATA: recipient tests are MAIL FROM + RCPT TO, then RSET and QUIT.

Exit codes: 0 fine, 1 a problem found (error finding, unmet --require, rejected recipient), 2 usage, 3 DNS, 4 connection, 5 timeout, 6 TLS, 7 authentication, 8 protocol.`
  static override examples = [
    '<%= config.bin %> probe-smtp mx.example.com',
    '<%= config.bin %> probe-smtp smtp.example.com --port 587 --user me@example.com --password-stdin < pw.txt',
    '<%= config.bin %> probe-smtp example.com --mx --rcpt postmaster@example.com --require starttls,valid-cert',
    '<%= config.bin %> probe-smtp mx.example.com --relay-test --transcript',
  ]
  static override args = {host: Args.string({description: 'The SMTP server (host name or IP address), or with --mx a mail domain.', required: true, ignoreStdin: true})}
  static override flags = {
    ...commonFlags,
    ...authFlags,
    port: Flags.string({description: 'TCP port (default 25, or 465 with --tls implicit).', helpValue: 'PORT'}),
    tls: Flags.string({description: 'starttls (required), implicit, or none. Default: implicit on 465, STARTTLS when offered elsewhere.', options: ['starttls', 'implicit', 'none']}),
    ehlo: Flags.string({description: 'The name to send with EHLO (default: this host\'s name, or its address literal).', helpValue: 'NAME'}),
    from: Flags.string({description: 'MAIL FROM for the recipient test (default: the null sender <>).', helpValue: 'ADDRESS'}),
    rcpt: Flags.string({description: 'Test this recipient (MAIL FROM + RCPT TO, never DATA). Repeatable.', multiple: true, multipleNonGreedy: true, helpValue: 'ADDRESS'}),
    'relay-test': Flags.boolean({description: 'Check that the server refuses to relay from a foreign sender to a foreign recipient.', default: false}),
    require: Flags.string({description: 'Comma list of starttls, valid-cert, auth, tls1.2, tls1.3: each one unmet is an error (exit 1).', helpValue: 'LIST'}),
    'cert-days': Flags.string({description: 'Warn when the certificate expires within this many days.', default: '14', helpValue: 'N'}),
    mx: Flags.boolean({description: 'Treat the argument as a mail domain and probe every MX address in parallel.', default: false}),
    'auth-mechanism': Flags.string({description: 'SASL mechanism to use (default: the best offered).', options: ['plain', 'login', 'cram-md5', 'xoauth2']}),
  }

  protected async work(flags: Record<string, unknown>, args: Record<string, unknown>, {options, spinner}: RunContext): Promise<Outcome<ProbeOutput>> {
    const mode = (flags.tls as SmtpTlsMode | undefined) ?? 'auto'
    const port = flags.port === undefined ? (mode === 'implicit' ? 465 : 25) : parsePort(flags.port as string)
    const rcpts = ((flags.rcpt as string[] | undefined) ?? []).map((r) => parseMailAddress(r, '--rcpt').wireAddress)
    const from = flags.from === undefined ? undefined : parseMailAddress(flags.from as string, '--from').wireAddress
    const ehloName = flags.ehlo === undefined ? undefined : parseEhloFlag(flags.ehlo as string)
    const require = parseSmtpRequire(flags.require as string | undefined)
    const certDays = parseCertDays(flags['cert-days'] as string)
    const mechanismName = flags['auth-mechanism'] as string | undefined
    const login = await readCredentials(flags as unknown as CredentialFlags, {method: mechanismName, methodFlag: '--auth-mechanism', tokens: true, deadlineMs: options.timeoutMs, argv: this.argv})
    const {user, password, token} = login ?? {}
    const mechanism = (token !== undefined ? 'XOAUTH2' : mechanismName?.toUpperCase()) as ProbeSettings['authMechanism']

    const settings: ProbeSettings = {
      port,
      tls: mode,
      net: options.net,
      ehloName,
      certDays,
      from,
      rcpts,
      relayTest: flags['relay-test'] as boolean,
      user,
      password,
      token,
      authMechanism: mechanism,
      allowInsecureAuth: flags['allow-insecure-auth'] as boolean,
      require,
    }

    if (flags.mx) {
      const domain = toDomain(String(args.host))
      if (typeof domain === 'string') throw new UsageError(`host: ${domain}`)
      spinner.text(`looking up the MX hosts of ${domain.ascii}`)
      const mx = await resolveMx(domain, options.net.resolver)
      spinner.text(`probing ${mx.result.exchanges.reduce((n, e) => n + e.addresses.length, 0)} addresses in parallel`)
      const {probes, dane, findings} = await probeExchanges(mx.result, settings, this.started)
      const transcript = takeTranscripts(probes)
      const refused = probes.some((p) => p.result?.recipients.some((r) => !r.accepted))
      return {result: {domain: domain.input, asciiDomain: domain.ascii, mx: mx.result, probes, dane}, findings: [...mx.findings, ...findings], transcript, exitCode: refused ? 1 : undefined}
    }

    const host = parseHostArgument(String(args.host))
    spinner.text(`connecting to ${host}:${port}`)
    const {findings, transcript, ...result} = await probeHost(host, settings, this.started)
    // docs/cli.md: a rejected recipient is exit 1, a temporary (4xx) refusal included.
    return {result, findings, transcript, exitCode: result.recipients.some((r) => !r.accepted) ? 1 : undefined}
  }

  protected renderHuman(outcome: Outcome<ProbeOutput>, style: ChalkInstance): string {
    const r = outcome.result
    if ('probes' in r) return `${renderMx(style, r.mx, null)}\n\n${renderProbeTable(style, r.probes, r.dane)}\n\n${renderFindings(style, outcome.findings)}`
    return renderProbe(style, {...r, findings: [], transcript: []}, outcome.findings)
  }
}
