import type {DnsAnswer, DnsResolver, RecordType} from '../dns/resolver.js'
import {cachedQuery, type DnsQuery} from '../dns/cache.js'
import {reverseName} from '../dns/names.js'
import {UsageError} from '../errors.js'
import {finding, type Finding, type FindingCode} from '../findings.js'
import {isDnsFailure, lookupFailure, normalizeName, txtTexts} from './common.js'
import {dottedIp, inNetwork, parseIp, sameIp, type IpAddress} from './ip.js'
import type {SpfInfo, SpfResult} from './schema.js'

export type {SpfInfo, SpfResult}

/**
 * SPF (RFC 7208): finding a domain's record and evaluating check_host() for an address.
 *
 * Besides the evaluation for one address (which stops at the first mechanism that matches), the
 * whole tree is walked as if nothing matched, following every include and redirect: that is what
 * tells whether *some* sender will hit the 10-lookup or 2-void-lookup limit (§4.6.4).
 */


export type SpfQualifier = '+' | '-' | '~' | '?'
export type SpfMechanism = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists'

export interface SpfDirective {
  /** The term as written in the record. */
  text: string
  qualifier: SpfQualifier
  mechanism: SpfMechanism
  /** include/exists (required), a/mx/ptr (optional): the unexpanded domain-spec. */
  domainSpec: string | null
  /** ip4/ip6: the network address. */
  network: string | null
  /** The IPv4 and IPv6 prefix lengths (a, mx, ip4, ip6); null means the whole address. */
  cidr4: number | null
  cidr6: number | null
}

export interface SpfRecord {
  text: string
  directives: SpfDirective[]
  redirect: string | null
  exp: string | null
  /** Modifiers other than redirect and exp: ignored by evaluation (§6), kept for display. */
  unknownModifiers: Array<{name: string; value: string}>
}

export type SpfParse = {ok: true; record: SpfRecord} | {ok: false; error: string}

const QUALIFIER_RESULT: Record<SpfQualifier, SpfResult> = {'+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral'}
/** §4.6.4: mechanisms and modifiers that cost a DNS lookup, at most 10 per evaluation. */
const LOOKUP_LIMIT = 10
/** §4.6.4: lookups that return no answer (NODATA or NXDOMAIN), at most 2. */
const VOID_LIMIT = 2
/** §4.6.4: at most 10 MX names per mx mechanism, at most 10 PTR names per ptr mechanism or %{p}. */
const NAME_LIMIT = 10
/** The walk of the whole tree stops descending past this many lookups; the limit is long exceeded. */
const WALK_CAP = 60

/** §4.5: a record is an SPF record when it begins with the version section "v=spf1", ended by a space or the end. */
export function isSpfRecord(text: string): boolean {
  return /^v=spf1(?: |$)/i.test(text)
}

// ---------------------------------------------------------------------------------------------
// Macros (§7)

export type MacroPart =
  | {literal: string}
  | {letter: string; urlEscape: boolean; digits: number | null; reverse: boolean; delimiters: string}

/** Letters usable in a domain-spec; c, r and t only in an explanation (§7.2). */
const DOMAIN_LETTERS = 'slodiphv'
const EXPLAIN_LETTERS = 'slodiphvcrt'

/**
 * Parses a macro-string (§7.1). `explain` allows the explanation-only letters and spaces. Returns
 * the error in words when the string is not valid, which makes the whole record a permerror.
 */
export function parseMacroString(text: string, explain = false): MacroPart[] | string {
  const parts: MacroPart[] = []
  let literal = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (ch !== '%') {
      const code = ch.charCodeAt(0)
      if ((code < 0x21 || code > 0x7e) && !(explain && ch === ' ')) return `the character ${JSON.stringify(ch)} is not allowed in "${text}"`
      literal += ch
      continue
    }
    const next = text[i + 1]
    if (next === '%') literal += '%'
    else if (next === '_') literal += ' '
    else if (next === '-') literal += '%20'
    else if (next === '{') {
      const end = text.indexOf('}', i + 2)
      if (end < 0) return `an unterminated macro in "${text}"`
      const m = /^([a-z])(\d*)(r?)([.\-+,/_=]*)$/i.exec(text.slice(i + 2, end))
      if (!m) return `"${text.slice(i, end + 1)}" is not a valid macro`
      const letter = m[1].toLowerCase()
      if (!(explain ? EXPLAIN_LETTERS : DOMAIN_LETTERS).includes(letter)) {
        return `the macro letter "${m[1]}" is not allowed ${explain ? 'in an explanation' : 'in a domain name'} (§7.2)`
      }
      // §7.3: DIGITS must be nonzero; 128 and more are as good as "all of them".
      if (m[2] !== '' && Number(m[2]) === 0) return `"${text.slice(i, end + 1)}": a macro keeps at least one part`
      if (literal) parts.push({literal})
      literal = ''
      parts.push({letter, urlEscape: m[1] !== letter, digits: m[2] === '' ? null : Number(m[2]), reverse: m[3] !== '', delimiters: m[4] || '.'})
      i = end
      continue
    } else return `"%${next ?? ''}" is not a valid macro (write %% for a percent sign)`
    i++
  }
  if (literal) parts.push({literal})
  return parts
}

