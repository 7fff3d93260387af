import {nodeCrypto} from '../builtins.js'
import type {DnsAnswer, DnsResolver} from '../dns/resolver.js'
import {finding, type Finding} from '../findings.js'
import {dnsFailureFinding, isDnsFailure, lookupFailure, normalizeName} from '../policy/common.js'
import type {DkimDomainKey, DkimKeyStatus, DkimSelector} from './schema.js'

export type {DkimDomainKey, DkimKeyStatus, DkimSelector}

/**
 * DKIM key records (RFC 6376 §3.6): `<selector>._domainkey.<domain>` TXT, read and judged the way a
 * verifier judges them, with RFC 8301 (key sizes, SHA-1) and RFC 8463 (Ed25519).
 */

/**
 * Selectors that mail services commonly use (Microsoft 365, Google Workspace, Mailchimp, Fastmail,
 * cPanel, SendGrid…). Not finding a key under them proves nothing: the result says what was tried.
 */
export const COMMON_SELECTORS = ['default', 'dkim', 'mail', 'selector1', 'selector2', 'google', 'k1', 'k2', 's1', 's2', 'fm1', 'key1'] as const

/** RFC 8301 §3.2: verifiers must refuse RSA keys under 1024 bits; signers should use at least 2048. */
export const RSA_MIN_BITS = 1024
export const RSA_GOOD_BITS = 2048

/** Why a selector typed by a user cannot be one, or undefined: dot-separated labels of letters, digits, "-" and "_" (RFC 6376 §3.1). */
export function selectorProblem(selector: string): string | undefined {
  if (selector.length === 0) return 'the selector is empty'
  if (/[^\x21-\x7e]/.test(selector)) return `"${selector.replace(/[^\x20-\x7e]/g, '?')}" contains white space or control characters`
  for (const label of selector.split('.')) {
    if (label.length === 0) return `"${selector}" has an empty label`
    if (label.length > 63) return `the label "${label.slice(0, 20)}…" is ${label.length} characters long; DNS allows 63`
    if (!/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/i.test(label)) return `"${selector}" may hold only letters, digits, "-", "_" and dots`
  }
  return undefined
}

export interface DkimKey {
  keyType: 'rsa' | 'ed25519'
  keyBits: number | null
  revoked: boolean
  testing: boolean
  strict: boolean
  hashes: string[] | null
  services: string[]
  /** What makes the key unusable or weaker, in words (empty when none). */
  problems: string[]
}

export type DkimKeyParse = {ok: true; key: DkimKey} | {ok: false; error: string}

/** Parses a DKIM tag-list (RFC 6376 §3.2): a duplicate tag makes it invalid; white space inside values is folding. */
function tagList(text: string): Map<string, string> | string {
  const tags = new Map<string, string>()
  const parts = text.split(';').map((p) => p.trim())
  if (parts.length > 1 && parts.at(-1) === '') parts.pop()
  for (const part of parts) {
    const eq = part.indexOf('=')
    if (eq <= 0) return part === '' ? 'an empty tag (two ";" in a row)' : `"${part.slice(0, 40)}" is not tag=value`
    const name = part.slice(0, eq).trim()
    if (!/^[a-z][a-z0-9_]*$/i.test(name)) return `"${name.slice(0, 40)}" is not a tag name`
    if (tags.has(name)) return `the tag ${name}= appears twice (RFC 6376 §3.2)`
    tags.set(name, part.slice(eq + 1).replace(/\s+/g, ''))
  }
  return tags
}

/** The size of an RSA public key given as SubjectPublicKeyInfo (what RFC 6376 §3.6.1 asks) or, as some publish it, bare PKCS#1. */
function rsaBits(der: Buffer): {bits: number; type: string} | null {
  const crypto = nodeCrypto()
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = crypto.createPublicKey({key: der, format: 'der', type})
      return {bits: key.asymmetricKeyDetails?.modulusLength ?? 0, type: key.asymmetricKeyType ?? 'unknown'}
    } catch {
      // try the other encoding
    }
  }
  return null
}

