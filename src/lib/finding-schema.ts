import * as z from 'zod'

// The schema of a finding, apart from the catalog and helpers in findings.ts: the commands use only its
// types, so no command builds it at start (building zod schemas costs start-up time); the docs do.

/** A finding: something a check observed that a person should know. Codes are stable and never renamed. */
export const severitySchema = z.enum(['error', 'warning', 'info'])
export type Severity = z.infer<typeof severitySchema>

export const findingSchema = z.object({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/).describe('stable UPPER_SNAKE code, listed in docs/findings.md'),
  severity: severitySchema,
  message: z.string(),
  subject: z.string().optional().describe('the domain, host, address or mailbox the finding is about'),
  fix: z.string().optional().describe('what to do about it (from the finding catalog)'),
})
export type Finding = z.infer<typeof findingSchema>
