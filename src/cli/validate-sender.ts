import {checked} from './validate.js'
import {printable, toDomain} from '../lib/dns/names.js'
import {parseIp} from '../lib/policy/ip.js'
import {parseSenderTarget, selectorProblem, type SenderTarget} from '../lib/sender/target.js'
import {HeaderInputError, parseHeaderFields, readHeaderBlock} from '../lib/headers/message.js'

// The flags of `sender`, apart from validate.ts so that other commands do not load them at start.

/** The argument: a domain, an address or "<>" (src/lib/sender/target.ts). */
export const senderTargetSchema = checked<SenderTarget>((text) => parseSenderTarget(text))

/** --ip: an IPv4 or IPv6 address, as written (no brackets, no port). */
export const ipSchema = checked((text) => {
  const ip = /^[0-9a-f:.]+$/i.test(text) ? parseIp(text) : null
  return ip ? ip.text : {problem: `"${printable(text)}" is not an IPv4 or IPv6 address`}
})

/** --selector, --bimi-selector: DNS labels (RFC 6376 §3.1). */
export const selectorSchema = checked((text) => {
  const problem = selectorProblem(text)
  return problem ? {problem} : text.toLowerCase()
})

/** --dnsbl: a zone, a domain name with at least two labels. */
export const dnsblZoneSchema = checked((text) => {
  const domain = toDomain(text)
  if (typeof domain === 'string') return {problem: domain}
  return domain.ascii.includes('.') ? domain.ascii : {problem: `"${printable(text)}" is not a blocklist zone (write e.g. zen.spamhaus.org)`}
})

/** Why a saved message is not one (a binary file, no header), or undefined. */
export function messageProblem(bytes: Uint8Array): string | undefined {
  try {
    const fields = parseHeaderFields(readHeaderBlock(bytes))
    if (fields.length === 0) return 'no header fields: not a mail message'
    return undefined
  } catch (error) {
    if (error instanceof HeaderInputError) return error.message
    throw error
  }
}
