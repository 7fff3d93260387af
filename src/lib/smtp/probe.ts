import {hostname as osHostname} from 'node:os'
import {isIP} from '../net/ip.js'
import {invalidValue, isMaildigError, MaildigError, UsageError, withPartial} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {netContext, type NetContext} from '../net/context.js'
import type {SaslMechanism} from '../net/sasl.js'
import {Transcript} from '../net/transcript.js'
import {assertWireSafe, bareHost} from '../net/wire.js'
import {isCertificateValid, type TlsInfo} from '../tls/inspect.js'
import {mailPath, SmtpClient, validateEhloName, type RecipientResult} from './client.js'
import type {SmtpAuthResultKind, SmtpProbePartial, SmtpProbeResult, SmtpProbeTimings} from './schema.js'

export type {SmtpAuthResultKind, SmtpProbePartial, SmtpProbeResult, SmtpProbeTimings}

export const SMTP_TLS_MODES = ['auto', 'starttls', 'implicit', 'none'] as const
export type SmtpTlsMode = (typeof SMTP_TLS_MODES)[number]

/** `--require` values. Each one not met is a REQUIREMENT_NOT_MET finding (error → exit 1). */
export const SMTP_REQUIREMENTS = ['starttls', 'valid-cert', 'auth', 'tls1.2', 'tls1.3'] as const
export type SmtpRequirement = (typeof SMTP_REQUIREMENTS)[number]

/**
 * The relay test's envelope: a sender in a domain that cannot exist (RFC 2606 .invalid) and a
 * recipient in a reserved domain (example.net) that no server is responsible for. A server that
 * accepts that RCPT from an unauthenticated client relays for anyone. No DATA is ever sent.
 */
export const RELAY_TEST_SENDER = 'relay-test@maildig.invalid'
export const RELAY_TEST_RECIPIENT = 'relay-test@example.net'

export interface SmtpProbeOptions {
  /** The host name (or IP literal) the user asked for: SNI, the certificate check and messages use it. */
  host: string
  /** Default 25. */
  port?: number
  /** The address to connect to, when the caller resolved `host` already (one probe per MX address). */
  address?: string
  /** Resolver, `--timeout` deadlines, `--ca-file`, source address: how to reach the server. */
  net?: NetContext
  /** EHLO argument. Default: this machine's host name when it is fully qualified, else the address literal of the local address. */
  ehloName?: string
  /** Default 'auto': implicit TLS on port 465, STARTTLS where offered elsewhere. 'starttls' fails when it is not offered. */
  tls?: SmtpTlsMode
  /** TLS_CERT_EXPIRING below this many days (default 14). */
  certDays?: number
  /** MAIL FROM for the recipient test; default the null sender `<>`. */
  from?: string
  /** RCPT TO addresses to test (no DATA is sent). */
  rcpts?: string[]
  /** Run the open-relay test (before any AUTH). `true` uses RELAY_TEST_SENDER → RELAY_TEST_RECIPIENT. */
  relayTest?: boolean | {from?: string; to?: string}
  user?: string
  password?: string
  /** OAuth2 access token (XOAUTH2) instead of a password. */
  token?: string
  authMechanism?: SaslMechanism
  allowInsecureAuth?: boolean
  require?: readonly SmtpRequirement[]
  /** PTR names of the address (from the DNS layer), for BANNER_PTR_MISMATCH. */
  ptrNames?: readonly string[]
  /** Record here (e.g. one transcript per command run); a new one when absent. */
  transcript?: Transcript
  /** "Now", for certificate expiry (tests). */
  now?: Date
  /**
   * Offer TLS 1.0/1.1 too (OpenSSL security level 0). probeSmtp sets it itself for a second attempt
   * when a server has no TLS version in common with Node's default (TLS 1.2+), so that TLS_OLD_VERSION
   * is reported rather than only a failed handshake.
   */
  legacyTls?: boolean
}

/**
 * Probes one SMTP server: greeting, EHLO, TLS (implicit or STARTTLS) and the certificate, the
 * relay test, AUTH, MAIL/RCPT tests, requirements — then RSET/QUIT. Never sends DATA.
 *
 * Problems the probe observes are findings in the result. A failure that stops it (refused,
 * timeout, TLS failure, garbage, a rejected greeting, failed AUTH) throws a MaildigError whose
 * category gives the exit code; `partialOf<SmtpProbePartial>(error)` (errors.ts) returns what was learnt until then (the
 * transcript, timings, banner…), so a multi-host probe can report that host as a finding.
 */
