import {checkBimi} from '../bimi/bimi.js'
import type {DmarcInfo} from '../policy/schema.js'
import type {SenderContext, SectionOutcome} from './context.js'
import type {SenderBimi, SenderDmarc} from './schema.js'

/** BIMI for `sender`: <selector>._bimi.<domain>, its logo and certificate, and the DMARC prerequisites (src/lib/bimi). */
export async function checkSenderBimi(context: SenderContext, dmarc: Promise<SectionOutcome<SenderDmarc>>): Promise<SectionOutcome<SenderBimi>> {
  const {value} = await dmarc
  const {status: _status, error: _error, ...info} = value
  const {info: bimi, findings} = await checkBimi(context.domain, context.options.net, {selector: context.options.bimiSelector, dmarc: info as unknown as DmarcInfo})
  const {status: assertion, ...rest} = bimi
  const status = assertion === 'unknown' ? 'unknown' : assertion === 'absent' ? 'absent' : 'found'
  return {value: {...rest, status, error: bimi.lookupError, assertion}, findings}
}
