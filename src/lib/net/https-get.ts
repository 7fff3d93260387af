import type {IncomingMessage} from 'node:http'
import type {LookupFunction} from 'node:net'
import {nodeHttps} from '../builtins.js'
import {trustedCa, type CaInput} from '../tls/trust.js'
import {isDnsError} from '../errors.js'

/**
 * One bounded HTTPS GET, as the policy fetches of mail standards want it (MTA-STS, BIMI): the
 * certificate must be trusted and name the host (no way around it: receivers would not accept less),
 * redirects are not followed, only 200 counts, the body has a byte bound, and each stage (connection
 * with TLS, response headers, body) its deadline.
 */

export type HttpsGetResult =
  | {ok: true; body: Buffer; status: number; contentType: string | null}
  | {ok: false; error: string; status: number | null}

export interface HttpsGetOptions {
  /** Resolves the host: lookupOf(net), so that --resolver governs the connection. */
  lookup?: LookupFunction
  /** Extra trusted authorities (--ca-file). */
  ca?: CaInput
  /** Deadline for each stage: connection and TLS, response headers, body. */
  timeoutMs: number
  /** Bodies larger than this are refused (Content-Length first, then as the bytes arrive). */
  maxBytes: number
  port?: number
  accept: string
  /** For the User-Agent: "maildig (<purpose>)". */
  purpose: string
  /** What the refusal of a redirect cites: "RFC 8461 §3.3". */
  redirectRule: string
  /** What the body is called in messages ("the policy", "the logo"). */
  what: string
}

export function httpsGet(host: string, path: string, options: HttpsGetOptions): Promise<HttpsGetResult> {
  const {maxBytes, what} = options
  return new Promise((resolve) => {
    let done = false
    let timer: NodeJS.Timeout | undefined
    let response: IncomingMessage | undefined
    const finish = (value: HttpsGetResult) => {
      if (done) return
      done = true
      clearTimeout(timer)
      request.destroy()
      response?.destroy()
      resolve(value)
    }
    const arm = (stage: string) => {
      clearTimeout(timer)
      timer = setTimeout(() => finish({ok: false, error: `no ${stage} from ${host} within ${options.timeoutMs} ms`, status: response?.statusCode ?? null}), options.timeoutMs)
    }
    const request = nodeHttps().request({
      host,
      port: options.port ?? 443,
      path,
      method: 'GET',
      servername: host,
      lookup: options.lookup,
      ca: trustedCa(options.ca),
      rejectUnauthorized: true,
      // A fresh connection per fetch: no pooled socket, so the certificate is checked each time.
      agent: false,
      headers: {'User-Agent': `maildig (${options.purpose})`, Accept: options.accept},
    })
    arm('connection')
    request.on('socket', (socket) => socket.once('secureConnect', () => arm('response')))
    request.on('error', (error: NodeJS.ErrnoException) => finish({ok: false, error: describeFetchError(error, host), status: null}))
    request.on('response', (res) => {
      response = res
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400) {
        const location = res.headers.location ? ` to ${res.headers.location}` : ''
        return finish({ok: false, error: `HTTP ${status}: a redirect${location}, which is not followed (${options.redirectRule})`, status})
      }
      if (status !== 200) return finish({ok: false, error: `HTTP ${status} ${res.statusMessage ?? ''}`.trim(), status})
      const declared = Number(res.headers['content-length'])
      if (Number.isFinite(declared) && declared > maxBytes) {
        return finish({ok: false, error: `${what} is ${declared} bytes; more than ${maxBytes} is refused`, status})
      }
      arm(`${what.replace(/^the /, '')} body`)
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) return finish({ok: false, error: `${what} is more than ${maxBytes} bytes; refused`, status})
        chunks.push(chunk)
      })
      res.on('end', () => finish({ok: true, body: Buffer.concat(chunks), status, contentType: res.headers['content-type'] ?? null}))
      res.on('error', (error) => finish({ok: false, error: `the response broke off: ${error.message}`, status}))
    })
    request.end()
  })
}

function describeFetchError(error: NodeJS.ErrnoException, host: string): string {
  const code = error.code ?? ''
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the certificate of ${host} does not name it (${error.message})`
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ISSUER/.test(code)) return `the certificate of ${host} is not trusted (${code})`
  // The same code is node:dns's "could not contact DNS servers" when the lookup failed.
  if (code === 'ECONNREFUSED' && !isDnsError(error)) return `nothing listens on HTTPS at ${host}`
  if (code === 'ENOTFOUND') return `${host} has no address`
  return `${host}: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ''}`
}