export async function probeSmtp(options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  try {
    return await probeOnce(options)
  } catch (error) {
    const oldTlsOnly = isMaildigError(error) && /^(STARTTLS|TLS)_FAILED$/.test(error.code) && /no TLS version in common/.test(error.message)
    if (!oldTlsOnly || options.legacyTls) throw error
    const transcript = options.transcript ?? new Transcript()
    transcript.info('no TLS 1.2 or later in common: trying again with TLS 1.0/1.1 allowed, to report what the server offers')
    return probeOnce({...options, legacyTls: true, transcript})
  }
}

/** TLS 1.0/1.1 as well: OpenSSL 3 needs security level 0 besides the lower minimum version. */
const LEGACY_TLS = {minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0'} as const

async function probeOnce(options: SmtpProbeOptions): Promise<SmtpProbeResult> {
  const started = performance.now()
  const port = options.port ?? 25
  validateOptions(options, port)
  const transcript = options.transcript ?? new Transcript(started)
  transcript.protectCredential(options.user, options.password, options.token)
  const now = options.now ?? new Date()
  const mode: SmtpTlsMode = options.tls ?? 'auto'
  const implicit = mode === 'implicit' || (mode === 'auto' && port === 465)
  const host = bareHost(options.host)
  const findings: Finding[] = []
  const partial: Partial<SmtpProbeResult> & {findings: Finding[]} = {host, port, findings, recipients: []}

  const net = options.net ?? netContext()
  const client = new SmtpClient({
    host: options.host,
    port,
    address: options.address,
    net: options.legacyTls ? {...net, tls: LEGACY_TLS} : net,
    transcript,
  })

  const snapshot = (): SmtpProbePartial => ({...partial, host, port, ...client.progress(started, client.remoteAddress ?? options.address), findings: [...findings]})

  try {
    const greeting = await client.connect({implicitTls: implicit}).catch((error: unknown) => {
      if (client.greeting) partial.banner = {code: client.greeting.code, text: client.greeting.text}
      throw error
    })
    partial.address = client.remoteAddress
    const banner = (partial.banner = {code: greeting.code, text: greeting.text})
    let tls: TlsInfo | null = null
    const inspect = () => client.inspectTls({hostname: options.host, now, certDays: options.certDays}, findings)
    if (implicit) tls = partial.tls = inspect()

    const ehloName = options.ehloName ?? defaultEhloName(client.connection?.localAddress)
    let ehlo = await client.ehlo(ehloName)
    const ehloOf = (e: typeof ehlo) => (partial.ehlo = {name: e.info.domain, protocol: e.protocol, extensions: e.info.extensions})
    ehloOf(ehlo)

    if (!implicit && mode !== 'none') {
      if (client.hasExtension('STARTTLS')) {
        partial.tlsMode = 'starttls'
        await client.startTls()
        tls = partial.tls = inspect()
        ehlo = client.ehloResult ?? ehlo
        ehloOf(ehlo)
      } else if (mode === 'starttls') {
        throw new MaildigError('STARTTLS_NOT_OFFERED', 'tls', `${client.endpoint} does not offer STARTTLS (required by TLS mode starttls)`, {subject: client.endpoint})
      } else {
        findings.push(finding('STARTTLS_NOT_OFFERED', `${client.endpoint} does not offer STARTTLS: mail to it travels unencrypted`, host))
      }
    }
    const tlsMode = implicit ? 'implicit' : tls ? 'starttls' : 'none'
    partial.tlsMode = tlsMode
    partial.tls = tls

    // Before AUTH: once authenticated, a server may relay legitimately.
    if (options.relayTest) partial.relay = await relayTest(client, options.relayTest, host, findings)

    const mechanisms = ehlo.info.authMechanisms
    const auth: SmtpProbeResult['auth'] = {mechanisms, result: mechanisms.length > 0 ? 'not-tested' : 'not-offered', mechanism: null}
    partial.auth = auth
    if (options.user !== undefined) {
      if (mechanisms.length === 0) {
        findings.push(finding('AUTH_NOT_OFFERED', `${client.endpoint} offers no AUTH mechanism${tls ? '' : ' without TLS'}`, host))
      } else if (!options.allowInsecureAuth && (!(client.secure && client.certificateVerified) || options.legacyTls)) {
        auth.result = 'refused-insecure'
        const why = !client.secure ? 'the connection is not encrypted' : options.legacyTls ? `the session uses ${tls?.version ?? 'an old TLS version'}` : 'the certificate is not verified'
        findings.push(finding('AUTH_INSECURE', `credentials were not sent: ${why}, and insecure authentication is not allowed`, host))
      } else {
        try {
          const done = await client.auth({
            user: options.user,
            password: options.password,
            token: options.token,
            mechanism: options.authMechanism,
            allowInsecureAuth: options.allowInsecureAuth,
          })
          auth.result = 'ok'
          auth.mechanism = done.mechanism
        } catch (error) {
          if (isMaildigError(error) && error.code === 'AUTH_NOT_OFFERED') {
            auth.result = 'not-offered'
            findings.push(finding('AUTH_NOT_OFFERED', error.message, host))
          } else {
            if (isMaildigError(error) && error.code === 'AUTH_FAILED') {
              auth.result = 'failed'
              auth.mechanism = error.command?.replace(/^AUTH /, '') ?? null
              findings.push(finding('AUTH_FAILED', error.message, host))
            }
            throw error
          }
        }
      }
    }

    if (options.rcpts && options.rcpts.length > 0) {
      partial.recipients = await recipientTest(client, options.from ?? '', options.rcpts, host, findings)
    }

    checkBannerNames(banner.text, ehlo.info.domain, options.ptrNames, client.remoteAddress ?? host, host, findings)
    checkRequirements(options.require ?? [], {tls, auth, now}, host, findings)

    const {where, record} = await client.finish(started, {host, port, tlsMode, address: options.address})
    return {
      ...where,
      banner,
      ehlo: ehloOf(ehlo),
      tls,
      auth,
      recipients: partial.recipients ?? [],
      relay: partial.relay ?? null,
      ...record,
      findings,
    }
  } catch (error) {
    await client.close()
    throw isMaildigError(error) && error.category !== 'usage' ? withPartial(error, snapshot()) : error
  }
}

async function relayTest(client: SmtpClient, test: true | {from?: string; to?: string}, host: string, findings: Finding[]): Promise<NonNullable<SmtpProbeResult['relay']>> {
  const from = (test !== true && test.from) || RELAY_TEST_SENDER
  const to = (test !== true && test.to) || RELAY_TEST_RECIPIENT
  try {
    await client.mailFrom(from)
  } catch (error) {
    if (!(isMaildigError(error) && error.code === 'SENDER_REJECTED')) throw error
    findings.push(finding('RELAY_DENIED', `relay test: the sender <${from}> was refused (${error.response ?? ''}), so nothing could be relayed`, host))
    return {from, to, accepted: false, code: error.responseCode ?? 0, enhancedCode: enhancedOf(error.response), text: error.response ?? ''}
  }
  const result = await client.rcptTo(to)
  await client.rset()
  if (result.accepted) {
    findings.push(finding('OPEN_RELAY', `relay test: <${from}> → <${to}> was accepted without authentication (${result.code} ${result.text})`, host))
  } else {
    findings.push(finding('RELAY_DENIED', `relay test: <${from}> → <${to}> was refused (${result.code} ${result.text})`, host))
  }
  return {from, to, accepted: result.accepted, code: result.code, enhancedCode: result.enhancedCode, text: result.text}
}

async function recipientTest(client: SmtpClient, from: string, rcpts: readonly string[], host: string, findings: Finding[]): Promise<RecipientResult[]> {
  try {
    await client.mailFrom(from)
  } catch (error) {
    if (!(isMaildigError(error) && error.code === 'SENDER_REJECTED')) throw error
    findings.push(finding('SENDER_REJECTED', error.message, host, error.temporary ? 'warning' : 'error'))
    return []
  }
  const recipients: RecipientResult[] = []
  for (const rcpt of rcpts) {
    const result = await client.rcptTo(rcpt)
    recipients.push(result)
    if (!result.accepted) {
      const temporary = result.code >= 400 && result.code < 500
      findings.push(
        finding(
          'RCPT_REJECTED',
          `<${result.address}> was ${temporary ? 'temporarily ' : ''}refused: ${result.code} ${result.text}`,
          result.address,
          temporary ? 'warning' : 'error',
        ),
      )
    }
  }
  await client.rset()
  return recipients
}

/**
 * RFC 5321 §4.1.3 and §4.2: the greeting and the EHLO reply name the server; receivers compare
 * that name with the PTR of the address (and many penalise a mismatch), so all three should agree.
 */
function checkBannerNames(
  bannerText: string,
  ehloDomain: string,
  ptrNames: readonly string[] | undefined,
  address: string,
  host: string,
  findings: Finding[],
): void {
  const bannerName = hostNameIn(bannerText.split('\n')[0]?.trim().split(/\s+/)[0] ?? '')
  const ehloName = hostNameIn(ehloDomain)
  const ptrs = (ptrNames ?? []).map(normalizeName).filter(Boolean)
  const problems: string[] = []
  if (bannerName && ehloName && bannerName !== ehloName) problems.push(`the greeting names ${bannerName} but the EHLO reply ${ehloName}`)
  if (ptrs.length > 0) {
    for (const [what, name] of [['greeting', bannerName], ['EHLO reply', ehloName]] as const) {
      if (name && !ptrs.includes(name)) problems.push(`the ${what} names ${name}, not the PTR of ${address} (${ptrs.join(', ')})`)
    }
  }
  if (problems.length > 0) findings.push(finding('BANNER_PTR_MISMATCH', [...new Set(problems)].join('; '), host))
}

function checkRequirements(
  required: readonly SmtpRequirement[],
  state: {tls: TlsInfo | null; auth: SmtpProbeResult['auth']; now: Date},
  host: string,
  findings: Finding[],
): void {
  const {tls, auth, now} = state
  for (const requirement of new Set(required)) {
    let unmet: string | undefined
    switch (requirement) {
      case 'starttls':
        if (!tls) unmet = 'the session is not encrypted (no STARTTLS or implicit TLS)'
        break
      case 'valid-cert':
        if (!tls) unmet = 'there is no certificate: the session is not encrypted'
        else if (!isCertificateValid(tls, now)) {
          const why = !tls.authorized ? `not trusted (${tls.authorizationError ?? 'unknown'})` : !tls.hostnameMatches ? `does not name ${host}` : 'outside its validity dates'
          unmet = `the certificate is ${why}`
        }
        break
      case 'auth':
        if (auth.result === 'not-tested' || auth.result === 'ok') break
        unmet = auth.result === 'not-offered' ? 'the server offers no AUTH' : `authentication ${auth.result === 'failed' ? 'failed' : 'was not attempted over an insecure connection'}`
        break
      case 'tls1.2':
        if (!tls || !(tls.version === 'TLSv1.2' || tls.version === 'TLSv1.3')) unmet = `the session uses ${tls?.version ?? 'no TLS'}, not TLS 1.2 or later`
        break
      case 'tls1.3':
        if (tls?.version !== 'TLSv1.3') unmet = `the session uses ${tls?.version ?? 'no TLS'}, not TLS 1.3`
        break
    }
    if (unmet) findings.push(finding('REQUIREMENT_NOT_MET', `required ${requirement}: ${unmet}`, host))
  }
}

function validateOptions(options: SmtpProbeOptions, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidValue<SmtpProbeOptions>('port', `${String(port)} is not a port number (1-65535)`)
  assertWireSafe(options.host, 'the host name')
  if (options.tls !== undefined && !SMTP_TLS_MODES.includes(options.tls)) throw invalidValue<SmtpProbeOptions>('tls', `${String(options.tls)} is not one of ${SMTP_TLS_MODES.join(', ')}`)
  if (options.ehloName !== undefined) validateEhloName(options.ehloName)
  if (options.from !== undefined) mailPath(options.from, 'the sender address', true)
  for (const rcpt of options.rcpts ?? []) mailPath(rcpt, 'the recipient address', false)
  if (typeof options.relayTest === 'object') {
    if (options.relayTest.from !== undefined) mailPath(options.relayTest.from, 'the relay-test sender', true)
    if (options.relayTest.to !== undefined) mailPath(options.relayTest.to, 'the relay-test recipient', false)
  }
  for (const requirement of options.require ?? []) {
    if (!SMTP_REQUIREMENTS.includes(requirement)) throw invalidValue<SmtpProbeOptions>('require', `${String(requirement)} is not one of ${SMTP_REQUIREMENTS.join(', ')}`)
  }
  if (options.user !== undefined) {
    assertWireSafe(options.user, 'the user name')
    if (options.password === undefined && options.token === undefined) throw invalidValue<SmtpProbeOptions>('password', 'a login (user) needs a password or an access token')
  }
}

/**
 * RFC 5321 §4.1.4: the EHLO argument is the client's FQDN, or an address literal when it has
 * none. A container's bare host name ("a1b2c3") is neither.
 */
export function defaultEhloName(localAddress: string | undefined): string {
  const name = osHostname()
  if (name.includes('.') && /^[A-Za-z0-9.-]+$/.test(name) && !name.endsWith('.')) return name
  if (localAddress && isIP(localAddress) === 4) return `[${localAddress}]`
  if (localAddress && isIP(localAddress) === 6) return `[IPv6:${localAddress}]`
  return 'localhost.localdomain'
}

function hostNameIn(word: string): string | undefined {
  const name = normalizeName(word)
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(name) ? name : undefined
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '')
}

function enhancedOf(response: string | undefined): string | null {
  return /^\d{3} ([245]\.\d{1,3}\.\d{1,3})\b/.exec(response ?? '')?.[1] ?? null
}

