import {AsyncLocalStorage} from 'node:async_hooks'
import type {DnsAnswer, DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {parseTagList} from '../headers/authentication.js'
import {headerValues, readHeaders} from '../headers/message.js'
import {lookupFailure} from '../policy/common.js'
import type {ArcVerification, DkimSignature} from './schema.js'

export type {ArcVerification, DkimSignature}

/**
 * Verifies the DKIM signatures (RFC 6376) and the ARC chain (RFC 8617) of a saved message with
 * mailauth, loaded only here: it carries the canonicalisation and the cryptography, which are easy to get
 * subtly wrong. Its key lookups go through maildig's resolver (so --resolver and the per-query deadline
 * hold), and maildig applies RFC 8301 on top (rsa-sha1 never passes).
 */

/** A message is read whole to verify its body hashes: the bound of trace --message, but never truncated. */
export const MAX_SIGNED_MESSAGE_BYTES = 64 * 1024 * 1024

/** More signatures than real mail carries (two or three); each costs a key lookup, so the work stays bounded. */
export const MAX_SIGNATURES = 16

export interface MessageVerification {
  /** The From domain (the last address's), lower case, or null. */
  fromDomain: string | null
  signatures: DkimSignature[]
  arc: ArcVerification
  /** The selectors and domains the signatures name, for the key checks. */
  keys: {selector: string; domain: string}[]
  findings: Finding[]
}

type MailauthResolver = (name: string, type: string) => Promise<string[][]>

/** mailauth's resolver contract is node:dns's resolve(): rows of TXT strings, or an error with node:dns's code. */
function mailauthResolver(resolver: DnsResolver, answers: Map<string, Promise<DnsAnswer<'TXT'>>>): MailauthResolver {
  return async (name, type) => {
    if (type !== 'TXT') throw Object.assign(new Error(`maildig answers only TXT lookups here, not ${type}`), {code: 'ENOTIMP'})
    const key = name.toLowerCase()
    let pending = answers.get(key)
    if (!pending) {
      pending = resolver.query(name, 'TXT')
      answers.set(key, pending)
    }
    const answer = await pending
    if (answer.status === 'ok') return answer.records.map((r) => r.chunks)
    const code = answer.status === 'nxdomain' ? 'ENOTFOUND' : answer.status === 'nodata' ? 'ENODATA' : answer.status === 'timeout' ? 'ETIMEOUT' : 'ESERVFAIL'
    throw Object.assign(new Error(`${name}: ${answer.detail ?? answer.status}`), {code})
  }
}

interface MailauthSignature {
  signingDomain?: string
  selector?: string
  signature?: string
  algo?: string
  format?: string
  bodyHash?: string
  bodyHashExpecting?: string
  status: {result: string; comment?: string; aligned?: string | false; policy?: Record<string, string>}
  signTime?: string | null
  expiresAfter?: string | null
  modulusLength?: number
  canonBodyLength?: number
  canonBodyLengthTotal?: number
  canonBodyLengthLimited?: boolean
  canonBodyLengthLimit?: number
}

/** The last address's domain of the From field (RFC 5322 §3.6.2), or null. */
function fromDomainOf(value: string | null): string | null {
  if (value === null) return null
  const matches = [...value.matchAll(/@([a-z0-9.-]+[a-z0-9])\s*>?/gi)]
  return matches.at(-1)?.[1].toLowerCase() ?? null
}

function signatureResult(parsed: Record<string, string>, found: MailauthSignature | undefined, answers: Map<string, DnsAnswer<'TXT'>>): Pick<DkimSignature, 'result' | 'reason'> {
  const algorithm = (parsed.a ?? '').toLowerCase()
  if (!parsed.d || !parsed.s) return {result: 'permerror', reason: `the signature has no ${parsed.d ? 's=' : 'd='} tag`}
  if (!found) return {result: 'permerror', reason: `a=${parsed.a ?? '(missing)'} or c=${parsed.c ?? ''} is not an algorithm or canonicalisation DKIM defines`}
  // RFC 8301 §3.1: verifiers must not consider rsa-sha1 signatures valid, whatever mailauth computed.
  if (algorithm === 'rsa-sha1') return {result: 'permerror', reason: 'rsa-sha1: RFC 8301 verifiers refuse SHA-1 signatures'}
  const comment = found.status.comment ?? ''
  const keyName = `${parsed.s}._domainkey.${parsed.d}`.toLowerCase()
  switch (found.status.result) {
    case 'pass':
      return {result: 'pass', reason: null}
    case 'fail':
      return {result: 'fail', reason: 'the signature does not match the signed header fields (they changed after signing, or the key is not the signer\'s)'}
    case 'policy':
      return {result: 'policy', reason: `the key at ${keyName} is shorter than 1024 bits (RFC 8301)`}
    case 'temperror': {
      const answer = answers.get(keyName)
      return {result: 'temperror', reason: `the key at ${keyName} could not be read: ${answer ? lookupFailure(answer) : comment}`}
    }
    default:
      if (/body hash/.test(comment)) {
        // A body shorter than l= cannot be the one that was signed (l= counts the signed body bytes): it was cut after signing.
        const limit = /^\d{1,15}$/.test(parsed.l ?? '') ? Number(parsed.l) : null
        if (limit !== null && found.canonBodyLength !== undefined && found.canonBodyLength < limit) {
          return {result: 'fail', reason: `the body is shorter than l=${limit} (${found.canonBodyLength} bytes canonicalised): it was cut after signing`}
        }
        return {result: 'fail', reason: 'the body hash does not match: the body changed after signing'}
      }
      if (/expir/.test(comment)) return {result: 'fail', reason: `the signature ${comment === 'expired' ? `expired at ${found.expiresAfter}` : 'expires before it was made (x= < t=)'}`}
      if (comment === 'no key') return {result: 'permerror', reason: `no key at ${keyName}`}
      if (/key/.test(comment)) return {result: 'permerror', reason: `${comment} at ${keyName}${answers.get(keyName)?.records[0]?.text.match(/p=\s*(;|$)/) ? ' (empty p=: the key is revoked)' : ''}`}
      return {result: 'permerror', reason: comment || 'the signature could not be verified'}
  }
}

/**
 * mailauth 4.13 prints one leftover debugging line to stdout, `console.log('TOTAL', <bytes hashed>, 'EXPECTING', <l=>)`
 * (lib/dkim/dkim-verifier.js), when a signature's l= is longer than the body (the signature then fails on its body
 * hash), and it takes no logger or option that would keep it quiet. On stdout that line would spoil --json, so
 * console.log, the process's own, is replaced while verifications run: the first one in replaces it, the last one out
 * puts the original back (in finally, so a verification that throws leaves nothing behind), and the replacement drops
 * only what is printed from inside a verification (AsyncLocalStorage follows its promises and stream callbacks).
 * Concurrent verifications share one replacement, and anything else printed meanwhile goes through.
 */
let insideMailauth: AsyncLocalStorage<true> | undefined
let verifying = 0
let consoleLog: {original: typeof console.log; replacement: typeof console.log} | undefined

export async function withoutMailauthOutput<T>(work: () => Promise<T>): Promise<T> {
  const inside = (insideMailauth ??= new AsyncLocalStorage<true>())
  if (verifying++ === 0) {
    const original = console.log
    const replacement = function (this: unknown, ...args: unknown[]) {
      if (inside.getStore() === undefined) original.apply(this, args)
    }
    consoleLog = {original, replacement}
    console.log = replacement
  }
  try {
    return await inside.run(true, work)
  } finally {
    if (--verifying === 0) {
      // Whoever replaced console.log meanwhile (a test runner) keeps theirs; it calls ours only outside mailauth.
      if (console.log === consoleLog!.replacement) console.log = consoleLog!.original
      consoleLog = undefined
    }
  }
}

/**
 * Verifies every DKIM-Signature and the ARC chain of `message` (the whole message, as saved). Throws a
 * usage error (HeaderInputError) when the input is not a mail message; DNS trouble is a result, never a throw.
 */
export async function verifyMessage(message: Buffer, resolver: DnsResolver, options: {now?: Date} = {}): Promise<MessageVerification> {
  const fields = readHeaders(message)
  const findings: Finding[] = []
  const fromDomain = fromDomainOf(headerValues(fields, 'From').at(-1) ?? null)
  const rawSignatures = headerValues(fields, 'DKIM-Signature').map(parseTagList)
  const seals = headerValues(fields, 'ARC-Seal').map(parseTagList)
  const keys = [...new Map(rawSignatures.filter((s) => s.d && s.s).map((s) => [`${s.s}._domainkey.${s.d}`.toLowerCase(), {selector: s.s, domain: s.d.toLowerCase()}])).values()]
  const sealers = seals
    .map((s) => ({i: /^\d{1,2}$/.test(s.i ?? '') ? Number(s.i) : 0, domain: s.d?.toLowerCase() ?? null, selector: s.s ?? null, cv: s.cv?.toLowerCase() ?? null}))
    .sort((a, b) => a.i - b.i)
  const arcBase: ArcVerification = {result: 'none', reason: null, instances: seals.length, sealers}
  if (rawSignatures.length > MAX_SIGNATURES || seals.length > 50) {
    const reason = `the message has ${rawSignatures.length} DKIM-Signature and ${seals.length} ARC-Seal fields; maildig verifies at most ${MAX_SIGNATURES} and 50`
    findings.push(finding('DKIM_SIGNATURE_FAILED', `not verified: ${reason}`, fromDomain ?? undefined, 'warning'))
    return {fromDomain, signatures: [], arc: {...arcBase, reason}, keys: [], findings}
  }
  if (rawSignatures.length === 0 && seals.length === 0) {
    findings.push(finding('DKIM_UNSIGNED', `the message has no DKIM-Signature${fromDomain ? `: DMARC for ${fromDomain} can pass only through aligned SPF` : ''}`, fromDomain ?? undefined))
    return {fromDomain, signatures: [], arc: arcBase, keys: [], findings}
  }

  const pending = new Map<string, Promise<DnsAnswer<'TXT'>>>()
  const lookup = mailauthResolver(resolver, pending)
  const [{dkimVerify}, {arc}] = await Promise.all([import('mailauth/lib/dkim/verify.js'), import('mailauth/lib/arc/index.js')])
  const curTime = options.now ?? new Date()
  const verified = await withoutMailauthOutput(() => dkimVerify(message, {resolver: lookup, curTime} as never))
  const arcData = (verified as unknown as {arc?: unknown}).arc
  const arcResult = seals.length > 0 && arcData ? await withoutMailauthOutput(() => arc(arcData as never, {resolver: lookup} as never)) : undefined
  const answers = new Map<string, DnsAnswer<'TXT'>>()
  for (const [name, answer] of pending) answers.set(name, await answer)

  const results = ((verified as unknown as {results?: MailauthSignature[]}).results ?? []).filter((r) => r.signature)
  const signatures = rawSignatures.map((parsed, index): DkimSignature => {
    const found = results.find((r) => r.signature === parsed.b)
    const {result, reason} = signatureResult(parsed, found, answers)
    const limited = found?.canonBodyLengthLimited === true
    const unsigned = limited && found?.canonBodyLengthTotal !== undefined && found.canonBodyLength !== undefined ? Math.max(0, found.canonBodyLengthTotal - found.canonBodyLength) : null
    const epoch = (text: string | undefined) => (text && /^\d{1,12}$/.test(text) ? new Date(Number(text) * 1000).toISOString() : null)
    return {
      index: index + 1,
      domain: parsed.d?.toLowerCase() ?? null,
      selector: parsed.s ?? null,
      algorithm: parsed.a?.toLowerCase() ?? null,
      canonicalization: parsed.c ?? null,
      signedHeaders: (parsed.h ?? '').split(':').map((h) => h.trim().toLowerCase()).filter(Boolean),
      result,
      reason,
      bodyHash: found?.bodyHash && found.bodyHashExpecting ? (found.bodyHash === found.bodyHashExpecting ? 'match' : 'mismatch') : null,
      keyBits: found?.modulusLength ?? null,
      bodyLengthLimit: /^\d{1,15}$/.test(parsed.l ?? '') ? Number(parsed.l) : null,
      unsignedBodyBytes: unsigned,
      signedAt: epoch(parsed.t),
      expiresAt: epoch(parsed.x),
      aligned: fromDomain === null ? null : Boolean(found?.status.aligned) || (parsed.d?.toLowerCase() === fromDomain),
    }
  })

  for (const s of signatures) {
    const subject = s.domain && s.selector ? `${s.selector}._domainkey.${s.domain}` : undefined
    if (s.result !== 'pass') {
      findings.push(finding('DKIM_SIGNATURE_FAILED', `DKIM-Signature ${s.index} (d=${s.domain ?? '?'}, s=${s.selector ?? '?'}): ${s.result}: ${s.reason}`, subject, s.result === 'temperror' ? 'warning' : undefined))
    }
    if (s.bodyLengthLimit !== null) {
      const partial = (s.unsignedBodyBytes ?? 0) > 0
      findings.push(
        finding('DKIM_BODY_LENGTH_LIMIT', `DKIM-Signature ${s.index} (d=${s.domain ?? '?'}) signs only the first ${s.bodyLengthLimit} bytes of the body (l=)${partial ? `; ${s.unsignedBodyBytes} bytes after them are not covered` : ''}: anything appended still verifies`, subject, partial ? 'warning' : 'info'),
      )
    }
  }
  if (signatures.length === 0) findings.push(finding('DKIM_UNSIGNED', `the message has no DKIM-Signature (only ARC sets)${fromDomain ? `: DMARC for ${fromDomain} can pass only through aligned SPF` : ''}`, fromDomain ?? undefined))

  let arcOut = arcBase
  if (arcResult) {
    const status = (arcResult as unknown as {status: {result: string; comment?: string}}).status
    const result = status.result === 'pass' ? 'pass' : status.result === 'none' ? 'none' : 'fail'
    // On a pass mailauth's comment repeats the newest set's results; only a failure needs words.
    let reason = result === 'fail' ? (status.comment ?? null) : null
    if (result === 'fail' && !reason) {
      // mailauth gives no words when a seal's key could not be read: say which lookup failed.
      const failedKey = sealers.map((s) => `${s.selector}._domainkey.${s.domain}`.toLowerCase()).find((n) => answers.get(n) && answers.get(n)!.status !== 'ok')
      reason = failedKey ? `the sealing key ${failedKey} could not be read (${answers.get(failedKey)!.status === 'nxdomain' || answers.get(failedKey)!.status === 'nodata' ? 'no key' : lookupFailure(answers.get(failedKey)!)})` : 'a seal did not verify'
    }
    arcOut = {...arcBase, result, reason}
    if (result === 'fail') findings.push(finding('ARC_SEAL_FAILED', `the ARC chain (${seals.length} set${seals.length === 1 ? '' : 's'}) does not validate: ${reason}`, sealers.at(-1)?.domain ?? undefined))
  }
  return {fromDomain, signatures, arc: arcOut, keys, findings}
}