/**
 * §7.3: a domain-spec must end in a macro or in "." followed by a top label that is not all
 * digits, so "a:10.0.0.1" and "include:localhost" are syntax errors.
 */
function domainSpecProblem(spec: string): string | undefined {
  const parsed = parseMacroString(spec)
  if (typeof parsed === 'string') return parsed
  const last = parsed[parsed.length - 1]
  if (last && 'letter' in last) return undefined
  if (!/\.(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])\.?$/i.test(spec)) return `"${spec}" is not a domain name with a top-level label`
  return undefined
}

export interface MacroValues {
  /** <sender>, local-part@domain. */
  sender: string
  /** <domain>: the domain whose record is being evaluated. */
  domain: string
  ip: IpAddress | null
  helo: string
  /** %{p}: looked up only when a macro asks for it. */
  validatedName?: () => Promise<string>
  now?: Date
}

/** Letters that need the client address; without one (the walk), such a term cannot be expanded. */
const ADDRESS_LETTERS = new Set(['i', 'p', 'v', 'c'])

export function needsAddress(parts: MacroPart[]): boolean {
  return parts.some((p) => 'letter' in p && ADDRESS_LETTERS.has(p.letter))
}

/** Expands parsed macros (§7.3, §7.4). Uppercase letters URL-escape their value. */
export async function expandMacros(parts: MacroPart[], values: MacroValues): Promise<string> {
  let out = ''
  for (const part of parts) {
    if ('literal' in part) {
      out += part.literal
      continue
    }
    let value = await macroValue(part.letter, values)
    if (part.digits !== null || part.reverse || part.delimiters !== '.') {
      let pieces = value.split(new RegExp(`[${part.delimiters.replace(/[-\\\]^]/g, '\\$&')}]`))
      if (part.reverse) pieces = pieces.reverse()
      if (part.digits !== null && part.digits < pieces.length) pieces = pieces.slice(pieces.length - part.digits)
      value = pieces.join('.')
    }
    out += part.urlEscape ? urlEscape(value) : value
  }
  return out
}

async function macroValue(letter: string, values: MacroValues): Promise<string> {
  const at = values.sender.lastIndexOf('@')
  switch (letter) {
    case 's':
      return values.sender
    case 'l':
      return values.sender.slice(0, at)
    case 'o':
      return values.sender.slice(at + 1)
    case 'd':
      return values.domain
    case 'h':
      return values.helo
    case 'i':
      return values.ip ? dottedIp(values.ip) : ''
    case 'c':
      return values.ip?.text ?? ''
    case 'v':
      return values.ip?.family === 6 ? 'ip6' : 'in-addr'
    case 'p':
      return values.validatedName ? values.validatedName() : 'unknown'
    case 'r':
      // The receiving host: maildig is not one, and §7.3 says "unknown" then.
      return 'unknown'
    case 't':
      return String(Math.floor((values.now ?? new Date()).getTime() / 1000))
    default:
      return ''
  }
}

/** §7.3: uppercase macros escape everything but the RFC 3986 unreserved characters. */
function urlEscape(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('')
}

/** §7.3: an expanded name longer than 253 characters loses labels on the left until it fits. */
function fitDomain(name: string): string {
  let result = name.replace(/\.$/, '')
  while (result.length > 253 && result.includes('.')) result = result.slice(result.indexOf('.') + 1)
  return result
}

// ---------------------------------------------------------------------------------------------
// Parsing (§4.6.1, §12 ABNF)

/** Parses an SPF record. Any syntax error anywhere makes the record a permerror (§4.6). */
export function parseSpfRecord(text: string): SpfParse {
  if (!isSpfRecord(text)) return {ok: false, error: 'the record does not begin with "v=spf1"'}
  // Terms are separated by one or more spaces; tabs or other white space are not allowed (§12).
  const terms = text.slice(6).split(' ').filter((t) => t !== '')
  const record: SpfRecord = {text, directives: [], redirect: null, exp: null, unknownModifiers: []}
  for (const term of terms) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term)
    if (modifier) {
      const name = modifier[1].toLowerCase()
      const value = modifier[2]
      if (name === 'redirect' || name === 'exp') {
        // §6: each may appear at most once.
        if (record[name] !== null) return {ok: false, error: `"${name}=" appears more than once`}
        const problem = domainSpecProblem(value)
        if (problem) return {ok: false, error: `${term}: ${problem}`}
        record[name] = value
      } else {
        const problem = parseMacroString(value)
        if (typeof problem === 'string') return {ok: false, error: `${term}: ${problem}`}
        record.unknownModifiers.push({name, value})
      }
      continue
    }
    const directive = parseDirective(term)
    if (typeof directive === 'string') return {ok: false, error: directive}
    record.directives.push(directive)
  }
  return {ok: true, record}
}

