import {startMtaStsServer, type MtaStsServer} from './mta-sts.js'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {makeTestCa, type TestCa} from './ca.js'
import {startDns, DNS_HOST, DNS_PORT, type DnsServer} from './dns.js'
import {DNSSEC_PORT, NSD_HOST, startSignedDns, UNBOUND_HOST, type SignedDns} from './dnssec.js'
import {
  deliverLmtp,
  DOVECOT_HOST,
  DOVECOT_PORTS,
  listMaildir,
  POSTFIX_HOST,
  POSTFIX_PORTS,
  startMail,
  waitForDelivery,
  type DeliveredMessage,
  type MailServers,
} from './mail.js'
import {isAlive, requireBinary, run, sleep, startTimeOf, stopProcess, WorldError} from './proc.js'
import {buildSignedZone, buildZones, type ZoneRecord} from './zones.js'
import {makeDkimWorld, type DkimWorld} from './dkim.js'

/**
 * The test world: dnsmasq, NSD and Unbound (a DNSSEC-signed zone and a validating resolver),
 * Postfix and Dovecot started from configuration and state in one temporary folder, bound only to
 * addresses in 127.0.1.0/24, stopped by PID.
 *
 * Nothing in /etc is touched: Postfix runs its master daemon with `-c <our config dir>` (only
 * `postfix check` is used from the command, to create the queue directories), Dovecot with
 * `-c <our dovecot.conf>`, dnsmasq with `--conf-file=<ours>`, NSD and Unbound with `-c <ours>`.
 * No system service is started, stopped or reconfigured.
 */

/** A plain JSON object: what vitest hands to the test files (inject('world')). */
export interface WorldInfo {
  dns: {host: string; port: number}
  /**
   * DNSSEC: `zone` (dane.test) is signed and served by NSD (`authoritative`); `resolver` is Unbound,
   * which validates it against `trustAnchor` (its DS record) and forwards the rest of .test to
   * dnsmasq, unvalidated. dnsmasq serves the same zone without the AD bit.
   */
  dnssec: {resolver: {host: string; port: number}; authoritative: {host: string; port: number}; zone: string; trustAnchor: string; zoneRecords: ZoneRecord[]}
  ca: {
    caFile: string
    certFile: string
    keyFile: string
    /** The certificate followed by the test CA: what Postfix sends. */
    chainFile: string
    expiredCertFile: string
    expiredKeyFile: string
    /** A certificate for the mail host names that expires in EXPIRING_DAYS (ca.ts) days. */
    expiringCertFile: string
    expiringKeyFile: string
    /** A leaf certificate for the mail host names signed by a CA no test trusts, and its key. */
    unknownCaCertFile: string
    unknownCaKeyFile: string
    caPem: string
  }
  smtp: {host: string; ports: {smtp: number; submission: number; submissions: number}}
  dovecot: {host: string; ports: {imap: number; imaps: number; pop3: number; pop3s: number}}
  /** The HTTPS server of the MTA-STS policies (mta-sts.ts), in this process. */
  mtaSts: {host: string; port: number}
  users: {address: string; password: string; maildir: string}[]
  /** Dovecot's LMTP socket (root may connect): how deliver() puts mail into a mailbox. */
  lmtpSocket: string
  /** The PIDs of the servers' main processes (each one's children are its own). */
  pids: {dnsmasq: number; nsd: number; unbound: number; postfix: number; dovecot: number}
  /** Where each server logs. */
  logs: {dnsmasq: string; nsd: string; unbound: string; postfix: string; dovecot: string}
  /** The DNS data dnsmasq serves. */
  zones: ZoneRecord[]
  /** The DKIM keys the harness made and the messages it signed (dkim.ts). */
  dkim: DkimWorld
  /** The world's temporary folder. */
  dir: string
}

export interface World extends Mailboxes {
  info: WorldInfo
  ca: TestCa
  /**
   * Stops every server by PID and waits until they are gone. The folder is removed, unless
   * `keepDir` (a test failed: the path is printed so its logs can be read) or MAILDIG_KEEP_WORLD=1.
   */
  stop(options?: {keepDir?: boolean}): Promise<void>
}

