import {UsageError} from '../lib/errors.js'
import {nodeCrypto} from '../lib/builtins.js'
import {readInput} from './input.js'

/** A CA bundle: the system's whole store (/etc/ssl/certs/ca-certificates.crt) is about 220 KB. */
export const MAX_CA_FILE_BYTES = 1024 * 1024

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g

/**
 * The certificates of --ca-file, each as its own PEM text. Every PEM block must be a certificate
 * that parses (node:crypto's X509Certificate, loaded only here): Node's TLS ignores a block it
 * cannot read, so a corrupt file would otherwise leave the trust silently unchanged.
 */
export async function readCaFile(path: string, deadlineMs: number): Promise<string[]> {
  const text = (await readInput(path, {label: '--ca-file', maxBytes: MAX_CA_FILE_BYTES, deadlineMs})).toString('latin1')
  const blocks = [...text.matchAll(PEM_BLOCK)]
  if (blocks.length === 0) throw new UsageError(`--ca-file: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
  const {X509Certificate} = nodeCrypto()
  return blocks.map((block, index) => {
    const which = blocks.length > 1 ? `block ${index + 1} of ${path}` : path
    if (block[1] !== 'CERTIFICATE') throw new UsageError(`--ca-file: ${which} is a ${block[1]}, not a CERTIFICATE`)
    try {
      new X509Certificate(block[0])
    } catch (error) {
      throw new UsageError(`--ca-file: ${which} is not a valid certificate (${(error as Error).message.replace(/^error:[0-9A-F]+:[^:]*::?/i, '')})`)
    }
    return `${block[0]}\n`
  })
}
