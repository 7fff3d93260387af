import {headerValues, type HeaderField} from './message.js'
import type {ArcChain, ArcInstance, AuthenticationResult, AuthMethodResult, MessageAuthentication, ReceiverAuthentication} from './schema.js'

export type {ArcChain, ArcInstance, AuthenticationResult, AuthMethodResult, MessageAuthentication, ReceiverAuthentication}

/**
 * What the receiving servers concluded about a message's authenticity: Authentication-Results
 * (RFC 8601) and the ARC chain (RFC 8617). Nothing here verifies a signature; it reads what the
 * servers wrote, which only the receiving organisation's own servers can be trusted to have
 * written (RFC 8601 §5: a field from another authserv-id may be forged by the sender).
 */


/** RFC 8617 §4.2.1: instance numbers run from 1 to 50. */
export const MAX_ARC_INSTANCES = 50

interface Word {
  text: string
}

interface Segment {
  words: Word[]
  /** Comments, each tagged with the number of words that came before it. */
  comments: {after: number; text: string}[]
}

/**
 * Splits a payload at the semicolons that are outside comments and quoted strings (a comment such
 * as "(2048-bit key; unprotected)" holds semicolons). Quoted strings lose their quotes inside the
 * word, so `reason="a b"` reads as one word `reason=a b`.
 */
function segments(value: string): Segment[] {
  const out: Segment[] = [{words: [], comments: []}]
  let word: string | null = null
  const flush = () => {
    if (word !== null) out.at(-1)!.words.push({text: word})
    word = null
  }
  for (let i = 0; i < value.length; i++) {
    const c = value[i]
    if (c === '(') {
      flush()
      let depth = 0
      let text = ''
      for (; i < value.length; i++) {
        const d = value[i]
        if (d === '\\' && i + 1 < value.length) {
          text += value[++i]
          continue
        }
        if (d === '(' && depth++ === 0) continue
        if (d === ')' && --depth === 0) break
        text += d
      }
      const segment = out.at(-1)!
      segment.comments.push({after: segment.words.length, text: text.replace(/\s+/g, ' ').trim()})
    } else if (c === '"') {
      let text = ''
      for (i++; i < value.length && value[i] !== '"'; i++) text += value[i] === '\\' ? value[++i] ?? '' : value[i]
      word = (word ?? '') + text
    } else if (c === ';') {
      flush()
      out.push({words: [], comments: []})
    } else if (/\s/.test(c)) {
      flush()
    } else {
      word = (word ?? '') + c
    }
  }
  flush()
  return out
}

/** RFC 8601 allows CFWS around "=": `spf = pass` becomes `spf=pass`. `end` counts the words consumed. */
function joinAroundEquals(words: Word[], offset: number): {text: string; end: number}[] {
  const out: {text: string; end: number}[] = []
  words.forEach(({text}, index) => {
    const previous = out.at(-1)
    const end = offset + index + 1
    if (previous !== undefined && previous.text.indexOf('=') === previous.text.length - 1) {
      previous.text += text
      previous.end = end
    } else if (previous !== undefined && text.startsWith('=') && !previous.text.includes('=')) {
      previous.text += text
      previous.end = end
    } else {
      out.push({text, end})
    }
  })
  return out
}

function keyValue(word: string): [string, string] | null {
  const at = word.indexOf('=')
  if (at <= 0) return null
  return [word.slice(0, at).toLowerCase(), word.slice(at + 1).trim()]
}

// Registered methods (IANA "Email Authentication Methods") and Microsoft's compauth. A second
// method inside one segment means a writer forgot the ";" between results.
const METHODS = new Set([
  'auth', 'dkim', 'dkim-adsp', 'dkim-atps', 'dmarc', 'domainkeys', 'iprev', 'sender-id', 'spf', 'arc', 'bimi',
  'rrvs', 'smime', 'vbr', 'dnswl', 'compauth',
])

