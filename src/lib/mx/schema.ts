import * as z from 'zod'

// The --json document of `mx`, apart from resolve-mx.ts: the commands use only its types, so they do not
// build it at start (building zod schemas costs start-up time); the docs and other schemas do.

export const mxAddressSchema = z.object({
  address: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  ptr: z.array(z.string()).describe('the names the address\'s PTR records give'),
  fcrdns: z.boolean().nullable().describe('a PTR name resolves back to this address (forward-confirmed reverse DNS); null when a lookup failed (not known)'),
})
export type MxAddress = z.infer<typeof mxAddressSchema>

export const mxExchangeSchema = z.object({
  preference: z.number().int(),
  exchange: z.string(),
  addresses: z.array(mxAddressSchema),
  cname: z.string().nullable().describe('the canonical name when the exchange is an alias (MX_CNAME)'),
  ttl: z.number().int().nullable().describe('TTL of the MX record; null for an implicit MX'),
  authenticated: z.boolean().describe('the resolver set the AD bit on both address answers (A and AAAA) of the exchange: DNSSEC-validated, as DANE needs (RFC 7672 §2.2.2)'),
})
export type MxExchange = z.infer<typeof mxExchangeSchema>

export const mxResultSchema = z.object({
  domain: z.string().describe('the domain as typed'),
  asciiDomain: z.string().describe('the domain in IDNA (punycode) form'),
  kind: z.enum(['mx', 'implicit', 'null']),
  exchanges: z.array(mxExchangeSchema).describe('sorted by preference, lowest (most preferred) first'),
  authenticated: z.boolean().describe('the resolver set the AD bit on the MX answer (DNSSEC-validated)'),
  resolver: z.string().nullable().describe('the DNS server that answered'),
})
export type MxResult = z.infer<typeof mxResultSchema>