/** Reads a key record: its type, size, flags and problems, or why it cannot be used at all. */
export function parseDkimKeyRecord(text: string): DkimKeyParse {
  const tags = tagList(text)
  if (typeof tags === 'string') return {ok: false, error: tags}
  const v = tags.get('v')
  // §3.6.1: v= is optional, but when present it must be first and exactly DKIM1.
  if (v !== undefined && (v !== 'DKIM1' || [...tags.keys()][0] !== 'v')) return {ok: false, error: v !== 'DKIM1' ? `v=${v} is not DKIM1` : 'v= must be the first tag'}
  const k = (tags.get('k') ?? 'rsa').toLowerCase()
  if (k !== 'rsa' && k !== 'ed25519') return {ok: false, error: `k=${tags.get('k')}: unknown key type (rsa or ed25519)`}
  const p = tags.get('p')
  if (p === undefined) return {ok: false, error: 'there is no p= tag (the public key)'}
  const flags = (tags.get('t') ?? '').split(':').map((f) => f.trim().toLowerCase()).filter(Boolean)
  const hashes = tags.has('h') ? tags.get('h')!.split(':').map((h) => h.trim().toLowerCase()).filter(Boolean) : null
  const services = (tags.get('s') ?? '*').split(':').map((s) => s.trim().toLowerCase()).filter(Boolean)
  const key: DkimKey = {keyType: k, keyBits: null, revoked: p === '', testing: flags.includes('y'), strict: flags.includes('s'), hashes, services, problems: []}
  if (hashes && !hashes.includes('sha256')) key.problems.push(`h=${tags.get('h')} allows no SHA-256: RFC 8301 verifiers refuse SHA-1 signatures, so no signature with this key passes`)
  if (!services.includes('*') && !services.includes('email')) key.problems.push(`s=${tags.get('s')}: the key is not for email`)
  if (key.revoked) return {ok: true, key}
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p)) return {ok: false, error: 'p= is not base64'}
  const der = Buffer.from(p, 'base64')
  if (k === 'ed25519') {
    // RFC 8463 §4.2: the bare 32-byte public key, not a SubjectPublicKeyInfo.
    if (der.length !== 32) return {ok: false, error: `an ed25519 key is 32 bytes; p= holds ${der.length}`}
    key.keyBits = 256
    return {ok: true, key}
  }
  const rsa = rsaBits(der)
  if (!rsa) return {ok: false, error: 'p= is not an RSA public key (neither SubjectPublicKeyInfo nor PKCS#1)'}
  if (rsa.type !== 'rsa') return {ok: false, error: `p= holds an ${rsa.type} key, but k=rsa`}
  key.keyBits = rsa.bits
  if (rsa.bits < RSA_MIN_BITS) key.problems.push(`the RSA key has ${rsa.bits} bits: RFC 8301 verifiers refuse keys under ${RSA_MIN_BITS} bits`)
  return {ok: true, key}
}

export interface KeyRequest {
  selector: string
  domain: string
  source: DkimSelector['source']
}

/** Looks up and judges one key, with its findings. Never throws for DNS trouble. */
export async function lookupDkimKey(request: KeyRequest, resolver: DnsResolver): Promise<{key: DkimSelector; findings: Finding[]}> {
  const domain = normalizeName(request.domain)
  const name = `${request.selector}._domainkey.${domain}`
  const answer = await resolver.query(name, 'TXT')
  const key = judgeKey(request, name, answer)
  return {key, findings: keyFindings(key, answer)}
}

function judgeKey(request: KeyRequest, name: string, answer: DnsAnswer<'TXT'>): DkimSelector {
  const base: DkimSelector = {
    selector: request.selector,
    domain: normalizeName(request.domain),
    name,
    source: request.source,
    status: 'absent',
    record: null,
    keyType: null,
    keyBits: null,
    testing: false,
    strict: false,
    revoked: false,
    hashes: null,
    services: [],
    cname: answer.cnames.at(-1)?.target ?? null,
    problems: [],
    lookupError: null,
  }
  if (isDnsFailure(answer)) return {...base, status: 'unknown', lookupError: lookupFailure(answer)}
  const texts = answer.status === 'ok' ? answer.records.map((r) => r.text) : []
  if (texts.length === 0) return base
  // Verifiers read one record (RFC 6376 §3.6.2.2 leaves several undefined): more than one is a problem in itself.
  const problems = texts.length > 1 ? [`${texts.length} TXT records: verifiers may pick any of them`] : []
  const parsed = parseDkimKeyRecord(texts[0])
  if (!parsed.ok) return {...base, status: 'invalid', record: texts[0], problems: [...problems, parsed.error]}
  const key = parsed.key
  const status: DkimKeyStatus = key.revoked ? 'revoked' : key.problems.length > 0 && (key.keyBits ?? RSA_MIN_BITS) < RSA_MIN_BITS ? 'invalid' : 'found'
  return {...base, status, record: texts[0], keyType: key.keyType, keyBits: key.keyBits, testing: key.testing, strict: key.strict, revoked: key.revoked, hashes: key.hashes, services: key.services, problems: [...problems, ...key.problems]}
}

