import {UsageError} from '../lib/errors.js'
import {SMTP_REQUIREMENTS, type SmtpRequirement} from '../lib/smtp/probe.js'
import {validateEhloName} from '../lib/smtp/client.js'
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

export function parseEhloFlag(text: string): string {
  try {
    validateEhloName(text)
  } catch (error) {
    throw new UsageError(`--ehlo: ${(error as Error).message}`)
  }
  return text
}
