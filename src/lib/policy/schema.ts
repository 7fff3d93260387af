import * as z from 'zod'

// The schemas of trace's `policy` object, apart from the checks that fill them: those import only the types, so a
// run builds none of them (building zod schemas costs start-up time); the docs and other schemas do.
import {DMARC_POLICIES} from './dmarc.js'

export const spfResultSchema = z.enum(['pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror'])
export type SpfResult = z.infer<typeof spfResultSchema>

export const spfInfoSchema = z.object({
  domain: z.string().describe('the domain whose SPF record was checked (the sender\'s domain)'),
  record: z.string().nullable().describe('the SPF record, when there is exactly one'),
  lookupError: z.string().nullable().describe('why the record is unknown: its DNS lookup failed ("lookup timed out"); null when the lookup was answered. A failed lookup is not an absent record'),
  records: z.array(z.string()).describe('every TXT record of the domain that begins with "v=spf1"'),
  ip: z.string().nullable().describe('the address evaluated, or null when none was given (then only the record and its limits are checked)'),
  sender: z.string().describe('the <sender> used for macros: --from, or postmaster@<domain>'),
  result: spfResultSchema.nullable().describe('check_host() for ip (RFC 7208 §2.6); null without an address'),
  reason: z.string().nullable().describe('why this result, in words'),
  mechanism: z.string().nullable().describe('the directive that decided, as written ("ip4:192.0.2.0/24", "-all"), or null'),
  matchedIn: z.string().nullable().describe('the domain whose record holds that directive (an include or redirect target)'),
  explanation: z.string().optional().describe('the exp= text the domain gives for a fail'),
  lookups: z.number().int().describe('DNS-querying terms counted (include, a, mx, ptr, exists, redirect; limit 10): during the evaluation for ip, or over the whole tree without one'),
  voidLookups: z.number().int().describe('lookups that found nothing (limit 2), counted the same way'),
  tree: z
    .object({
      lookups: z.number().int().describe('lookups needed when nothing matches early: the worst case any sender meets'),
      voidLookups: z.number().int(),
      domains: z.array(z.string()).describe('domains whose SPF record the walk read: the domain, its includes and redirects'),
      unexpanded: z.array(z.string()).describe('terms whose macros need the client address, not followed without one'),
    })
    .describe('the whole record tree walked as if nothing matched, following every include and redirect'),
})
export type SpfInfo = z.infer<typeof spfInfoSchema>

export const dmarcPolicyValueSchema = z.enum(DMARC_POLICIES)
export type DmarcPolicyValue = z.infer<typeof dmarcPolicyValueSchema>

export const dmarcRecordSchema = z.object({
  p: dmarcPolicyValueSchema.describe('policy for the domain (RFC 9989 §4.7); "none" when the tag is absent'),
  pImplicit: z.boolean().describe('the record has no p= tag, so it reads as p=none (RFC 9989 no longer requires p=)'),
  sp: dmarcPolicyValueSchema.nullable().describe('policy for existing subdomains; null: p applies'),
  np: dmarcPolicyValueSchema.nullable().describe('policy for subdomains that do not exist (RFC 9989 §4.7); null: sp, else p applies'),
  t: z.enum(['y', 'n']).describe('test mode: y asks receivers not to apply the policy (replaces pct=; default n)'),
  psd: z.enum(['y', 'n', 'u']).describe('public suffix domain flag: y (a PSD\'s record), n (an organizational domain), u (default: not said)'),
  rua: z.array(z.string()).describe('aggregate report URIs (unusable ones left out, with a warning)'),
  ruf: z.array(z.string()).describe('failure report URIs'),
  adkim: z.enum(['r', 's']).describe('DKIM alignment: relaxed or strict (default r)'),
  aspf: z.enum(['r', 's']).describe('SPF alignment: relaxed or strict (default r)'),
  fo: z.array(z.string()).describe('failure reporting options (default ["0"])'),
  removed: z
    .array(z.object({tag: z.enum(['pct', 'rf', 'ri']), value: z.string()}))
    .describe('tags RFC 9989 removed (pct, rf, ri), as published: receivers that follow RFC 9989 ignore them'),
})
export type DmarcRecord = z.infer<typeof dmarcRecordSchema>

export const dmarcWalkStepSchema = z.object({
  name: z.string().describe('the _dmarc name asked'),
  result: z.enum(['record', 'none', 'multiple', 'invalid', 'failed']).describe('one valid record, none, several (all discarded), one that is invalid, or the lookup failed'),
  psd: z.enum(['y', 'n', 'u']).nullable().describe('the psd= of a valid record there'),
})
export type DmarcWalkStep = z.infer<typeof dmarcWalkStepSchema>