function resultsOf(segment: Segment, skipWords: number): AuthMethodResult[] {
  const results: AuthMethodResult[] = []
  const comments: string[][] = []
  // Which result was being read once a given number of words had been consumed.
  const ownerAfter: {end: number; owner: number}[] = []
  for (const {text, end} of joinAroundEquals(segment.words.slice(skipWords), skipWords)) {
    const pair = keyValue(text)
    if (pair) {
      const [key, value] = pair
      const method = key.replace(/\/.*$/, '')
      const current = results.at(-1)
      if (current === undefined || (!key.includes('.') && METHODS.has(method))) {
        results.push({method, result: value.toLowerCase(), reason: null, props: {}, comment: null})
        comments.push([])
      } else if (key === 'reason') {
        current.reason ??= value
      } else if (!(key in current.props)) {
        current.props[key] = value
      }
    }
    ownerAfter.push({end, owner: Math.max(0, results.length - 1)})
  }
  // A comment belongs to the result whose words it follows, or to the first if it comes first.
  for (const {after, text} of segment.comments) {
    if (results.length === 0 || text === '') continue
    const owner = ownerAfter.findLast((o) => o.end <= after)?.owner ?? 0
    comments[owner].push(text)
  }
  results.forEach((r, index) => {
    r.comment = comments[index].length > 0 ? comments[index].join('; ') : null
  })
  return results
}

/** Parses an authres-payload: the value of Authentication-Results, or of an AAR after its `i=`. */
export function parseAuthenticationResults(value: string): AuthenticationResult {
  const parts = segments(value)
  let authservId: string | null = null
  let version: number | null = null
  const results: AuthMethodResult[] = []
  const first = parts[0]
  let firstResultWords = 0
  // Microsoft 365 omits the authserv-id and starts with "spf=…": the first segment is then a result.
  if (first.words.length > 0 && !first.words[0].text.includes('=')) {
    authservId = first.words[0].text.toLowerCase()
    firstResultWords = 1
    if (first.words.length > 1 && /^\d+$/.test(first.words[1].text)) {
      version = Number(first.words[1].text)
      firstResultWords = 2
    }
  }
  const firstComments = first.comments.filter((c) => c.after >= firstResultWords)
  results.push(...resultsOf({words: first.words, comments: firstComments}, firstResultWords))
  for (const part of parts.slice(1)) {
    // §2.2: "none" instead of results means no method was applied.
    if (part.words.length === 1 && part.words[0].text.toLowerCase() === 'none') continue
    results.push(...resultsOf(part, 0))
  }
  return {authservId, version, results, raw: value}
}

/**
 * Parses a DKIM-style tag list (RFC 6376 §3.2), used by ARC-Seal and ARC-Message-Signature.
 * White space inside base64 values (b=, bh=) is folding and is removed.
 */
export function parseTagList(value: string): Record<string, string> {
  const tags: Record<string, string> = {}
  for (const part of value.split(';')) {
    const at = part.indexOf('=')
    if (at <= 0) continue
    const name = part.slice(0, at).trim().toLowerCase()
    let tagValue = part.slice(at + 1).trim()
    if (name === 'b' || name === 'bh') tagValue = tagValue.replace(/\s+/g, '')
    // §3.2: duplicate tags make the list invalid; the first is kept so the others cannot override it.
    if (!(name in tags)) tags[name] = tagValue
  }
  return tags
}

function instanceNumber(text: string | undefined): number | null {
  if (text === undefined || !/^\d{1,3}$/.test(text.trim())) return null
  return Number(text.trim())
}