let current: {promise: Promise<World>; users: number} | undefined

/** Starts the world, or returns the one this process already started (until its last user stops it). */
export function startWorld(): Promise<World> {
  if (current) {
    current.users++
    return current.promise
  }
  const entry = {promise: launch(), users: 1}
  current = entry
  entry.promise.catch(() => {
    if (current === entry) current = undefined
  })
  return entry.promise
}

const WORLD_PREFIX = 'maildig-world-'
// Unix socket paths (Dovecot's in <dir>/dovecot/run, the LMTP and auth sockets in Postfix's queue)
// must stay under 108 bytes: a long TMPDIR (some CI runners) is not used.
const WORLDS_DIR = os.tmpdir().length <= 40 ? os.tmpdir() : '/tmp'
const PORTS: [string, number, 'tcp' | 'udp'][] = [
  [DNS_HOST, DNS_PORT, 'udp'],
  [DNS_HOST, DNS_PORT, 'tcp'],
  [NSD_HOST, DNSSEC_PORT, 'udp'],
  [NSD_HOST, DNSSEC_PORT, 'tcp'],
  [UNBOUND_HOST, DNSSEC_PORT, 'udp'],
  [UNBOUND_HOST, DNSSEC_PORT, 'tcp'],
  ...Object.values(POSTFIX_PORTS).map((p): [string, number, 'tcp'] => [POSTFIX_HOST, p, 'tcp']),
  ...Object.values(DOVECOT_PORTS).map((p): [string, number, 'tcp'] => [DOVECOT_HOST, p, 'tcp']),
]

interface PidsFile {
  /** The process that started the world (vitest's main process) and its start time. */
  owner: number
  ownerStart: string | undefined
  servers: Record<string, number>
}

function writePids(dir: string, servers: Record<string, number>): void {
  const content: PidsFile = {owner: process.pid, ownerStart: startTimeOf(process.pid), servers}
  fs.writeFileSync(path.join(dir, 'pids.json'), JSON.stringify(content))
}

/** Other worlds on this machine: live ones (their owner still runs) and stale ones (their owner died). */
function otherWorlds(): {dir: string; live: boolean; servers: number[]}[] {
  let entries: string[]
  try {
    entries = fs.readdirSync(WORLDS_DIR).filter((e) => e.startsWith(WORLD_PREFIX))
  } catch {
    return []
  }
  const worlds: {dir: string; live: boolean; servers: number[]}[] = []
  for (const entry of entries) {
    const dir = path.join(WORLDS_DIR, entry)
    let pids: PidsFile
    try {
      pids = JSON.parse(fs.readFileSync(path.join(dir, 'pids.json'), 'utf8')) as PidsFile
    } catch {
      continue
    }
    if (pids.owner === process.pid) continue
    // Only processes whose command line still names that world's folder are its servers.
    const servers = Object.values(pids.servers ?? {}).filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)
      } catch {
        return false
      }
    })
    if (servers.length === 0) continue
    const live = pids.ownerStart !== undefined && startTimeOf(pids.owner) === pids.ownerStart
    worlds.push({dir, live, servers})
  }
  return worlds
}

/**
 * Servers left running by an earlier run that was killed (its owner process is gone; the exit hook
 * in proc.ts could not run) are stopped: by their PIDs from <dir>/pids.json, nothing else.
 */
async function reapStaleWorlds(): Promise<void> {
  for (const world of otherWorlds().filter((w) => !w.live)) {
    console.warn(`test world: stopping servers left running by a killed run in ${world.dir}: PIDs ${world.servers.join(', ')}`)
    for (const pid of world.servers) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // gone
      }
    }
    const deadline = Date.now() + 5000
    while (world.servers.some(isAlive) && Date.now() < deadline) await sleep(50)
    for (const pid of world.servers.filter(isAlive)) process.kill(pid, 'SIGKILL')
  }
}

