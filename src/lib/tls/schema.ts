import * as z from 'zod'

// The --json documents' schemas, apart from the code that fills them: that code imports only their types, so a run
// builds none of them (building zod schemas costs start-up time); the docs generator and other schemas do.

/**
 * What DANE TLSA records (RFC 6698 §2.1) are matched against: SHA-256 and SHA-512 of the whole
 * certificate (selector 0) and of its SubjectPublicKeyInfo (selector 1), lower-case hex. Full-DER
 * records (matching type 0) are compared by hashing the record's data, so no raw DER is kept.
 */
export const daneHashesSchema = z.object({
  certSha256: z.string().describe('SHA-256 of the DER certificate, lower-case hex (TLSA selector 0, matching type 1)'),
  certSha512: z.string().describe('SHA-512 of the DER certificate (selector 0, matching type 2)'),
  spkiSha256: z.string().describe('SHA-256 of the DER SubjectPublicKeyInfo (selector 1, matching type 1)'),
  spkiSha512: z.string().describe('SHA-512 of the DER SubjectPublicKeyInfo (selector 1, matching type 2)'),
})
export type DaneHashes = z.infer<typeof daneHashesSchema>

export const certificateInfoSchema = z.object({
  subject: z.string().describe('distinguished name, "CN=mail.example.com, O=…"'),
  altNames: z.array(z.string()).describe('subjectAltName entries: DNS names and IP addresses, without their "DNS:"/"IP Address:" prefix'),
  issuer: z.string(),
  validFrom: z.string().describe('ISO 8601'),
  validTo: z.string().describe('ISO 8601'),
  daysLeft: z.number().int().describe('whole days until validTo; negative once expired'),
  fingerprint256: z.string().describe('SHA-256 of the DER certificate, colon-separated hex'),
  dane: daneHashesSchema.describe('hashes a DANE TLSA record is matched against'),
})
export type CertificateInfo = z.infer<typeof certificateInfoSchema>

export const chainCertificateSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  validTo: z.string().describe('ISO 8601'),
  fingerprint256: z.string(),
  dane: daneHashesSchema.describe('hashes a DANE-TA (usage 2) TLSA record is matched against'),
  signedByNext: z.boolean().nullable().describe('its signature verifies with the public key of the next certificate in the chain; null for the last one'),
})

/** The `tls` object (docs/cli.md) of `probe-smtp` (and `pop3-list`, `imap-check`). */
export const tlsInfoSchema = z.object({
  version: z.string().nullable().describe('negotiated protocol: "TLSv1.3", "TLSv1.2", …'),
  cipher: z.string().nullable().describe('negotiated cipher suite (OpenSSL name)'),
  servername: z.string().nullable().describe('the name sent in SNI and checked against the certificate; null for an IP literal'),
  authorized: z.boolean().describe('the chain verifies against the trusted authorities (Node\'s, NODE_EXTRA_CA_CERTS, --ca-file) and is within its dates'),
  authorizationError: z.string().nullable().describe('OpenSSL\'s reason when not authorized: CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, …'),
  hostnameMatches: z.boolean().describe('the certificate names the host that was asked for (RFC 6125, tls.checkServerIdentity)'),
  certificate: certificateInfoSchema.nullable(),
  chain: z.array(chainCertificateSchema).describe('the certificates as presented, leaf first, up to the trust anchor Node found, if any'),
})
export type TlsInfo = z.infer<typeof tlsInfoSchema>
