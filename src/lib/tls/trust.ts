import {readFileSync} from 'node:fs'
import type {SecureContext, SecureVersion} from 'node:tls'
import {nodeTls} from '../builtins.js'

/** PEM text (one or more certificates), as read from `--ca-file`, or several of them. */
export type CaInput = string | Buffer | ReadonlyArray<string | Buffer>

let extraFromEnv: string[] | undefined

/**
 * The `ca` option for tls.connect: Node's default authorities plus `extra`, or undefined (Node's
 * defaults, which already include NODE_EXTRA_CA_CERTS) when there is nothing extra.
 *
 * Node *replaces* its default store when `ca` is given (tls.createSecureContext docs), and then
 * drops NODE_EXTRA_CA_CERTS too; so the bundled roots and that file are added back here, and
 * `--ca-file` adds to the trust instead of narrowing it.
 */
export function trustedCa(extra?: CaInput): Array<string | Buffer> | undefined {
  if (extra === undefined) return undefined
  const list = (Array.isArray(extra) ? extra : [extra]) as Array<string | Buffer>
  if (list.length === 0) return undefined
  return [...nodeTls().rootCertificates, ...nodeExtraCaCerts(), ...list]
}

function nodeExtraCaCerts(): string[] {
  if (extraFromEnv) return extraFromEnv
  const file = process.env.NODE_EXTRA_CA_CERTS
  extraFromEnv = []
  if (file) {
    try {
      extraFromEnv = [readFileSync(file, 'utf8')]
    } catch {
      // Node itself warns about an unreadable NODE_EXTRA_CA_CERTS at startup.
    }
  }
  return extraFromEnv
}

const contexts = new Map<string, SecureContext>()

/**
 * A secure context trusting Node's authorities plus `ca`, cached: building one parses some 150
 * root certificates (tens of milliseconds), which a probe of every MX address would pay each time.
 * Undefined when there is no extra CA (Node's default context is then used).
 */
export function secureContextFor(options: {ca?: CaInput; minVersion?: SecureVersion; ciphers?: string}): SecureContext | undefined {
  const ca = trustedCa(options.ca)
  if (!ca) return undefined
  const extra = ca.slice(nodeTls().rootCertificates.length).map((item) => item.toString())
  const key = JSON.stringify([extra, options.minVersion ?? null, options.ciphers ?? null])
  let context = contexts.get(key)
  if (!context) {
    context = nodeTls().createSecureContext({ca, minVersion: options.minVersion, ...(options.ciphers ? {ciphers: options.ciphers} : {})})
    if (contexts.size >= 8) contexts.delete(contexts.keys().next().value as string)
    contexts.set(key, context)
  }
  return context
}
