import {isIP} from 'node:net'
import {UsageError} from '../lib/errors.js'
import {toDomain} from '../lib/dns/names.js'
import {SMTP_REQUIREMENTS, type SmtpRequirement} from '../lib/smtp/probe.js'
import {validateEhloName} from '../lib/smtp/client.js'

/** Flag values that several commands share, validated with one clear line naming the flag. */
export function parsePort(text: string, flag = '--port'): number {
  if (!/^\d{1,5}$/.test(text.trim())) throw new UsageError(`${flag}: "${text}" is not a port number`)
  const port = Number(text)
  if (port < 1 || port > 65535) throw new UsageError(`${flag}: ${port} is out of range (1-65535)`)
  return port
}

export function parseCertDays(text: string): number {
  if (!/^\d{1,4}$/.test(text.trim())) throw new UsageError(`--cert-days: "${text}" is not a whole number of days`)
  return Number(text)
}

export function parseSmtpRequire(text: string | undefined): SmtpRequirement[] {
  if (text === undefined) return []
  const values = text.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)
  for (const v of values) {
    if (!(SMTP_REQUIREMENTS as readonly string[]).includes(v)) throw new UsageError(`--require: "${v}" is not one of ${SMTP_REQUIREMENTS.join(', ')}`)
  }
  return values as SmtpRequirement[]
}

export function parseEhloFlag(text: string): string {
  try {
    validateEhloName(text)
  } catch (error) {
    throw new UsageError(`--ehlo: ${(error as Error).message}`)
  }
  return text
}

/** A server given as a host name (Unicode allowed) or an IP address, [IPv6] included. */
export function parseHostArgument(text: string, what = 'host'): string {
  const bare = text.trim().replace(/^\[(.*)\]$/, '$1')
  if (isIP(bare)) return bare
  const domain = toDomain(text)
  if (typeof domain === 'string') throw new UsageError(`${what}: ${domain}`)
  return domain.ascii
}