function parseDirective(term: string): SpfDirective | string {
  const m = /^([+\-~?]?)([a-z0-9]+)(.*)$/i.exec(term)
  if (!m) return `"${term}" is not a mechanism or modifier`
  const qualifier = (m[1] || '+') as SpfQualifier
  const name = m[2].toLowerCase()
  const rest = m[3]
  const directive: SpfDirective = {text: term, qualifier, mechanism: name as SpfMechanism, domainSpec: null, network: null, cidr4: null, cidr6: null}
  switch (name) {
    case 'all':
      if (rest !== '') return `"${term}": all takes no argument`
      return directive
    case 'include':
    case 'exists': {
      if (!rest.startsWith(':') || rest.length === 1) return `"${term}": ${name} needs ":domain"`
      const problem = domainSpecProblem(rest.slice(1))
      if (problem) return `"${term}": ${problem}`
      directive.domainSpec = rest.slice(1)
      return directive
    }
    case 'a':
    case 'mx':
    case 'ptr': {
      // The dual CIDR length comes last: "a:example.com/24//64", "mx//64", "a/26".
      const cidr = /^(.*?)(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest)!
      let spec = cidr[1]
      if (name === 'ptr' && (cidr[2] !== undefined || cidr[3] !== undefined)) return `"${term}": ptr takes no CIDR length`
      if (spec !== '') {
        if (!spec.startsWith(':') || spec.length === 1) return `"${term}" is not a valid ${name} mechanism`
        spec = spec.slice(1)
        const problem = domainSpecProblem(spec)
        if (problem) return `"${term}": ${problem}`
        directive.domainSpec = spec
      }
      const lengths = cidrLengths(term, cidr[2], cidr[3])
      if (typeof lengths === 'string') return lengths
      ;[directive.cidr4, directive.cidr6] = lengths
      return directive
    }
    case 'ip4':
    case 'ip6': {
      const v = /^:([^/]+)(?:\/(\d+))?$/.exec(rest)
      const ip = v ? parseIp(v[1]) : null
      const family = name === 'ip4' ? 4 : 6
      // "ip6:::ffff:192.0.2.1" is still an ip6 mechanism; only the literal form matters here.
      if (!v || !ip || (family === 4 ? !/^\d{1,3}(\.\d{1,3}){3}$/.test(v[1]) : !v[1].includes(':'))) {
        return `"${term}": ${name} needs an IPv${family} address`
      }
      const lengths = cidrLengths(term, family === 4 ? v[2] : undefined, family === 6 ? v[2] : undefined)
      if (typeof lengths === 'string') return lengths
      directive.network = v[1]
      ;[directive.cidr4, directive.cidr6] = lengths
      return directive
    }
    default:
      return `"${term}": unknown mechanism "${name}"`
  }
}

/** §5.6: IPv4 prefixes 0-32, IPv6 0-128, written without leading zeros. */
function cidrLengths(term: string, v4: string | undefined, v6: string | undefined): [number | null, number | null] | string {
  const check = (text: string | undefined, max: number): number | null | string => {
    if (text === undefined) return null
    if (!/^(0|[1-9]\d*)$/.test(text) || Number(text) > max) return `"${term}": the prefix length /${text} is not between 0 and ${max}`
    return Number(text)
  }
  const a = check(v4, 32)
  if (typeof a === 'string') return a
  const b = check(v6, 128)
  if (typeof b === 'string') return b
  return [a, b]
}

// ---------------------------------------------------------------------------------------------
// Evaluation (§4.6 - §6)

/** Ends an evaluation early: a limit, a syntax error, a DNS failure. */
class SpfAbort extends Error {
  constructor(
    readonly result: 'permerror' | 'temperror',
    readonly code: FindingCode,
    message: string,
    readonly subject: string,
  ) {
    super(message)
  }
}

interface Outcome {
  result: SpfResult
  reason: string
  /** The directive that decided, as written, and the domain whose record holds it. */
  mechanism?: string
  matchedIn?: string
  explanation?: string
  code?: FindingCode
  subject?: string
}

interface Problem {
  code: FindingCode
  message: string
  subject: string
  severity?: 'error' | 'warning' | 'info'
}

type Query = DnsQuery

class Evaluation {
  lookups = 0
  voidLookups = 0
  /** Domains whose SPF record was read, in order. */
  readonly domains: string[] = []
  /** Terms the walk could not follow without a client address. */
  readonly unexpanded: string[] = []
  /** The walk's findings (the check aborts instead). */
  readonly problems: Problem[] = []
  ptrUsed: string[] = []
  passAll: string[] = []