export const dmarcReportDestinationSchema = z.object({
  uri: z.string(),
  kind: z.enum(['rua', 'ruf']),
  destination: z.string().nullable().describe('the domain of a mailto: URI'),
  external: z.boolean().describe('the destination is outside the organizational domain, so it must authorise the reports (RFC 9990 §3)'),
  authorization: z.string().nullable().describe('the name asked: <policy domain>._report._dmarc.<destination>'),
  authorized: z.boolean().nullable().describe('a "v=DMARC1" record is there; null when not needed or the lookup failed'),
  lookupError: z.string().nullable(),
})
export type DmarcReportDestination = z.infer<typeof dmarcReportDestinationSchema>

export const dmarcIdentifierSchema = z.object({
  kind: z.enum(['spf', 'dkim']),
  domain: z.string().describe('the SPF MAIL FROM / HELO domain, or the DKIM d= domain'),
  result: z.string().describe('its SPF or DKIM result in this run'),
  mode: z.enum(['r', 's']).describe('the alignment mode the record asks for'),
  organizationalDomain: z.string().nullable().describe('its organizational domain (relaxed mode), found by its own tree walk'),
  aligned: z.boolean().nullable().describe('null when a lookup failed'),
  reason: z.string(),
})
export type DmarcIdentifier = z.infer<typeof dmarcIdentifierSchema>

export const dmarcAlignmentSchema = z.object({
  result: z.enum(['pass', 'fail', 'temperror', 'none']).describe('pass: an identifier that passed is aligned; none: no DMARC policy applies'),
  spf: z.array(dmarcIdentifierSchema),
  dkim: z.array(dmarcIdentifierSchema),
})
export type DmarcAlignment = z.infer<typeof dmarcAlignmentSchema>

export const dmarcInfoSchema = z.object({
  domain: z.string().describe('the domain asked about (the From domain)'),
  recordDomain: z.string().nullable().describe('where the policy record was found: the domain, its organizational domain, or a public suffix domain (RFC 9989 §4.10.1)'),
  inherited: z.boolean().describe('the record belongs to a parent domain, so its sp= (np= for a domain that does not exist, else p=) applies'),
  source: z.enum(['domain', 'organizational', 'psd']).nullable().describe('which record applies: the domain\'s own, its organizational domain\'s, or a public suffix domain\'s (psd=y)'),
  organizationalDomain: z.string().nullable().describe('the organizational domain found by the DNS tree walk (RFC 9989 §4.10.2); null when unknown'),
  record: z.string().nullable().describe('the DMARC record as published'),
  lookupError: z.string().nullable().describe('why the record is unknown: its DNS lookup failed ("lookup timed out"); null when the lookup was answered. A failed lookup is not an absent record'),
  policy: dmarcRecordSchema.nullable().describe('the parsed record, or null when absent or invalid'),
  effectivePolicy: dmarcPolicyValueSchema.nullable().describe('what receivers do with failing mail from the domain: p=, or sp= / np= for a subdomain'),
  testing: z.boolean().describe('t=y: receivers are asked not to apply the policy'),
  domainExists: z.boolean().nullable().describe('whether the domain has A, AAAA or MX records; asked only when np= could apply'),
  queried: z.array(z.string()).describe('the _dmarc names asked, in order (at most 8)'),
  walk: z.array(dmarcWalkStepSchema).describe('the DNS tree walk, one entry per name asked'),
  reports: z.array(dmarcReportDestinationSchema).describe('the rua= and ruf= destinations and their authorisation'),
  alignment: dmarcAlignmentSchema.nullable().describe('SPF and DKIM alignment with this run\'s results (sender); null where not evaluated (trace)'),
})
export type DmarcInfo = z.infer<typeof dmarcInfoSchema>

export const mtaStsModeSchema = z.enum(['enforce', 'testing', 'none'])
export type MtaStsMode = z.infer<typeof mtaStsModeSchema>

export const mtaStsPolicySchema = z.object({
  version: z.literal('STSv1'),
  mode: mtaStsModeSchema,
  mx: z.array(z.string()).describe('MX patterns; "*." covers exactly one leftmost label'),
  maxAge: z.number().int().describe('seconds senders may cache the policy'),
})
export type MtaStsPolicy = z.infer<typeof mtaStsPolicySchema>

