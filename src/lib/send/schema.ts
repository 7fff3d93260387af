import * as z from 'zod'

// The --json document's schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them (building zod schemas costs start-up time); the docs generator and other schemas do.
import {tlsInfoSchema} from '../tls/schema.js'
import {daneInfoSchema} from '../policy/schema.js'

export const rejectedRecipientSchema = z.object({
  address: z.string(),
  code: z.number().int().nullable(),
  enhancedCode: z.string().nullable(),
  text: z.string(),
})
export type RejectedRecipient = z.infer<typeof rejectedRecipientSchema>

export const attemptSchema = z.object({
  host: z.string(),
  address: z.string(),
  port: z.number().int(),
  error: z.object({code: z.string(), message: z.string()}),
})
export type Attempt = z.infer<typeof attemptSchema>

export const deliverySchema = z.object({
  domain: z.string().nullable().describe('direct-to-MX: the recipient domain of this group; null through a submission server'),
  server: z.object({host: z.string(), address: z.string(), port: z.number().int()}).nullable(),
  accepted: z.array(z.string()),
  rejected: z.array(rejectedRecipientSchema),
  response: z.string().nullable().describe('the server\'s reply to the message (with its queue id)'),
  queueId: z.string().nullable(),
  tls: tlsInfoSchema.nullable(),
  attempts: z.array(attemptSchema).describe('servers tried before this one, and why they failed'),
  dane: daneInfoSchema.nullable().optional().describe('direct-to-MX: the DANE check (RFC 7672) of the MX that took the message, made in its connection after STARTTLS; null when DANE does not apply (MX or address answers not validated, --no-dane) or through a submission server'),
  timings: z.object({connectMs: z.number().optional(), authMs: z.number().optional(), envelopeMs: z.number().optional(), messageMs: z.number().optional()}),
})
export type Delivery = z.infer<typeof deliverySchema>

export const sendResultSchema = z.object({
  messageId: z.string(),
  subject: z.string(),
  token: z.string().describe('the unique token in the default subject and body'),
  envelope: z.object({from: z.string(), to: z.array(z.string())}),
  accepted: z.array(z.string()),
  rejected: z.array(rejectedRecipientSchema),
  response: z.string().nullable().describe('the final server\'s reply to the message, with its queue id (the first delivery\'s when there were several)'),
  server: z.object({host: z.string(), address: z.string(), port: z.number().int()}).nullable().describe('the server that took the message (the first, when direct-to-MX went to several domains)'),
  deliveries: z.array(deliverySchema).describe('one per server the message went to (per recipient domain when sent direct to MX)'),
  timings: z.record(z.string(), z.number()),
  dryRun: z.boolean(),
  message: z.string().optional().describe('with --dry-run: the complete MIME message'),
})
export type SendResult = z.infer<typeof sendResultSchema>
