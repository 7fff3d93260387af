import {isIP} from '../net/ip.js'
import {bareHost} from '../net/wire.js'
import {elapsedMs} from '../net/deadline.js'
import {isMaildigError, MaildigError, partialOf, withPartial} from '../errors.js'
import {finding, type Finding} from '../findings.js'
import {reverseName} from '../dns/names.js'
import type {DnsResolver} from '../dns/resolver.js'
import type {MxResult} from '../mx/resolve-mx.js'
import {tcpReachable, type Reachability} from '../net/reachability.js'
import {Transcript, type TranscriptLine} from '../net/transcript.js'
import {lookupAll} from '../dns/lookup.js'
import {lookupOf, type ResolverContext} from '../net/context.js'
import {probeSmtp, type SmtpProbeOptions, type SmtpProbePartial, type SmtpProbeResult} from './probe.js'
import {checkDane, DANE_MOOT, type DaneInfo} from '../policy/dane.js'
import {normalizeName} from '../policy/common.js'
import type {HostProbe} from './schema.js'

export type {HostProbe}


export type ProbeSettings = Omit<SmtpProbeOptions, 'host' | 'address' | 'ptrNames' | 'transcript' | 'net'> & {net: ResolverContext}

/** PTR names of an address, for BANNER_PTR_MISMATCH; empty when there are none or DNS fails. */
export async function ptrNames(resolver: DnsResolver, address: string): Promise<string[]> {
  const answer = await resolver.query(reverseName(address), 'PTR')
  return answer.records.map((r) => r.name.replace(/\.$/, ''))
}

/**
 * One server, as `probe-smtp HOST` sees it: the host's address (through the connection lookup, so
 * --resolver governs it, under the DNS deadline), its PTR names for BANNER_PTR_MISMATCH, then the
 * probe. A port-25 probe that times out is followed by the PORT25_BLOCKED diagnosis, added to the
 * error's partial findings.
 */
export async function probeHost(host: string, settings: ProbeSettings, started = performance.now()): Promise<SmtpProbeResult> {
  const {net} = settings
  const literal = isIP(host.replace(/^\[|\]$/g, '')) !== 0
  // The lookup is a stage of its own (docs/monitoring.md: `lookup`), timed as Connection.open times it; an IP literal has none.
  const lookupStarted = performance.now()
  const lookup = (): {lookupMs: number} | Record<string, never> => (literal ? {} : {lookupMs: elapsedMs(lookupStarted)})
  const [target] = await lookupAll(lookupOf(net), host, net.timeouts.dns).catch(async (error: unknown) => {
    const timings = {...lookup(), totalMs: elapsedMs(started)}
    const failure = (literal ? undefined : await asMailDomain(host, net.resolver, error)) ?? error
    throw isMaildigError(failure) ? withPartial(failure, {host: bareHost(host), port: settings.port ?? 25, recipients: [], timings, transcript: [], findings: []} satisfies SmtpProbePartial) : failure
  })
  const looked = lookup()
  const ptr = literal ? [] : await ptrNames(net.resolver, target.address)
  try {
    const probe = () => probeSmtp({...settings, host, address: target.address, ptrNames: ptr, transcript: new Transcript(started)})
    const result = await (net.hosts ? net.hosts.run(target.address, probe) : probe())
    return {...result, timings: {...looked, ...result.timings}}
  } catch (error) {
    const partial = partialOf<SmtpProbePartial>(error)
    if (partial) partial.timings = {...looked, ...partial.timings}
    if (partial && isMaildigError(error) && error.code === 'CONNECT_TIMEOUT' && (settings.port ?? 25) === 25) {
      const blocked = await diagnosePort25([target.address], net.timeouts.connect)
      if (blocked) partial.findings.push(blocked)
    }
    throw error
  }
}

/**
 * A name that has no address but has MX records is a mail domain, not a server: the person meant its MX hosts. Said as
 * such (HOST_IS_MAIL_DOMAIN, naming the exchanges) instead of "the domain does not exist", which DOMAIN_NOT_FOUND
 * means (NXDOMAIN). Undefined when the name has no MX either, or the MX lookup fails: the lookup's own error stands.
 */
async function asMailDomain(host: string, resolver: DnsResolver, error: unknown): Promise<MaildigError | undefined> {
  if (!isMaildigError(error) || error.code !== 'DOMAIN_NOT_FOUND') return undefined
  const mx = await resolver.query(host, 'MX')
  if (mx.status !== 'ok' || mx.records.length === 0) return undefined
  const exchanges = [...mx.records].sort((a, b) => a.preference - b.preference)
  // RFC 7505: a lone "0 ." says the domain receives no mail.
  const what = exchanges.length === 1 && exchanges[0].exchange.replace(/\.$/, '') === ''
    ? 'a mail domain that publishes a null MX (RFC 7505): it receives no mail'
    : `a mail domain: its mail goes to ${exchanges.map((r) => `${r.exchange.replace(/\.$/, '')} (${r.preference})`).join(', ')}`
  return new MaildigError('HOST_IS_MAIL_DOMAIN', 'dns', `${host} has no address (no A or AAAA record), so there is no server to connect to; it is ${what}`, {subject: host, cause: error})
}

