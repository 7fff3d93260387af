import * as z from 'zod'

// The --json document's schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them; the docs generator does.
import {tlsInfoSchema} from '../tls/schema.js'
import {observedAnalysisSchema, predictedRouteSchema, routeComparisonSchema} from '../route/schema.js'

export const ROUNDTRIP_STAGES = ['mailbox-login', 'dns', 'connect', 'auth', 'submission', 'delivery'] as const

export const roundtripStageSchema = z.object({
  name: z.enum(ROUNDTRIP_STAGES).describe('mailbox-login: the mailbox session before sending; dns: the submission server\'s address (with --server); connect: TCP, greeting, EHLO and TLS; auth: the submission login; submission: MAIL FROM until the final 250 reply; delivery: from that reply until the message was first seen in the mailbox'),
  ok: z.boolean(),
  ms: z.number().nullable().describe('how long the stage took; null when it was not measured (direct-to-MX delivery resolves inside the delivery)'),
  endedAtMs: z.number().nullable().describe('when it ended, in ms from the start of the run'),
})
export type RoundtripStage = z.infer<typeof roundtripStageSchema>

export const roundtripAuthenticationSchema = z.object({
  authservId: z.string().nullable().describe('who recorded the verdicts (the receiving server\'s authserv-id)'),
  spf: z.string().nullable().describe('the receiver\'s SPF result (pass, fail, softfail, none, …); null when it recorded none'),
  dkim: z.string().nullable(),
  dmarc: z.string().nullable(),
})
export type RoundtripAuthentication = z.infer<typeof roundtripAuthenticationSchema>

export const roundtripResultSchema = z.object({
  token: z.string().describe('this run\'s unique token: in the Message-ID, the X-Maildig-Roundtrip header and the Subject'),
  messageId: z.string(),
  subject: z.string(),
  from: z.string(),
  to: z.string(),
  delivered: z.boolean().describe('the message was seen in the mailbox within --wait'),
  latencyMs: z.number().nullable().describe('end to end: from the start of sending until the message was first seen in the mailbox; --warning and --critical judge it (label latency, docs/monitoring.md)'),
  waitMs: z.number().describe('--wait: how long the mailbox was watched at most'),
  stages: z.array(roundtripStageSchema).describe('in the order they ran'),
  submission: z.object({
    route: z.enum(['server', 'mx']).describe('server: through the submission server (--server); mx: straight to the recipient domain\'s MX hosts'),
    server: z.object({host: z.string(), address: z.string(), port: z.number().int()}).nullable().describe('the server that took the message'),
    response: z.string().nullable().describe('its reply to the message'),
    queueId: z.string().nullable().describe('the queue id in that reply (Postfix "queued as …", Exim "id=…")'),
    acceptedAt: z.string().nullable().describe('when the reply came, ISO 8601'),
    tls: tlsInfoSchema.nullable(),
  }),
  mailbox: z.object({
    protocol: z.enum(['imap', 'pop3']),
    host: z.string(),
    port: z.number().int(),
    address: z.string().nullable(),
    discovery: z.enum(['given', 'srv', 'domain']).describe('given: --mailbox-host; srv: RFC 6186 SRV records of the mailbox user\'s domain; domain: no SRV record, the domain itself on the standard port'),
    tlsMode: z.enum(['implicit', 'starttls', 'none']).nullable(),
    tls: tlsInfoSchema.nullable(),
    user: z.string(),
    folder: z.string().nullable().describe('IMAP: the mailbox waited in (INBOX unless --mailbox); null for POP3'),
    method: z.enum(['idle', 'noop', 'poll']).describe('idle: IMAP IDLE (RFC 2177); noop: IMAP NOOP and SEARCH polling; poll: POP3 sessions (STAT, UIDL, TOP)'),
    uid: z.string().nullable().describe('the message\'s IMAP UID or POP3 unique-id'),
    checks: z.number().int().describe('IMAP searches or POP3 polling sessions'),
    cleanup: z.object({
      requested: z.boolean(),
      removed: z.boolean(),
      reason: z.string().nullable().describe('why it was not removed'),
    }),
  }),
  header: z.object({bytes: z.number().int(), truncated: z.boolean()}).nullable().describe('the delivered copy\'s header as read (IMAP BODY.PEEK[HEADER], POP3 TOP n 0)'),
  observed: observedAnalysisSchema.nullable().describe('the delivered copy\'s route, as `trace --message` reads it'),
  authentication: roundtripAuthenticationSchema.nullable().describe('what the receiver recorded in Authentication-Results; null when the message did not arrive'),
  predicted: predictedRouteSchema.nullable().describe('the route `trace` predicts for the recipient (null with --no-predict)'),
  comparison: routeComparisonSchema.nullable().describe('whether the message entered through the MX the prediction names'),
  timings: z.record(z.string(), z.number()).describe('dnsMs, connectMs, authMs, submissionMs, deliveryMs, latencyMs, totalMs, …'),
})
export type RoundtripResult = z.infer<typeof roundtripResultSchema>
