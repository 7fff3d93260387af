import * as z from 'zod'
import {tlsInfoSchema} from '../tls/schema.js'

/** `--tls` for imap-check: how the session is secured. */
export const IMAP_TLS_MODES = ['implicit', 'starttls', 'none'] as const
export type ImapTlsMode = (typeof IMAP_TLS_MODES)[number]

/** `--auth`: LOGIN command (RFC 9051 §6.2.3), AUTHENTICATE PLAIN (RFC 4616), or XOAUTH2/OAUTHBEARER with a token. */
export const IMAP_AUTH_METHODS = ['login', 'plain', 'xoauth2'] as const
export type ImapAuthMethod = (typeof IMAP_AUTH_METHODS)[number]

export const imapAuthResultSchema = z.enum(['ok', 'failed', 'not-tested', 'not-offered', 'refused-insecure', 'preauth'])

export const imapMailboxSchema = z.object({
  path: z.string().describe('full mailbox name, Unicode (decoded from modified UTF-7)'),
  name: z.string().describe('last part of the path'),
  delimiter: z.string().nullable().describe('hierarchy delimiter, "/" or "."'),
  flags: z.array(z.string()).describe('LIST attributes, e.g. \\HasNoChildren, \\Noselect'),
  specialUse: z.string().nullable().describe('RFC 6154 role: \\Inbox, \\Sent, \\Drafts, \\Junk, \\Trash, \\Archive, \\All, \\Flagged'),
  specialUseSource: z.enum(['server', 'name']).nullable().describe('"server": the server flagged it (SPECIAL-USE); "name": guessed from a usual folder name'),
  subscribed: z.boolean(),
  messages: z.number().int().nullable().describe('STATUS MESSAGES; null when the mailbox cannot be selected or STATUS failed'),
  unseen: z.number().int().nullable().describe('STATUS UNSEEN: messages without \\Seen'),
  uidNext: z.number().int().nullable().describe('STATUS UIDNEXT: the UID the next message will get'),
  error: z.string().optional().describe('why STATUS failed for this mailbox'),
})
export type ImapMailbox = z.infer<typeof imapMailboxSchema>

const quotaResourceSchema = z.object({
  used: z.number().describe('bytes for storage, a count for messages'),
  limit: z.number().nullable(),
  percent: z.number().nullable().describe('used / limit, one decimal'),
})

export const imapQuotaSchema = z.object({
  mailbox: z.string().describe('the mailbox whose quota root was asked for (GETQUOTAROOT)'),
  root: z.string().nullable().describe('the quota root\'s name, e.g. "User quota"'),
  storage: quotaResourceSchema.nullable().describe('STORAGE in bytes (the wire says KiB)'),
  messages: quotaResourceSchema.nullable().describe('MESSAGE count'),
})
export type ImapQuota = z.infer<typeof imapQuotaSchema>

export const imapWaitForSchema = z.object({
  criterion: z.enum(['subject', 'message-id']),
  value: z.string().describe('what was searched for (a Message-ID without its angle brackets)'),
  mailbox: z.string(),
  method: z.enum(['idle', 'noop']).describe('IDLE (RFC 2177) where offered, else NOOP polling'),
  found: z.boolean(),
  alreadyThere: z.boolean().describe('the message was in the mailbox at the first search'),
  uid: z.number().int().nullable(),
  latencyMs: z.number().nullable().describe('from the command\'s start until the message was seen'),
  sinceDateMs: z.number().nullable().describe('from the message\'s Date header until it was seen'),
  deliveryMs: z.number().nullable().describe('from the Date header to the server\'s arrival time (INTERNALDATE); both have 1 s resolution'),
  waitedMs: z.number().describe('how long maildig waited'),
  searches: z.number().int().describe('SEARCH commands sent'),
  message: z
    .object({
      subject: z.string().nullable(),
      messageId: z.string().nullable(),
      date: z.string().nullable().describe('Date header, ISO 8601'),
      internalDate: z.string().nullable().describe('arrival at the server (INTERNALDATE), ISO 8601'),
      from: z.string().nullable(),
    })
    .nullable(),
})
export type ImapWaitFor = z.infer<typeof imapWaitForSchema>

export const imapTimingsSchema = z.object({
  lookupMs: z.number().optional().describe('the DNS lookup of the host\'s address (also when it failed); absent when none was made (an IP address)'),
  connectMs: z.number().optional().describe('the TCP connect alone, after the lookup (also when it failed)'),
  tlsMs: z.number().optional().describe('the TLS handshake alone (implicit, or after STARTTLS)'),
  greetingMs: z.number().optional().describe('from the connection being ready until the greeting'),
  authMs: z.number().optional().describe('LOGIN/AUTHENTICATE until its reply'),
  listMs: z.number().optional().describe('LIST (with LIST-STATUS) or LIST plus STATUS'),
  quotaMs: z.number().optional(),
  waitMs: z.number().optional(),
  logoutMs: z.number().optional(),
  totalMs: z.number(),
})
export type ImapTimings = z.infer<typeof imapTimingsSchema>

/** The `imap-check` fields docs/cli.md names, plus what a person needs to act on them. */
export const imapCheckResultSchema = z.object({
  host: z.string().describe('as given'),
  address: z.string().describe('the address connected to'),
  port: z.number().int(),
  tlsMode: z.enum(IMAP_TLS_MODES).describe('how the session was secured in the end'),
  greeting: z.object({
    status: z.enum(['OK', 'PREAUTH', 'BYE']),
    text: z.string(),
    capabilities: z.array(z.string()).nullable().describe('from a [CAPABILITY …] code in the greeting'),
  }),
  capabilities: z.array(z.string()).describe('the latest list: after login when logged in, else inside TLS'),
  capabilitiesBeforeLogin: z.array(z.string()).describe('what the server offered before login (inside TLS after STARTTLS)'),
  tls: tlsInfoSchema.nullable(),
  serverId: z.record(z.string(), z.string()).nullable().describe('the server\'s ID reply (RFC 2971), if it offers ID'),
  auth: z.object({
    user: z.string().nullable(),
    mechanisms: z.array(z.string()).describe('AUTH= mechanisms offered before login'),
    method: z.string().nullable().describe('what was used: LOGIN, AUTHENTICATE PLAIN, AUTHENTICATE XOAUTH2, …'),
    result: imapAuthResultSchema,
  }),
  mailboxes: z.array(imapMailboxSchema).describe('every mailbox, or only --mailbox; empty without login'),
  quota: imapQuotaSchema.nullable().describe('null when the server has no QUOTA extension or no login was made'),
  waitFor: imapWaitForSchema.nullable(),
  alerts: z.array(z.string()).describe('[ALERT] texts the server sent (RFC 9051 §7.1): meant for the user'),
  timings: imapTimingsSchema,
})
export type ImapCheckResult = z.infer<typeof imapCheckResultSchema>