/**
 * Moves the per-probe transcripts out of the results (they ran in parallel, each with its own) into
 * one conversation ordered by time, so JSON carries a transcript only with --transcript.
 */
export function takeTranscripts(probes: HostProbe[]): TranscriptLine[] {
  const lines: TranscriptLine[] = []
  for (const p of probes) {
    if (p.result) {
      lines.push(...p.result.transcript.map((l) => ({...l, line: `[${p.address}] ${l.line}`})))
      p.result.transcript = []
    }
    if (p.error?.partial) {
      lines.push(...p.error.partial.transcript.map((l) => ({...l, line: `[${p.address}] ${l.line}`})))
      p.error.partial.transcript = []
    }
  }
  return lines.sort((a, b) => a.t - b.t)
}

/**
 * Probes every address of every exchange of an MX set at once: the slowest host sets the time,
 * not the sum. Preference order is kept in the result. A host that fails is a finding: an error
 * when no host works (the route fails), a warning while another host still takes the mail.
 *
 * Then DANE per exchange (RFC 7672), as a sender that uses it would judge the MX: see
 * applyDane. `dane` holds one check per exchange that has an address.
 */
export async function probeExchanges(mx: MxResult, settings: ProbeSettings, started = performance.now()): Promise<{probes: HostProbe[]; dane: DaneInfo[]; findings: Finding[]}> {
  const targets = mx.exchanges.flatMap((e) => e.addresses.map((a) => ({exchange: e.exchange, preference: e.preference, address: a.address, family: a.family, ptr: a.ptr})))
  const probes = await Promise.all(
    targets.map(async (t): Promise<HostProbe> => {
      const base = {preference: t.preference, exchange: t.exchange, address: t.address, family: t.family}
      const probe = async (): Promise<Pick<HostProbe, 'ok' | 'result' | 'error'>> => {
        try {
          const result = await probeSmtp({...settings, host: t.exchange, address: t.address, ptrNames: t.ptr, transcript: new Transcript(started)})
          return {ok: true, result, error: null}
        } catch (error) {
          if (!isMaildigError(error) || error.category === 'usage') throw error
          return {ok: false, result: null, error: {code: error.code, message: error.message, partial: partialOf<SmtpProbePartial>(error)}}
        }
      }
      const hosts = settings.net.hosts
      if (!hosts) return {...base, ...(await probe())}
      // A batch run: each server once, whatever number of domains use it; every user gets its own copy.
      const outcome = await hosts.once(probeKey(t.exchange, t.address, settings), () =>
        hosts.run(t.address, async () => {
          const done = await probe()
          if (done.error && (BUSY.test(done.error.code) || done.error.partial?.banner?.code === 421)) hosts.backOff(t.address)
          return done
        }),
      )
      return {...base, ...structuredClone(outcome)}
    }),
  )
  const port = settings.port ?? 25
  const dane = await applyDane(mx, probes, port, settings.net.resolver)
  const findings: Finding[] = []
  const anyOk = probes.some((p) => p.ok)
  for (const p of probes) {
    findings.push(...(p.result?.findings ?? p.error?.partial?.findings ?? []))
    if (p.error) {
      const code = catalogCodeFor(p.error.code)
      findings.push(finding(code, `${p.exchange} [${p.address}]: ${p.error.message}`, p.exchange, anyOk ? 'warning' : 'error'))
    }
  }
  findings.push(...dane.findings)
  if (port === 25 && probes.length > 0 && probes.every((p) => p.error?.code === 'CONNECT_TIMEOUT')) {
    const blocked = await diagnosePort25(probes.map((p) => p.address), settings.net.timeouts.connect)
    if (blocked) findings.push(blocked)
  }
  return {probes, dane: dane.infos, findings}
}

/** Errors after which a server is backed off: it said it is busy (421), or it let a stage deadline pass (a tarpit). */
const BUSY = /^(SERVICE_UNAVAILABLE|GREETING_TIMEOUT|REPLY_TIMEOUT|CONNECT_TIMEOUT)$/

