import {createHash, X509Certificate} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {requireBinary, run} from './proc.js'

/**
 * A throw-away certificate authority for the test world, made with the openssl command line in the
 * world's folder:
 * - the test CA (what clients trust via --ca-file),
 * - the servers' certificate for the mail host names and IP addresses, signed by the test CA,
 * - an expired certificate for the same names, signed by the test CA,
 * - a certificate that expires in a few days (for TLS_CERT_EXPIRING), signed by the test CA,
 * - a certificate for the same names signed by a second, unknown CA (for TLS_CERT_UNTRUSTED).
 * Keys are EC P-256: generating them is instant, where RSA 2048 costs up to half a second each.
 */

export const MAIL_HOST_NAMES = [
  'mx.mail.test',
  'mail.test',
  'imap.mail.test',
  'pop.mail.test',
  'smtp.mail.test',
  'mta-sts.mail.test',
  'mta-sts.stsbad.test',
  // The DANE-TA case of the signed zone (zones.ts): RFC 7672 §3.2.2 checks the name there.
  'mx.ta.dane.test',
  // The BIMI logo and mark certificate of signed.test, served by the HTTPS server of mta-sts.ts.
  'bimi.signed.test',
  // The documentation names of the examples (zones.ts exampleRecords).
  'mx.example.com',
  'smtp.example.com',
  'imap.example.com',
  'pop.example.com',
  'mx.example.org',
  'imap.example.org',
] as const
export const MAIL_HOST_ADDRESSES = ['127.0.1.25', '127.0.1.30'] as const

export interface TestCa {
  dir: string
  /** The test CA's certificate (PEM file) and key. */
  caFile: string
  caKeyFile: string
  caPem: string
  /** The servers' certificate (names above, signed by the test CA). */
  certFile: string
  keyFile: string
  certPem: string
  keyPem: string
  /** SHA-256 of the server certificate's SubjectPublicKeyInfo, hex: the data of a TLSA 3 1 1 record. */
  certSpkiSha256: string
  /** The server certificate followed by the test CA: the chain Postfix sends (RFC 7671 §5.2.2 asks DANE-TA servers to). */
  chainFile: string
  /** SHA-256 of the test CA's certificate (DER) and of its SubjectPublicKeyInfo, hex: TLSA 2 0 1 and 2 1 1 data. */
  caCertSha256: string
  caSpkiSha256: string
  /** Same names, signed by the test CA, validity entirely in the past. */
  expiredCertFile: string
  expiredKeyFile: string
  expiredCertPem: string
  expiredKeyPem: string
  /** Same names, signed by the test CA, valid for only a few more days. */
  expiringCertFile: string
  expiringKeyFile: string
  expiringCertPem: string
  expiringKeyPem: string
  /** The second CA, which no test trusts. */
  unknownCaRootFile: string
  unknownCaRootPem: string
  /** Same names, signed by the unknown CA (a leaf certificate and its key). */
  unknownCaCertFile: string
  unknownCaKeyFile: string
  unknownCaCertPem: string
  unknownCaKeyPem: string
}

export const EXPIRING_DAYS = 5

/** openssl's `-startdate/-enddate` format: YYYYMMDDHHMMSSZ (GeneralizedTime). */
function opensslDate(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z')
}

function config(dir: string, names: readonly string[], addresses: readonly string[]): string {
  const san = [...names.map((n) => `DNS:${n}`), ...addresses.map((a) => `IP:${a}`)].join(',')
  // Our own config file: nothing is read from /etc/ssl/openssl.cnf.
  return `# maildig test world CA (generated)
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = placeholder

[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = ${san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ ca ]
default_ca = test_ca
[ test_ca ]
dir = ${dir}
database = ${dir}/index.txt
serial = ${dir}/serial
new_certs_dir = ${dir}/issued
certificate = ${dir}/ca.pem
private_key = ${dir}/ca.key
default_md = sha256
policy = any_policy
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any_policy ]
commonName = supplied
organizationName = optional
`
}