function portsTaken(ssOutput: string): string[] {
  const taken: string[] = []
  for (const line of ssOutput.split('\n')) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 5) continue
    const proto = fields[0]
    const local = fields[4]!
    for (const [host, port, p] of PORTS) {
      const wildcard = local === `0.0.0.0:${port}` || local === `*:${port}` || local === `[::]:${port}`
      if (p === proto && (local === `${host}:${port}` || wildcard)) taken.push(`${proto} ${local} ${fields.slice(6).join(' ')}`)
    }
  }
  return taken
}

/**
 * Fails with the owners' names when one of our address:port pairs is taken. When another test run's
 * world holds them (two vitest processes at once), waits up to LIVE_WORLD_WAIT_MS for it to stop.
 */
const LIVE_WORLD_WAIT_MS = 120_000
async function checkPortsFree(): Promise<void> {
  const ss = requireBinary('/usr/bin/ss', 'iproute2')
  const deadline = Date.now() + LIVE_WORLD_WAIT_MS
  let noted = false
  for (;;) {
    const taken = portsTaken((await run(ss, ['-H', '-l', '-n', '-p', '-t', '-u'])).stdout)
    if (taken.length === 0) return
    const live = otherWorlds().filter((w) => w.live)
    if (live.length === 0 || Date.now() > deadline) {
      const whose = live.length > 0 ? ` by another test run's world (${live.map((w) => w.dir).join(', ')})` : ''
      throw new WorldError(
        `test world: addresses it needs are in use${whose}; it never stops servers it did not start:\n  ${taken.join('\n  ')}`,
      )
    }
    if (!noted) {
      console.warn(`test world: waiting for another test run's world to stop (${live.map((w) => w.dir).join(', ')})`)
      noted = true
    }
    await sleep(250)
  }
}

async function launch(): Promise<World> {
  const t0 = Date.now()
  await reapStaleWorlds()
  await checkPortsFree()
  const dir = fs.mkdtempSync(path.join(WORLDS_DIR, WORLD_PREFIX))
  // The servers' unprivileged users (dovecot, mail, postfix) must reach their files inside.
  fs.chmodSync(dir, 0o755)
  let dns: DnsServer | undefined
  let signed: SignedDns | undefined
  let mail: MailServers | undefined
  let mtaSts: MtaStsServer | undefined
  try {
    const [ca, dkim] = await Promise.all([makeTestCa(path.join(dir, 'ca')), makeDkimWorld(path.join(dir, 'dkim'))])
    const zones = buildZones({postfixSpkiSha256: ca.certSpkiSha256, dkim: dkim.keys})
    const signedZone = buildSignedZone({postfixSpkiSha256: ca.certSpkiSha256, caCertSha256: ca.caCertSha256, caSpkiSha256: ca.caSpkiSha256})
    dns = await startDns(path.join(dir, 'dns'), zones)
    const started: Record<string, number> = {dnsmasq: dns.process.pid}
    writePids(dir, started)
    signed = await startSignedDns(path.join(dir, 'dnssec'), signedZone, DNS_HOST)
    started.nsd = signed.nsd.pid
    started.unbound = signed.unbound.pid
    writePids(dir, started)
    mtaSts = await startMtaStsServer(ca, {[dkim.bimi.host]: dkim.bimi.files})
    mail = await startMail(dir, ca, (name, pid) => {
      started[name] = pid
      writePids(dir, started)
    })
    const pids = {dnsmasq: dns.process.pid, nsd: signed.nsd.pid, unbound: signed.unbound.pid, postfix: mail.postfix.pid, dovecot: mail.dovecot.pid}
    const info: WorldInfo = {
      dns: {host: DNS_HOST, port: DNS_PORT},
      dnssec: {
        resolver: {host: UNBOUND_HOST, port: DNSSEC_PORT},
        authoritative: {host: NSD_HOST, port: DNSSEC_PORT},
        zone: signed.zone,
        trustAnchor: signed.trustAnchor,
        zoneRecords: signedZone,
      },
      ca: {
        caFile: ca.caFile,
        certFile: ca.certFile,
        keyFile: ca.keyFile,
        chainFile: ca.chainFile,
        expiredCertFile: ca.expiredCertFile,
        expiredKeyFile: ca.expiredKeyFile,
        expiringCertFile: ca.expiringCertFile,
        expiringKeyFile: ca.expiringKeyFile,
        unknownCaCertFile: ca.unknownCaCertFile,
        unknownCaKeyFile: ca.unknownCaKeyFile,
        caPem: ca.caPem,
      },
      smtp: {host: POSTFIX_HOST, ports: {...POSTFIX_PORTS}},
      dovecot: {host: DOVECOT_HOST, ports: {...DOVECOT_PORTS}},
      mtaSts: {host: mtaSts.host, port: mtaSts.port},
      users: mail.users.map((u) => ({address: u.address, password: u.password, maildir: u.maildir})),
      lmtpSocket: mail.lmtpSocket,
      pids,
      logs: {dnsmasq: dns.logFile, nsd: signed.logs.nsd, unbound: signed.logs.unbound, postfix: mail.postfixLog, dovecot: mail.dovecotLog},
      zones,
      dkim,
      dir,
    }
    if (process.env.MAILDIG_WORLD_VERBOSE) console.log(`test world: ready in ${Date.now() - t0} ms at ${dir}`)
    return makeWorld(info, ca, dns, signed, mail, mtaSts)
  } catch (error) {
    await Promise.allSettled([mail?.stop(), dns?.stop(), signed?.stop(), mtaSts?.stop()])
    console.error(`test world: setup failed; its files are kept in ${dir}`)
    throw error
  }
}

