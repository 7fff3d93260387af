import type {ChalkInstance} from 'chalk'
import type {DkimSelector, DkimSignature} from '../lib/dkim/schema.js'
import type {Finding} from '../lib/findings.js'
import type {DmarcIdentifier, DmarcPolicyValue} from '../lib/policy/schema.js'
import type {SenderBimi, SenderDkim, SenderDmarc} from '../lib/sender/schema.js'
import {foldLine, marks, outputColumns, table} from './style.js'
import {indent, sectionFindings, sectionHeading} from './sender.js'

// The DKIM, DMARC and BIMI sections of the `sender` report. Each keeps the three outcomes apart as the JSON does:
// found, absent (the DNS said so), or could not be checked (with why): a lookup that failed is never shown as missing.
// The values arrive escaped (MaildigCommand escapes every string of a result before it renders), so record text from
// the DNS or a message is shown as it is here.

/** Label/value lines under a section heading, labels in one column, a long value folded between words under itself. */
function fieldLines(rows: readonly (readonly [string, string])[], columns: number): string {
  const width = Math.max(...rows.map(([label]) => label.length))
  // On a narrow terminal the label column would leave too little room: each label on a line of its own instead.
  if (columns > 0 && width + 4 > columns / 3) {
    return rows.flatMap(([label, value]) => [...(label ? [`  ${label}`] : []), ...foldLine('    ', value, '    ', columns)]).join('\n')
  }
  return rows.flatMap(([label, value]) => foldLine(`  ${label.padEnd(width)}  `, value, ' '.repeat(width + 4), columns)).join('\n')
}

