import * as z from 'zod'
import {daneInfoSchema} from './dane.js'
import {dmarcInfoSchema} from './dmarc.js'
import {mtaStsInfoSchema} from './mta-sts.js'
import {spfInfoSchema} from './spf.js'
import {tlsRptInfoSchema} from './tls-rpt.js'

export * from './spf.js'
export * from './dmarc.js'
export * from './mta-sts.js'
export * from './tls-rpt.js'
export * from './dane.js'
export {parseTagList, type TagList} from './common.js'
export {parseIp, inNetwork, type IpAddress} from './ip.js'

/**
 * The CONTRACT `policy` object of `trace`: each part null when it was not checked (no --from: no
 * SPF or DMARC for the sender; null MX: no MTA-STS), `dane` one entry per MX host probed.
 */
export const policySchema = z.object({
  spf: spfInfoSchema.nullable().describe('the sender domain\'s SPF record and the result for the submission server\'s address'),
  dmarc: dmarcInfoSchema.nullable().describe('the sender domain\'s DMARC policy'),
  mtaSts: mtaStsInfoSchema.nullable().describe('the recipient domain\'s MTA-STS policy and the MX hosts it covers'),
  tlsRpt: tlsRptInfoSchema.nullable().describe('the recipient domain\'s TLS-RPT record'),
  dane: z.array(daneInfoSchema).describe('TLSA at _25._tcp.<mx> for each MX host probed'),
})
export type PolicyInfo = z.infer<typeof policySchema>
