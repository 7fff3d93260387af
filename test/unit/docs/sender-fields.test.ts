import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import type * as z from 'zod'
import {senderBimiSchema, senderDkimSchema, senderDmarcSchema} from '../../../src/lib/sender/schema.js'

// docs/cli.md describes every JSON field of sender's dkim, dmarc and bimi objects (issue 12), nested ones included:
// a field added to a schema without a word in the contract fails here.
const cli = readFileSync('docs/cli.md', 'utf8')
const sender = cli.slice(cli.indexOf('## `sender <'), cli.indexOf('\n## ', cli.indexOf('## `sender <') + 1))
const dmarcParagraph = cli.slice(cli.indexOf('DMARC follows RFC 9989'), cli.indexOf('\n\n', cli.indexOf('DMARC follows RFC 9989')))

/** Every object key in a schema, depth first, through arrays, nullables and optionals. */
function fieldNames(schema: z.ZodType): string[] {
  const def = (schema as unknown as {_zod: {def: {type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType}}})._zod.def
  if (def.type === 'object') return Object.entries(def.shape!).flatMap(([key, value]) => [key, ...fieldNames(value)])
  if (def.type === 'array') return fieldNames(def.element!)
  if (def.type === 'nullable' || def.type === 'optional') return fieldNames(def.innerType!)
  return []
}

describe('docs/cli.md: sender\'s dkim, dmarc and bimi fields', () => {
  it.each([
    ['dkim', senderDkimSchema, sender],
    ['dmarc', senderDmarcSchema, sender + dmarcParagraph],
    ['bimi', senderBimiSchema, sender],
  ] as const)('%s: every field is named', (_name, schema, text) => {
    const names = [...new Set(fieldNames(schema))]
    expect(names.length).toBeGreaterThan(10)
    const missing = names.filter((n) => !new RegExp(`[\`{,]\\s*${n}\\b`).test(text))
    expect(missing).toEqual([])
  })
})