/** The width left for a table indented by two spaces; 0 stays 0 (no limit). */
function inner(columns: number): number {
  return columns > 0 ? Math.max(1, columns - 2) : 0
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

// ——— DKIM ———

export function renderDkimSection(c: ChalkInstance, dkim: SenderDkim, findings: readonly Finding[], columns = outputColumns()): string {
  const own = sectionFindings(findings, ['DKIM_', 'ARC_'])
  const lines = [sectionHeading(c, 'DKIM', dkim.status, dkimSummary(dkim), own, columns)]
  if (dkim.guessed && dkim.selectors.length === 0) lines.push(fieldLines([['tried', guessedNote(dkim)]], columns))
  if (dkim.selectors.length > 0) {
    const rows = dkim.selectors.map((k) => [k.selector, k.domain, keySource(k), keyText(c, k), flag(c, k, k.testing), flag(c, k, k.revoked), keyStatus(c, k)])
    lines.push(indent(table(c, ['SELECTOR', 'DOMAIN', 'FROM', 'KEY', 'TESTING', 'REVOKED', 'STATUS'], rows, inner(columns))))
    if (dkim.guessed) lines.push(fieldLines([['tried', `${dkim.tried.join(', ')} (the common selectors: a key under any other name is not looked for)`]], columns))
  }
  if (dkim.signatures.length > 0) {
    const rows = dkim.signatures.map((s) => [String(s.index), s.domain ?? '?', s.selector ?? '?', s.algorithm ?? '?', aligned(c, s.aligned), signatureResult(c, s)])
    lines.push(indent(table(c, ['#', 'SIGNED BY (d=)', 'SELECTOR', 'ALGORITHM', 'FROM ALIGNED', 'RESULT'], rows, inner(columns))))
  }
  if (dkim.arc) lines.push(fieldLines([['ARC', arcText(c, dkim)]], columns))
  else if (dkim.messageError) lines.push(fieldLines([['message', `not verified: ${dkim.messageError}`]], columns))
  return lines.join('\n')
}

function dkimSummary(dkim: SenderDkim): string {
  if (dkim.status === 'unknown') return `could not be checked: ${dkim.error}`
  const parts: string[] = []
  if (dkim.guessed) {
    const found = dkim.selectors.filter((k) => k.status !== 'absent' && k.status !== 'unknown')
    const unknown = dkim.selectors.length - found.length
    if (found.length > 0) parts.push(`key under the common selector${found.length === 1 ? '' : 's'} ${found.map((k) => k.selector).join(', ')}`)
    else if (unknown > 0) parts.push(`no key under the common selectors that answered; ${unknown} of ${dkim.tried.length} could not be checked`)
    else parts.push(`no key under the ${dkim.tried.length} common selectors tried`)
  } else if (dkim.selectors.length > 0) {
    const found = dkim.selectors.filter((k) => k.status === 'found').length
    parts.push(`${found} of ${plural(dkim.selectors.length, 'key')} usable`)
  }
  if (dkim.arc) {
    const passed = dkim.signatures.filter((s) => s.result === 'pass').length
    parts.push(dkim.signatures.length === 0 ? 'the message is not signed' : `${plural(dkim.signatures.length, 'signature')}, ${passed} pass`)
    if (dkim.arc.instances > 0) parts.push(`ARC ${dkim.arc.result}`)
  }
  return parts.join(' · ')
}

/** What guessing found nothing means: whether _domainkey.<domain> exists says whether any selector can. */
function guessedNote(dkim: SenderDkim): string {
  const tried = dkim.tried.join(', ')
  const name = dkim.domainKey?.name ?? `_domainkey.${dkim.domain}`
  switch (dkim.domainKey?.status) {
    case 'nxdomain':
      return `${tried}: none has a key, and ${name} does not exist (NXDOMAIN), so no selector can have one`
    case 'exists':
      return `${tried}: none has a key, but ${name} exists: keys may be published under other selectors (name one with --selector, or give a signed --message)`
    case 'unknown':
      return `${tried}: none has a key; whether ${name} exists could not be checked`
    default:
      return `${tried}: none has a key; that proves nothing about other selectors (name one with --selector, or give a signed --message)`
  }
}

function keySource(k: DkimSelector): string {
  return k.source === 'flag' ? '--selector' : k.source === 'message' ? 'message' : 'guess'
}

function keyText(c: ChalkInstance, k: DkimSelector): string {
  if (k.status === 'unknown') return c.yellow('?')
  if (k.keyType === null) return ''
  if (k.keyType === 'ed25519') return 'ed25519'
  return k.keyBits === null ? 'rsa' : `rsa ${k.keyBits} bits`
}

/** t=y and revoked: yes or blank; ? when the key could not be read. */
function flag(c: ChalkInstance, k: DkimSelector, value: boolean): string {
  if (k.status === 'unknown') return c.yellow('?')
  return value ? c.yellow('yes') : ''
}

function keyStatus(c: ChalkInstance, k: DkimSelector): string {
  const m = marks(c)
  const problems = k.problems.length > 0 ? `: ${k.problems.join('; ')}` : ''
  const via = k.cname ? ` (alias of ${k.cname})` : ''
  switch (k.status) {
    case 'found':
      return `${k.problems.length > 0 || k.testing ? m.warn : m.ok} found${via}${problems}`
    case 'revoked':
      return `${m.warn} revoked (empty p=)${via}`
    case 'invalid':
      return `${m.fail} invalid${via}${problems}`
    case 'absent':
      return `${m.fail} absent: no key at ${k.name}`
    case 'unknown':
      return `${c.yellow('?')} could not be checked: ${k.lookupError ?? `${k.name}: lookup failed`}`
  }
}

function aligned(c: ChalkInstance, value: boolean | null): string {
  if (value === null) return c.dim('(no From)')
  return value ? 'yes' : c.yellow('no')
}

function signatureResult(c: ChalkInstance, s: DkimSignature): string {
  const m = marks(c)
  const partial = s.bodyLengthLimit !== null ? ` (l=${s.bodyLengthLimit}${s.unsignedBodyBytes ? `: ${s.unsignedBodyBytes} body bytes not signed` : ''})` : ''
  switch (s.result) {
    case 'pass':
      return `${partial ? m.warn : m.ok} pass${partial}`
    case 'temperror':
      return `${c.yellow('?')} temperror (could not be checked): ${s.reason}`
    default:
      return `${m.fail} ${s.result}: ${s.reason}${partial}`
  }
}

function arcText(c: ChalkInstance, dkim: SenderDkim): string {
  const arc = dkim.arc!
  if (arc.instances === 0) return `${c.dim('○')} none: the message has no ARC sets`
  const sets = arc.sealers.map((s) => `i=${s.i} ${s.domain ?? '?'} (s=${s.selector ?? '?'}, cv=${s.cv ?? '?'})`).join(', ')
  const m = marks(c)
  if (arc.result === 'pass') return `${m.ok} pass: ${plural(arc.instances, 'set')}, ${sets}`
  if (arc.result === 'fail') return `${m.fail} fail: ${arc.reason ?? 'a seal did not verify'}; ${sets}`
  return `${c.dim('○')} none${arc.reason ? `: ${arc.reason}` : ''}; ${sets}`
}

// ——— DMARC (RFC 9989) ———

export function renderDmarcSection(c: ChalkInstance, dmarc: SenderDmarc, findings: readonly Finding[], columns = outputColumns()): string {
  const own = sectionFindings(findings, ['DMARC_'])
  const heading = sectionHeading(c, 'DMARC', dmarc.status, dmarcSummary(dmarc), own, columns)
  const rows: [string, string][] = []
  if (dmarc.record !== null) rows.push(['record', `_dmarc.${dmarc.recordDomain}: ${dmarc.record}`])
  const p = dmarc.policy
  if (p) {
    const tags = [
      `p=${p.p}${p.pImplicit ? ' (no p= tag: read as none)' : ''}`,
      `sp=${p.sp ?? `${p.p} (as p=)`}`,
      `np=${p.np ?? `${p.sp ?? p.p} (as ${p.sp ? 'sp=' : 'p='})`}`,
      `t=${p.t}${p.t === 'y' ? ' (test mode)' : ''}`,
      `adkim=${p.adkim} (${p.adkim === 's' ? 'strict' : 'relaxed'})`,
      `aspf=${p.aspf} (${p.aspf === 's' ? 'strict' : 'relaxed'})`,
      ...(p.psd !== 'u' ? [`psd=${p.psd}`] : []),
      ...(p.fo.join(':') !== '0' ? [`fo=${p.fo.join(':')}`] : []),
    ]
    rows.push(['policy', tags.join(' · ')])
    if (p.removed.length > 0) rows.push(['removed', `${p.removed.map((r) => `${r.tag}=${r.value}`).join(', ')}: RFC 9989 removed ${p.removed.length === 1 ? 'this tag' : 'these tags'}; receivers that follow it ignore ${p.removed.length === 1 ? 'it' : 'them'}`])
  }
  if (dmarc.walk.length > 0) rows.push(['tree walk', dmarc.walk.map((step) => `${step.name} ${walkResult(step.result)}`).join(' → ')])
  if (dmarc.status !== 'unknown' || dmarc.organizationalDomain !== null) {
    rows.push(['org. domain', dmarc.organizationalDomain ?? 'could not be determined (a lookup of the tree walk failed)'])
  }
  const reports = dmarc.reports.map((r) => `${r.kind} ${r.uri}${reportAuthorisation(c, r)}`)
  reports.forEach((text, i) => rows.push([i === 0 ? 'reports' : '', text]))
  if (p && dmarc.reports.length === 0) rows.push(['reports', c.dim('none asked for (no rua=): the domain gets no aggregate reports')])
  const meaning = dmarcMeaning(dmarc)
  if (meaning) rows.push(['meaning', meaning])
  const alignment = dmarc.alignment && dmarc.alignment.result !== 'none' ? dmarc.alignment : null
  if (alignment) rows.push(['this run', alignmentResult(c, dmarc)])
  const lines = [heading]
  if (rows.length > 0) lines.push(fieldLines(rows, columns))
  if (alignment) {
    const identifiers = [...alignment.spf, ...alignment.dkim]
    const tableRows = identifiers.map((x) => [x.kind.toUpperCase(), x.domain, x.result, x.mode === 's' ? 'strict' : 'relaxed', alignedIdentifier(c, x)])
    lines.push(indent(table(c, ['ID', 'DOMAIN', 'RESULT', 'MODE', 'ALIGNED WITH FROM'], tableRows, inner(columns))))
  }
  return lines.join('\n')
}

function dmarcSummary(dmarc: SenderDmarc): string {
  if (dmarc.status === 'unknown') return `could not be checked: ${dmarc.error}`
  if (dmarc.status === 'absent') {
    const names = dmarc.queried.length > 1 ? `, nor at its organizational domain (asked ${dmarc.queried.length} names)` : ''
    return `no DMARC record at _dmarc.${dmarc.domain}${names}: receivers apply no policy`
  }
  if (!dmarc.policy) return `the record at _dmarc.${dmarc.recordDomain} cannot be used (see the findings)`
  const from =
    dmarc.source === 'psd'
      ? ` (the public suffix domain ${dmarc.recordDomain}'s policy, psd=y)`
      : dmarc.inherited
        ? ` (inherited from ${dmarc.recordDomain}, the organizational domain: ${policyTag(dmarc)})`
        : ''
  return `${dmarc.effectivePolicy ?? 'none'} for ${dmarc.domain}${from}${dmarc.testing ? ', test mode (t=y)' : ''}`
}

/** Which tag gave the effective policy (RFC 9989 §4.10.1): p= for the domain's own record; np=, sp= or p= for a parent's. */
function policyTag(dmarc: SenderDmarc): string {
  const p = dmarc.policy!
  if (!dmarc.inherited) return 'p='
  if (dmarc.domainExists === false && p.np !== null) return 'np=, the domain does not exist'
  return p.sp !== null ? 'sp=' : 'p='
}

function walkResult(result: SenderDmarc['walk'][number]['result']): string {
  return {record: 'record', none: 'none', multiple: 'several records (discarded)', invalid: 'invalid', failed: '? lookup failed'}[result]
}

function reportAuthorisation(c: ChalkInstance, r: SenderDmarc['reports'][number]): string {
  const m = marks(c)
  if (!r.external) return r.destination ? ' (inside the domain)' : ''
  if (r.authorized === true) return ` ${m.ok} authorised by ${r.authorization}`
  if (r.authorized === false) return ` ${m.warn} not authorised: no "v=DMARC1" at ${r.authorization}, so it gets no reports (RFC 9990)`
  return ` ${c.yellow('?')} authorisation could not be checked${r.lookupError ? `: ${r.lookupError}` : ''}`
}

/** What the policy means for mail from this sender, in words. */
function dmarcMeaning(dmarc: SenderDmarc): string | undefined {
  if (dmarc.status === 'absent') return `nothing is asked of receivers: mail forged in the name of ${dmarc.domain} is judged by other means (spam filters)`
  if (!dmarc.policy || dmarc.effectivePolicy === null) return undefined
  const failing = `mail from ${dmarc.domain} that fails DMARC`
  const asked = {
    reject: `receivers are asked to reject ${failing}`,
    quarantine: `receivers are asked to quarantine ${failing} (usually: deliver it to the spam folder)`,
    none: `receivers are asked to take no action on ${failing}: it is only reported`,
  } satisfies Record<DmarcPolicyValue, string>
  let text = asked[dmarc.effectivePolicy]
  if (dmarc.testing && dmarc.effectivePolicy !== 'none') text += ', but t=y asks them not to apply the policy yet (test mode)'
  if (dmarc.alignment?.result === 'pass') text += `; mail as this run describes it passes DMARC`
  else if (dmarc.alignment?.result === 'fail') text += `; mail as this run describes it fails DMARC${dmarc.effectivePolicy !== 'none' && !dmarc.testing ? `, so it would be ${dmarc.effectivePolicy === 'reject' ? 'rejected' : 'quarantined'}` : ''}`
  else if (dmarc.alignment?.result === 'temperror') text += '; whether mail as this run describes it passes could not be checked'
  return text
}

function alignmentResult(c: ChalkInstance, dmarc: SenderDmarc): string {
  const m = marks(c)
  switch (dmarc.alignment!.result) {
    case 'pass':
      return `${m.ok} DMARC pass: an identifier that passed is aligned with ${dmarc.domain}`
    case 'fail':
      return `${m.fail} DMARC fail: no identifier both passed and is aligned with ${dmarc.domain}`
    default:
      return `${c.yellow('?')} could not be checked (temperror): a lookup for the alignment failed`
  }
}

function alignedIdentifier(c: ChalkInstance, x: DmarcIdentifier): string {
  const m = marks(c)
  const mark = x.aligned === null ? c.yellow('?') : x.aligned ? m.ok : m.fail
  return `${mark} ${x.reason}`
}

// ——— BIMI ———

export function renderBimiSection(c: ChalkInstance, bimi: SenderBimi, findings: readonly Finding[], columns = outputColumns()): string {
  const own = sectionFindings(findings, ['BIMI_'])
  const heading = sectionHeading(c, 'BIMI', bimi.status, bimiSummary(bimi), own, columns)
  const m = marks(c)
  const rows: [string, string][] = []
  const at = bimi.recordDomain && bimi.recordDomain !== bimi.domain ? `${bimi.selector}._bimi.${bimi.recordDomain}` : bimi.name
  if (bimi.record !== null) rows.push(['record', `${at}: ${bimi.record}`])
  if (bimi.problems.length > 0) rows.push(['problems', `${m.fail} ${bimi.problems.join('; ')}`])
  if (bimi.assertion === 'found' || bimi.assertion === 'invalid') {
    if (bimi.logoUrl !== null || bimi.logo) rows.push(['logo', logoText(c, bimi)])
    rows.push(['certificate', certificateText(c, bimi)])
  }
  if (bimi.assertion === 'found' || bimi.assertion === 'invalid') {
    const d = bimi.dmarc
    rows.push(['DMARC', d.ok === null ? `${c.yellow('?')} could not be checked (DMARC could not be read)` : d.ok ? `${m.ok} at enforcement (quarantine or reject, not in test mode), as BIMI requires` : `${m.fail} not at enforcement: ${d.problems.join('; ')}`])
  }
  return rows.length > 0 ? `${heading}\n${fieldLines(rows, columns)}` : heading
}

function bimiSummary(bimi: SenderBimi): string {
  const elsewhere = bimi.recordDomain && bimi.recordDomain !== bimi.domain ? ` (found at the organizational domain ${bimi.recordDomain})` : ''
  switch (bimi.assertion) {
    case 'unknown':
      return `could not be checked: ${bimi.error ?? bimi.lookupError}`
    case 'absent':
      return `no BIMI record at ${bimi.name}: receivers show no logo`
    case 'declined':
      return `declined at ${bimi.name}${elsewhere} (empty l= and a=): the domain asks that no logo be shown`
    case 'invalid':
      return `the record at ${bimi.name}${elsewhere} cannot be used`
    case 'found':
      return `found at ${bimi.name}${elsewhere}`
  }
}

function logoText(c: ChalkInstance, bimi: SenderBimi): string {
  const m = marks(c)
  const logo = bimi.logo
  const url = bimi.logoUrl ?? logo?.url ?? ''
  if (!logo) return `${url} ${c.dim('(not fetched)')}`
  // An HTTP answer that is not the logo is a fact; no answer at all (a timeout, a TLS failure) could not be checked.
  if (!logo.fetched) return logo.status !== null ? `${url} ${m.fail} not served: ${logo.error}` : `${url} ${c.yellow('?')} could not be fetched: ${logo.error}`
  const got = [logo.status !== null ? `HTTP ${logo.status}` : null, logo.contentType, logo.bytes !== null ? `${logo.bytes} bytes` : null].filter((x) => x !== null).join(', ')
  const profile = logo.tinyPs === null ? '' : logo.tinyPs ? ` · ${m.ok} SVG Tiny PS` : ` · ${m.fail} not SVG Tiny PS`
  const title = logo.title !== null ? ` · title "${logo.title}"` : ''
  const square = logo.square === false ? ` · ${m.warn} not square` : logo.square ? ' · square' : ''
  const problems = logo.problems.length > 0 ? `: ${logo.problems.join('; ')}` : ''
  return `${url} fetched (${got})${profile}${title}${square}${problems}`
}

function certificateText(c: ChalkInstance, bimi: SenderBimi): string {
  const m = marks(c)
  const cert = bimi.certificate
  if (bimi.authorityUrl === null && !cert) return `${c.dim('○')} none (no a=): most mailbox providers show a logo only with a mark certificate (VMC or CMC)`
  const url = bimi.authorityUrl ?? cert?.url ?? ''
  if (!cert) return `${url} ${c.dim('(not fetched)')}`
  if (!cert.fetched) return `${url} ${c.yellow('?')} could not be fetched: ${cert.error}`
  if (cert.subject === null) return `${url} ${m.fail} fetched, but not readable${cert.error ? `: ${cert.error}` : ''}`
  const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '?')
  const left = cert.daysLeft === null ? '' : cert.daysLeft < 0 ? ` ${m.fail} expired` : ` (${plural(cert.daysLeft, 'day')} left)`
  const usage = cert.markUsage === null ? '' : cert.markUsage ? ` · ${m.ok} mark usage (VMC/CMC)` : ` · ${m.fail} no BIMI mark usage`
  const names = cert.names.length > 0 ? ` · for ${cert.names.join(', ')}` : ''
  const problems = cert.error ? ` · ${m.fail} ${cert.error}` : ''
  return `${url} fetched: ${cert.subject}, issued by ${cert.issuer ?? '?'}, valid ${day(cert.validFrom)} to ${day(cert.validTo)}${left}${usage}${names}${problems}`
}
