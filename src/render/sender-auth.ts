import type {ChalkInstance} from 'chalk'
import type {Finding} from '../lib/findings.js'
import type {SenderBimi, SenderDkim, SenderDmarc} from '../lib/sender/schema.js'
import {sectionFindings, sectionHeading} from './sender.js'

// The DKIM, DMARC and BIMI sections of the `sender` report. PLACEHOLDERS: the DKIM/DMARC/BIMI work (issue 12) fills
// them as its library sections (src/lib/sender/dkim.ts, dmarc.ts, bimi.ts) land.

export function renderDkimSection(c: ChalkInstance, dkim: SenderDkim, findings: readonly Finding[]): string {
  return sectionHeading(c, 'DKIM', dkim.status, dkim.error ? `could not be checked: ${dkim.error}` : `${dkim.selectors.length} selector(s)`, sectionFindings(findings, ['DKIM_']))
}

export function renderDmarcSection(c: ChalkInstance, dmarc: SenderDmarc, findings: readonly Finding[]): string {
  return sectionHeading(c, 'DMARC', dmarc.status, dmarc.error ? `could not be checked: ${dmarc.error}` : '', sectionFindings(findings, ['DMARC_']))
}

export function renderBimiSection(c: ChalkInstance, bimi: SenderBimi, findings: readonly Finding[]): string {
  return sectionHeading(c, 'BIMI', bimi.status, bimi.error ? `could not be checked: ${bimi.error}` : '', sectionFindings(findings, ['BIMI_']))
}
