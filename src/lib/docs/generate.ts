import * as z from 'zod'
import {FINDING_CATALOG, fixVariants} from '../findings.js'
import {commandDocumentSchema} from '../envelope.js'
import {mxResultSchema} from '../mx/schema.js'
import {configResultSchema} from '../config/schema.js'
import {hostProbeSchema, smtpProbeResultSchema} from '../smtp/schema.js'
import {daneInfoSchema} from '../policy/schema.js'
import {sendResultSchema} from '../send/schema.js'
import {imapCheckResultSchema} from '../imap/schema.js'
import {pop3ListResultSchema} from '../pop3/schema.js'
import {senderResultSchema} from '../sender/schema.js'
import {observedAnalysisSchema, predictedRouteSchema, routeComparisonSchema} from '../route/schema.js'
import {roundtripResultSchema} from '../roundtrip/schema.js'

/**
 * The documentation that is generated from code, so it cannot drift: the JSON schema of each
 * command's --json document, and the finding catalog. `npm run docs` writes them to docs/;
 * a test fails when the committed files differ.
 */
export function commandSchemas(): Record<string, unknown> {
  const documents = {
    mx: commandDocumentSchema('mx', mxResultSchema),
    config: commandDocumentSchema('config', configResultSchema),
    send: commandDocumentSchema('send', sendResultSchema),
    // One server; with --mx the document has domain, asciiDomain, mx and probes instead.
    'probe-smtp': commandDocumentSchema('probe-smtp', smtpProbeResultSchema.omit({findings: true}).extend({
      domain: z.string().describe('with --mx: the domain as typed'),
      asciiDomain: z.string().describe('with --mx'),
      mx: mxResultSchema.describe('with --mx: the MX set, as `mx` reports it'),
      probes: z.array(hostProbeSchema).describe('with --mx: one probe per MX address, preference order'),
      dane: z.array(daneInfoSchema).describe('with --mx: DANE (RFC 7672) per MX host that has an address, judged as a sender that uses DANE would'),
    })),
    'imap-check': commandDocumentSchema('imap-check', imapCheckResultSchema),
    // transcript and findings are envelope fields (transcript only with --transcript).
    // With a recipient: the predicted route; with --message: the observed one; with both, also the comparison.
    trace: commandDocumentSchema('trace', predictedRouteSchema.extend(observedAnalysisSchema.shape).extend({comparison: routeComparisonSchema})),
    'pop3-list': commandDocumentSchema('pop3-list', pop3ListResultSchema.omit({transcript: true, findings: true})),
    sender: commandDocumentSchema('sender', senderResultSchema),
    roundtrip: commandDocumentSchema('roundtrip', roundtripResultSchema),
  }
  return Object.fromEntries(
    Object.entries(documents).map(([name, schema]) => [name, {$id: `https://maildig.invalid/schema/${name}.json`, title: `maildig ${name} --json`, ...z.toJSONSchema(schema, {io: 'output'})}]),
  )
}

export function findingsMarkdown(): string {
  const sections: string[] = [
    '# Finding codes',
    '',
    'Generated from `src/lib/findings.ts` by `npm run docs`; do not edit by hand.',
    'Codes are stable: they are added, never renamed. The severity is the usual one; a command may',
    'lower or raise it where the context says so (a null MX mixed with other MX records is a warning).',
    '',
    '| code | severity | meaning | fix |',
    '|---|---|---|---|',
  ]
  for (const [code, entry] of Object.entries(FINDING_CATALOG)) {
    sections.push(`| \`${code}\` | ${entry.severity} | ${escape(entry.meaning)} | ${escape(entry.fix)} |`)
  }
  sections.push(
    '',
    '## Fixes that depend on the situation',
    '',
    'Where the general fix would send a person the wrong way, the fix in a finding depends on the command, the',
    'protocol spoken and the server\'s reply (its code and enhanced status code); the first that fits is used.',
    '',
    '| code | when | fix |',
    '|---|---|---|',
  )
  for (const code of Object.keys(FINDING_CATALOG)) {
    for (const {when, fix} of fixVariants(code)) {
      const parts = [
        when.command && `command ${when.command.join('/')}`,
        when.authenticated !== undefined && (when.authenticated ? 'with a login' : 'without a login (--user)'),
        when.protocol && `protocol ${when.protocol.join('/')}`,
        when.replyCode && `reply ${when.replyCode.join('/')}`,
        when.enhancedCode && `enhanced code ${when.enhancedCode.source.replace(/^\^|\$$/g, '').replaceAll('\\.', '.').replaceAll('\\d+', 'x').replace(/\[(\d)-(\d)\]/, '$1–$2')}`,
      ].filter(Boolean)
      sections.push(`| \`${code}\` | ${escape(parts.join(', '))} | ${escape(fix)} |`)
    }
  }
  return `${sections.join('\n')}\n`
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|')
}
