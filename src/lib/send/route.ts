import {isMaildigError, partialOf} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import type {MailAddress} from '../address.js'
import {resolveMx} from '../mx/resolve-mx.js'
import {deliver, type DeliverOptions, type Delivery, type DeliveryTarget, type RejectedRecipient} from './deliver.js'
import type {SendResult} from './schema.js'

export type {SendResult}


export type SendRoute = {kind: 'server'; host: string; port: number; addresses: string[]} | {kind: 'mx'}

type SendOutcome = {deliveries: Delivery[]; findings: Finding[]; rejected: RejectedRecipient[]}

/**
 * Sends through a submission server, or straight to each recipient domain's MX (recipients grouped
 * by domain; MX hosts in preference order, the next tried when one cannot be reached; a null-MX
 * domain refused with MX_NULL and nothing sent to it). The password is registered with the
 * transcript's secrets as it enters, and everything returned or thrown is scrubbed with them: a
 * server that echoes the credentials back (in clear or in base64) cannot put them in an output.
 */
export async function sendMessage(
  route: SendRoute,
  recipients: MailAddress[],
  envelope: {from: string; to: string[]},
  raw: Buffer,
  options: DeliverOptions,
): Promise<SendOutcome> {
  const secrets = options.transcript.secrets
  secrets.addCredential(options.user, options.password)
  try {
    return secrets.scrubDeep(await sendBy(route, recipients, envelope, raw, options))
  } catch (error) {
    throw secrets.scrubError(error)
  }
}

async function sendBy(route: SendRoute, recipients: MailAddress[], envelope: {from: string; to: string[]}, raw: Buffer, options: DeliverOptions): Promise<SendOutcome> {
  if (route.kind === 'server') {
    const targets: DeliveryTarget[] = route.addresses.map((address) => ({host: route.host, address, port: route.port}))
    const {delivery, findings} = await deliver(targets, envelope, raw, options, null)
    return {deliveries: [delivery], findings, rejected: []}
  }
  const groups = new Map<string, MailAddress[]>()
  for (const r of recipients) groups.set(r.asciiDomain, [...(groups.get(r.asciiDomain) ?? []), r])
  const outcomes = await Promise.all(
    [...groups].map(async ([domain, group]) => {
      const findings: Finding[] = []
      const refuse = (code: string, text: string): RejectedRecipient[] => group.map((r) => ({address: r.address, code: null, enhancedCode: null, text: `${code}: ${text}`}))
      try {
        const mx = await resolveMx({input: domain, ascii: domain}, options.net.resolver)
        findings.push(...mx.findings.filter((f) => f.severity !== 'info'))
        if (mx.result.kind === 'null') return {findings, rejected: refuse('MX_NULL', `${domain} accepts no mail (null MX)`)}
        // RFC 7672 §2.2.1: DANE applies only to a domain whose MX answer the resolver validated.
        const dane = options.dane !== false && mx.result.authenticated
        const targets: DeliveryTarget[] = mx.result.exchanges.flatMap((e) =>
          e.addresses.map((a) => ({host: e.exchange, address: a.address, port: 25, ...(dane ? {dane: {resolver: options.net.resolver, addressAuthenticated: e.authenticated, cname: e.cname}} : {})})),
        )
        if (targets.length === 0) {
          findings.push(finding('MX_NO_ADDRESS', `no MX host of ${domain} has an address: nothing to deliver to`, domain))
          return {findings, rejected: refuse('MX_NO_ADDRESS', `no MX host of ${domain} has an address`)}
        }
        const {delivery, findings: more} = await deliver(targets, {from: envelope.from, to: group.map((r) => (r.needsSmtpUtf8 ? r.address : r.wireAddress))}, raw, options, domain)
        if (delivery.attempts.length > 0) findings.push(finding('MX_FALLBACK', `${domain}: ${delivery.attempts.map((a) => `${a.host} [${a.address}] failed (${a.error.code})`).join('; ')}; delivered to ${delivery.server?.host}`, domain))
        // Server-to-server TLS is opportunistic (RFC 7435): MTAs deliver over an unverified certificate, so it is a warning here.
        const opportunistic = more.map((f) => (/^TLS_(CERT_|HOSTNAME_)/.test(f.code) && f.severity === 'error' ? {...f, severity: 'warning' as const, message: `${f.message} (opportunistic TLS between servers: delivered anyway)`} : f))
        return {delivery, findings: [...findings, ...opportunistic], rejected: []}
      } catch (error) {
        if (!isMaildigError(error) || error.category === 'usage' || groups.size === 1) throw error
        // With several domains, one that fails is a finding; the others still count.
        findings.push(...(partialOf<{findings?: Finding[]}>(error)?.findings ?? []), {code: error.code, severity: 'error', message: `${domain}: ${error.message}`, subject: domain})
        return {findings, rejected: refuse(error.code, error.message)}
      }
    }),
  )
  return {
    deliveries: outcomes.flatMap((o) => (o.delivery ? [o.delivery] : [])),
    findings: outcomes.flatMap((o) => o.findings),
    rejected: outcomes.flatMap((o) => o.rejected),
  }
}

