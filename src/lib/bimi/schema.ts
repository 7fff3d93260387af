import * as z from 'zod'

// The schema of the BIMI result, apart from the code that fills it (the code imports only the type).

export const bimiLogoSchema = z.object({
  url: z.string(),
  fetched: z.boolean(),
  status: z.number().int().nullable().describe('HTTP status'),
  contentType: z.string().nullable(),
  bytes: z.number().int().nullable(),
  error: z.string().nullable().describe('why the logo could not be fetched'),
  tinyPs: z.boolean().nullable().describe('the SVG follows the main SVG Tiny PS rules; null when not fetched'),
  title: z.string().nullable().describe('the SVG\'s <title>'),
  square: z.boolean().nullable(),
  problems: z.array(z.string()).describe('what receivers refuse in the SVG'),
})
export type BimiLogo = z.infer<typeof bimiLogoSchema>

export const bimiCertificateSchema = z.object({
  url: z.string(),
  fetched: z.boolean(),
  error: z.string().nullable().describe('why it could not be fetched or read'),
  certificates: z.number().int().describe('PEM certificates in the file (the mark certificate first, then its issuers)'),
  subject: z.string().nullable(),
  issuer: z.string().nullable(),
  validFrom: z.string().nullable(),
  validTo: z.string().nullable(),
  daysLeft: z.number().int().nullable(),
  markUsage: z.boolean().nullable().describe('the certificate has the BIMI extended key usage (1.3.6.1.5.5.7.3.31) of a VMC or CMC'),
  names: z.array(z.string()).describe('the DNS names it is issued for (subjectAltName)'),
})
export type BimiCertificate = z.infer<typeof bimiCertificateSchema>

export const bimiInfoSchema = z.object({
  domain: z.string(),
  selector: z.string(),
  name: z.string().describe('the name asked: <selector>._bimi.<domain>'),
  recordDomain: z.string().nullable().describe('where the record was found: the domain, or its organizational domain'),
  status: z.enum(['found', 'declined', 'absent', 'invalid', 'unknown']).describe('found; declined (empty l= and a=); absent; invalid (the message says why); unknown (the lookup failed)'),
  record: z.string().nullable(),
  lookupError: z.string().nullable(),
  logoUrl: z.string().nullable().describe('l='),
  authorityUrl: z.string().nullable().describe('a= (the mark certificate, VMC or CMC)'),
  problems: z.array(z.string()),
  logo: bimiLogoSchema.nullable(),
  certificate: bimiCertificateSchema.nullable(),
  dmarc: z
    .object({ok: z.boolean().nullable().describe('null when DMARC is unknown'), problems: z.array(z.string())})
    .describe('BIMI needs DMARC at enforcement: p=quarantine or p=reject, no sp=none, not in test mode (t=y)'),
})
export type BimiInfo = z.infer<typeof bimiInfoSchema>