export const mtaStsInfoSchema = z.object({
  domain: z.string(),
  record: z.string().nullable().describe('the _mta-sts TXT record, when there is exactly one'),
  lookupError: z.string().nullable().describe('why the record is unknown: its DNS lookup failed ("lookup timed out"); null when the lookup was answered. A failed lookup is not an absent record'),
  id: z.string().nullable().describe('the policy id from the record'),
  policyUrl: z.string().describe('where the policy is served'),
  fetch: z
    .object({
      ok: z.boolean(),
      status: z.number().int().nullable().describe('HTTP status'),
      contentType: z.string().nullable(),
      error: z.string().nullable().describe('why the policy could not be used'),
    })
    .nullable()
    .describe('the HTTPS fetch, or null when no valid record announced a policy'),
  policy: mtaStsPolicySchema.nullable(),
  mode: mtaStsModeSchema.nullable().describe('the policy\'s mode, or null without a usable policy'),
  mx: z
    .array(z.object({host: z.string(), pattern: z.string().nullable().describe('the mx: pattern that covers it, or null'), covered: z.boolean()}))
    .describe('each MX host of the domain against the policy\'s mx: patterns (empty without a policy)'),
  notes: z.array(z.string()).describe('lesser problems with the record or the policy'),
})
export type MtaStsInfo = z.infer<typeof mtaStsInfoSchema>

export const tlsRptInfoSchema = z.object({
  domain: z.string(),
  record: z.string().nullable().describe('the _smtp._tls TXT record, when there is exactly one'),
  lookupError: z.string().nullable().describe('why the record is unknown: its DNS lookup failed ("lookup timed out"); null when the lookup was answered. A failed lookup is not an absent record'),
  rua: z.array(z.string()).describe('where reports go: mailto: and https: URIs'),
})
export type TlsRptInfo = z.infer<typeof tlsRptInfoSchema>

export const daneStatusSchema = z.enum(['not-published', 'lookup-failed', 'unauthenticated', 'unusable', 'not-checked', 'no-certificate', 'matched', 'mismatch', 'name-mismatch'])
export type DaneStatus = z.infer<typeof daneStatusSchema>

export const tlsaCheckSchema = z.object({
  usage: z.number().int(),
  selector: z.number().int(),
  matchingType: z.number().int(),
  data: z.string().describe('the association data, lower-case hex'),
  usable: z.boolean().describe('SMTP can use this record: usage 2 or 3, selector 0 or 1, matching type 0, 1 or 2, data of the right length'),
  matched: z.boolean().nullable().describe('it matches the presented certificate (usage 3) or a certificate of the presented chain (usage 2); null when not compared'),
  note: z.string().nullable().describe('why it is unusable or was not compared'),
})
export type TlsaCheck = z.infer<typeof tlsaCheckSchema>

export const daneInfoSchema = z.object({
  host: z.string().describe('the MX host'),
  port: z.number().int(),
  name: z.string().describe('the TLSA owner name, _<port>._tcp.<base domain>'),
  baseDomain: z.string().describe('the TLSA base domain: the MX host, or the target of its alias when TLSA records are there (RFC 7672 §2.2.2)'),
  status: daneStatusSchema,
  authenticated: z.boolean().describe('the resolver set the AD bit: the answer was DNSSEC-validated'),
  usable: z.boolean().describe('the TLSA records can be used: validated, and at least one of a usage SMTP honours'),
  applies: z.boolean().describe('senders that use DANE apply it to this MX: validated TLSA records, and validated MX and address answers (RFC 7672 §2.2)'),
  senders: z.enum(['deliver', 'skip', 'no-dane']).describe('what a sender that uses DANE does with this MX: deliver (DANE authenticates it, or its records are unusable and TLS was offered), skip (it fails DANE: the next MX, then defer), no-dane (DANE does not apply)'),
  reason: z.string().nullable().describe('the outcome in words'),
  records: z.array(tlsaCheckSchema),
  matched: z
    .object({usage: z.number().int(), selector: z.number().int(), matchingType: z.number().int(), certificate: z.enum(['leaf', 'chain']), subject: z.string().nullable()})
    .nullable()
    .describe('the first record that matched, and which certificate it matched'),
})
export type DaneInfo = z.infer<typeof daneInfoSchema>

/**
 * The `policy` object (docs/cli.md) of `trace`: each part null when it was not checked (no --from: no
 * SPF or DMARC for the sender; null MX: no MTA-STS), `dane` one entry per MX host probed.
 */
export const policySchema = z.object({
  spf: spfInfoSchema.nullable().describe('the sender domain\'s SPF record and the result for the submission server\'s address'),
  dmarc: dmarcInfoSchema.nullable().describe('the sender domain\'s DMARC policy'),
  mtaSts: mtaStsInfoSchema.nullable().describe('the recipient domain\'s MTA-STS policy and the MX hosts it covers'),
  tlsRpt: tlsRptInfoSchema.nullable().describe('the recipient domain\'s TLS-RPT record'),
  dane: z.array(daneInfoSchema).describe('TLSA at _25._tcp.<mx> for each MX host probed'),
})
export type PolicyInfo = z.infer<typeof policySchema>
