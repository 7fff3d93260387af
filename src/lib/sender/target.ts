import {printable, toDomain} from '../dns/names.js'
import {parseMailAddress} from '../address.js'
import {UsageError} from '../errors.js'

/** What `sender` checks: a domain (MAIL FROM postmaster@<domain>), an address, or the null reverse path "<>". */
export type SenderTarget =
  | {kind: 'domain'; input: string; domain: string; mailFrom: string}
  | {kind: 'address'; input: string; domain: string; mailFrom: string}
  | {kind: 'null'; input: string; domain: null; mailFrom: null}

/**
 * Reads the argument of `sender`: "<>" (RFC 5321 §4.5.5: bounces), an address (local@domain), or a domain. The
 * problem in words for anything else, so that the command names the argument.
 */
export function parseSenderTarget(text: string): SenderTarget | {problem: string} {
  const value = text.trim()
  if (value === '<>') return {kind: 'null', input: value, domain: null, mailFrom: null}
  if (value.includes('@')) {
    try {
      const address = parseMailAddress(value, 'sender')
      return {kind: 'address', input: value, domain: address.asciiDomain, mailFrom: address.wireAddress}
    } catch (error) {
      if (error instanceof UsageError) return {problem: error.message.replace(/^sender: /, '')}
      throw error
    }
  }
  const domain = toDomain(text)
  if (typeof domain === 'string') return {problem: domain}
  // §4.3 of RFC 7208: a domain alone is checked as postmaster@<domain>.
  return {kind: 'domain', input: domain.input, domain: domain.ascii, mailFrom: `postmaster@${domain.ascii}`}
}

/** A DKIM selector (RFC 6376 §3.1): dot-separated labels, each as a DNS label allows. */
export function selectorProblem(text: string): string | undefined {
  if (text === '') return 'the selector is empty'
  for (const label of text.split('.')) {
    if (label.length === 0) return `"${printable(text)}" has an empty label`
    if (label.length > 63) return `the label "${printable(label.slice(0, 20))}…" is ${label.length} characters long; DNS allows 63`
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(label)) return `"${printable(text)}" may hold only letters, digits, inner hyphens and dots`
  }
  return undefined
}
