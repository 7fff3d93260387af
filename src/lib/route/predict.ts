import {isMaildigError, partialOf} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import type {MailAddress} from '../address.js'
import type {ResolverContext} from '../net/context.js'
import {resolveMx, type MxResult} from '../mx/resolve-mx.js'
import {probeExchanges, type HostProbe} from '../smtp/probe-hosts.js'
import {probeSmtp, type SmtpProbePartial} from '../smtp/probe.js'
import {Transcript} from '../net/transcript.js'
import {checkDmarc, checkMtaSts, checkSpf, checkTlsRpt, type DaneInfo, type PolicyInfo} from '../policy/index.js'
import {normalizeName} from '../policy/common.js'
import {lookupSrv, MAILBOX_SERVICES, probeMailboxServer, type ServiceProbe, type SrvLookup} from './mailbox.js'
import type {PredictedRoute, RouteStep} from './schema.js'

export type {PredictedRoute, RouteStep}


export interface PredictOptions {
  recipient: MailAddress
  sender?: MailAddress
  /** The resolver, deadlines, --ca-file: how every DNS question and connection of the trace is made. */
  net: ResolverContext
  certDays?: number
  ehloName?: string
  /** Called as steps start and end (for a spinner). */
  onProgress?: (running: string[]) => void
  transcript?: Transcript
}

/**
 * The route a message from `sender` to `recipient` would take, measured hop by hop: the sender's
 * submission server (RFC 6186 SRV), the recipient domain's MX set, every MX address probed in
 * parallel up to RCPT TO (never DATA), the policies on that route, and the recipient's mailbox
 * servers. Independent steps run at the same time; the slowest host sets the time.
 */
