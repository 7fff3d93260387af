import type {X509Certificate} from 'node:crypto'
import type {DetailedPeerCertificate, PeerCertificate, TLSSocket} from 'node:tls'
import {nodeCrypto, nodeTls} from '../builtins.js'
import type {CertificateInfo, DaneHashes, TlsInfo} from './schema.js'
import {finding, type Finding} from '../findings.js'
import {serverNameFor} from '../net/wire.js'

export type {CertificateInfo, DaneHashes, TlsInfo}


export interface InspectTlsOptions {
  /** The host name (or IP literal) the user asked for: what the certificate must name. */
  hostname: string
  /** "Now", for expiry (tests pass a fixed date). */
  now?: Date
  /** TLS_CERT_EXPIRING below this many days left (`--cert-days`). */
  certDays?: number
  /** The SNI name that was sent, if not the default derived from `hostname` (null: none). */
  servername?: string | null
}

export interface TlsInspection {
  tls: TlsInfo
  findings: Finding[]
}

const DAY_MS = 86_400_000
const OLD_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1'])
/** OpenSSL reasons that are about dates, not trust: reported as TLS_CERT_EXPIRED instead. */
const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID'])

/**
 * Describes a completed TLS session and what is wrong with it. The connection is made with
 * `rejectUnauthorized: false` so that a bad certificate can be reported instead of ending the
 * probe; this is where it is judged.
 */
export function inspectTls(socket: TLSSocket, options: InspectTlsOptions): TlsInspection {
  const now = options.now ?? new Date()
  const certDays = options.certDays ?? 14
  const hostname = options.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '')
  const findings: Finding[] = []
  const detailed = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>
  const hasCert = detailed && typeof detailed === 'object' && 'raw' in detailed && detailed.raw !== undefined
  const x509 = hasCert ? new (nodeCrypto().X509Certificate)((detailed as DetailedPeerCertificate).raw) : undefined
  const certificate = x509 ? describeCertificate(x509, now) : null
  const authorizationError = socket.authorizationError ? String(socket.authorizationError) : null
  const authorized = socket.authorized === true
  const hostnameMatches = hasCert ? nodeTls().checkServerIdentity(hostname, detailed as PeerCertificate) === undefined : false
  const version = socket.getProtocol() ?? null
  const servername = options.servername === undefined ? (serverNameFor(hostname) ?? null) : options.servername

  const tls: TlsInfo = {
    version,
    cipher: socket.getCipher()?.name ?? null,
    servername,
    authorized,
    authorizationError,
    hostnameMatches,
    certificate,
    chain: hasCert ? describeChain(detailed as DetailedPeerCertificate) : [],
  }

  if (!certificate) {
    findings.push(finding('TLS_CERT_UNTRUSTED', 'the server presented no certificate', hostname))
  } else {
    const from = new Date(certificate.validFrom)
    const to = new Date(certificate.validTo)
    if (to.getTime() <= now.getTime()) {
      findings.push(finding('TLS_CERT_EXPIRED', `the certificate expired on ${certificate.validTo} (${-certificate.daysLeft} days ago)`, hostname))
    } else if (from.getTime() > now.getTime()) {
      findings.push(finding('TLS_CERT_EXPIRED', `the certificate is not valid before ${certificate.validFrom}`, hostname))
    } else if (certificate.daysLeft < certDays) {
      findings.push(finding('TLS_CERT_EXPIRING', `the certificate expires on ${certificate.validTo}, in ${certificate.daysLeft} days (less than ${certDays})`, hostname))
    }
    if (!authorized && !(authorizationError && DATE_ERRORS.has(authorizationError))) {
      findings.push(finding('TLS_CERT_UNTRUSTED', `the certificate is not trusted: ${authorizationError ?? 'unknown reason'} (issuer ${certificate.issuer})`, hostname))
    }
    if (!hostnameMatches) {
      const names = certificate.altNames.length > 0 ? certificate.altNames.join(', ') : certificate.subject
      findings.push(finding('TLS_HOSTNAME_MISMATCH', `the certificate is for ${names}, not ${hostname}`, hostname))
    }
  }
  if (version && OLD_VERSIONS.has(version)) {
    findings.push(finding('TLS_OLD_VERSION', `the connection used ${version}`, hostname))
  }
  return {tls, findings}
}

/** `true` when the certificate is trusted, names `hostname` and is within its dates: safe for credentials. */
export function isCertificateValid(info: TlsInfo, now = new Date()): boolean {
  if (!info.authorized || !info.hostnameMatches || !info.certificate) return false
  return new Date(info.certificate.validFrom) <= now && now < new Date(info.certificate.validTo)
}

export function describeCertificate(x509: X509Certificate, now: Date): CertificateInfo {
  const validTo = new Date(x509.validTo)
  return {
    subject: formatName(x509.subject),
    altNames: parseAltNames(x509.subjectAltName),
    issuer: formatName(x509.issuer),
    validFrom: isoDate(x509.validFrom),
    validTo: isoDate(x509.validTo),
    daysLeft: Math.floor((validTo.getTime() - now.getTime()) / DAY_MS),
    fingerprint256: x509.fingerprint256,
    dane: daneHashes(x509),
  }
}

/** The TLSA hashes of a certificate (RFC 6698 §2.1.2-§2.1.3). */
export function daneHashes(x509: X509Certificate): DaneHashes {
  const spki = x509.publicKey.export({type: 'spki', format: 'der'})
  const hex = (algorithm: string, data: Buffer) => nodeCrypto().createHash(algorithm).update(data).digest('hex')
  return {
    certSha256: hex('sha256', x509.raw),
    certSha512: hex('sha512', x509.raw),
    spkiSha256: hex('sha256', spki),
    spkiSha512: hex('sha512', spki),
  }
}

function describeChain(leaf: DetailedPeerCertificate): TlsInfo['chain'] {
  const chain: TlsInfo['chain'] = []
  const seen = new Set<string>()
  let current: DetailedPeerCertificate | undefined = leaf
  // issuerCertificate links end in a self-reference at the root; bound the walk anyway.
  const certificates: X509Certificate[] = []
  while (current?.raw && chain.length < 10 && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256)
    const x509: X509Certificate = new (nodeCrypto().X509Certificate)(current.raw)
    certificates.push(x509)
    chain.push({subject: formatName(x509.subject), issuer: formatName(x509.issuer), validTo: isoDate(x509.validTo), fingerprint256: x509.fingerprint256, dane: daneHashes(x509), signedByNext: null})
    current = current.issuerCertificate
  }
  // The links a DANE-TA match relies on (RFC 7671 §5.2.2): each certificate signed by the next one's key.
  for (let i = 0; i + 1 < certificates.length; i++) chain[i]!.signedByNext = signedBy(certificates[i]!, certificates[i + 1]!)
  return chain
}

function signedBy(certificate: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** X509Certificate gives "C=US\nO=Example\nCN=mail.example.com"; one line reads better. */
function formatName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ')
}

/** "DNS:mail.example.com, IP Address:192.0.2.1" → ["mail.example.com", "192.0.2.1"]. */
export function parseAltNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return []
  return subjectAltName
    .split(/,\s*/)
    .map((entry) => entry.replace(/^(DNS|IP Address|email|URI):/, '').trim())
    .filter(Boolean)
}

function isoDate(text: string): string {
  const date = new Date(text)
  return Number.isNaN(date.getTime()) ? text : date.toISOString()
}
