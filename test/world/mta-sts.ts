import https from 'node:https'
import fs from 'node:fs'
import type {TestCa} from './ca.js'

/** The MTA-STS policy host (RFC 8461 §3.2): HTTPS on 127.0.1.44:443, one policy per Host name. */
export const MTA_STS_HOST = '127.0.1.44'
export const MTA_STS_PORT = 443

export const MTA_STS_POLICIES: Record<string, string> = {
  // Covers the real MX.
  'mta-sts.mail.test': 'version: STSv1\r\nmode: enforce\r\nmx: mx.mail.test\r\nmx: *.backup.mail.test\r\nmax_age: 86400\r\n',
  // Enforces a policy that names none of stsbad.test's MX hosts (MTA_STS_MX_MISMATCH).
  'mta-sts.stsbad.test': 'version: STSv1\r\nmode: enforce\r\nmx: *.other.test\r\nmax_age: 86400\r\n',
}

export interface MtaStsServer {
  host: string
  port: number
  stop(): Promise<void>
}

/** Other files the server serves, by host and path (the BIMI logos and mark certificate of dkim.ts). */
export type HostedFiles = Record<string, Record<string, {type: string; body: string}>>

export async function startMtaStsServer(ca: TestCa, files: HostedFiles = {}): Promise<MtaStsServer> {
  const server = https.createServer({key: fs.readFileSync(ca.keyFile), cert: fs.readFileSync(ca.certFile)}, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase()
    const file = files[host]?.[req.url ?? '']
    if (file) {
      res.writeHead(200, {'content-type': file.type}).end(file.body)
      return
    }
    const policy = MTA_STS_POLICIES[host]
    if (req.url !== '/.well-known/mta-sts.txt' || !policy) {
      res.writeHead(404, {'content-type': 'text/plain'}).end('not found\n')
      return
    }
    res.writeHead(200, {'content-type': 'text/plain'}).end(policy)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(MTA_STS_PORT, MTA_STS_HOST, () => resolve())
  })
  return {
    host: MTA_STS_HOST,
    port: MTA_STS_PORT,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
