import fs from 'node:fs'
import path from 'node:path'
import {arcSeal, signMessage} from '../fixtures/dkim.js'
import {requireBinary, run} from './proc.js'

/**
 * The test world's DKIM keys and signed messages, made at every start in the world's folder: the key
 * pairs with the openssl command line (RSA 2048 and 1024, Ed25519), the messages signed and ARC-sealed
 * by the harness with mailauth's signer. zones.ts publishes the public keys (buildZones' `dkim`).
 */

/** The domain whose mail the harness signs, and the domain of the forwarder that ARC-seals it. */
export const DKIM_DOMAIN = 'signed.test'
export const ARC_DOMAIN = 'forwarder.test'
/** Where signed.test's BIMI logo and mark certificate are served (the HTTPS server at 127.0.1.44). */
export const BIMI_HOST = 'bimi.signed.test'

export const BIMI_LOGO = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" viewBox="0 0 100 100">
  <title>Signed Test</title>
  <circle cx="50" cy="50" r="40" fill="#0a0"/>
</svg>
`

export interface DkimWorld {
  domain: string
  /** p= values (base64) of the public keys. */
  keys: {rsa2048: string; rsa1024: string; ed25519: string}
  /** The BIMI files the HTTPS server serves for bimi.signed.test (mta-sts.ts). */
  bimi: {host: string; files: Record<string, {type: string; body: string}>}
  /** Message files in the world's folder. */
  messages: {
    /** Signed twice (s2048 RSA, ed Ed25519); both pass. */
    signed: string
    /** The signed message with its body changed after signing. */
    tampered: string
    /** Signed with the 1024-bit key (passes, weak). */
    weak: string
    /** Signed with the revoked selector (fails). */
    revoked: string
    /** Signed, then ARC-sealed twice by forwarder.test (a valid chain of two sets). */
    arc: string
  }
}

export const MESSAGE = [
  'Return-Path: <alice@signed.test>',
  'From: Alice <alice@signed.test>',
  'To: alice@mail.test',
  'Subject: signed in the test world',
  'Date: Tue, 01 Dec 2026 22:00:00 +0000',
  'Message-ID: <world-dkim@signed.test>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Signed by the test harness; the keys are in the world\'s DNS.',
  '',
].join('\r\n')

async function keyPair(openssl: string, dir: string, name: string, algorithm: string[]): Promise<{privateKey: string; p: string}> {
  const keyFile = path.join(dir, `${name}.key`)
  await run(openssl, ['genpkey', ...algorithm, '-out', keyFile])
  const pubFile = path.join(dir, `${name}.pub.der`)
  await run(openssl, ['pkey', '-in', keyFile, '-pubout', '-outform', 'DER', '-out', pubFile])
  const spki = fs.readFileSync(pubFile)
  // RFC 8463 §4.2: an Ed25519 record holds the bare 32-byte key, the end of its SubjectPublicKeyInfo.
  const p = (algorithm.includes('ED25519') ? spki.subarray(-32) : spki).toString('base64')
  return {privateKey: fs.readFileSync(keyFile, 'utf8'), p}
}

export async function makeDkimWorld(dir: string): Promise<DkimWorld> {
  fs.mkdirSync(dir, {recursive: true})
  const openssl = requireBinary('/usr/bin/openssl', 'openssl')
  const [rsa2048, rsa1024, ed25519] = await Promise.all([
    keyPair(openssl, dir, 'rsa2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
    keyPair(openssl, dir, 'rsa1024', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']),
    keyPair(openssl, dir, 'ed25519', ['-algorithm', 'ED25519']),
  ])
  const sign = (raw: string, selector: string, privateKey: string, algorithm?: string) => signMessage(raw, {domain: DKIM_DOMAIN, selector, privateKey, algorithm})
  const signed = await sign(await sign(MESSAGE, 's2048', rsa2048.privateKey), 'ed', ed25519.privateKey, 'ed25519-sha256')
  const seal = (raw: string, i: number, cv: 'none' | 'pass') =>
    arcSeal(raw, {domain: ARC_DOMAIN, selector: 'arc', privateKey: rsa2048.privateKey, i, cv, authResults: `mx.${ARC_DOMAIN}; dkim=pass header.d=${DKIM_DOMAIN}; spf=pass smtp.mailfrom=${DKIM_DOMAIN}`})
  const files: Record<keyof DkimWorld['messages'], string> = {
    signed,
    tampered: signed.replace('Signed by the test harness', 'Changed after signing'),
    weak: await sign(MESSAGE, 's1024', rsa1024.privateKey),
    revoked: await sign(MESSAGE, 'gone', rsa2048.privateKey),
    arc: await seal(await seal(signed, 1, 'none'), 2, 'pass'),
  }
  const messages = {} as DkimWorld['messages']
  for (const [name, content] of Object.entries(files) as [keyof DkimWorld['messages'], string][]) {
    messages[name] = path.join(dir, `${name}.eml`)
    fs.writeFileSync(messages[name], content)
  }
  // A stand-in mark certificate: self-signed, with the BIMI extended key usage and the domain's name.
  const vmcKey = path.join(dir, 'vmc.key')
  const vmcFile = path.join(dir, 'vmc.pem')
  await run(openssl, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', vmcKey, '-out', vmcFile, '-days', '365', '-subj', '/CN=Signed Test Mark/O=Signed Test', '-addext', 'extendedKeyUsage=1.3.6.1.5.5.7.3.31', '-addext', `subjectAltName=DNS:${DKIM_DOMAIN}`])
  const bimi = {
    host: BIMI_HOST,
    files: {
      '/logo.svg': {type: 'image/svg+xml', body: BIMI_LOGO},
      '/bad.svg': {type: 'image/svg+xml', body: '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" viewBox="0 0 10 10"><script>alert(1)</script></svg>'},
      '/vmc.pem': {type: 'application/pem-certificate-chain', body: fs.readFileSync(vmcFile, 'utf8')},
    },
  }
  return {domain: DKIM_DOMAIN, keys: {rsa2048: rsa2048.p, rsa1024: rsa1024.p, ed25519: ed25519.p}, bimi, messages}
}
