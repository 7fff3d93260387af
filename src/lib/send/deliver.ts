import {isMaildigError, MaildigError, withPartial} from '../errors.js'
import {finding, saidOnce, type Finding} from '../findings.js'
import {elapsedMs} from '../net/deadline.js'
import type {Transcript} from '../net/transcript.js'
import {SmtpClient} from '../smtp/client.js'
import {hasEightBit} from '../smtp/data.js'
import {defaultEhloName} from '../smtp/probe.js'
import {extractEnhancedCode, formatReply} from '../smtp/reply.js'
import {inspectTls, isCertificateValid, type TlsInfo} from '../tls/inspect.js'
import type {Attempt, Delivery, RejectedRecipient} from './schema.js'
import type {ResolverContext} from '../net/context.js'
import type {DnsResolver} from '../dns/resolver.js'
import {checkDane, DANE_MOOT, type DaneInfo} from '../policy/dane.js'

export type {Attempt, Delivery, RejectedRecipient}

export const SEND_TLS_MODES = ['auto', 'starttls', 'implicit', 'none'] as const
export type SendTlsMode = (typeof SEND_TLS_MODES)[number]


export interface DeliveryTarget {
  /** The host name (SNI and the certificate check use it). */
  host: string
  address: string
  port: number
  /**
   * Direct to MX with a resolver that validated the MX answer: what DANE (RFC 7672) needs to judge this MX in its own
   * connection, after STARTTLS. Absent: DANE does not apply (through a submission server, MX answer not validated,
   * or --no-dane).
   */
  dane?: {resolver: DnsResolver; addressAuthenticated: boolean; cname: string | null}
}

export interface DeliverOptions {
  tls: SendTlsMode
  /** Resolver, stage deadlines, trusted CAs, source address: how every command reaches servers (net/context.ts). */
  net: ResolverContext
  ehloName?: string
  user?: string
  password?: string
  allowInsecureAuth?: boolean
  certDays?: number
  dsn?: {notify?: string[]; ret?: 'FULL' | 'HDRS'; envid?: string}
  needsSmtpUtf8: boolean
  transcript: Transcript
  /** Direct to MX: judge each MX by DANE (RFC 7672) where the resolver validated its answers. Default true; false: --no-dane. */
  dane?: boolean
}

/**
 * Sends one message to the first of `targets` that takes it, over maildig's own SMTP client: every
 * stage (connect, greeting, EHLO, TLS, AUTH, MAIL, RCPT, DATA, the final reply) under the stage
 * deadline, one transcript with every secret masked. A server that cannot be reached, times out,
 * fails TLS or breaks the protocol before the envelope is sent is skipped for the next; a server
 * that answers the envelope — accepting or rejecting recipients — decides. Certificate problems are
 * findings; credentials go only over TLS with a verified certificate unless allowInsecureAuth.
 */
export async function deliver(
  targets: DeliveryTarget[],
  envelope: {from: string; to: string[]},
  raw: Buffer,
  options: DeliverOptions,
  domain: string | null,
): Promise<{delivery: Delivery; findings: Finding[]}> {
  const attempts: Attempt[] = []
  // What made a server be skipped (a DANE mismatch): a warning once another server took the message, an error if none did.
  const skipped: Finding[] = []
  let lastError: MaildigError | undefined
  for (const target of targets) {
    try {
      const done = await deliverOnce(target, envelope, raw, options, domain, attempts)
      return {...done, findings: [...skipped.map((f) => ({...f, severity: 'warning' as const, message: `${f.message}; the message went to another MX`})), ...done.findings]}
    } catch (error) {
      const failure = error as MaildigError & {retryElsewhere?: boolean; findings?: Finding[]}
      if (!failure.retryElsewhere) throw failure
      // Each address of one MX host fails DANE for the same reason (the TLSA records are the host's): said once.
      skipped.splice(0, skipped.length, ...saidOnce([...skipped, ...(failure.findings ?? [])]))
      attempts.push({host: target.host, address: target.address, port: target.port, error: {code: failure.code, message: failure.message}})
      options.transcript.info(`${target.host} [${target.address}]:${target.port} failed (${failure.code}); ${targets.indexOf(target) < targets.length - 1 ? 'trying the next server' : 'no server left'}`)
      lastError = failure
    }
  }
  if (!lastError) throw new MaildigError('MX_NO_ADDRESS', 'connection', `no server to deliver to${domain ? ` for ${domain}` : ''}`, {subject: domain ?? undefined})
  const error = new MaildigError(lastError.code, lastError.category, targets.length > 1 ? `every server failed; the last: ${lastError.message}` : lastError.message, {subject: lastError.subject, cause: lastError})
  Object.defineProperty(error, 'attempts', {value: attempts, enumerable: false})
  throw skipped.length > 0 ? withPartial(error, {findings: skipped}) : error
}

