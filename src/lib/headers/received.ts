import {isIP} from '../net/ip.js'


import {parseMailDate, type MailDate} from './date.js'
import type {Received} from './schema.js'

export type {Received}

/**
 * One Received field (RFC 5321 §4.4), as the servers that write them really write them.
 *
 * The RFC form is `from EHLO-name (TCP-info) by host via link with protocol id ID for <rcpt>; date`,
 * every clause optional. Real servers reorder clauses (Exchange puts `via` after `id`), drop the
 * `;` before the date, fill comments with TLS details, and disagree about which name comes first:
 * Postfix and Sendmail write the EHLO name and put the reverse-DNS name in the comment; Exim and
 * qmail write the reverse-DNS name and put the EHLO name in the comment (`helo=`, `HELO`).
 */


type Token = {kind: 'word'; text: string} | {kind: 'comment'; text: string} | {kind: 'semicolon'}

/** Splits into words, comments (nested, RFC 5322 §3.2.2) and semicolons. An unclosed comment runs to the end. */
function tokenize(value: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < value.length) {
    const c = value[i]
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++
    } else if (c === ';') {
      tokens.push({kind: 'semicolon'})
      i++
    } else if (c === ')') {
      i++
    } else if (c === '(') {
      let depth = 0
      let text = ''
      let j = i
      for (; j < value.length; j++) {
        const d = value[j]
        if (d === '\\' && j + 1 < value.length) {
          text += value[++j]
          continue
        }
        if (d === '(' && depth++ === 0) continue
        if (d === ')' && --depth === 0) break
        text += d
      }
      tokens.push({kind: 'comment', text: text.replace(/\s+/g, ' ').trim()})
      i = j + 1
    } else if (c === '"') {
      let j = i + 1
      let text = ''
      for (; j < value.length && value[j] !== '"'; j++) text += value[j] === '\\' ? value[++j] ?? '' : value[j]
      tokens.push({kind: 'word', text})
      i = j + 1
    } else {
      let j = i
      while (j < value.length && !/[\s;()]/.test(value[j])) j++
      tokens.push({kind: 'word', text: value.slice(i, j)})
      i = j
    }
  }
  return tokens
}

/** The longest run of words a date can take: "Mon, 1 Jan 2024 10:00:00 +0000" plus a stray word or two. */
const MAX_DATE_TOKENS = 10

/**
 * Separates the date from the clauses. RFC 5321 puts it after the last ";", but qmail-era and
 * some appliance MTAs leave the ";" out, so then the longest trailing run of words that parses
 * as a date is taken.
 */
function splitDate(tokens: Token[]): {clauses: Token[]; date: MailDate | null} {
  // Comments are left out: the date parser would skip them anyway, and a comment's escaped
  // parenthesis, once unescaped, would unbalance the text.
  const render = (part: Token[]) => part.flatMap((t) => (t.kind === 'word' ? [t.text] : [])).join(' ')
  const lastSemicolon = tokens.findLastIndex((t) => t.kind === 'semicolon')
  if (lastSemicolon >= 0) {
    const parsed = parseMailDate(render(tokens.slice(lastSemicolon + 1)))
    return {clauses: tokens.slice(0, lastSemicolon).filter((t) => t.kind !== 'semicolon'), date: parsed}
  }
  const words = tokens.map((t, index) => ({t, index})).filter(({t}) => t.kind === 'word')
  for (const {index} of words.slice(-MAX_DATE_TOKENS)) {
    const parsed = parseMailDate(render(tokens.slice(index)))
    if (parsed) return {clauses: tokens.slice(0, index), date: parsed}
  }
  return {clauses: tokens, date: null}
}

const KEYWORDS = new Set(['from', 'by', 'via', 'with', 'id', 'for'])
// Exchange writes "with Microsoft SMTP Server" and "via Frontend Transport": several words.
const MULTI_WORD = new Set(['with', 'via'])

interface Clause {
  words: string[]
  comments: string[]
  closed: boolean
}

interface Clauses {
  byName: Map<string, Clause>
  comments: string[]
  eximCipher: string | null
}

