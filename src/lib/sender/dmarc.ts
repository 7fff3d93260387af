import type {SectionDependencies, SenderContext, SectionOutcome} from './context.js'
import type {SenderDmarc} from './schema.js'

/**
 * DMARC for `sender` (RFC 9989 tree walk; alignment of this run's SPF and DKIM domains, awaited from `dependencies`).
 * PLACEHOLDER until the RFC 9989 module lands (h-dkim): the shape is senderDmarcSchema.
 */
export async function checkSenderDmarc(context: SenderContext, dependencies: SectionDependencies): Promise<SectionOutcome<SenderDmarc>> {
  void context
  void dependencies
  return {value: {status: 'unknown', error: 'DMARC is not checked yet'}, findings: []}
}