async function deliverOnce(target: DeliveryTarget, envelope: {from: string; to: string[]}, raw: Buffer, options: DeliverOptions, domain: string | null, attempts: Attempt[]) {
  const transcript = options.transcript
  const findings: Finding[] = []
  const implicit = options.tls === 'implicit'
  const client = new SmtpClient({host: target.host, port: target.port, address: target.address, transcript, net: options.net})
  const endpoint = client.endpoint
  const started = performance.now()
  let tls: TlsInfo | null = null
  let dane: DaneInfo | null = null
  const inspect = () => {
    const socket = client.tlsSocket
    if (!socket) return null
    const inspection = inspectTls(socket, {hostname: target.host, certDays: options.certDays})
    findings.push(...inspection.findings)
    return inspection.tls
  }

  // Until the envelope goes out, a failure sends the message to the next server.
  try {
    await client.connect({implicitTls: implicit})
    if (implicit) tls = inspect()
    await client.ehlo(options.ehloName ?? defaultEhloName(client.connection?.localAddress))
    if (!implicit && options.tls !== 'none') {
      // TLS mode starttls requires it (STARTTLS_NOT_OFFERED, exit 6); auto uses it when offered.
      if (options.tls === 'starttls' || client.hasExtension('STARTTLS')) {
        await client.startTls()
        tls = inspect()
      }
    }
    if (target.dane) dane = await judgeDane(target, tls, findings, transcript)
  } catch (error) {
    await client.close()
    throw Object.assign(error as MaildigError, {retryElsewhere: isMaildigError(error) && error.category !== 'usage' && error.category !== 'internal'})
  }
  const connectMs = elapsedMs(started)
  if (!tls && options.tls === 'auto') {
    findings.push(finding('STARTTLS_NOT_OFFERED', `${endpoint} did not secure the session: the message travelled unencrypted`, target.host))
  }

  try {
    if (options.needsSmtpUtf8 && !client.hasExtension('SMTPUTF8')) {
      throw new MaildigError('SMTPUTF8_NOT_OFFERED', 'check', `${endpoint} does not offer SMTPUTF8, which an address with a non-ASCII local part needs (RFC 6531)`, {subject: target.host})
    }
    if (options.dsn && !client.hasExtension('DSN')) {
      findings.push(finding('DSN_NOT_OFFERED', `${endpoint} does not offer DSN (RFC 3461): the DSN parameters (NOTIFY, RET, ENVID) were not sent`, target.host))
    }
    let authMs: number | undefined
    if (options.user !== undefined) {
      if (!options.allowInsecureAuth && !(tls && isCertificateValid(tls))) {
        const why = tls ? 'the certificate is not verified' : 'the connection is not encrypted'
        throw new MaildigError('AUTH_INSECURE', 'auth', `not sending credentials to ${endpoint}: ${why} (they go only over TLS, STARTTLS or implicit, with a trusted certificate, unless insecure authentication is allowed)`, {subject: target.host})
      }
      const authStarted = performance.now()
      await client.auth({user: options.user, password: options.password, allowInsecureAuth: true})
      authMs = elapsedMs(authStarted)
    }

    const accepted: string[] = []
    const rejected: RejectedRecipient[] = []
    let response: string | null = null
    const envelopeStarted = performance.now()
    let envelopeMs: number | undefined
    let messageMs: number | undefined
    const limit = sizeLimit(client.extensions.SIZE)
    if (limit !== undefined && raw.length > limit) {
      // RFC 1870 §6.1: a client that knows the message is too big does not send MAIL FROM at all.
      findings.push(finding('MESSAGE_TOO_LARGE', `the message (${raw.length} bytes) exceeds ${target.host}'s SIZE limit (${limit} bytes): not sent`, target.host))
    } else {
      try {
        await client.mailFrom(envelope.from, {size: raw.length, smtputf8: options.needsSmtpUtf8, eightBit: hasEightBit(raw), dsn: options.dsn})
        for (const address of envelope.to) {
          const r = await client.rcptTo(address, {notify: options.dsn?.notify})
          if (r.accepted) accepted.push(address)
          else rejected.push({address, code: r.code, enhancedCode: r.enhancedCode, text: r.text})
        }
        envelopeMs = elapsedMs(envelopeStarted)
        if (accepted.length > 0) {
          const messageStarted = performance.now()
          response = formatReply(await client.data(raw))
          messageMs = elapsedMs(messageStarted)
        }
      } catch (error) {
        if (!isMaildigError(error) || (error.code !== 'SENDER_REJECTED' && error.code !== 'MESSAGE_REJECTED')) throw error
        // MAIL FROM or DATA refused: nobody got the message.
        const at = error.code === 'SENDER_REJECTED' ? 'MAIL FROM' : error.command ?? 'DATA'
        findings.push(finding(error.code === 'SENDER_REJECTED' ? 'SENDER_REJECTED' : 'RCPT_REJECTED', `${endpoint} refused the message at ${at}: ${error.response ?? error.message}`, target.host))
        const reply = parseResponse(error.response)
        for (const address of accepted.length > 0 ? accepted : envelope.to) if (!rejected.some((r) => r.address === address)) rejected.push({address, ...reply})
        accepted.length = 0
      }
    }
    for (const r of rejected) {
      if (!findings.some((f) => f.subject === r.address)) {
        findings.push(finding('RCPT_REJECTED', `<${r.address}> was refused by ${target.host}: ${r.code ?? ''} ${r.enhancedCode ?? ''} ${r.text}`.replace(/\s+/g, ' '), r.address))
      }
    }
    await client.close()
    const timings: Delivery['timings'] = {connectMs, authMs, envelopeMs, messageMs}
    return {
      delivery: {
        domain,
        server: {host: target.host, address: client.remoteAddress ?? target.address, port: target.port},
        accepted,
        rejected,
        response,
        queueId: queueIdOf(response),
        tls,
        attempts,
        ...(target.dane ? {dane} : {}),
        timings: Object.fromEntries(Object.entries(timings).filter(([, v]) => v !== undefined)) as Delivery['timings'],
      },
      findings,
    }
  } catch (error) {
    await client.close()
    throw error
  }
}