function readClauses(tokens: Token[]): Clauses {
  const byName = new Map<string, Clause>()
  const comments: string[] = []
  let current: {name: string; clause: Clause} | null = null
  let eximCipher: string | null = null
  let expectCipher = false
  for (const token of tokens) {
    if (token.kind === 'comment') {
      comments.push(token.text)
      if (current) {
        current.clause.comments.push(token.text)
        if (current.clause.words.length > 0) current.clause.closed = true
      }
      continue
    }
    if (token.kind !== 'word') continue
    const lower = token.text.toLowerCase()
    if (expectCipher) {
      eximCipher = token.text
      expectCipher = false
      continue
    }
    if (KEYWORDS.has(lower) && !byName.has(lower)) {
      current = {name: lower, clause: {words: [], comments: [], closed: false}}
      byName.set(lower, current.clause)
      continue
    }
    // Exim 4.9x: "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384".
    if (lower === 'tls' && current?.name === 'with') {
      expectCipher = true
      continue
    }
    if (current && !current.clause.closed && (current.clause.words.length === 0 || MULTI_WORD.has(current.name))) {
      current.clause.words.push(token.text)
    }
  }
  return {byName, comments, eximCipher}
}

/** An address from "[192.0.2.1]", "[192.0.2.1]:25", "[IPv6:2001:db8::1]", "fe80::1%5" or a bare address. */
function addressOf(text: string): string | null {
  let value = text.trim()
  const bracket = /^\[([^\]]*)\](?::\d+)?$/.exec(value)
  if (bracket) value = bracket[1]
  value = value.replace(/^ipv6:/i, '')
  // A zone index (Exchange writes "fe80::…%5") means nothing outside the host that wrote it.
  const zone = value.indexOf('%')
  if (zone > 0) value = value.slice(0, zone)
  return isIP(value) === 0 ? null : value.toLowerCase()
}

/** A host name as a Received field states it, or null for "unknown", literals and junk. */
function hostNameOf(text: string | undefined): string | null {
  if (text === undefined) return null
  // Gmail writes the reverse-DNS name fully qualified, with the root dot.
  const name = text.replace(/\.$/, '')
  if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/i.test(name) || !/[a-z]/i.test(name)) return null
  if (name.toLowerCase() === 'unknown' || addressOf(name)) return null
  return name
}

/** The client's address and reverse-DNS name from the comments of the from clause (the TCP-info). */
function tcpInfo(comments: string[]): {ip: string | null; rdns: string | null} {
  for (const comment of comments) {
    // Postfix and Sendmail: "(rdns [ip])"; Exim: "([ip]:port helo=…)"; Dovecot: "([unix socket])".
    for (const match of comment.matchAll(/\[[^\]\s]+\](?::\d+)?/g)) {
      const ip = addressOf(match[0])
      if (!ip) continue
      const before = comment.slice(0, match.index).trim().split(' ').at(-1)
      return {ip, rdns: hostNameOf(before)}
    }
  }
  for (const comment of comments) {
    // qmail: "(192.0.2.1)" or "(user@192.0.2.1)"; Exchange: "(2001:db8::12)".
    for (const piece of comment.split(/[\s,]+/)) {
      const ip = addressOf(piece.slice(piece.lastIndexOf('@') + 1))
      if (ip) return {ip, rdns: null}
    }
  }
  return {ip: null, rdns: null}
}

// RFC 3848 and RFC 6531 protocol names, plus Gmail's "SMTPS", which say the session used TLS.
const TLS_PROTOCOLS = new Set(['ESMTPS', 'ESMTPSA', 'LMTPS', 'LMTPSA', 'UTF8SMTPS', 'UTF8SMTPSA', 'UTF8LMTPS', 'UTF8LMTPSA', 'SMTPS', 'HTTPS'])
// Protocol names that say the session had no TLS. Exchange always adds "(version=…, cipher=…)" or
// "(TLS)" after "Microsoft SMTP Server" when the session was encrypted, so its absence counts too.
const PLAIN_PROTOCOLS = new Set(['SMTP', 'ESMTP', 'ESMTPA', 'LMTP', 'LMTPA', 'UTF8SMTP', 'UTF8SMTPA', 'UTF8LMTP', 'UTF8LMTPA', 'ASMTP', 'MICROSOFT SMTP SERVER'])

/** "TLS1_2", "TLS1.3", "TLSv1" → OpenSSL's "TLSv1.2", "TLSv1.3", "TLSv1.0". Anything else as written. */
function normaliseTlsVersion(version: string): string {
  const match = /^(TLS|SSL)v?(\d)(?:[._](\d))?$/i.exec(version)
  if (!match) return version
  if (match[1].toUpperCase() === 'SSL') return `SSLv${match[2]}`
  return `TLSv${match[2]}.${match[3] ?? '0'}`
}

interface TlsFacts {
  tls: boolean | null
  version: string | null
  cipher: string | null
}