  readonly query: Query

  constructor(
    readonly mode: 'check' | 'walk',
    query: Query,
    readonly ip: IpAddress | null,
    readonly sender: string,
    readonly helo: string,
  ) {
    // §4.3, §4.8: a target name that no DNS query can carry (an empty label, a label over 63 octets, as a macro may
    // produce) is treated as a name that does not exist, not asked (the RFC 7208 suite's invalid-domain cases).
    this.query = ((name, type) => (queryableName(name) ? query(name, type) : Promise.resolve(nonexistent(name, type)))) as Query
  }

  /** A fatal condition: the check stops with it; the walk notes it and goes on. */
  abort(result: 'permerror' | 'temperror', code: FindingCode, message: string, subject: string): void {
    if (this.mode === 'check') throw new SpfAbort(result, code, message, subject)
    if (!this.problems.some((p) => p.code === code && p.message === message)) this.problems.push({code, message, subject})
  }

  countLookup(term: string, domain: string): boolean {
    this.lookups++
    if (this.mode === 'walk') return this.lookups <= WALK_CAP
    if (this.lookups > LOOKUP_LIMIT) {
      this.abort('permerror', 'SPF_TOO_MANY_LOOKUPS', `"${term}" in the record of ${domain} is DNS lookup ${this.lookups}; SPF allows ${LOOKUP_LIMIT} (RFC 7208 §4.6.4): permerror`, domain)
    }
    return true
  }

  countVoid(term: string, domain: string, name: string): void {
    this.voidLookups++
    if (this.mode === 'check' && this.voidLookups > VOID_LIMIT) {
      this.abort('permerror', 'SPF_VOID_LOOKUPS', `"${term}" in the record of ${domain}: ${name} does not exist; that is void lookup ${this.voidLookups}, SPF allows ${VOID_LIMIT} (RFC 7208 §4.6.4): permerror`, domain)
    }
  }

  /** A lookup that failed (not one that found nothing): temperror (§4.4, §5). */
  dnsFailed(answer: DnsAnswer, term: string, domain: string): void {
    this.abort('temperror', 'SPF_TEMPERROR', `"${term}" in the record of ${domain}: ${answer.type} ${answer.name} failed (${answer.detail ?? answer.status}): temperror`, answer.name)
  }

  values(domain: string): MacroValues {
    return {sender: this.sender, domain, ip: this.ip, helo: this.helo, validatedName: () => this.validatedName(domain)}
  }

  /** Expands a domain-spec, or null in the walk when it needs the client address. */
  async expand(spec: string, domain: string, term: string): Promise<string | null> {
    const parts = parseMacroString(spec) as MacroPart[]
    if (!this.ip && needsAddress(parts)) {
      if (!this.unexpanded.includes(term)) this.unexpanded.push(term)
      return null
    }
    return normalizeName(fitDomain(await expandMacros(parts, this.values(domain))))
  }

  /** The names of the client's PTR records that resolve back to it (§5.5), at most 10 looked at. */
  async validatedNames(): Promise<string[]> {
    const ip = this.ip
    if (!ip) return []
    const ptr = await this.query(reverseName(ip.text), 'PTR')
    if (ptr.status !== 'ok') return []
    const names = ptr.records.slice(0, NAME_LIMIT).map((r) => normalizeName(r.name))
    const checked = await Promise.all(
      names.map(async (name) => {
        const answer = await this.query(name, ip.family === 4 ? 'A' : 'AAAA')
        // §5.5: a failed lookup of one name just drops that name.
        return answer.records.some((r) => {
          const address = parseIp(r.address)
          return address !== null && sameIp(address, ip)
        })
      }),
    )
    return names.filter((_, i) => checked[i])
  }

  /** %{p} (§7.3): the target domain itself, else one of its subdomains, else any validated name, else "unknown". */
  async validatedName(domain: string): Promise<string> {
    const names = await this.validatedNames()
    return names.find((n) => n === domain) ?? names.find((n) => n.endsWith(`.${domain}`)) ?? names[0] ?? 'unknown'
  }
}

function queryableName(name: string): boolean {
  const bare = name.replace(/\.$/, '')
  return bare.length > 0 && bare.length <= 253 && bare.split('.').every((l) => l.length > 0 && l.length <= 63)
}

function nonexistent<T extends RecordType>(name: string, type: T): DnsAnswer<T> {
  return {name, type, status: 'nxdomain', rcode: 'NXDOMAIN', records: [], cnames: [], authenticated: false, server: null, transport: null, ms: 0, detail: `"${name}" is not a valid DNS name: treated as non-existent (RFC 7208 §4.8)`}
}