export async function makeTestCa(
  dir: string,
  options: {names?: readonly string[]; addresses?: readonly string[]} = {},
): Promise<TestCa> {
  const openssl = requireBinary('/usr/bin/openssl', 'openssl')
  const names = options.names ?? MAIL_HOST_NAMES
  const addresses = options.addresses ?? MAIL_HOST_ADDRESSES
  fs.mkdirSync(path.join(dir, 'issued'), {recursive: true, mode: 0o755})
  const cnf = path.join(dir, 'openssl.cnf')
  fs.writeFileSync(cnf, config(dir, names, addresses))
  fs.writeFileSync(path.join(dir, 'index.txt'), '')
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n')
  const env = {...process.env, OPENSSL_CONF: cnf}
  const f = (name: string) => path.join(dir, name)
  const ssl = (...args: string[]) => run(openssl, args, {cwd: dir, env})
  const newKey = (file: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file)
  const selfSignedCa = (key: string, cert: string, cn: string) =>
    ssl('req', '-config', cnf, '-new', '-x509', '-key', key, '-out', cert, '-days', '3650', '-sha256',
      '-subj', `/O=maildig test world/CN=${cn}`, '-extensions', 'ca_ext')
  const csr = (key: string, out: string) =>
    ssl('req', '-config', cnf, '-new', '-key', key, '-out', out, '-subj', `/O=maildig test world/CN=${names[0]}`)
  let serial = 0x2000
  const sign = (csrFile: string, caCert: string, caKey: string, out: string, days: number) =>
    ssl('x509', '-req', '-in', csrFile, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(serial++),
      '-days', String(days), '-sha256', '-extfile', cnf, '-extensions', 'server_ext', '-out', out)

  await Promise.all(['ca.key', 'server.key', 'expired.key', 'expiring.key', 'unknown-ca.key', 'unknown-leaf.key'].map((k) => newKey(f(k))))
  await Promise.all([
    selfSignedCa(f('ca.key'), f('ca.pem'), 'maildig Test CA'),
    selfSignedCa(f('unknown-ca.key'), f('unknown-ca.pem'), 'maildig Unknown CA'),
    csr(f('server.key'), f('server.csr')),
    csr(f('expired.key'), f('expired.csr')),
    csr(f('expiring.key'), f('expiring.csr')),
    csr(f('unknown-leaf.key'), f('unknown-leaf.csr')),
  ])
  // OpenSSL 3.0 has no `x509 -not_before/-not_after` (3.4 added them): `openssl ca` can set both dates.
  const day = 86_400_000
  const now = Date.now()
  await ssl('ca', '-config', cnf, '-batch', '-notext', '-in', f('expired.csr'), '-out', f('expired.pem'),
    '-startdate', opensslDate(new Date(now - 60 * day)), '-enddate', opensslDate(new Date(now - 30 * day)),
    '-extensions', 'server_ext')
  await Promise.all([
    sign(f('server.csr'), f('ca.pem'), f('ca.key'), f('server.pem'), 825),
    sign(f('expiring.csr'), f('ca.pem'), f('ca.key'), f('expiring.pem'), EXPIRING_DAYS),
    sign(f('unknown-leaf.csr'), f('unknown-ca.pem'), f('unknown-ca.key'), f('unknown-leaf.pem'), 825),
  ])
  for (const key of ['ca.key', 'server.key', 'expired.key', 'expiring.key', 'unknown-ca.key', 'unknown-leaf.key']) {
    fs.chmodSync(f(key), 0o600)
  }
  const read = (name: string) => fs.readFileSync(f(name), 'utf8')
  const certPem = read('server.pem')
  const caPem = read('ca.pem')
  fs.writeFileSync(f('server-chain.pem'), certPem + caPem)
  const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')
  const spkiOf = (pem: string) => new X509Certificate(pem).publicKey.export({type: 'spki', format: 'der'})
  return {
    dir,
    caFile: f('ca.pem'),
    caKeyFile: f('ca.key'),
    caPem,
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    certPem,
    keyPem: read('server.key'),
    certSpkiSha256: sha256(spkiOf(certPem)),
    chainFile: f('server-chain.pem'),
    caCertSha256: sha256(new X509Certificate(caPem).raw),
    caSpkiSha256: sha256(spkiOf(caPem)),
    expiredCertFile: f('expired.pem'),
    expiredKeyFile: f('expired.key'),
    expiredCertPem: read('expired.pem'),
    expiredKeyPem: read('expired.key'),
    expiringCertFile: f('expiring.pem'),
    expiringKeyFile: f('expiring.key'),
    expiringCertPem: read('expiring.pem'),
    expiringKeyPem: read('expiring.key'),
    unknownCaRootFile: f('unknown-ca.pem'),
    unknownCaRootPem: read('unknown-ca.pem'),
    unknownCaCertFile: f('unknown-leaf.pem'),
    unknownCaKeyFile: f('unknown-leaf.key'),
    unknownCaCertPem: read('unknown-leaf.pem'),
    unknownCaKeyPem: read('unknown-leaf.key'),
  }
}
