import * as z from 'zod'

// The schemas of what trace reads from a message's header, apart from the parsers that fill them: those import only
// the types, so a run builds none of them (building zod schemas costs start-up time); the docs and other schemas do.

export const headerFieldSchema = z.object({
  name: z.string().describe('the field name as written (compare case-insensitively)'),
  value: z.string().describe('the unfolded value, without the leading and trailing white space'),
})
export type HeaderField = z.infer<typeof headerFieldSchema>

export const receivedSchema = z.object({
  from: z.string().nullable().describe('the word after "from", as written (usually the name the client gave in EHLO)'),
  fromHelo: z.string().nullable().describe('the name the client gave in HELO/EHLO'),
  fromRdns: z.string().nullable().describe('the reverse-DNS name the receiving server found for the client, when it says so'),
  fromIp: z.string().nullable().describe('the client address (IPv4, or IPv6 without the "IPv6:" prefix)'),
  by: z.string().nullable().describe('the receiving server, as it names itself'),
  byIp: z.string().nullable().describe('the receiving server\'s address, when the field gives it (Exchange, Gmail)'),
  with: z.string().nullable().describe('the protocol: ESMTP, ESMTPS, ESMTPSA, LMTP, "Microsoft SMTP Server", …'),
  id: z.string().nullable().describe('the receiving server\'s queue ID: the key to its log'),
  for: z.string().nullable().describe('the recipient this copy was accepted for, without angle brackets'),
  via: z.string().nullable().describe('the link, e.g. Exchange\'s "Frontend Transport"'),
  date: z.string().nullable().describe('when the server accepted the message, ISO 8601 in UTC; null when missing or unreadable'),
  dateZoneKnown: z.boolean().nullable().describe('false when the date\'s zone was an unrecognised name or a military letter, so the instant may be off by hours'),
  tls: z.boolean().nullable().describe('true when the hop says it used TLS; false when it names a plaintext protocol and nothing mentions TLS; null when unknown'),
  tlsVersion: z.string().nullable().describe('the TLS version, normalised to OpenSSL\'s spelling (TLSv1.2, TLSv1.3)'),
  tlsDetail: z.string().nullable().describe('version and cipher as the hop states them, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"'),
  authenticated: z.boolean().describe('the client authenticated (ESMTPA/ESMTPSA, "Authenticated sender"): usually the submission hop'),
  raw: z.string().describe('the field value as read'),
})
export type Received = z.infer<typeof receivedSchema>

export const observedHopSchema = receivedSchema.extend({
  index: z.number().int().describe('position in the route, 0 for the oldest hop'),
  delayMs: z.number().nullable().describe('this hop\'s date minus the previous hop\'s; null for the first hop or when either date is missing'),
})
export type ObservedHop = z.infer<typeof observedHopSchema>

export const clockSkewSchema = z.object({
  source: z.enum(['received', 'date-header']).describe('a hop\'s clock, or the sender\'s (the Date header)'),
  hop: z.number().int().nullable().describe('index of the hop whose clock is off; null for the Date header'),
  by: z.string().nullable().describe('the server that wrote the skewed timestamp'),
  estimatedSkewMs: z.number().describe('how far the clock is off, at least: negative behind, positive ahead'),
  confidence: z.enum(['likely', 'ambiguous']).describe('ambiguous: the timestamps fit another hop being off just as well'),
  reason: z.string(),
})
export type ClockSkew = z.infer<typeof clockSkewSchema>

export const observedRouteSchema = z.object({
  messageId: z.string().nullable(),
  date: z.string().nullable().describe('the Date header (when the author sent it), ISO 8601 in UTC'),
  from: z.string().nullable().describe('the From header, encoded-words decoded'),
  to: z.string().nullable().describe('the To headers, encoded-words decoded'),
  subject: z.string().nullable().describe('the Subject, encoded-words decoded'),
  hops: z.array(observedHopSchema).describe('oldest first'),
  totalMs: z.number().nullable().describe('the last hop\'s date minus the first hop\'s'),
  dateToFirstHopMs: z.number().nullable().describe('the first hop\'s date minus the Date header: the time before the first server had it'),
  dateToLastHopMs: z.number().nullable().describe('the last hop\'s date minus the Date header'),
  skew: z.array(clockSkewSchema).describe('clocks that are out of line with their neighbours'),
})
export type ObservedRoute = z.infer<typeof observedRouteSchema>

export const authMethodResultSchema = z.object({
  method: z.string().describe('spf, dkim, dmarc, arc, iprev, auth, compauth, … (lower case)'),
  result: z.string().describe('pass, fail, softfail, neutral, none, temperror, permerror, policy, … (lower case)'),
  reason: z.string().nullable().describe('the reason= value'),
  props: z.record(z.string(), z.string()).describe('ptype.property=value pairs ("smtp.mailfrom", "header.d", …) and other key=value pairs some servers add ("action")'),
  comment: z.string().nullable().describe('the comments of this result, e.g. "(sender IP is 192.0.2.1)"'),
})
export type AuthMethodResult = z.infer<typeof authMethodResultSchema>

export const authenticationResultSchema = z.object({
  authservId: z.string().nullable().describe('who evaluated: the receiving server\'s name; null when it omits it (Microsoft 365 does)'),
  version: z.number().int().nullable(),
  results: z.array(authMethodResultSchema).describe('empty for "none"'),
  raw: z.string(),
})
export type AuthenticationResult = z.infer<typeof authenticationResultSchema>

export const arcInstanceSchema = z.object({
  i: z.number().int(),
  cv: z.string().nullable().describe('the ARC-Seal\'s chain validation status: none, pass or fail; null without a seal'),
  domain: z.string().nullable().describe('the signing domain (d=) of the ARC-Message-Signature, else of the seal'),
  selector: z.string().nullable().describe('the selector (s=) of the ARC-Message-Signature, else of the seal'),
  authservId: z.string().nullable().describe('who wrote the ARC-Authentication-Results of this instance'),
  results: z.array(authMethodResultSchema).describe('the authentication results this intermediary saw'),
  hasSeal: z.boolean(),
  hasMessageSignature: z.boolean(),
  hasAuthenticationResults: z.boolean(),
})
export type ArcInstance = z.infer<typeof arcInstanceSchema>

export const arcChainSchema = z.object({
  status: z.enum(['none', 'pass', 'fail']).describe('the chain\'s structure (RFC 8617 §5.2 steps that need no cryptography); signatures are not verified'),
  reason: z.string().nullable().describe('why the chain fails'),
  instances: z.array(arcInstanceSchema).describe('by instance number, oldest (i=1) first'),
})
export type ArcChain = z.infer<typeof arcChainSchema>

export const receiverAuthenticationSchema = z.object({
  authservId: z.string().nullable().describe('the final receiver\'s authserv-id: that of the newest Authentication-Results field'),
  fields: z.number().int().describe('how many Authentication-Results fields carry it (Postfix with OpenDKIM and OpenDMARC writes one per verifier)'),
  results: z.array(authMethodResultSchema).describe('every method\'s result from all those fields, newest field first'),
})
export type ReceiverAuthentication = z.infer<typeof receiverAuthenticationSchema>

export const messageAuthenticationSchema = z.object({
  authenticationResults: z.array(authenticationResultSchema).describe('every Authentication-Results field, in header order: the newest (the final receiver\'s) first'),
  receiver: receiverAuthenticationSchema.nullable().describe('what the final receiver concluded, from every field with its authserv-id; null without Authentication-Results'),
  arc: arcChainSchema,
})
export type MessageAuthentication = z.infer<typeof messageAuthenticationSchema>