function tlsFacts(comments: string[], protocol: string | null, eximCipher: string | null): TlsFacts {
  let version: string | null = null
  let cipher: string | null = eximCipher
  let evidence = eximCipher !== null
  for (const comment of comments) {
    let match: RegExpExecArray | null
    if ((match = /\busing\s+((?:TLS|SSL)v?[\d._]+)\s+with\s+cipher\s+([^\s()]+)/i.exec(comment))) {
      // Postfix: "(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))".
      version ??= match[1]
      cipher ??= match[2]
      evidence = true
    } else if ((match = /\bversion=([^\s,;)]+)[,;]?\s+cipher=([^\s,;)]+)/i.exec(comment))) {
      // Sendmail and Gmail "(version=TLS1_3 cipher=…)", Exchange "(version=TLS1_2, cipher=…)".
      version ??= match[1]
      cipher ??= match[2]
      evidence = true
    } else if ((match = /^((?:TLS|SSL)v?\d(?:[._]\d)?)(?::([^:\s]+))?(?::\d+)?$/i.exec(comment))) {
      // Exim: "(TLS1.3)" before "tls CIPHER", or older "(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)".
      version ??= match[1]
      cipher ??= match[2] ?? null
      evidence = true
    } else if ((match = /^([A-Z0-9_-]+) encrypted$/i.exec(comment))) {
      // qmail's TLS patch: "with (DHE-RSA-AES256-SHA encrypted) SMTP".
      cipher ??= match[1]
      evidence = true
    } else if (/^TLS$/i.test(comment) || /\bGoogle Transport Security\b/i.test(comment)) {
      // Older Exchange writes a bare "(TLS)"; Gmail "(Google Transport Security)".
      evidence = true
    }
  }
  const name = protocol?.toUpperCase() ?? null
  let tls: boolean | null = null
  if (evidence || (name !== null && TLS_PROTOCOLS.has(name))) tls = true
  else if (name !== null && PLAIN_PROTOCOLS.has(name)) tls = false
  return {tls, version: version === null ? null : normaliseTlsVersion(version), cipher}
}

function firstWord(clause: Clause | undefined): string | null {
  return clause?.words[0] ?? null
}

/** Parses one Received field value. Never throws: what cannot be read is null. */
export function parseReceived(value: string): Received {
  const {clauses, date} = splitDate(tokenize(value))
  const {byName, comments, eximCipher} = readClauses(clauses)
  const fromClause = byName.get('from')
  const byClause = byName.get('by')
  const withClause = byName.get('with')
  const from = firstWord(fromClause)
  const fromComments = fromClause?.comments ?? []
  const info = tcpInfo(fromComments)

  // Exim and qmail put the EHLO name in the comment; the word after "from" is then their
  // reverse-DNS name (or "unknown", or the bracketed address when there is none).
  const heloComment = fromComments
    .map((c) => /(?:^|[\s(])(?:helo|ehlo)(?:=|\s+)([^\s()]+)/i.exec(c)?.[1])
    .find((h) => h !== undefined)
  const exim = comments.some((c) => /^Exim \d/i.test(c))
  const fromHelo = heloComment ?? from
  let fromRdns = info.rdns
  // Only for a remote client: Exim's "from alice by … with local" names a local user, not a host.
  if (fromRdns === null && info.ip !== null && (heloComment !== undefined || exim)) fromRdns = hostNameOf(from ?? undefined)

  const byWord = firstWord(byClause)
  const by = byWord === null ? null : byWord.replace(/\.$/, '')
  const byIp = (by === null ? null : addressOf(by)) ?? (byClause ? tcpInfo(byClause.comments).ip : null)

  const protocol = withClause && withClause.words.length > 0 ? withClause.words.join(' ') : null
  const tls = tlsFacts(comments, protocol, eximCipher)
  const tlsDetail = [tls.version, tls.cipher].filter((p) => p !== null).join(' ')

  const forWord = firstWord(byName.get('for'))
  const via = byName.get('via')
  const authenticated =
    (protocol !== null && /^(?:UTF8)?(?:E?SMTP|LMTP)S?A$|^ASMTP$/i.test(protocol)) ||
    comments.some((c) => /\bauthenticated\b/i.test(c))

  return {
    from,
    fromHelo,
    fromRdns,
    fromIp: info.ip ?? (from === null ? null : addressOf(from)),
    by,
    byIp,
    with: protocol,
    id: firstWord(byName.get('id'))?.replace(/[,;]$/, '') ?? null,
    for: forWord === null ? null : forWord.replace(/^<|>?,?$/g, '') || null,
    via: via && via.words.length > 0 ? via.words.join(' ') : null,
    date: date?.iso ?? null,
    dateZoneKnown: date ? date.zoneKnown : null,
    tls: tls.tls,
    tlsVersion: tls.version,
    tlsDetail: tlsDetail === '' ? null : tlsDetail,
    authenticated,
    raw: value,
  }
}