/** What makes two probes of one server the same conversation: the name (SNI, certificate check) and every setting that reaches the wire. */
function probeKey(exchange: string, address: string, settings: ProbeSettings): string {
  const {net: _net, password: _p, token: _t, ...wire} = settings
  return JSON.stringify([exchange.toLowerCase().replace(/\.$/, ''), address, wire])
}

/**
 * DANE for each exchange, matched against the certificate its first reachable address showed (its
 * addresses share the TLSA name), with the MX answer's and the exchange's address answers' AD bits
 * (RFC 7672 §2.2.1, §2.2.2). Where DANE authenticates the server, the certificate findings it makes
 * moot leave the probes (DANE-EE: name, trust and dates are not checked; DANE-TA: the record is the
 * trust anchor, and the name was checked against the MX host and the TLSA base domain). An exchange
 * that fails DANE is an error while no other exchange passes, a warning once one does: DANE senders
 * skip it and go on to the next MX.
 */
async function applyDane(mx: MxResult, probes: HostProbe[], port: number, resolver: DnsResolver): Promise<{infos: DaneInfo[]; findings: Finding[]}> {
  const checks = await Promise.all(
    mx.exchanges
      .filter((e) => e.addresses.length > 0)
      .map((e) => {
        const reached = probes.find((p) => p.exchange === e.exchange && p.result)
        const tls = reached?.result?.tls ?? null
        return checkDane(e.exchange, port, tls?.certificate ?? null, resolver, {chain: tls?.chain, mxAuthenticated: mx.authenticated, addressAuthenticated: e.authenticated, cname: e.cname, reached: reached !== undefined})
      }),
  )
  const passes = checks.some((c) => c.info.senders === 'deliver')
  const findings: Finding[] = []
  for (const {info, findings: own} of checks) {
    const skipped = info.senders === 'skip'
    if (info.applies && info.status === 'matched' && info.matched) {
      const moot = DANE_MOOT[info.matched.usage === 3 ? 'ee' : 'ta']
      for (const p of probes.filter((x) => normalizeName(x.exchange) === info.host && x.result)) {
        p.result!.findings = p.result!.findings.filter((f) => !moot.has(f.code))
      }
    }
    findings.push(...own.map((f) => (passes && skipped && f.severity === 'error' ? {...f, severity: 'warning' as const, message: `${f.message}; they deliver to another MX that passes`} : f)))
  }
  return {infos: checks.map((c) => c.info), findings}
}

/** Error codes that are not finding codes of their own map to the nearest catalog code. */
function catalogCodeFor(code: string): Parameters<typeof finding>[0] {
  const known = ['CONNECT_REFUSED', 'CONNECT_TIMEOUT', 'CONNECT_UNREACHABLE', 'CONNECTION_RESET', 'CONNECTION_FAILED', 'CONNECTION_CLOSED', 'GREETING_TIMEOUT', 'GREETING_REJECTED', 'STARTTLS_FAILED', 'STARTTLS_NOT_OFFERED', 'TLS_FAILED', 'TLS_TIMEOUT', 'REPLY_TIMEOUT', 'AUTH_FAILED', 'PROTOCOL_ERROR', 'LINE_TOO_LONG', 'SERVICE_UNAVAILABLE', 'EHLO_REJECTED', 'SENDER_REJECTED', 'DOMAIN_NOT_FOUND', 'DNS_TIMEOUT', 'DNS_SERVFAIL', 'DNS_MALFORMED']
  return (known.includes(code) ? code : 'CONNECTION_FAILED') as Parameters<typeof finding>[0]
}

/** Ports that a network blocking outbound 25 usually leaves open on a mail host. */
const OTHER_PORTS = [587, 465, 443]

/**
 * PORT25_BLOCKED: port 25 timed out on every address, yet the same hosts answer (or actively
 * refuse) on other ports — the signature of a network (often a residential ISP or a cloud
 * provider) that drops outbound port 25.
 */
export async function diagnosePort25(addresses: string[], connectTimeoutMs: number, reach: (address: string, port: number, ms: number) => Promise<Reachability> = tcpReachable): Promise<Finding | undefined> {
  const ms = Math.min(connectTimeoutMs, 5000)
  const answers = await Promise.all(addresses.flatMap((address) => OTHER_PORTS.map(async (port) => ({address, port, state: await reach(address, port, ms)}))))
  const answering = answers.filter((a) => a.state === 'open' || a.state === 'refused')
  if (answering.length === 0) return undefined
  const example = answering[0]
  return finding(
    'PORT25_BLOCKED',
    `port 25 timed out on all ${addresses.length} address${addresses.length === 1 ? '' : 'es'}, but ${example.address} answers on port ${example.port}: this network probably blocks outbound port 25 (confirm with \`nc -vz ${example.address} 25\` from another network, or ask your provider)`,
    example.address,
  )
}

