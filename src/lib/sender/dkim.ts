import type {SenderContext, SectionOutcome} from './context.js'
import type {SenderDkim} from './schema.js'

/**
 * DKIM for `sender` (issue 12): the keys at <selector>._domainkey.<domain> and, with --message, the message's
 * signatures and ARC chain. PLACEHOLDER until the DKIM module lands (h-dkim): the shape is senderDkimSchema.
 */
export async function checkSenderDkim(context: SenderContext): Promise<SectionOutcome<SenderDkim>> {
  void context
  return {value: {status: 'unknown', error: 'DKIM is not checked yet', selectors: [], signatures: []}, findings: []}
}
