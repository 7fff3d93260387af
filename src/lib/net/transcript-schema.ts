import * as z from 'zod'

// The --json documents' schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them (building zod schemas costs start-up time); the docs generator and other schemas do.

export const transcriptLineSchema = z.object({
  t: z.number().describe('milliseconds since the command started'),
  dir: z.enum(['send', 'recv', 'info']),
  tls: z.boolean().describe('whether the line travelled inside TLS'),
  line: z.string().describe('the line as sent or received, secrets masked'),
})
export type TranscriptLine = z.infer<typeof transcriptLineSchema>
