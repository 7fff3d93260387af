import * as z from 'zod'
import {dmarcInfoSchema, spfResultSchema} from '../policy/schema.js'
import {dkimInfoSchema} from '../dkim/schema.js'
import {bimiInfoSchema} from '../bimi/schema.js'

// The --json document of `sender`, apart from the checks that fill it: they import only the types, so a run builds
// none of these schemas (building zod schemas costs start-up time); the docs do.

/**
 * The three outcomes every check of `sender` has (docs/cli.md): the thing was found, it is absent (the DNS said so:
 * NXDOMAIN or no record of that type), or it could not be checked (a timeout, SERVFAIL, an unreachable resolver…),
 * with `error` saying why. A lookup that failed is never reported as absent.
 */
export const checkStatusSchema = z.enum(['found', 'absent', 'unknown'])
export type CheckStatus = z.infer<typeof checkStatusSchema>

const status = checkStatusSchema.describe('found; absent (the DNS answered that there is none); unknown: could not be checked, `error` says why')
const error = z.string().nullable().describe('why the check could not be made ("TXT example.com: no answer within 10000 ms"); null when it was')

export const senderIdentitySchema = z.enum(['mailfrom', 'helo'])
export type SenderIdentity = z.infer<typeof senderIdentitySchema>

export const spfCheckSchema = z.object({
  ip: z.string().describe('the sending address evaluated'),
  identity: senderIdentitySchema.describe('mailfrom: check_host() with the MAIL FROM domain; helo: with the --helo name (RFC 7208 §2.3, §2.4)'),
  domain: z.string().describe('the domain check_host() started at'),
  sender: z.string().describe('<sender> as the macros see it: the address, or postmaster@<domain>'),
  result: spfResultSchema.describe('the check_host() result (RFC 7208 §2.6)'),
  mechanism: z.string().nullable().describe('the directive that decided, as written ("ip4:192.0.2.0/24", "-all"), or null'),
  matchedIn: z.string().nullable().describe('the domain whose record holds that directive (an include or redirect target)'),
  explanation: z.string().nullable().describe('the exp= explanation for a fail, macros expanded (RFC 7208 §6.2)'),
  reason: z.string().describe('why this result, in words'),
  lookups: z.number().int().describe('DNS-querying terms this evaluation counted (limit 10)'),
  voidLookups: z.number().int().describe('lookups in this evaluation that found nothing (limit 2)'),
})
export type SpfCheck = z.infer<typeof spfCheckSchema>

export const senderSpfSchema = z.object({
  status,
  error,
  domain: z.string().nullable().describe('the MAIL FROM domain whose record was read; null for the null sender "<>" (only HELO is checked)'),
  record: z.string().nullable().describe('the SPF record, when there is exactly one'),
  records: z.array(z.string()).describe('every TXT record of the domain that begins with "v=spf1"'),
  lookups: z.number().int().describe('DNS lookups the record needs when nothing matches early, includes and redirects followed: the worst case a sender meets (limit 10)'),
  voidLookups: z.number().int().describe('lookups in that walk that find nothing (limit 2)'),
  domains: z.array(z.string()).describe('domains whose SPF record the walk read: the domain, its includes and redirects'),
  results: z.array(spfCheckSchema).describe('check_host() for each --ip and identity, in the order given'),
})
export type SenderSpf = z.infer<typeof senderSpfSchema>

// DKIM, DMARC and BIMI: the results of src/lib/dkim, src/lib/policy/dmarc.ts (shared with trace) and src/lib/bimi.
export const senderDkimSchema = dkimInfoSchema.extend({status, error})
export type SenderDkim = z.infer<typeof senderDkimSchema>

export const senderDmarcSchema = dmarcInfoSchema.extend({status, error})
export type SenderDmarc = z.infer<typeof senderDmarcSchema>

export const senderBimiSchema = bimiInfoSchema.omit({status: true}).extend({status, error, assertion: bimiInfoSchema.shape.status})
export type SenderBimi = z.infer<typeof senderBimiSchema>

export const dnsblStatusSchema = z.enum(['listed', 'not-listed', 'unknown', 'ignored'])
export type DnsblStatus = z.infer<typeof dnsblStatusSchema>

export const dnsblEntrySchema = z.object({
  ip: z.string(),
  zone: z.string().describe('the blocklist zone asked'),
  status: dnsblStatusSchema.describe('listed; not-listed; unknown: could not be checked (a failed lookup, or a query-error answer such as Spamhaus\' 127.255.255.254), `error` says why; ignored: the zone failed its health check'),
  codes: z.array(z.string()).describe('the A answers inside 127.0.0.0/8 (the listing codes)'),
  reason: z.string().nullable().describe('the zone\'s TXT text for the listing, when it gives one'),
  error: z.string().nullable().describe('why the address could not be checked in this zone'),
})
export type DnsblEntry = z.infer<typeof dnsblEntrySchema>

export const dnsblZoneSchema = z.object({
  zone: z.string(),
  healthy: z.boolean().nullable().describe('the zone answered its RFC 5782 §5 test entries correctly (127.0.0.2 listed, 127.0.0.1 not); null when that could not be checked'),
  problem: z.string().nullable().describe('why the zone is not trusted (it lists everything, it does not list its test entry, its test lookup failed)'),
  ipv6: z.boolean().nullable().describe('the zone lists IPv6 addresses: it answers its IPv6 test entry ::ffff:7f00:2 (RFC 5782 §5); null when no --ip was IPv6 or the lookup failed. An IPv6 address in a zone that does not is "unknown", not "not-listed"'),
})
export type DnsblZone = z.infer<typeof dnsblZoneSchema>

export const reverseEntrySchema = z.object({
  ip: z.string(),
  status,
  error,
  ptr: z.array(z.string()).describe('the names the address\'s PTR records give'),
  fcrdns: z.boolean().nullable().describe('a PTR name resolves back to the address (forward-confirmed reverse DNS); null when that could not be checked'),
  generic: z.boolean().describe('the PTR name looks like a dynamic or generic pool name (the address in it, "dynamic", "dsl", "pool" …), which receivers penalise'),
})
export type ReverseEntry = z.infer<typeof reverseEntrySchema>

export const senderResultSchema = z.object({
  target: z.string().describe('the argument as typed: a domain, an address, or "<>"'),
  kind: z.enum(['domain', 'address', 'null']).describe('what the argument is: a domain (MAIL FROM postmaster@<domain>), an address, or the null reverse path'),
  domain: z.string().nullable().describe('the sender domain in IDNA form (for "<>": the --helo name)'),
  mailFrom: z.string().nullable().describe('the MAIL FROM identity SPF checks; null for "<>"'),
  helo: z.string().nullable().describe('--helo: the HELO identity SPF checks too'),
  ips: z.array(z.string()).describe('--ip: the sending addresses'),
  spf: senderSpfSchema,
  dkim: senderDkimSchema,
  dmarc: senderDmarcSchema,
  bimi: senderBimiSchema,
  dnsbl: z.array(dnsblEntrySchema).describe('each --ip in each healthy blocklist zone (empty with --no-dnsbl or without --ip)'),
  dnsblZones: z.array(dnsblZoneSchema).describe('the zones used and their health'),
  reverse: z.array(reverseEntrySchema).describe('PTR and forward-confirmed reverse DNS of each --ip'),
})
export type SenderResult = z.infer<typeof senderResultSchema>
