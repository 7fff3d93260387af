import * as z from 'zod'

// The schemas of trace's --json document, apart from the code that fills them: that code imports only their types, so
// a run builds none of them (building zod schemas costs start-up time); the docs and other schemas do.
import {clockSkewSchema, messageAuthenticationSchema, observedHopSchema} from '../headers/schema.js'
import {mxResultSchema} from '../mx/schema.js'
import {policySchema} from '../policy/schema.js'
import {hostProbeSchema} from '../smtp/schema.js'
import {tlsInfoSchema} from '../tls/schema.js'

export const serviceProbeSchema = z.object({
  service: z.string().describe('imaps, imap, pop3s, pop3, submissions or submission'),
  host: z.string(),
  port: z.number().int(),
  address: z.string().nullable(),
  ok: z.boolean(),
  greeting: z.string().nullable(),
  tlsMode: z.enum(['implicit', 'starttls', 'none']).nullable(),
  tls: tlsInfoSchema.nullable(),
  error: z.object({code: z.string(), message: z.string()}).nullable(),
  ms: z.number(),
})
export type ServiceProbe = z.infer<typeof serviceProbeSchema>

export const srvLookupSchema = z.object({
  name: z.string(),
  status: z.string().describe('ok, nodata, nxdomain, … as the DNS layer reports it; "unavailable" for a "." target (RFC 2782)'),
  records: z.array(z.object({priority: z.number(), weight: z.number(), port: z.number(), target: z.string()})),
})
export type SrvLookup = z.infer<typeof srvLookupSchema>

export const routeStepSchema = z.object({
  step: z.enum(['submission', 'local-delivery', 'dns', 'delivery', 'policy', 'mailbox']),
  status: z.enum(['ok', 'warning', 'failed', 'skipped']),
  summary: z.string().describe('what was found at this step, in one sentence'),
  host: z.string().nullable().describe('the server this step reaches, when there is one'),
  ms: z.number().nullable().describe('how long this step\'s measurements took'),
})
export type RouteStep = z.infer<typeof routeStepSchema>

export const submissionSchema = z.object({
  domain: z.string(),
  srv: z.array(srvLookupSchema),
  servers: z.array(serviceProbeSchema.extend({auth: z.array(z.string()).describe('AUTH mechanisms offered (after TLS)')})),
})

const senderVerdictSchema = z.object({
  deliverable: z.boolean(),
  via: z.object({exchange: z.string(), address: z.string()}).nullable(),
  reason: z.string(),
})

export const verdictSchema = senderVerdictSchema.extend({
  deliverable: z.boolean().describe('every sender delivers: those that use DANE and those that do not'),
  dane: senderVerdictSchema.nullable().describe('what senders that use DANE (RFC 7672) do: they skip every MX that fails DANE and defer the message when none is left; null when DANE applies to no MX of the domain'),
  withoutDane: senderVerdictSchema.describe('what senders that do not use DANE do (opportunistic TLS, RFC 7435): the first MX address that accepts the recipient'),
})

export const predictedRouteSchema = z.object({
  recipient: z.string(),
  sender: z.string().nullable(),
  sameDomain: z.boolean(),
  route: z.array(routeStepSchema).describe('the steps in travel order'),
  mx: mxResultSchema.nullable(),
  probes: z.array(hostProbeSchema).describe('one per MX address, preference order'),
  policy: policySchema,
  mailbox: z.object({
    imap: z.array(serviceProbeSchema),
    pop3: z.array(serviceProbeSchema),
    submission: submissionSchema.nullable(),
    srv: z.array(srvLookupSchema),
  }),
  verdict: verdictSchema,
})
export type PredictedRoute = z.infer<typeof predictedRouteSchema>

export const observedMessageSchema = z.object({
  messageId: z.string().nullable(),
  date: z.string().nullable().describe('the Date header, ISO 8601'),
  from: z.string().nullable(),
  to: z.string().nullable(),
  subject: z.string().nullable().describe('RFC 2047 encoded-words decoded'),
  totalMs: z.number().nullable().describe('last hop\'s date minus the first hop\'s'),
  dateToLastHopMs: z.number().nullable().describe('from the Date header to the last hop (the whole delivery as the recipient saw it)'),
  skew: z.array(clockSkewSchema),
})

export const observedAnalysisSchema = z.object({
  observed: z.array(observedHopSchema).describe('the Received hops, oldest first'),
  message: observedMessageSchema,
  authentication: messageAuthenticationSchema,
})
export type ObservedAnalysis = z.infer<typeof observedAnalysisSchema>

export const routeComparisonSchema = z.object({
  predictedVia: z.string().nullable().describe('the MX host the prediction names'),
  enteredVia: z.string().nullable().describe('the MX host of the recipient domain that the Received lines show the message entering through'),
  hop: z.number().int().nullable().describe('index of that hop in observed'),
  matches: z.boolean(),
  note: z.string(),
})
export type RouteComparison = z.infer<typeof routeComparisonSchema>