/** §4.3: check_host() answers "none" for a malformed or single-label domain. */
function validSpfDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false
  const labels = domain.split('.')
  return labels.length >= 2 && labels.every((l) => l.length > 0 && l.length <= 63)
}

/** check_host() (§4): the result for `domain`, following includes and redirects. */
async function checkHost(ev: Evaluation, domain: string, stack: string[], inInclude: boolean): Promise<Outcome> {
  try {
    return await evaluateDomain(ev, domain, stack, inInclude)
  } catch (error) {
    if (!(error instanceof SpfAbort)) throw error
    return {result: error.result, reason: error.message, code: error.code, subject: error.subject}
  }
}

async function evaluateDomain(ev: Evaluation, domain: string, stack: string[], inInclude: boolean): Promise<Outcome> {
  if (!validSpfDomain(domain)) return {result: 'none', reason: `"${domain}" is not a valid domain name (RFC 7208 §4.3)`}
  const answer = await ev.query(domain, 'TXT')
  if (isDnsFailure(answer)) {
    ev.abort('temperror', 'SPF_TEMPERROR', `TXT ${domain} failed (${answer.detail ?? answer.status}): temperror (RFC 7208 §4.4)`, domain)
    return {result: 'temperror', reason: `TXT ${domain} failed`}
  }
  const records = txtTexts(answer).filter(isSpfRecord)
  if (records.length === 0) return {result: 'none', reason: `${domain} publishes no SPF record`}
  if (records.length > 1) {
    // Reported by checkSpf for the top domain; deeper, it is what makes an include a permerror.
    if (stack.length > 1) ev.abort('permerror', 'SPF_INCLUDE_INVALID', `${domain} publishes ${records.length} SPF records: permerror (RFC 7208 §4.5)`, domain)
    else ev.abort('permerror', 'SPF_MULTIPLE_RECORDS', `${domain} publishes ${records.length} SPF records: permerror (RFC 7208 §4.5)`, domain)
    return {result: 'permerror', reason: `${domain} publishes ${records.length} SPF records`}
  }
  if (!ev.domains.includes(domain)) ev.domains.push(domain)
  const parsed = parseSpfRecord(records[0])
  if (!parsed.ok) {
    ev.abort('permerror', 'SPF_SYNTAX_ERROR', `the SPF record of ${domain} is invalid: ${parsed.error}: permerror (RFC 7208 §4.6)`, domain)
    return {result: 'permerror', reason: `the SPF record of ${domain} is invalid: ${parsed.error}`}
  }
  const record = parsed.record
  if (ev.mode === 'walk') noteRecord(ev, record, domain)

  if (ev.mode === 'walk') {
    // Every term, in parallel: the walk matches nothing and only counts.
    await Promise.all(record.directives.map((d) => matches(ev, d, domain, stack)))
  } else {
    for (const directive of record.directives) {
      if (!(await matches(ev, directive, domain, stack))) continue
      const result = QUALIFIER_RESULT[directive.qualifier]
      const outcome: Outcome = {result, reason: `matched "${directive.text}" in the record of ${domain}`, mechanism: directive.text, matchedIn: domain}
      // §6.2: the explanation of an included record is never used.
      if (result === 'fail' && record.exp && !inInclude) {
        const explanation = await explain(ev, record.exp, domain)
        if (explanation !== undefined) outcome.explanation = explanation
      }
      return outcome
    }
  }
  // §6.1: redirect= applies only when nothing matched, and is ignored when the record has "all".
  if (record.redirect !== null && !record.directives.some((d) => d.mechanism === 'all')) {
    const term = `redirect=${record.redirect}`
    if (!ev.countLookup(term, domain)) return {result: 'neutral', reason: 'walk cut short'}
    const target = await ev.expand(record.redirect, domain, term)
    if (target === null) return {result: 'neutral', reason: `${term} needs the client address`}
    if (stack.includes(target)) {
      ev.abort('permerror', 'SPF_INCLUDE_INVALID', `${term} in the record of ${domain} loops back (${[...stack, target].join(' → ')}): permerror`, domain)
      return {result: 'permerror', reason: 'redirect loop'}
    }
    const sub = await checkHost(ev, target, [...stack, target], inInclude)
    if (sub.result === 'none') {
      // §6.1: a redirect to a domain without an SPF record is a permerror.
      ev.abort('permerror', 'SPF_INCLUDE_INVALID', `${term} in the record of ${domain}: ${sub.reason}: permerror (RFC 7208 §6.1)`, domain)
      return {result: 'permerror', reason: sub.reason}
    }
    if (ev.mode === 'check' && (sub.result === 'permerror' || sub.result === 'temperror')) {
      throw new SpfAbort(sub.result, sub.code ?? 'SPF_INCLUDE_INVALID', sub.reason, sub.subject ?? target)
    }
    return sub
  }
  // §4.7: no match and no redirect is "neutral".
  return {result: 'neutral', reason: `nothing in the record of ${domain} matched; the default result is neutral (RFC 7208 §4.7)`}
}