/** Parses the ARC sets of a message and checks the chain's structure (RFC 8617 §5.2, without cryptography). */
export function parseArcChain(fields: readonly HeaderField[]): ArcChain {
  const seals = headerValues(fields, 'ARC-Seal')
  const signatures = headerValues(fields, 'ARC-Message-Signature')
  const aars = headerValues(fields, 'ARC-Authentication-Results')
  if (seals.length + signatures.length + aars.length === 0) return {status: 'none', reason: null, instances: []}

  const byInstance = new Map<number, ArcInstance>()
  const problems: string[] = []
  const instance = (i: number): ArcInstance => {
    let found = byInstance.get(i)
    if (!found) {
      found = {i, cv: null, domain: null, selector: null, authservId: null, results: [], hasSeal: false, hasMessageSignature: false, hasAuthenticationResults: false}
      byInstance.set(i, found)
    }
    return found
  }

  for (const seal of seals) {
    const tags = parseTagList(seal)
    const i = instanceNumber(tags.i)
    if (i === null) {
      problems.push('an ARC-Seal has no valid i= tag')
      continue
    }
    const entry = instance(i)
    if (entry.hasSeal) problems.push(`instance ${i} has more than one ARC-Seal`)
    entry.hasSeal = true
    entry.cv = tags.cv?.toLowerCase() ?? null
    entry.domain ??= tags.d?.toLowerCase() ?? null
    entry.selector ??= tags.s ?? null
  }
  for (const signature of signatures) {
    const tags = parseTagList(signature)
    const i = instanceNumber(tags.i)
    if (i === null) {
      problems.push('an ARC-Message-Signature has no valid i= tag')
      continue
    }
    const entry = instance(i)
    if (entry.hasMessageSignature) problems.push(`instance ${i} has more than one ARC-Message-Signature`)
    entry.hasMessageSignature = true
    // The message signature names the domain that vouches for the content; prefer it to the seal's.
    if (tags.d) entry.domain = tags.d.toLowerCase()
    if (tags.s) entry.selector = tags.s
  }
  for (const aar of aars) {
    const semicolon = aar.indexOf(';')
    const head = /^\s*i\s*=\s*(\d{1,3})\s*$/.exec(semicolon < 0 ? aar : aar.slice(0, semicolon))
    if (!head) {
      problems.push('an ARC-Authentication-Results has no valid i= tag')
      continue
    }
    const i = Number(head[1])
    const entry = instance(i)
    if (entry.hasAuthenticationResults) problems.push(`instance ${i} has more than one ARC-Authentication-Results`)
    entry.hasAuthenticationResults = true
    const payload = parseAuthenticationResults(semicolon < 0 ? '' : aar.slice(semicolon + 1))
    entry.authservId = payload.authservId
    entry.results = payload.results
  }

  const instances = [...byInstance.values()].sort((a, b) => a.i - b.i)
  const highest = instances.at(-1)?.i ?? 0
  if (highest > MAX_ARC_INSTANCES || instances.length > MAX_ARC_INSTANCES) {
    problems.push(`the chain has more than ${MAX_ARC_INSTANCES} instances`)
  }
  instances.forEach((entry, index) => {
    if (entry.i !== index + 1) problems.push(`instance numbers are not contiguous from 1 (instance ${index + 1} is missing)`)
  })
  for (const entry of instances) {
    const missing = [
      entry.hasSeal ? null : 'ARC-Seal',
      entry.hasMessageSignature ? null : 'ARC-Message-Signature',
      entry.hasAuthenticationResults ? null : 'ARC-Authentication-Results',
    ].filter((m) => m !== null)
    if (missing.length > 0) problems.push(`instance ${entry.i} lacks ${missing.join(' and ')}`)
    if (entry.cv === 'fail') problems.push(`instance ${entry.i} records cv=fail: an intermediary found the chain broken`)
    // §5.1.1 / §5.2: the first seal says cv=none (nothing before it), every later one cv=pass.
    else if (entry.hasSeal && entry.i === 1 && entry.cv !== 'none') problems.push(`instance 1 must have cv=none, not cv=${entry.cv ?? '(missing)'}`)
    else if (entry.hasSeal && entry.i > 1 && entry.cv !== 'pass') problems.push(`instance ${entry.i} must have cv=pass, not cv=${entry.cv ?? '(missing)'}`)
  }
  const unique = [...new Set(problems)]
  return {status: unique.length === 0 ? 'pass' : 'fail', reason: unique.length === 0 ? null : unique.join('; '), instances}
}

/**
 * The final receiver's verdicts: the newest Authentication-Results field names the receiver, and
 * every field with the same authserv-id is its own (Postfix with OpenDKIM and OpenDMARC writes one per
 * verifier, all with the same id). RFC 8601 §5 has the receiver delete fields with its id that
 * arrived with the message, so none of them is the sender's. Without an id (Microsoft 365), only
 * the newest field is known to be the receiver's.
 */
export function receiverAuthentication(fields: readonly AuthenticationResult[]): ReceiverAuthentication | null {
  const newest = fields[0]
  if (newest === undefined) return null
  const own = newest.authservId === null ? [newest] : fields.filter((f) => f.authservId === newest.authservId)
  return {authservId: newest.authservId, fields: own.length, results: own.flatMap((f) => f.results)}
}

/** Every Authentication-Results field (newest first, as in the header), the receiver's verdicts and the ARC chain. */
export function analyzeAuthentication(fields: readonly HeaderField[]): MessageAuthentication {
  const authenticationResults = headerValues(fields, 'Authentication-Results').map(parseAuthenticationResults)
  return {
    authenticationResults,
    receiver: receiverAuthentication(authenticationResults),
    arc: parseArcChain(fields),
  }
}
