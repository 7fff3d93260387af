import type {SenderContext, SectionOutcome} from './context.js'
import type {SenderBimi, SenderDmarc} from './schema.js'

/**
 * BIMI for `sender`: default._bimi.<domain> (or --bimi-selector), its logo and certificate, and the DMARC
 * prerequisites (awaited from `dmarc`). PLACEHOLDER until the BIMI module lands (h-dkim): the shape is senderBimiSchema.
 */
export async function checkSenderBimi(context: SenderContext, dmarc: Promise<SectionOutcome<SenderDmarc>>): Promise<SectionOutcome<SenderBimi>> {
  void context
  void dmarc
  return {value: {status: 'unknown', error: 'BIMI is not checked yet'}, findings: []}
}