function noteRecord(ev: Evaluation, record: SpfRecord, domain: string): void {
  for (const d of record.directives) {
    if (d.mechanism === 'ptr' && !ev.ptrUsed.includes(domain)) ev.ptrUsed.push(domain)
    if (d.mechanism === 'all' && d.qualifier === '+' && !ev.passAll.includes(domain)) ev.passAll.push(domain)
  }
}

/** Whether one directive's mechanism matches the client (§5). In the walk, performs its lookups and answers false. */
async function matches(ev: Evaluation, d: SpfDirective, domain: string, stack: string[]): Promise<boolean> {
  const ip = ev.ip
  switch (d.mechanism) {
    case 'all':
      return ev.mode === 'check'
    case 'ip4':
    case 'ip6': {
      if (!ip) return false
      const network = parseIp(d.network!)!
      const bits = network.family === 4 ? (d.cidr4 ?? 32) : (d.cidr6 ?? 128)
      return inNetwork(ip, network, bits)
    }
    case 'include': {
      if (!ev.countLookup(d.text, domain)) return false
      const target = await ev.expand(d.domainSpec!, domain, d.text)
      if (target === null) return false
      if (stack.includes(target)) {
        ev.abort('permerror', 'SPF_INCLUDE_INVALID', `"${d.text}" in the record of ${domain} loops back (${[...stack, target].join(' → ')}): permerror`, domain)
        return false
      }
      const sub = await checkHost(ev, target, [...stack, target], true)
      // §5.2: how an included result maps to a match.
      switch (sub.result) {
        case 'pass':
          return ev.mode === 'check'
        case 'fail':
        case 'softfail':
        case 'neutral':
          return false
        case 'temperror':
        case 'permerror':
          if (ev.mode === 'check') throw new SpfAbort(sub.result, sub.code ?? 'SPF_INCLUDE_INVALID', sub.reason, sub.subject ?? target)
          return false
        case 'none':
          ev.abort('permerror', 'SPF_INCLUDE_INVALID', `"${d.text}" in the record of ${domain}: ${sub.reason}: permerror (RFC 7208 §5.2)`, domain)
          return false
      }
      return false
    }
    case 'a': {
      if (!ev.countLookup(d.text, domain)) return false
      const target = await ev.expand(d.domainSpec ?? '%{d}', domain, d.text)
      if (target === null) return false
      const types: Array<'A' | 'AAAA'> = ip ? [ip.family === 4 ? 'A' : 'AAAA'] : ['A', 'AAAA']
      const answers = await Promise.all(types.map((t) => ev.query(target, t)))
      const failed = answers.find(isDnsFailure)
      if (failed) {
        ev.dnsFailed(failed, d.text, domain)
        return false
      }
      if (answers.every((a) => a.status !== 'ok')) {
        ev.countVoid(d.text, domain, target)
        return false
      }
      return ip !== null && answers.some((a) => addressesMatch(a.records, ip, d))
    }
    case 'mx': {
      if (!ev.countLookup(d.text, domain)) return false
      const target = await ev.expand(d.domainSpec ?? '%{d}', domain, d.text)
      if (target === null) return false
      const answer = await ev.query(target, 'MX')
      if (isDnsFailure(answer)) {
        ev.dnsFailed(answer, d.text, domain)
        return false
      }
      if (answer.status !== 'ok') {
        ev.countVoid(d.text, domain, target)
        return false
      }
      // A null MX (RFC 7505) names no host.
      const hosts = answer.records.map((r) => normalizeName(r.exchange)).filter((h) => h !== '')
      if (hosts.length > NAME_LIMIT) {
        ev.abort('permerror', 'SPF_MX_TOO_MANY_NAMES', `"${d.text}" in the record of ${domain}: ${target} has ${hosts.length} MX hosts; SPF looks at ${NAME_LIMIT} at most (RFC 7208 §4.6.4): permerror`, domain)
        return false
      }
      if (!ip) return false
      const addresses = await Promise.all(hosts.map((h) => ev.query(h, ip.family === 4 ? 'A' : 'AAAA')))
      if (addresses.some((a) => a.status === 'ok' && addressesMatch(a.records, ip, d))) return true
      const failed = addresses.find(isDnsFailure)
      if (failed) ev.dnsFailed(failed, d.text, domain)
      return false
    }
    case 'ptr': {
      if (!ev.countLookup(d.text, domain)) return false
      if (!ip) return false
      const target = await ev.expand(d.domainSpec ?? '%{d}', domain, d.text)
      if (target === null) return false
      const names = await ev.validatedNames()
      return names.some((n) => n === target || n.endsWith(`.${target}`))
    }
    case 'exists': {
      if (!ev.countLookup(d.text, domain)) return false
      const target = await ev.expand(d.domainSpec!, domain, d.text)
      if (target === null) return false
      // §5.7: always an A lookup, whatever the client's address family.
      const answer = await ev.query(target, 'A')
      if (isDnsFailure(answer)) {
        ev.dnsFailed(answer, d.text, domain)
        return false
      }
      if (answer.status !== 'ok') {
        ev.countVoid(d.text, domain, target)
        return false
      }
      return ev.mode === 'check'
    }
  }
}