/** The findings for one key; a guessed selector that has no key says nothing (the summary finding does). */
export function keyFindings(key: DkimSelector, answer?: DnsAnswer): Finding[] {
  const findings: Finding[] = []
  const named = key.source !== 'guess'
  if (key.status === 'unknown') return answer ? [dnsFailureFinding(answer, 'the DKIM key could not be read', key.source === 'guess' ? 'warning' : undefined)] : []
  if (key.status === 'absent') {
    if (named) findings.push(finding('DKIM_KEY_MISSING', `no DKIM key at ${key.name}${key.source === 'message' ? ': the message\'s signature with this selector cannot pass' : ''}`, key.name))
    return findings
  }
  if (key.status === 'revoked') {
    findings.push(finding('DKIM_KEY_REVOKED', `the DKIM key at ${key.name} is revoked (empty p=)${key.source === 'message' ? ': signatures made with it fail' : ''}`, key.name, key.source === 'message' ? 'error' : 'warning'))
    return findings
  }
  if (key.status === 'invalid' && !(key.keyBits !== null && key.keyBits < RSA_MIN_BITS)) {
    findings.push(finding('DKIM_KEY_INVALID', `the DKIM key record at ${key.name} cannot be used: ${key.problems.join('; ')}`, key.name))
    return findings
  }
  if (key.keyType === 'rsa' && key.keyBits !== null && key.keyBits < RSA_MIN_BITS) {
    findings.push(finding('DKIM_KEY_TOO_SHORT', `the DKIM key at ${key.name} is RSA ${key.keyBits} bits: verifiers refuse keys under ${RSA_MIN_BITS} bits (RFC 8301 §3.2)`, key.name))
  } else if (key.keyType === 'rsa' && key.keyBits !== null && key.keyBits < RSA_GOOD_BITS) {
    findings.push(finding('DKIM_KEY_WEAK', `the DKIM key at ${key.name} is RSA ${key.keyBits} bits; RFC 8301 asks for at least ${RSA_GOOD_BITS}`, key.name))
  }
  if (key.hashes && !key.hashes.includes('sha256')) findings.push(finding('DKIM_KEY_SHA1', `the DKIM key at ${key.name} allows only h=${key.hashes.join(':')}: RFC 8301 verifiers refuse SHA-1`, key.name))
  if (key.testing) findings.push(finding('DKIM_KEY_TESTING', `the DKIM key at ${key.name} is in test mode (t=y): verifiers treat its signatures like unsigned mail`, key.name))
  for (const problem of key.problems.filter((p) => /TXT records|not for email/.test(p))) findings.push(finding('DKIM_KEY_INVALID', `${key.name}: ${problem}`, key.name, 'warning'))
  return findings
}

export interface CheckKeysOptions {
  /** Selectors to ask (from --selector or a message's signatures); none: the common list, as a guess. */
  selectors?: {selector: string; domain?: string; source: 'flag' | 'message'}[]
}

/**
 * The DKIM keys of a domain. With selectors, each one is judged; without, the common selectors are
 * tried together with `_domainkey.<domain>`, whose NXDOMAIN (RFC 8020) shows that no selector can exist,
 * and whose NOERROR shows that keys may exist under names that were not tried. Never throws for DNS trouble.
 */
export async function checkDkimKeys(
  domain: string,
  resolver: DnsResolver,
  options: CheckKeysOptions = {},
): Promise<{guessed: boolean; tried: string[]; domainKey: DkimDomainKey | null; selectors: DkimSelector[]; findings: Finding[]}> {
  const name = normalizeName(domain)
  const given = options.selectors ?? []
  const guessed = given.length === 0
  const requests: KeyRequest[] = guessed ? COMMON_SELECTORS.map((selector) => ({selector, domain: name, source: 'guess' as const})) : given.map((s) => ({selector: s.selector, domain: s.domain ?? name, source: s.source}))
  // One question per distinct key name.
  const unique = [...new Map(requests.map((r) => [`${r.selector}._domainkey.${normalizeName(r.domain)}`.toLowerCase(), r])).values()]
  const [looked, domainKeyAnswer] = await Promise.all([
    Promise.all(unique.map((r) => lookupDkimKey(r, resolver))),
    guessed ? resolver.query(`_domainkey.${name}`, 'TXT') : Promise.resolve(undefined),
  ])
  const keys = looked.map((l) => l.key)
  const findings = looked.flatMap((l) => l.findings)
  const tried = unique.map((r) => r.selector)
  let domainKey: DkimDomainKey | null = null
  if (!guessed) return {guessed, tried, domainKey, selectors: keys, findings}

  domainKey = {
    name: `_domainkey.${name}`,
    status: domainKeyAnswer!.status === 'nxdomain' ? 'nxdomain' : isDnsFailure(domainKeyAnswer!) ? 'unknown' : 'exists',
    rcode: domainKeyAnswer!.rcode,
  }
  const shown = keys.filter((k) => k.status !== 'absent')
  const failed = keys.filter((k) => k.status === 'unknown')
  if (shown.length === failed.length) {
    const list = tried.join(', ')
    if (failed.length > 0 || domainKey.status === 'unknown') {
      // Said by the DNS findings of the failed lookups; nothing is concluded about DKIM.
      if (domainKey.status === 'unknown') findings.push(dnsFailureFinding(domainKeyAnswer!, 'whether any DKIM key can exist is unknown', 'warning'))
    } else if (domainKey.status === 'nxdomain') {
      findings.push(finding('DKIM_NO_KEYS', `_domainkey.${name} does not exist (NXDOMAIN), so no DKIM key can exist under any selector (RFC 8020); tried ${list}`, name))
    } else {
      findings.push(
        finding('DKIM_SELECTOR_NOT_FOUND', `none of the ${tried.length} common selectors has a DKIM key at ${name} (tried ${list}); _domainkey.${name} exists, so keys may be published under other selectors: name the selector, or read it from a message the domain signed`, name),
      )
    }
  }
  return {guessed, tried, domainKey, selectors: shown, findings}
}
