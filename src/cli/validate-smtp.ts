import {SMTP_REQUIREMENTS, type SmtpRequirement} from '../lib/smtp/probe.js'
import {toEhloName} from '../lib/dns/names.js'
import {checked, flagValue} from './validate.js'

// SMTP flags, apart from validate.ts so that commands without SMTP do not load the SMTP client at start.

export const smtpRequireSchema = checked((text) => {
  const values = text.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)
  const bad = values.find((v) => !(SMTP_REQUIREMENTS as readonly string[]).includes(v))
  return bad === undefined ? (values as SmtpRequirement[]) : {problem: `"${bad}" is not one of ${SMTP_REQUIREMENTS.join(', ')}`}
})

export function parseSmtpRequire(text: string | undefined): SmtpRequirement[] {
  return text === undefined ? [] : flagValue(smtpRequireSchema, text, '--require')
}

/** --ehlo: a domain (a Unicode name becomes its A-label) or an address literal, checked as the SMTP client checks it. */
export const ehloSchema = checked((text) => toEhloName(text))

export function parseEhloFlag(text: string): string {
  return flagValue(ehloSchema, text, '--ehlo')
}
