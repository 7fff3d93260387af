import * as z from 'zod'

// The --json documents' schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them (building zod schemas costs start-up time); the docs generator and other schemas do.
import {findingSchema} from '../finding-schema.js'
import {transcriptLineSchema} from '../net/transcript-schema.js'
import {tlsInfoSchema} from '../tls/schema.js'

export const smtpAuthResultSchema = z.enum(['ok', 'failed', 'not-tested', 'not-offered', 'refused-insecure'])
export type SmtpAuthResultKind = z.infer<typeof smtpAuthResultSchema>

export const recipientResultSchema = z.object({
  address: z.string(),
  accepted: z.boolean(),
  code: z.number().int(),
  enhancedCode: z.string().nullable().describe('RFC 3463 code such as "5.1.1", when the server sent one'),
  text: z.string(),
})

export const smtpTimingsSchema = z.object({
  lookupMs: z.number().optional().describe('the DNS lookup of the host\'s address (also when it failed); absent when none was made: an IP address, or an address already known (each MX address of a probe of all MX hosts)'),
  connectMs: z.number().optional().describe('the TCP connect alone, after the lookup (also when it failed)'),
  tlsMs: z.number().optional(),
  greetingMs: z.number().optional(),
  ehloMs: z.number().optional(),
  authMs: z.number().optional(),
  mailMs: z.number().optional(),
  rcptMs: z.number().optional(),
  rsetMs: z.number().optional(),
  quitMs: z.number().optional(),
  totalMs: z.number(),
})
export type SmtpProbeTimings = z.infer<typeof smtpTimingsSchema>

/** The `probe-smtp` fields docs/cli.md names (plus `tlsMode`, `relay`, `findings`). */
export const smtpProbeResultSchema = z.object({
  host: z.string(),
  address: z.string(),
  port: z.number().int(),
  tlsMode: z.enum(['implicit', 'starttls', 'none']).describe('how the session was secured in the end'),
  banner: z.object({code: z.number().int(), text: z.string()}),
  ehlo: z.object({
    name: z.string().describe('the name the server gives itself in the EHLO reply'),
    protocol: z.enum(['ESMTP', 'SMTP']).describe('SMTP when EHLO was refused and HELO accepted'),
    extensions: z.record(z.string(), z.array(z.string())).describe('keywords (upper-case) → parameters, from the last EHLO (inside TLS after STARTTLS)'),
  }),
  tls: tlsInfoSchema.nullable(),
  auth: z.object({
    mechanisms: z.array(z.string()),
    result: smtpAuthResultSchema,
    mechanism: z.string().nullable().describe('the mechanism used, when AUTH was tried'),
  }),
  recipients: z.array(recipientResultSchema),
  relay: z
    .object({from: z.string(), to: z.string(), accepted: z.boolean(), code: z.number().int(), enhancedCode: z.string().nullable(), text: z.string()})
    .nullable()
    .describe('the open-relay test, when run; code/text are from MAIL FROM when the sender was refused'),
  timings: smtpTimingsSchema,
  transcript: z.array(transcriptLineSchema),
  findings: z.array(findingSchema),
})
export type SmtpProbeResult = z.infer<typeof smtpProbeResultSchema>

/** What a failed probe got to know before it failed; attached to the thrown error as `partial`. */
export const smtpProbePartialSchema = smtpProbeResultSchema.partial().extend({
  host: z.string(),
  port: z.number().int(),
  timings: smtpTimingsSchema,
  transcript: z.array(transcriptLineSchema),
  findings: z.array(findingSchema),
})
export type SmtpProbePartial = z.infer<typeof smtpProbePartialSchema>

/** One probed address of one MX host: the probe's result, or the error that stopped it. */
export const hostProbeSchema = z.object({
  preference: z.number().int(),
  exchange: z.string(),
  address: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  ok: z.boolean().describe('the probe completed (the server talked SMTP); findings may still flag problems'),
  result: smtpProbeResultSchema.nullable(),
  error: z.object({code: z.string(), message: z.string(), partial: smtpProbePartialSchema.optional()}).nullable(),
})
export type HostProbe = z.infer<typeof hostProbeSchema>