function addressesMatch(records: Array<{address: string}>, ip: IpAddress, d: SpfDirective): boolean {
  const bits = ip.family === 4 ? (d.cidr4 ?? 32) : (d.cidr6 ?? 128)
  return records.some((r) => {
    const address = parseIp(r.address)
    return address !== null && inNetwork(ip, address, bits)
  })
}

/** §6.2: the exp= text for a fail; any problem means no explanation, never an error. */
async function explain(ev: Evaluation, spec: string, domain: string): Promise<string | undefined> {
  try {
    const target = await ev.expand(spec, domain, `exp=${spec}`)
    if (!target) return undefined
    const answer = await ev.query(target, 'TXT')
    if (answer.status !== 'ok' || answer.records.length !== 1) return undefined
    const parts = parseMacroString(answer.records[0].text, true)
    if (typeof parts === 'string') return undefined
    return await expandMacros(parts, ev.values(domain))
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// The check


export interface SpfOptions {
  /** The HELO/EHLO name, for %{h}; defaults to the domain. */
  heloDomain?: string
  /** The envelope sender (MAIL FROM), for %{s} %{l} %{o}; defaults to postmaster@<domain> (§4.3). */
  sender?: string
  /** The DNS questions, answered from a run's cache when several checks share it (src/lib/dns/cache.ts). */
  query?: DnsQuery
}

/** §4.3: a sender without a local part is "postmaster" at that domain; none at all is postmaster@<domain>. */
export function spfSender(sender: string | undefined, domain: string): string {
  const raw = sender?.trim() || `postmaster@${domain}`
  return raw.includes('@') ? (raw.startsWith('@') ? `postmaster${raw}` : raw) : `postmaster@${raw}`
}

/** One check_host() (RFC 7208 §4): the result for `ip` at `domain`, as a receiver computes it. */
export interface SpfEvaluation {
  result: SpfResult
  reason: string
  mechanism: string | null
  matchedIn: string | null
  explanation: string | null
  lookups: number
  voidLookups: number
  /** The finding code of a permerror or temperror (SPF_TOO_MANY_LOOKUPS, SPF_TEMPERROR, …). */
  code: FindingCode | null
}

/**
 * check_host(ip, domain, sender) with `helo` for %{h}: the one evaluation `trace` and `sender` share. Never throws
 * for DNS trouble (that is a temperror); throws UsageError for an `ip` that is not an address.
 */
export async function spfCheckHost(query: DnsQuery, params: {ip: string; domain: string; sender?: string; helo?: string}): Promise<SpfEvaluation> {
  const address = parseIp(params.ip)
  if (!address) throw new UsageError(`"${params.ip}" is not an IP address`)
  const domain = normalizeName(params.domain)
  const ev = new Evaluation('check', query, address, spfSender(params.sender, domain), normalizeName(params.helo ?? domain))
  const outcome = await checkHost(ev, domain, [domain], false)
  return {
    result: outcome.result,
    reason: outcome.reason,
    mechanism: outcome.mechanism ?? null,
    matchedIn: outcome.matchedIn ?? null,
    explanation: outcome.explanation ?? null,
    lookups: ev.lookups,
    voidLookups: ev.voidLookups,
    code: outcome.code ?? null,
  }
}

/**
 * Checks a domain's SPF record and, given an address, evaluates it the way a receiver would.
 * Never throws for DNS trouble (that is a temperror); throws UsageError for an `ip` that is not an address.
 */
export async function checkSpf(domain: string, ip: string | null, resolver: DnsResolver, options: SpfOptions = {}): Promise<{info: SpfInfo; findings: Finding[]}> {
  const name = normalizeName(domain)
  const address = ip === null ? null : parseIp(ip)
  if (ip !== null && !address) throw new UsageError(`"${ip}" is not an IP address`)
  const sender = spfSender(options.sender, name)
  const helo = normalizeName(options.heloDomain ?? name)
  const query: Query = options.query ?? cachedQuery(resolver)

  const top = await query(name, 'TXT')
  const records = txtTexts(top).filter(isSpfRecord)
  const walk = new Evaluation('walk', query, null, sender, helo)
  await checkHost(walk, name, [name], false)

  let outcome: Outcome | null = null
  let check: Evaluation | null = null
  if (address) {
    check = new Evaluation('check', query, address, sender, helo)
    outcome = await checkHost(check, name, [name], false)
  }

  const info: SpfInfo = {
    domain: name,
    record: records.length === 1 ? records[0] : null,
    lookupError: isDnsFailure(top) ? lookupFailure(top) : null,
    records,
    ip: address?.text ?? null,
    sender,
    result: outcome?.result ?? null,
    reason: outcome?.reason ?? null,
    mechanism: outcome?.mechanism ?? null,
    matchedIn: outcome?.matchedIn ?? null,
    ...(outcome?.explanation === undefined ? {} : {explanation: outcome.explanation}),
    lookups: (check ?? walk).lookups,
    voidLookups: (check ?? walk).voidLookups,
    tree: {lookups: walk.lookups, voidLookups: walk.voidLookups, domains: walk.domains, unexpanded: walk.unexpanded},
  }
  return {info, findings: spfFindings(name, records, top, walk, outcome, address)}
}

function spfFindings(domain: string, records: string[], top: DnsAnswer, walk: Evaluation, outcome: Outcome | null, ip: IpAddress | null): Finding[] {
  const findings: Finding[] = []
  const add = (f: Finding) => {
    if (!findings.some((g) => g.code === f.code && g.message === f.message)) findings.push(f)
  }
  if (isDnsFailure(top)) {
    add(finding('SPF_TEMPERROR', `TXT ${domain} failed (${top.detail ?? top.status}): the SPF record could not be read; receivers answer temperror`, domain))
    return findings
  }
  if (records.length === 0) add(finding('SPF_MISSING', `${domain} publishes no SPF record (no TXT record begins with "v=spf1"): receivers get "none"`, domain))
  if (records.length > 1) add(finding('SPF_MULTIPLE_RECORDS', `${domain} publishes ${records.length} SPF records: every evaluation ends in permerror (RFC 7208 §4.5)`, domain))

  // The limits, from the walk: some sender meets them even when this address matches early.
  const outcomeCode = outcome?.code
  if (walk.lookups > LOOKUP_LIMIT || outcomeCode === 'SPF_TOO_MANY_LOOKUPS') {
    const shown = walk.lookups > WALK_CAP ? `more than ${WALK_CAP}` : String(walk.lookups)
    const hit = outcomeCode === 'SPF_TOO_MANY_LOOKUPS' ? `; the evaluation for ${ip!.text} hit it: permerror` : ip ? `; the evaluation for ${ip.text} matched before reaching it, other senders get permerror` : ''
    add(finding('SPF_TOO_MANY_LOOKUPS', `evaluating the SPF record of ${domain} needs ${shown} DNS lookups when nothing matches early; the limit is ${LOOKUP_LIMIT} (RFC 7208 §4.6.4)${hit}`, domain))
  }
  if (walk.voidLookups > VOID_LIMIT || outcomeCode === 'SPF_VOID_LOOKUPS') {
    const hit = outcomeCode === 'SPF_VOID_LOOKUPS' ? `; the evaluation for ${ip!.text} hit it: permerror` : ''
    add(finding('SPF_VOID_LOOKUPS', `the SPF record of ${domain} makes ${walk.voidLookups} lookups that find nothing; the limit is ${VOID_LIMIT} (RFC 7208 §4.6.4)${hit}`, domain))
  }
  for (const p of walk.problems) {
    if (p.code === 'SPF_MULTIPLE_RECORDS' && records.length > 1) continue
    add(finding(p.code, p.message, p.subject, p.severity))
  }
  if (outcome && outcomeCode && outcomeCode !== 'SPF_TOO_MANY_LOOKUPS' && outcomeCode !== 'SPF_VOID_LOOKUPS' && !(outcomeCode === 'SPF_MULTIPLE_RECORDS' && records.length > 1)) {
    if (!findings.some((f) => f.code === outcomeCode)) add(finding(outcomeCode, outcome.reason, outcome.subject ?? domain))
  }
  for (const d of walk.ptrUsed) add(finding('SPF_PTR_USED', `the SPF record of ${d} uses the ptr mechanism (RFC 7208 §5.5: SHOULD NOT be used)`, d))
  for (const d of walk.passAll) add(finding('SPF_ALLOWS_ALL', `the SPF record of ${d} has "+all": every address passes`, d))
  if (outcome && ip && (outcome.result === 'fail' || outcome.result === 'softfail')) {
    const severity = outcome.result === 'fail' ? 'error' : 'warning'
    const why = outcome.explanation ? ` (the domain explains: "${outcome.explanation}")` : ''
    add(finding('SPF_NOT_PERMITTED', `SPF ${outcome.result} for ${ip.text}: ${outcome.reason}${why}`, domain, severity))
  }
  return findings
}