export interface Mailboxes {
  /** Puts a raw message into a user's INBOX via Dovecot's LMTP (`user`: address or local part). */
  deliver(user: string, rawMessage: string | Buffer): Promise<void>
  /** Waits until the user's INBOX holds a message that matches (default: any). */
  waitForDelivery(user: string, predicate?: (m: DeliveredMessage) => boolean, timeoutMs?: number): Promise<DeliveredMessage>
  /** The message files in the user's INBOX (new/ and cur/). */
  messages(user: string): {name: string; path: string}[]
}

/**
 * The mailbox helpers from a WorldInfo, for test files (they run in vitest workers and only have
 * `inject('world')`; the maildirs and the LMTP socket are on the same machine).
 */
export function mailboxes(info: WorldInfo): Mailboxes {
  const find = (user: string) => {
    const found = info.users.find((u) => u.address === user || u.address.split('@')[0] === user)
    if (!found) throw new WorldError(`test world: no user ${user} (have ${info.users.map((u) => u.address).join(', ')})`)
    return found
  }
  return {
    deliver: (user, raw) => deliverLmtp(info.lmtpSocket, find(user).address, raw),
    waitForDelivery: (user, predicate, timeoutMs) => waitForDelivery(find(user).maildir, predicate, timeoutMs),
    messages: (user) => listMaildir(find(user).maildir),
  }
}

function makeWorld(info: WorldInfo, ca: TestCa, dns: DnsServer, signed: SignedDns, mail: MailServers, mtaSts: MtaStsServer): World {
  let stopping: Promise<void> | undefined
  const world: World = {
    info,
    ca,
    ...mailboxes(info),
    stop: (options = {}) => {
      if (current && current.users > 1) {
        current.users--
        return Promise.resolve()
      }
      stopping ??= (async () => {
        current = undefined
        const results = await Promise.allSettled([mail.stop(), stopProcess(dns.process), signed.stop(), mtaSts.stop()])
        const keep = options.keepDir || process.env.MAILDIG_KEEP_WORLD === '1'
        const failed = results.find((r) => r.status === 'rejected')
        if (keep || failed) {
          console.error(`test world: kept ${info.dir} (server logs: ${Object.values(info.logs).join(', ')})`)
        } else {
          fs.rmSync(info.dir, {recursive: true, force: true})
        }
        if (failed) throw (failed as PromiseRejectedResult).reason
      })()
      return stopping
    },
  }
  return world
}

export {deliverLmtp, listMaildir, waitForDelivery} from './mail.js'
export {MTA_STS_POLICIES} from './mta-sts.js'
export {queryUdp} from './dns.js'
export type {DeliveredMessage} from './mail.js'
export type {TestCa} from './ca.js'
export type {ZoneRecord} from './zones.js'