export async function predictRoute(options: PredictOptions): Promise<{route: PredictedRoute; findings: Finding[]}> {
  const {recipient, sender, net} = options
  const {resolver} = net
  const started = performance.now()
  const transcript = options.transcript ?? new Transcript(started)
  const running = new Set<string>()
  const track = async <T>(name: string, work: Promise<T>): Promise<T> => {
    running.add(name)
    options.onProgress?.([...running])
    try {
      return await work
    } finally {
      running.delete(name)
      options.onProgress?.([...running])
    }
  }
  const findings: Finding[] = []
  const sameDomain = Boolean(sender && sender.asciiDomain === recipient.asciiDomain)
  const probeBase = {net, certDays: options.certDays}

  const submissionWork = sender ? track('submission', submissionStep(sender.asciiDomain, options, transcript)) : Promise.resolve(undefined)
  const mailboxWork = track('mailbox', mailboxStep(recipient.asciiDomain, options, transcript))
  const deliveryWork = track(
    'delivery',
    (async () => {
      const t0 = performance.now()
      let mx: MxResult | null = null
      const mxFindings: Finding[] = []
      let failure: Finding | undefined
      try {
        const outcome = await resolveMx({input: recipient.asciiDomain, ascii: recipient.asciiDomain}, resolver)
        mx = outcome.result
        mxFindings.push(...outcome.findings)
      } catch (error) {
        if (!isMaildigError(error) || error.category === 'usage') throw error
        failure = {code: error.code, severity: 'error', message: error.message, subject: recipient.asciiDomain}
      }
      const dnsMs = performance.now() - t0
      const t1 = performance.now()
      let probes: HostProbe[] = []
      let dane: DaneInfo[] = []
      const probeFindings: Finding[] = []
      if (mx && mx.kind !== 'null') {
        const outcome = await probeExchanges(mx, {...probeBase, port: 25, ehloName: options.ehloName, from: sender?.wireAddress ?? '', rcpts: [recipient.wireAddress]}, started)
        probes = outcome.probes
        dane = outcome.dane
        probeFindings.push(...outcome.findings)
      }
      return {mx, mxFindings, failure, dnsMs, probes, dane, probeFindings, probeMs: performance.now() - t1}
    })(),
  )

  const [submission, mailbox, delivery] = await Promise.all([submissionWork, mailboxWork, deliveryWork])

  // Policy needs the MX hosts (MTA-STS) and the submission server's address (SPF). DANE was judged with the probes.
  const tPolicy = performance.now()
  const mxHosts = delivery.mx?.exchanges.map((e) => e.exchange) ?? []
  const submissionAddress = submission?.result.servers.find((s) => s.ok)?.address ?? null
  const policy = await track(
    'policy',
    (async () => {
      const [spf, dmarc, mtaSts, tlsRpt] = await Promise.all([
        sender ? checkSpf(sender.asciiDomain, submissionAddress, resolver, {sender: sender.address}) : Promise.resolve(undefined),
        sender ? checkDmarc(sender.asciiDomain, resolver) : Promise.resolve(undefined),
        mxHosts.length ? checkMtaSts(recipient.asciiDomain, mxHosts, {net}) : Promise.resolve(undefined),
        checkTlsRpt(recipient.asciiDomain, resolver),
      ])
      const policy: PolicyInfo = {
        spf: spf?.info ?? null,
        dmarc: dmarc?.info ?? null,
        mtaSts: mtaSts?.info ?? null,
        tlsRpt: tlsRpt.info,
        dane: delivery.dane,
      }
      const policyFindings = [...(spf?.findings ?? []), ...(dmarc?.findings ?? []), ...(mtaSts?.findings ?? []), ...tlsRpt.findings]
      return {policy, findings: dedupe(policyFindings)}
    })(),
  )
  const policyMs = performance.now() - tPolicy

  const verdict = routeVerdict(recipient, delivery)

  // Between MTAs TLS is opportunistic (RFC 7435): a bad MX certificate does not stop delivery — unless
  // the domain enforces MTA-STS (RFC 8461 §5: senders then refuse it), so it stays an error there.
  const enforced = policy.policy.mtaSts?.mode === 'enforce'
  delivery.probeFindings = delivery.probeFindings.map((f) =>
    !enforced && /^TLS_(CERT_|HOSTNAME_)/.test(f.code) && f.severity === 'error' ? {...f, severity: 'warning' as const, message: `${f.message} (opportunistic TLS between servers: senders deliver anyway)`} : f,
  )
  // Findings: the route as a whole decides severities (docs/cli.md: per-server failures are findings; exit 1 when the route fails).
  if (delivery.failure) findings.push(delivery.failure)
  findings.push(...delivery.mxFindings, ...delivery.probeFindings.map((f) => (f.code === 'RCPT_REJECTED' && verdict.deliverable ? {...f, severity: 'warning' as const} : f)))
  if (submission) findings.push(...submission.findings)
  findings.push(...mailbox.findings, ...policy.findings)
  if (!verdict.deliverable && !findings.some((f) => f.severity === 'error')) {
    findings.push(finding('RCPT_REJECTED', verdict.reason, recipient.address))
  }

  const route: RouteStep[] = []
  if (submission) route.push(submission.step)
  else route.push({step: 'submission', status: 'skipped', summary: 'no sender given: the sender\'s submission server, SPF and DMARC are not checked', host: null, ms: null})
  if (sameDomain) {
    route.push({step: 'local-delivery', status: verdict.deliverable ? 'ok' : 'failed', summary: `sender and recipient share ${recipient.asciiDomain}: the domain's own server delivers it locally, no server-to-server hop${verdict.deliverable ? ` (and ${verdict.via?.exchange} accepts the recipient)` : `; ${verdict.reason}`}`, host: verdict.via?.exchange ?? null, ms: round(delivery.probeMs)})
  } else {
    route.push(dnsStep(recipient.asciiDomain, delivery.mx, delivery.failure, delivery.dnsMs))
    const firstChoice = verdict.via !== null && verdict.via.address === delivery.probes[0]?.address && verdict.via.exchange === delivery.probes[0]?.exchange
    route.push({step: 'delivery', status: verdict.deliverable ? (firstChoice ? 'ok' : 'warning') : 'failed', summary: verdict.reason, host: verdict.via?.exchange ?? verdict.withoutDane.via?.exchange ?? null, ms: delivery.probes.length ? round(delivery.probeMs) : null})
  }
  // DANE was judged with the probes; its findings count for the policy step too.
  const policyStepFindings = [...policy.findings, ...delivery.probeFindings.filter((f) => f.code.startsWith('DANE_'))]
  const policyErrors = policyStepFindings.filter((f) => f.severity === 'error').length
  const policyWarnings = policyStepFindings.filter((f) => f.severity === 'warning').length
  route.push({step: 'policy', status: policyErrors ? 'failed' : policyWarnings ? 'warning' : 'ok', summary: policySummary(policy.policy), host: null, ms: round(policyMs)})
  route.push(mailbox.step)

  return {
    route: {
      recipient: recipient.address,
      sender: sender?.address ?? null,
      sameDomain,
      route,
      mx: delivery.mx,
      probes: delivery.probes,
      policy: policy.policy,
      mailbox: {imap: mailbox.imap, pop3: mailbox.pop3, submission: submission?.result ?? null, srv: mailbox.srv},
      verdict,
    },
    findings,
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10

type SenderVerdict = PredictedRoute['verdict']['withoutDane']

/** Who RFC 7672 §2.2 senders are, in words a reader recognises. */
const DANE_SENDERS = 'senders that use DANE (Postfix with smtp_tls_security_level = dane, Exim, Exchange Online)'

/**
 * The verdict. Senders that do not use DANE take the first MX address, in preference order, that
 * accepts the recipient (TLS between servers is opportunistic, RFC 7435). Senders that use DANE
 * (RFC 7672 §2.2) skip every MX that fails it and defer the message when none is left. When the
 * two differ, the verdict says both; the mail is deliverable only when both deliver.
 */
export function routeVerdict(recipient: MailAddress, delivery: {mx: MxResult | null; failure?: Finding; probes: HostProbe[]; dane: DaneInfo[]}): PredictedRoute['verdict'] {
  const withoutDane = plainVerdict(recipient, delivery, delivery.probes)
  const judged = new Map(delivery.dane.map((d) => [d.host, d]))
  const daneOf = (p: HostProbe) => judged.get(normalizeName(p.exchange))
  if (!withoutDane.deliverable || !delivery.dane.some((d) => d.applies)) return {...withoutDane, dane: null, withoutDane}
  const kept = delivery.probes.filter((p) => daneOf(p)?.senders !== 'skip')
  const skipped = [...new Set(delivery.probes.filter((p) => daneOf(p)?.senders === 'skip').map((p) => p.exchange))]
  const why = skipped.map((exchange) => `${exchange}: ${daneOf(delivery.probes.find((p) => p.exchange === exchange)!)?.reason ?? 'fails DANE'}`).join('; ')
  let dane: SenderVerdict
  if (skipped.length === 0) {
    dane = withoutDane
  } else {
    const accepting = kept.find((p) => p.result?.recipients.some((r) => r.accepted))
    dane = accepting
      ? {deliverable: true, via: {exchange: accepting.exchange, address: accepting.address}, reason: `${accepting.exchange} [${accepting.address}] accepts <${recipient.address}>, after skipping the MX that fail DANE (${why})`}
      : {deliverable: false, via: null, reason: `${skipped.length === delivery.dane.length ? (skipped.length === 1 ? 'the only MX fails' : 'every MX fails') : 'every MX that accepts it fails'} DANE authentication (${why}), so ${DANE_SENDERS} defer the message (RFC 7672 §2.2)`}
  }
  if (!dane.deliverable) {
    return {deliverable: false, via: null, reason: `${dane.reason}; senders that do not use DANE deliver it via ${withoutDane.via!.exchange} [${withoutDane.via!.address}]`, dane, withoutDane}
  }
  if (dane.via?.exchange !== withoutDane.via?.exchange || dane.via?.address !== withoutDane.via?.address) {
    return {...withoutDane, reason: `${withoutDane.reason}; ${DANE_SENDERS} skip ${skipped.join(', ')} and deliver via ${dane.via!.exchange} [${dane.via!.address}]`, dane, withoutDane}
  }
  return {...withoutDane, dane, withoutDane}
}

/** The first MX address, in preference order, that accepts the recipient carries the mail. */
function plainVerdict(recipient: MailAddress, delivery: {mx: MxResult | null; failure?: Finding; probes: HostProbe[]}, probes: HostProbe[]): SenderVerdict {
  const accepting = probes.find((p) => p.result?.recipients.some((r) => r.accepted))
  const refusal = probes.map((p) => p.result?.recipients.find((r) => !r.accepted)).find(Boolean)
  if (delivery.failure) return {deliverable: false, via: null, reason: delivery.failure.message}
  if (delivery.mx?.kind === 'null') return {deliverable: false, via: null, reason: `${recipient.asciiDomain} publishes a null MX: it accepts no mail`}
  if (accepting) return {deliverable: true, via: {exchange: accepting.exchange, address: accepting.address}, reason: `${accepting.exchange} [${accepting.address}] accepts <${recipient.address}>${accepting === probes[0] ? '' : ' (a more preferred MX did not)'}`}
  if (refusal) return {deliverable: false, via: null, reason: `the MX refuses <${recipient.address}>: ${refusal.code} ${refusal.enhancedCode && !refusal.text.startsWith(refusal.enhancedCode) ? `${refusal.enhancedCode} ` : ''}${refusal.text}`}
  if (probes.length === 0) return {deliverable: false, via: null, reason: `no MX host of ${recipient.asciiDomain} has an address`}
  return {deliverable: false, via: null, reason: `no MX host of ${recipient.asciiDomain} could be reached: ${probes.map((p) => `${p.exchange} [${p.address}] ${p.error?.code ?? 'failed'}`).join(', ')}`}
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>()
  return findings.filter((f) => {
    const key = `${f.code}|${f.subject}|${f.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

function dnsStep(domain: string, mx: MxResult | null, failure: Finding | undefined, ms: number): RouteStep {
  if (failure) return {step: 'dns', status: 'failed', summary: failure.message, host: null, ms: round(ms)}
  if (!mx) return {step: 'dns', status: 'failed', summary: `no MX answer for ${domain}`, host: null, ms: round(ms)}
  if (mx.kind === 'null') return {step: 'dns', status: 'failed', summary: `${domain} has a null MX: it accepts no mail`, host: null, ms: round(ms)}
  const list = mx.exchanges.map((e) => `${e.preference} ${e.exchange} (${e.addresses.map((a) => a.address).join(', ') || 'no address'})`).join('; ')
  const lame = mx.exchanges.some((e) => e.addresses.length === 0)
  return {step: 'dns', status: lame ? 'warning' : 'ok', summary: `${mx.kind === 'implicit' ? 'no MX record, the domain\'s own address: ' : 'MX: '}${list}`, host: null, ms: round(ms)}
}

function policySummary(policy: PolicyInfo): string {
  const parts: string[] = []
  // A record whose lookup failed is unknown, never missing.
  const unknown = (info: {lookupError: string | null} | null) => (info?.lookupError ? `unknown (${info.lookupError})` : undefined)
  if (policy.spf) parts.push(`SPF ${unknown(policy.spf) ?? (policy.spf.record ? (policy.spf.result ?? 'published') : 'missing')}`)
  if (policy.dmarc) parts.push(`DMARC ${unknown(policy.dmarc) ?? (policy.dmarc.record ? `p=${policy.dmarc.effectivePolicy ?? policy.dmarc.policy?.p ?? '?'}${policy.dmarc.testing ? ' (t=y: test mode)' : ''}` : 'missing')}`)
  parts.push(`MTA-STS ${unknown(policy.mtaSts) ?? (policy.mtaSts?.policy ? policy.mtaSts.policy.mode : policy.mtaSts?.record ? 'unavailable' : 'none')}`)
  parts.push(`TLS-RPT ${unknown(policy.tlsRpt) ?? (policy.tlsRpt?.record ? 'published' : 'none')}`)
  parts.push(`DANE ${daneSummary(policy.dane)}`)
  return parts.join(' · ')
}

/** DANE in a few words: what senders that use it make of the MX hosts. */
function daneSummary(checks: DaneInfo[]): string {
  const published = checks.filter((d) => d.status !== 'not-published' && d.status !== 'lookup-failed')
  const failing = checks.filter((d) => d.senders === 'skip')
  if (failing.length > 0) return [...new Set(failing.map((d) => d.status.toUpperCase()))].join(', ')
  // A TLSA lookup that failed is unknown, never "none".
  const failed = checks.filter((d) => d.status === 'lookup-failed')
  if (published.length === 0 && failed.length > 0) return `unknown (TLSA lookup failed for ${failed.map((d) => d.host).join(', ')})`
  if (published.length === 0) return 'none'
  if (published.every((d) => d.applies && d.status === 'matched')) return 'matched'
  if (published.some((d) => d.status === 'unauthenticated')) return 'published, not validated (no AD bit)'
  if (published.some((d) => !d.applies)) return 'not applied (the MX or its addresses are not validated)'
  return published.map((d) => d.status).join(', ')
}

async function submissionStep(domain: string, options: PredictOptions, transcript: Transcript) {
  const t0 = performance.now()
  const findings: Finding[] = []
  // RFC 8314 §5.1: implicit TLS (submissions, 465) is preferred over STARTTLS (submission, 587).
  const srv = await Promise.all([lookupSrv(options.net.resolver, `_submissions._tcp.${domain}`), lookupSrv(options.net.resolver, `_submission._tcp.${domain}`)])
  const targets = [
    ...srv[0].records.map((r) => ({service: 'submissions', host: r.target, port: r.port, tls: 'implicit' as const})),
    ...srv[1].records.map((r) => ({service: 'submission', host: r.target, port: r.port, tls: 'starttls' as const})),
  ]
  const servers = await Promise.all(
    targets.map(async (t) => {
      const s0 = performance.now()
      try {
        const r = await probeSmtp({host: t.host, port: t.port, tls: t.tls, net: options.net, certDays: options.certDays, ehloName: options.ehloName, transcript})
        findings.push(...r.findings)
        return {service: t.service, host: t.host, port: t.port, address: r.address, ok: true, greeting: `${r.banner.code} ${r.banner.text}`, tlsMode: r.tlsMode, tls: r.tls, error: null, ms: round(performance.now() - s0), auth: r.auth.mechanisms}
      } catch (error) {
        if (!isMaildigError(error) || error.category === 'usage') throw error
        const partial = partialOf<SmtpProbePartial>(error)
        findings.push(finding('CONNECTION_FAILED', `submission server ${t.host}:${t.port}: ${error.message}`, t.host, 'warning'))
        return {service: t.service, host: t.host, port: t.port, address: partial?.address ?? null, ok: false, greeting: null, tlsMode: null, tls: null, error: {code: error.code, message: error.message}, ms: round(performance.now() - s0), auth: []}
      }
    }),
  )
  const ok = servers.find((s) => s.ok)
  let step: RouteStep
  if (targets.length === 0) {
    step = {step: 'submission', status: 'warning', summary: `${domain} publishes no submission server (SRV _submissions._tcp / _submission._tcp, RFC 6186): the sender's client must be configured by hand`, host: null, ms: round(performance.now() - t0)}
    findings.push(finding('SUBMISSION_SRV_MISSING', `${domain} publishes no _submissions._tcp or _submission._tcp SRV record`, domain))
  } else if (ok) {
    step = {step: 'submission', status: ok.tls ? 'ok' : 'warning', summary: `${ok.host}:${ok.port} (${ok.service}) greets, ${ok.tls ? `${ok.tls.version}` : 'no TLS'}, AUTH ${ok.auth.join(' ') || 'not offered'}`, host: ok.host, ms: round(performance.now() - t0)}
  } else {
    step = {step: 'submission', status: 'failed', summary: `no submission server of ${domain} answers: ${servers.map((s) => `${s.host}:${s.port} ${s.error?.code}`).join(', ')}`, host: null, ms: round(performance.now() - t0)}
  }
  return {step, findings, result: {domain, srv, servers}}
}

async function mailboxStep(domain: string, options: PredictOptions, transcript: Transcript) {
  const t0 = performance.now()
  const srv: SrvLookup[] = await Promise.all(MAILBOX_SERVICES.map((s) => lookupSrv(options.net.resolver, `_${s}._tcp.${domain}`)))
  const targets = MAILBOX_SERVICES.flatMap((service, i) => srv[i].records.map((r) => ({service, host: r.target, port: r.port})))
  const outcomes = await Promise.all(targets.map((t) => probeMailboxServer(t.service, t.host, t.port, {net: options.net, certDays: options.certDays, transcript})))
  const probes: ServiceProbe[] = outcomes.map((o) => o.probe)
  const findings = outcomes.flatMap((o) => o.findings)
  for (const p of probes) {
    if (p.error) findings.push(finding('CONNECTION_FAILED', `mailbox server ${p.host}:${p.port} (${p.service}): ${p.error.message}`, p.host, 'warning'))
  }
  const ok = probes.filter((p) => p.ok)
  let step: RouteStep
  if (targets.length === 0) {
    step = {step: 'mailbox', status: 'skipped', summary: `${domain} publishes no IMAP or POP3 server (SRV _imaps, _imap, _pop3s, _pop3): none published`, host: null, ms: round(performance.now() - t0)}
  } else {
    const list = probes.map((p) => `${p.service} ${p.host}:${p.port} ${p.ok ? (p.tls ? p.tls.version : 'no TLS') : (p.error?.code ?? 'failed')}`).join(', ')
    step = {step: 'mailbox', status: ok.length === probes.length ? 'ok' : ok.length ? 'warning' : 'failed', summary: `the recipient's client picks it up from ${list}`, host: ok[0]?.host ?? null, ms: round(performance.now() - t0)}
  }
  return {
    step,
    findings,
    srv,
    imap: probes.filter((p) => p.service.startsWith('imap')),
    pop3: probes.filter((p) => p.service.startsWith('pop3')),
  }
}