/**
 * DANE (RFC 7672) as a sender that uses it: the MX's TLSA records, validated by the resolver (the AD bit), matched
 * against the certificate this very connection presented, right after STARTTLS and before anything of the message is
 * sent. An MX that fails (no usable record matches, DANE-TA without the name, no TLS, or a TLSA lookup that failed) is
 * not given the message: the error sends it to the next MX (§2.2), carrying the finding. A match makes the
 * certificate findings DANE does not check moot (§3.1.1, §3.2).
 */
async function judgeDane(target: DeliveryTarget, tls: TlsInfo | null, findings: Finding[], transcript: Transcript): Promise<DaneInfo | null> {
  const {resolver, addressAuthenticated, cname} = target.dane!
  const check = await checkDane(target.host, target.port, tls?.certificate ?? null, resolver, {chain: tls?.chain, mxAuthenticated: true, addressAuthenticated, cname, reached: true})
  const {info} = check
  if (info.status !== 'not-published') transcript.info(`DANE ${info.name}: ${info.status}${info.reason ? ` (${info.reason})` : ''}`, tls !== null)
  if (info.senders === 'skip') {
    const failed = check.findings.find((f) => f.severity === 'error') ?? check.findings[0]
    const code = failed?.code ?? 'DANE_TLSA_MISMATCH'
    const error = new MaildigError(code, 'tls', `${target.host} [${target.address}] fails DANE: ${info.reason ?? info.status}; not delivering to it, as a DANE sender would not (RFC 7672 §2.2)`, {subject: target.host})
    throw Object.assign(error, {retryElsewhere: true, findings: check.findings.map((f) => ({...f, severity: 'error' as const}))})
  }
  findings.push(...check.findings)
  if (info.status === 'matched' && info.matched) {
    const moot = DANE_MOOT[info.matched.usage === 3 ? 'ee' : 'ta']
    for (let i = findings.length - 1; i >= 0; i--) if (moot.has(findings[i].code)) findings.splice(i, 1)
  }
  return info.applies ? info : null
}

/** The SIZE extension's limit (RFC 1870 §4); none when absent, 0 ("no fixed limit") or not a number. */
function sizeLimit(params: readonly string[] | undefined): number | undefined {
  const value = Number(params?.[0])
  return Number.isSafeInteger(value) && value > 0 ? value : undefined
}

function parseResponse(response: string | undefined): Omit<RejectedRecipient, 'address'> {
  const match = /^(\d{3})[ -]?(.*)$/s.exec((response ?? '').trim())
  if (!match) return {code: null, enhancedCode: null, text: response ?? ''}
  const code = Number(match[1])
  const text = match[2].trim()
  const enhancedCode = extractEnhancedCode(code, text) ?? null
  return {code, enhancedCode, text: enhancedCode ? text.slice(enhancedCode.length).trim() : text}
}

/** Postfix "250 2.0.0 Ok: queued as 4XyZ1", Exim "250 OK id=1rQ5Zf-…", Exchange "… Queued mail for delivery". */
export function queueIdOf(response: string | null): string | null {
  if (!response) return null
  const match = /queued as ([A-Za-z0-9._-]+)/i.exec(response) ?? /\bid=([A-Za-z0-9._-]+)/.exec(response) ?? /<([^>]+)>\s*\[InternalId/i.exec(response)
  return match ? match[1] : null
}
