import * as z from 'zod'

// The --json document's schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them (building zod schemas costs start-up time); the docs generator and other schemas do.
import {findingSchema} from '../finding-schema.js'
import {transcriptLineSchema} from '../net/transcript-schema.js'
import {tlsInfoSchema} from '../tls/schema.js'
import {POP3_AUTH_METHODS} from './client.js'

export const pop3HeadersSchema = z.object({
  from: z.string().nullable().describe('From, with RFC 2047 encoded-words decoded'),
  subject: z.string().nullable().describe('Subject, with RFC 2047 encoded-words decoded'),
  date: z.string().nullable().describe('Date, as written'),
  messageId: z.string().nullable().describe('Message-ID, as written (with its angle brackets)'),
})
export type Pop3Headers = z.infer<typeof pop3HeadersSchema>

export const pop3MessageSchema = z.object({
  number: z.number().int().describe('the message number in this session (RFC 1939: 1 is the oldest)'),
  size: z.number().int().nullable().describe('octets, as LIST reports them (CRLF line ends)'),
  uid: z.string().nullable().describe('the UIDL unique-id, stable across sessions; null when the server has no UIDL'),
  headers: pop3HeadersSchema.nullable().describe('from TOP n 0; null when the server has no TOP'),
})
export type Pop3Message = z.infer<typeof pop3MessageSchema>

export const pop3TimingsSchema = z.object({
  lookupMs: z.number().optional().describe('the DNS lookup of the host\'s address (also when it failed); absent when none was made (an IP address)'),
  connectMs: z.number().optional().describe('the TCP connect alone, after the lookup (also when it failed)'),
  tlsMs: z.number().optional(),
  greetingMs: z.number().optional(),
  capaMs: z.number().optional(),
  authMs: z.number().optional(),
  statMs: z.number().optional(),
  listMs: z.number().optional(),
  uidlMs: z.number().optional(),
  topMs: z.number().optional(),
  rsetMs: z.number().optional(),
  quitMs: z.number().optional(),
  totalMs: z.number(),
})

/** The `pop3-list` fields docs/cli.md names, plus `host`, `address`, `port`, `tlsMode`, `auth`, `limit`. */
export const pop3ListResultSchema = z.object({
  host: z.string(),
  address: z.string(),
  port: z.number().int(),
  tlsMode: z.enum(['implicit', 'starttls', 'none']).describe('how the session was secured in the end'),
  greeting: z.object({
    text: z.string().describe('the greeting after "+OK"'),
    apop: z.boolean().describe('the greeting carries an APOP timestamp (RFC 1939 §7)'),
  }),
  capabilities: z
    .record(z.string(), z.array(z.string()))
    .nullable()
    .describe('CAPA (RFC 2449): tag (upper-case) → arguments, from the last CAPA (inside TLS after STLS); null when the server does not support CAPA'),
  tls: tlsInfoSchema.nullable(),
  auth: z
    .object({
      user: z.string(),
      method: z.enum(POP3_AUTH_METHODS).describe('how maildig logged in'),
      offered: z.array(z.enum(POP3_AUTH_METHODS)).describe('the methods the server offered at login time'),
    })
    .nullable()
    .describe('null when no --user was given (the server was checked, nothing listed)'),
  stat: z.object({messages: z.number().int(), octets: z.number().int()}).nullable().describe('STAT: the whole maildrop'),
  messages: z.array(pop3MessageSchema).describe('newest (highest number) first; with --limit, only that many'),
  limit: z.number().int().nullable(),
  timings: pop3TimingsSchema,
  transcript: z.array(transcriptLineSchema),
  findings: z.array(findingSchema),
})
export type Pop3ListResult = z.infer<typeof pop3ListResultSchema>

/** What a failed listing got to know before it failed; attached to the thrown error as `partial`. */
export const pop3ListPartialSchema = pop3ListResultSchema.partial().extend({
  host: z.string(),
  port: z.number().int(),
  timings: pop3TimingsSchema,
  transcript: z.array(transcriptLineSchema),
  findings: z.array(findingSchema),
})
export type Pop3ListPartial = z.infer<typeof pop3ListPartialSchema>
