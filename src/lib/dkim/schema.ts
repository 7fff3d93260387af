import * as z from 'zod'

// The schemas of the DKIM results, apart from the code that fills them (the code imports only the types, so a run
// builds no zod schema it does not print; the docs generator builds them all).

export const dkimKeyStatusSchema = z.enum(['found', 'revoked', 'invalid', 'absent', 'unknown'])
export type DkimKeyStatus = z.infer<typeof dkimKeyStatusSchema>

export const dkimSelectorSchema = z.object({
  selector: z.string(),
  domain: z.string().describe('the signing domain (d=)'),
  name: z.string().describe('the name asked: <selector>._domainkey.<domain>'),
  source: z.enum(['flag', 'message', 'guess']).describe('where the selector came from: --selector, a DKIM-Signature of --message, or the list of common selectors'),
  status: dkimKeyStatusSchema.describe('found (a usable key), revoked (empty p=, RFC 6376 §3.6.1), invalid (the record cannot be used), absent (no key record: NXDOMAIN or no TXT), unknown (the lookup failed: lookupError says why)'),
  record: z.string().nullable().describe('the key record as published (the TXT strings joined)'),
  keyType: z.enum(['rsa', 'ed25519']).nullable().describe('k= (default rsa; ed25519 per RFC 8463)'),
  keyBits: z.number().int().nullable().describe('RSA modulus length in bits (RFC 8301: under 1024 fails, under 2048 is weak); 256 for ed25519'),
  testing: z.boolean().describe('t=y: the domain is testing DKIM, verifiers must not treat failures differently from unsigned mail'),
  strict: z.boolean().describe('t=s: the i= of a signature must be in exactly d= (no subdomain)'),
  revoked: z.boolean().describe('p= is empty: the key was revoked'),
  hashes: z.array(z.string()).nullable().describe('h=: the hash algorithms the key may sign with; null: any'),
  services: z.array(z.string()).describe('s= service types (default ["*"])'),
  cname: z.string().nullable().describe('the alias target, when the key name is a CNAME (e.g. a provider\'s key)'),
  problems: z.array(z.string()).describe('what is wrong with the record, in words'),
  lookupError: z.string().nullable().describe('why the key is unknown: its DNS lookup failed; null when the lookup was answered'),
})
export type DkimSelector = z.infer<typeof dkimSelectorSchema>

export const dkimDomainKeySchema = z.object({
  name: z.string().describe('_domainkey.<domain>'),
  status: z.enum(['exists', 'nxdomain', 'unknown']).describe('exists: the name exists (NOERROR), so keys can exist under selectors not tried; nxdomain: nothing exists below it (RFC 8020), so no selector can; unknown: the lookup failed'),
  rcode: z.string().nullable(),
})
export type DkimDomainKey = z.infer<typeof dkimDomainKeySchema>

export const dkimSignatureSchema = z.object({
  index: z.number().int().describe('1 for the topmost DKIM-Signature field'),
  domain: z.string().nullable().describe('d='),
  selector: z.string().nullable().describe('s='),
  algorithm: z.string().nullable().describe('a= (rsa-sha256, ed25519-sha256; rsa-sha1 is refused by RFC 8301)'),
  canonicalization: z.string().nullable().describe('c='),
  signedHeaders: z.array(z.string()).describe('h=, the header fields the signature covers'),
  result: z.enum(['pass', 'fail', 'neutral', 'policy', 'temperror', 'permerror']).describe('RFC 8601 result of this signature'),
  reason: z.string().nullable().describe('why not pass, in words (body hash mismatch, bad signature, no key, expired, DNS failure…)'),
  bodyHash: z.enum(['match', 'mismatch']).nullable().describe('whether the body hash (bh=) matches the body'),
  keyBits: z.number().int().nullable(),
  bodyLengthLimit: z.number().int().nullable().describe('l=: only that many body bytes are signed'),
  unsignedBodyBytes: z.number().int().nullable().describe('canonicalised body bytes after the l= limit, which anyone could have changed or appended'),
  signedAt: z.string().nullable().describe('t= as ISO 8601'),
  expiresAt: z.string().nullable().describe('x= as ISO 8601'),
  aligned: z.boolean().nullable().describe('d= is aligned with the From domain (relaxed, as mailauth computes it); null when there is no From'),
})
export type DkimSignature = z.infer<typeof dkimSignatureSchema>

export const arcVerificationSchema = z.object({
  result: z.enum(['none', 'pass', 'fail']).describe('RFC 8617 chain validation: none (no ARC sets), pass, or fail'),
  reason: z.string().nullable(),
  instances: z.number().int().describe('the number of ARC sets'),
  sealers: z.array(z.object({i: z.number().int(), domain: z.string().nullable(), selector: z.string().nullable(), cv: z.string().nullable()})).describe('each ARC-Seal, oldest first'),
})
export type ArcVerification = z.infer<typeof arcVerificationSchema>

export const dkimInfoSchema = z.object({
  domain: z.string().describe('the domain whose keys were looked up'),
  guessed: z.boolean().describe('no --selector and no --message: the common selectors were tried, which proves nothing when none is found'),
  tried: z.array(z.string()).describe('every selector asked, in order'),
  domainKey: dkimDomainKeySchema.nullable().describe('the answer for _domainkey.<domain>, asked when guessing'),
  selectors: z.array(dkimSelectorSchema).describe('the keys asked; when guessing, only those found (the others are in tried)'),
  signatures: z.array(dkimSignatureSchema).describe('with --message: each DKIM-Signature verified, topmost first'),
  arc: arcVerificationSchema.nullable().describe('with --message: the ARC chain verified (null without --message)'),
  messageError: z.string().nullable().describe('why the message could not be verified'),
  messageFrom: z.string().nullable().describe('with --message: the domain of its From field, whose DMARC policy receivers apply (null without --message or without a From)'),
})
export type DkimInfo = z.infer<typeof dkimInfoSchema>
