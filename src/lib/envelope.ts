import * as z from 'zod'
import {findingSchema} from './finding-schema.js'
import {transcriptLineSchema} from './net/transcript-schema.js'

/** The JSON envelope (docs/cli.md) every --json document has; command fields sit beside these. */
export const envelopeSchema = z.object({
  command: z.string().describe('the command that ran'),
  ok: z.boolean().describe('exitCode is 0'),
  exitCode: z.number().int().min(0).max(8).describe('the process exit code (docs/cli.md)'),
  findings: z.array(findingSchema),
  timings: z.record(z.string(), z.number()).describe('milliseconds per phase; totalMs is the whole command'),
  error: z.object({code: z.string(), message: z.string()}).optional().describe('present when the command failed as a whole'),
  transcript: z.array(transcriptLineSchema).optional().describe('with --transcript: the protocol conversation, secrets masked'),
  target: z.string().nullable().optional().describe('batch runs (--targets): the target of this line, as the input gave it; null for an input line that named none'),
  line: z.number().int().optional().describe('batch runs: the input line number, on the document of a line\'s own problem (bad JSON, too long, an unknown option)'),
})

/**
 * A command's document: the envelope plus its fields. The fields are optional in the schema because a
 * failed run (ok: false, error) carries only the envelope (and timings).
 */
export function commandDocumentSchema<T extends z.ZodRawShape>(command: string, fields: z.ZodObject<T>) {
  // Every document has timings, failed or not: a command's own timings object stays required.
  const {timings: _optional, ...rest} = fields.partial().shape as Record<string, z.ZodType>
  const own = fields.shape.timings as z.ZodType | undefined
  return envelopeSchema.extend({command: z.literal(command)}).extend({...rest, ...(own ? {timings: own} : {})})
}
