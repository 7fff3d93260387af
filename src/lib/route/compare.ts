import {sameName} from '../dns/names.js'
import type {ObservedAnalysis} from './observed.js'
import type {PredictedRoute} from './predict.js'
import type {RouteComparison} from './schema.js'

export type {RouteComparison}


/** Did the delivered message enter the recipient's domain through the MX that the prediction names? */
export function compareRoutes(predicted: PredictedRoute, observed: ObservedAnalysis): RouteComparison {
  const exchanges = predicted.mx?.exchanges ?? []
  const addresses = new Set(exchanges.flatMap((e) => e.addresses.map((a) => a.address)))
  const predictedVia = predicted.verdict.via?.exchange ?? null
  const hop = observed.observed.find((h) => (h.by && exchanges.some((e) => sameName(e.exchange, h.by!) || (e.cname && sameName(e.cname, h.by!)))) || (h.byIp && addresses.has(h.byIp)))
  if (!hop) {
    return {predictedVia, enteredVia: null, hop: null, matches: false, note: `no Received line names an MX host of ${predicted.recipient.split('@')[1]} (${exchanges.map((e) => e.exchange).join(', ') || 'none'}); the message may have come another way, or the MX names itself differently`}
  }
  const enteredVia = hop.by ?? hop.byIp
  const matches = Boolean(predictedVia && enteredVia && sameName(predictedVia, enteredVia))
  return {
    predictedVia,
    enteredVia,
    hop: hop.index,
    matches,
    note: matches ? `the message entered through ${enteredVia}, as predicted` : `the message entered through ${enteredVia}, but the prediction names ${predictedVia ?? 'no MX'}`,
  }
}
