import {createHash, createHmac, X509Certificate} from 'node:crypto'
import {Resolver} from 'node:dns/promises'
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import {domainToASCII} from 'node:url'
import * as packet from 'dns-packet'
import {describe, expect, inject, it} from 'vitest'
import {queryUdp} from '../world/dns.js'
import {mailboxes} from '../world/index.js'
import {deliverLmtp, listMaildir, waitForDelivery} from '../world/mail.js'
import {descendants} from '../world/proc.js'
import {LONG_SPF} from '../world/zones.js'

// The test world itself: every DNS case, every server port, mail flowing from Postfix to Dovecot, and
// no server of ours listening outside 127.0.1.0/24.

const world = inject('world')
const alice = world.users.find((u) => u.address === 'alice@mail.test')!
const bob = world.users.find((u) => u.address === 'bob@mail.test')!

function resolver(): Resolver {
  const r = new Resolver({timeout: 1000, tries: 1})
  r.setServers([world.dns.host])
  return r
}

async function rcodeOf(name: string, type: packet.RecordType): Promise<string | undefined> {
  return (await queryUdp(name, type, {host: world.dns.host, port: world.dns.port, timeoutMs: 1000})).rcode
}

async function answersOf<T extends packet.Answer = packet.Answer>(name: string, type: packet.RecordType): Promise<T[]> {
  const response = await queryUdp(name, type, {host: world.dns.host, port: world.dns.port, timeoutMs: 1000})
  expect(response.rcode, `${name} ${type}`).toBe('NOERROR')
  return (response.answers ?? []).filter((a) => a.type === type) as T[]
}

async function mxOf(domain: string): Promise<{priority: number; exchange: string}[]> {
  // Node 24 adds `type: 'MX'` to each record; the test compares what the DNS answered.
  const records = (await resolver().resolveMx(domain)).map(({priority, exchange}) => ({priority, exchange}))
  return records.sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
}

describe('DNS (dnsmasq on 127.0.1.53)', () => {
  it('mail.test: MX, A, PTR for Postfix and Dovecot', async () => {
    const r = resolver()
    expect(await mxOf('mail.test')).toEqual([{priority: 10, exchange: 'mx.mail.test'}])
    expect(await r.resolve4('mx.mail.test')).toEqual(['127.0.1.25'])
    expect(await r.resolve4('smtp.mail.test')).toEqual(['127.0.1.25'])
    expect(await r.resolve4('imap.mail.test')).toEqual(['127.0.1.30'])
    expect(await r.resolve4('pop.mail.test')).toEqual(['127.0.1.30'])
    expect(await r.reverse('127.0.1.25')).toEqual(['mx.mail.test'])
    expect(await r.reverse('127.0.1.30')).toEqual(['imap.mail.test'])
    // A name that exists answers NODATA for a type it lacks, not NXDOMAIN.
    expect(await rcodeOf('mx.mail.test', 'AAAA')).toBe('NOERROR')
    expect(await answersOf('mx.mail.test', 'AAAA')).toEqual([])
  })

  it('fallback.test: the preferred MX is an address where nothing listens', async () => {
    expect(await mxOf('fallback.test')).toEqual([
      {priority: 10, exchange: 'down.fallback.test'},
      {priority: 20, exchange: 'mx.mail.test'},
    ])
    expect(await resolver().resolve4('down.fallback.test')).toEqual(['127.0.1.26'])
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect({host: '127.0.1.26', port: 25})
      s.on('connect', () => {
        s.destroy()
        resolve('connected')
      })
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
  })

  it('equal.test: two MX of the same preference', async () => {
    expect(await mxOf('equal.test')).toEqual([
      {priority: 10, exchange: 'mx.mail.test'},
      {priority: 10, exchange: 'mx2.equal.test'},
    ])
    expect(await resolver().resolve4('mx2.equal.test')).toEqual(['127.0.1.27'])
  })

  it('implicit.test: no MX (NODATA), an A record', async () => {
    expect(await rcodeOf('implicit.test', 'MX')).toBe('NOERROR')
    expect(await answersOf('implicit.test', 'MX')).toEqual([])
    await expect(resolver().resolveMx('implicit.test')).rejects.toMatchObject({code: 'ENODATA'})
    expect(await resolver().resolve4('implicit.test')).toEqual(['127.0.1.25'])
  })

  it('nullmx.test: a null MX (preference 0, exchange ".")', async () => {
    const answers = await answersOf<packet.MxAnswer>('nullmx.test', 'MX')
    expect(answers).toHaveLength(1)
    expect(answers[0]!.data).toEqual({preference: 0, exchange: '.'})
  })

  it('cname.test: the MX target is a CNAME of mx.mail.test', async () => {
    expect(await mxOf('cname.test')).toEqual([{priority: 10, exchange: 'alias.cname.test'}])
    expect(await resolver().resolveCname('alias.cname.test')).toEqual(['mx.mail.test'])
    const answers = (await queryUdp('alias.cname.test', 'A', {timeoutMs: 1000})).answers ?? []
    expect(answers.map((a) => [a.type, (a as packet.StringAnswer).data])).toEqual([
      ['CNAME', 'mx.mail.test'],
      ['A', '127.0.1.25'],
    ])
  })

  it('literal.test: the MX target is the name "127.0.1.25"', async () => {
    expect(await mxOf('literal.test')).toEqual([{priority: 10, exchange: '127.0.1.25'}])
  })

  it('lame.test: the preferred MX name does not exist', async () => {
    expect(await mxOf('lame.test')).toEqual([
      {priority: 10, exchange: 'nowhere.lame.test'},
      {priority: 20, exchange: 'mx.mail.test'},
    ])
    expect(await rcodeOf('nowhere.lame.test', 'A')).toBe('NXDOMAIN')
    await expect(resolver().resolve4('nowhere.lame.test')).rejects.toMatchObject({code: 'ENOTFOUND'})
  })

  it('noptr.test: the MX address has no PTR (NXDOMAIN)', async () => {
    expect(await mxOf('noptr.test')).toEqual([{priority: 10, exchange: 'mx.noptr.test'}])
    expect(await resolver().resolve4('mx.noptr.test')).toEqual(['127.0.1.60'])
    expect(await rcodeOf('60.1.0.127.in-addr.arpa', 'PTR')).toBe('NXDOMAIN')
    await expect(resolver().reverse('127.0.1.60')).rejects.toMatchObject({code: 'ENOTFOUND'})
    // The host exists: other types are NODATA.
    expect(await rcodeOf('mx.noptr.test', 'AAAA')).toBe('NOERROR')
  })

  it('badptr.test: the PTR names a host with another address (FCrDNS fails)', async () => {
    const r = resolver()
    expect(await mxOf('badptr.test')).toEqual([{priority: 10, exchange: 'mx.badptr.test'}])
    expect(await r.resolve4('mx.badptr.test')).toEqual(['127.0.1.61'])
    expect(await r.reverse('127.0.1.61')).toEqual(['other.badptr.test'])
    expect(await r.resolve4('other.badptr.test')).toEqual(['127.0.1.62'])
  })

  it('dual.test: the MX has an A and an AAAA record', async () => {
    expect(await mxOf('dual.test')).toEqual([{priority: 10, exchange: 'mx.dual.test'}])
    expect(await resolver().resolve4('mx.dual.test')).toEqual(['127.0.1.25'])
    expect(await resolver().resolve6('mx.dual.test')).toEqual(['::1'])
  })

  it('bücher.test (xn--bcher-kva.test): MX mx.mail.test', async () => {
    expect(domainToASCII('bücher.test')).toBe('xn--bcher-kva.test')
    expect(await mxOf('xn--bcher-kva.test')).toEqual([{priority: 10, exchange: 'mx.mail.test'}])
  })

  it('txt.test: a TXT record longer than 255 bytes, in several character-strings', async () => {
    const records = await resolver().resolveTxt('txt.test')
    expect(records).toHaveLength(1)
    const strings = records[0]!
    expect(strings.length).toBeGreaterThan(1)
    for (const s of strings) expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255)
    expect(strings.join('')).toBe(LONG_SPF)
    expect(LONG_SPF.length).toBeGreaterThan(255)
    expect(LONG_SPF.startsWith('v=spf1 ')).toBe(true)
  })

  it('TLSA at _25._tcp.mx.mail.test: 3 1 1, matching the Postfix certificate', async () => {
    const answers = await answersOf<packet.TlsaAnswer>('_25._tcp.mx.mail.test', 'TLSA')
    expect(answers).toHaveLength(1)
    const data = answers[0]!.data
    expect([data.usage, data.selector, data.matchingType]).toEqual([3, 1, 1])
    const spki = new X509Certificate(fs.readFileSync(world.ca.certFile)).publicKey.export({type: 'spki', format: 'der'})
    expect(data.certificate.toString('hex')).toBe(createHash('sha256').update(spki).digest('hex'))
  })

  it('nx.test does not exist (NXDOMAIN), and names outside .test are refused', async () => {
    expect(await rcodeOf('nx.test', 'A')).toBe('NXDOMAIN')
    expect(await rcodeOf('nx.test', 'MX')).toBe('NXDOMAIN')
    await expect(resolver().resolveMx('nx.test')).rejects.toMatchObject({code: 'ENOTFOUND'})
    // No upstream: nothing leaves the machine.
    expect(await rcodeOf('iana.org', 'A')).toBe('REFUSED')
  })

  it('answers over TCP too', async () => {
    const answer = await new Promise<packet.Packet>((resolve, reject) => {
      const socket = net.connect({host: world.dns.host, port: world.dns.port})
      let buffer = Buffer.alloc(0)
      socket.on('connect', () =>
        socket.write(packet.streamEncode({type: 'query', id: 7, questions: [{name: 'mail.test', type: 'MX'}]})),
      )
      socket.on('data', (d) => {
        buffer = Buffer.concat([buffer, d])
        if (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
          socket.destroy()
          resolve(packet.streamDecode(buffer))
        }
      })
      socket.on('error', reject)
    })
    expect((answer.answers?.[0] as packet.MxAnswer | undefined)?.data).toEqual({preference: 10, exchange: 'mx.mail.test'})
  })
})

describe('DNSSEC (NSD on 127.0.1.54 serves dane.test signed; Unbound on 127.0.1.55 validates it)', () => {
  const {resolver: unbound, authoritative: nsd, zone} = world.dnssec
  const ask = (name: string, type: packet.RecordType, server: {host: string; port: number}) =>
    queryUdp(name, type, {host: server.host, port: server.port, timeoutMs: 2000, authenticated: true})
  const ad = (r: packet.DecodedPacket) => ((r.flags ?? 0) & packet.AUTHENTIC_DATA) !== 0

  it('the validating resolver vouches for the signed zone\'s MX, A and TLSA answers, and for a name it lacks', async () => {
    for (const [name, type] of [['ee.dane.test', 'MX'], ['mx.ee.dane.test', 'A'], ['_25._tcp.mx.ee.dane.test', 'TLSA']] as const) {
      const r = await ask(name, type, unbound)
      expect(r.rcode, `${name} ${type}`).toBe('NOERROR')
      expect(ad(r), `${name} ${type} AD`).toBe(true)
      expect(r.answers?.some((a) => a.type === type)).toBe(true)
    }
    const tlsa = (await ask('_25._tcp.mx.ee.dane.test', 'TLSA', unbound)).answers!.find((a) => a.type === 'TLSA') as packet.TlsaAnswer
    expect(tlsa.data.certificate.toString('hex')).toBe(createHash('sha256').update(new X509Certificate(fs.readFileSync(world.ca.certFile)).publicKey.export({type: 'spki', format: 'der'})).digest('hex'))
    const missing = await ask('nothing.dane.test', 'A', unbound)
    expect([missing.rcode, ad(missing)]).toEqual(['NXDOMAIN', true])
  })

  it('the zone is signed with the key the resolver trusts', async () => {
    const r = await ask(zone, 'DNSKEY', nsd)
    const keys = (r.answers ?? []).filter((a) => a.type === 'DNSKEY') as packet.DnskeyAnswer[]
    expect(keys).toHaveLength(1)
    expect(world.dnssec.trustAnchor).toMatch(new RegExp(`^${zone}\\.\\s+(\\d+\\s+)?IN\\s+DS\\s+\\d+ 13 2 [0-9a-f]{64}$`))
    expect((r.answers ?? []).some((a) => a.type === 'RRSIG')).toBe(false) // no DO bit asked: no signatures sent
  })

  it('the same records through dnsmasq and from NSD itself carry no AD bit', async () => {
    for (const server of [world.dns, nsd]) {
      const r = await ask('_25._tcp.mx.ee.dane.test', 'TLSA', server)
      expect(r.rcode).toBe('NOERROR')
      expect(r.answers?.filter((a) => a.type === 'TLSA')).toHaveLength(1)
      expect(ad(r), `${server.host}`).toBe(false)
    }
  })

  it('forwards the rest of .test and the reverse zones to dnsmasq, unvalidated', async () => {
    const mx = await ask('mail.test', 'MX', unbound)
    expect([mx.rcode, ad(mx)]).toEqual(['NOERROR', false])
    expect((mx.answers?.[0] as packet.MxAnswer | undefined)?.data).toEqual({preference: 10, exchange: 'mx.mail.test'})
    const ptr = await ask('25.1.0.127.in-addr.arpa', 'PTR', unbound)
    expect((ptr.answers?.[0] as packet.StringAnswer | undefined)?.data).toBe('mx.mail.test')
    // insecure.test: an unsigned MX into the signed zone.
    const insecure = await ask('insecure.test', 'MX', unbound)
    expect([ad(insecure), (insecure.answers?.[0] as packet.MxAnswer | undefined)?.data.exchange]).toEqual([false, 'mx.bad.dane.test'])
    expect((await ask('nx.test', 'A', unbound)).rcode).toBe('NXDOMAIN')
  })

  it('Postfix sends the test CA after its certificate, which names mx.ta.dane.test (the DANE-TA case)', async () => {
    const pem = fs.readFileSync(world.ca.chainFile, 'utf8')
    const certs = pem.split(/(?=-----BEGIN CERTIFICATE-----)/)
    expect(certs).toHaveLength(2)
    expect(new X509Certificate(certs[0]!).subjectAltName).toContain('DNS:mx.ta.dane.test')
    expect(new X509Certificate(certs[1]!).fingerprint256).toBe(new X509Certificate(world.ca.caPem).fingerprint256)
  })
})

/** A line-oriented conversation over TCP, upgradable to TLS (STARTTLS/STLS). */
class Conversation {
  private buffer = ''
  private lines: string[] = []
  private waiter: (() => void) | undefined
  private closed = false
  private constructor(public socket: net.Socket) {
    this.attach(socket)
  }

  static async open(host: string, port: number, implicitTls = false): Promise<Conversation> {
    const socket = implicitTls ? tls.connect({host, port, ca: world.ca.caPem}) : net.connect({host, port})
    await new Promise<void>((resolve, reject) => {
      socket.once(implicitTls ? 'secureConnect' : 'connect', () => resolve())
      socket.once('error', reject)
    })
    return new Conversation(socket)
  }

  private attach(socket: net.Socket) {
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      this.buffer += chunk
      let end: number
      while ((end = this.buffer.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buffer.slice(0, end))
        this.buffer = this.buffer.slice(end + 2)
      }
      this.waiter?.()
    })
    socket.on('close', () => {
      this.closed = true
      this.waiter?.()
    })
    socket.on('error', () => undefined)
  }

  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    while (this.lines.length === 0) {
      if (this.closed) throw new Error('connection closed')
      if (Date.now() > deadline) throw new Error('timed out waiting for a line')
      await new Promise<void>((resolve) => {
        this.waiter = resolve
        setTimeout(resolve, 100)
      })
    }
    return this.lines.shift()!
  }

  send(line: string) {
    this.socket.write(line + '\r\n')
  }

  /** An SMTP reply: every line up to the one with a space after the code. */
  async reply(): Promise<{code: number; lines: string[]; text: string}> {
    const lines: string[] = []
    for (;;) {
      const line = await this.line()
      lines.push(line)
      if (/^\d{3}(?: |$)/.test(line)) break
    }
    return {code: Number(lines[0]!.slice(0, 3)), lines, text: lines.map((l) => l.slice(4)).join('\n')}
  }

  async command(line: string) {
    this.send(line)
    return this.reply()
  }

  async upgrade(servername?: string): Promise<tls.TLSSocket> {
    this.socket.removeAllListeners('data')
    this.socket.removeAllListeners('close')
    this.buffer = ''
    this.lines = []
    const secure = tls.connect({socket: this.socket, ca: world.ca.caPem, servername})
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve())
      secure.once('error', reject)
    })
    this.socket = secure
    this.attach(secure)
    return secure
  }

  close() {
    this.socket.destroy()
  }
}

const smtp = world.smtp
const plain = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`).toString('base64')

describe('Postfix (127.0.1.25)', () => {
  it('port 25 greets, offers STARTTLS with a certificate from the test CA, and no AUTH', async () => {
    const c = await Conversation.open(smtp.host, smtp.ports.smtp)
    try {
      const greeting = await c.reply()
      expect(greeting.code).toBe(220)
      expect(greeting.text).toMatch(/^mx\.mail\.test ESMTP/)
      const ehlo = await c.command('EHLO client.test')
      expect(ehlo.code).toBe(250)
      expect(ehlo.lines).toContain('250-STARTTLS')
      expect(ehlo.text).not.toMatch(/^AUTH/m)
      expect((await c.command('STARTTLS')).code).toBe(220)
      const secure = await c.upgrade('mx.mail.test')
      expect(secure.authorized).toBe(true)
      const after = await c.command('EHLO client.test')
      expect(after.code).toBe(250)
      expect(after.text).not.toMatch(/^STARTTLS/m)
    } finally {
      c.close()
    }
  })

  it('port 25 rejects an unknown user with 550 5.1.1 and relaying with 554 5.7.1', async () => {
    const c = await Conversation.open(smtp.host, smtp.ports.smtp)
    try {
      await c.reply()
      await c.command('EHLO client.test')
      expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250)
      const unknown = await c.command('RCPT TO:<nobody@mail.test>')
      expect(unknown.code).toBe(550)
      expect(unknown.text).toMatch(/^5\.1\.1 /)
      const relay = await c.command('RCPT TO:<someone@elsewhere.invalid>')
      expect(relay.code).toBe(554)
      expect(relay.text).toMatch(/^5\.7\.1 .*Relay access denied/)
      const unknownAlias = await c.command('RCPT TO:<nobody@fallback.test>')
      expect(unknownAlias.code).toBe(550)
      expect((await c.command('RCPT TO:<alice@mail.test>')).code).toBe(250)
      expect((await c.command('QUIT')).code).toBe(221)
    } finally {
      c.close()
    }
  })

  it('port 587 requires STARTTLS, then AUTH, for relaying', async () => {
    const c = await Conversation.open(smtp.host, smtp.ports.submission)
    try {
      expect((await c.reply()).code).toBe(220)
      const ehlo = await c.command('EHLO client.test')
      expect(ehlo.lines).toContain('250-STARTTLS')
      expect(ehlo.text).not.toMatch(/^AUTH/m) // no credentials before TLS
      const early = await c.command('MAIL FROM:<alice@mail.test>')
      expect(early.code).toBe(530) // Must issue a STARTTLS command first
      expect((await c.command('STARTTLS')).code).toBe(220)
      await c.upgrade('smtp.mail.test')
      const secured = await c.command('EHLO client.test')
      expect(secured.text).toMatch(/^AUTH PLAIN LOGIN/m)
      // Not authenticated: even a local recipient is refused on the submission port.
      expect((await c.command('MAIL FROM:<alice@mail.test>')).code).toBe(250)
      const refused = await c.command('RCPT TO:<someone@elsewhere.invalid>')
      expect(refused.code).toBe(554)
      expect(refused.text).toMatch(/^5\.7\.1 /)
      expect((await c.command('RSET')).code).toBe(250)
      // A wrong password fails at once (no Dovecot failure delay or penalty).
      const t0 = Date.now()
      for (let i = 0; i < 3; i++) {
        const wrong = await c.command(`AUTH PLAIN ${plain(alice.address, `wrong-password-${i}`)}`)
        expect(wrong.code).toBe(535)
      }
      expect(Date.now() - t0).toBeLessThan(700)
      const auth = await c.command(`AUTH PLAIN ${plain(alice.address, alice.password)}`)
      expect(auth.code).toBe(235)
      expect((await c.command('MAIL FROM:<alice@mail.test>')).code).toBe(250)
      expect((await c.command('RCPT TO:<someone@elsewhere.invalid>')).code).toBe(250)
      expect((await c.command('QUIT')).code).toBe(221)
    } finally {
      c.close()
    }
  })

  it('port 465 speaks TLS at once and offers AUTH', async () => {
    const c = await Conversation.open(smtp.host, smtp.ports.submissions, true)
    try {
      expect((c.socket as tls.TLSSocket).authorized).toBe(true)
      const greeting = await c.reply()
      expect(greeting.code).toBe(220)
      const ehlo = await c.command('EHLO client.test')
      expect(ehlo.text).toMatch(/^AUTH PLAIN LOGIN/m)
      const login = await c.command(`AUTH PLAIN ${plain(bob.address, bob.password)}`)
      expect(login.code).toBe(235)
    } finally {
      c.close()
    }
  })

  it('a message sent to port 25 for alice@mail.test arrives in her maildir', async () => {
    const tag = `world-${Date.now()}-${Math.random().toString(36).slice(2)}`
    const before = listMaildir(alice.maildir).length
    const c = await Conversation.open(smtp.host, smtp.ports.smtp)
    try {
      await c.reply()
      await c.command('EHLO client.test')
      expect((await c.command('MAIL FROM:<sender@example.org>')).code).toBe(250)
      expect((await c.command('RCPT TO:<alice@mail.test>')).code).toBe(250)
      expect((await c.command('DATA')).code).toBe(354)
      const sent = await c.command(
        [
          'From: Sender <sender@example.org>',
          'To: Alice <alice@mail.test>',
          `Subject: ${tag}`,
          `Message-ID: <${tag}@example.org>`,
          '',
          'Hello from the test world.',
          '.',
        ].join('\r\n'),
      )
      expect(sent.code).toBe(250)
    } finally {
      c.close()
    }
    const message = await waitForDelivery(alice.maildir, (m) => m.raw.includes(`Message-ID: <${tag}@example.org>`), 10_000)
    expect(message.raw).toMatch(/^Received: from client\.test \(unknown \[127\.0\.0\.1\]\)/m)
    expect(message.raw).toMatch(/by mx\.mail\.test \(Postfix\)/)
    expect(listMaildir(alice.maildir).length).toBe(before + 1)
  })

  it('an alias domain (bob@fallback.test) is delivered to bob@mail.test', async () => {
    const tag = `alias-${Date.now()}`
    const c = await Conversation.open(smtp.host, smtp.ports.smtp)
    try {
      await c.reply()
      await c.command('EHLO client.test')
      await c.command('MAIL FROM:<sender@example.org>')
      expect((await c.command('RCPT TO:<bob@fallback.test>')).code).toBe(250)
      await c.command('DATA')
      expect((await c.command(`Subject: ${tag}\r\n\r\nhi\r\n.`)).code).toBe(250)
    } finally {
      c.close()
    }
    await waitForDelivery(bob.maildir, (m) => m.raw.includes(`Subject: ${tag}`), 10_000)
  })

  it('deliver() puts a message straight into a mailbox over LMTP', async () => {
    const boxes = mailboxes(world)
    const before = boxes.messages('bob').length
    const tag = `lmtp-${Date.now()}`
    await boxes.deliver('bob', `From: a@example.org\nSubject: ${tag}\n\n.a line that starts with a dot\n`)
    const message = await boxes.waitForDelivery('bob@mail.test', (m) => m.raw.includes(`Subject: ${tag}`), 5000)
    expect(message.raw).toMatch(/\n\.a line that starts with a dot\r?\n/) // dot-unstuffed by Dovecot
    expect(boxes.messages('bob').length).toBe(before + 1)
    await expect(deliverLmtp(world.lmtpSocket, 'nobody@mail.test', 'Subject: x\n\nx\n')).rejects.toThrow(/LMTP/)
  })
})

const dovecot = world.dovecot

describe('Dovecot (127.0.1.30)', () => {
  it('IMAP 143 greets, offers STARTTLS and refuses plaintext LOGIN before it', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.imap)
    try {
      const greeting = await c.line()
      expect(greeting).toMatch(/^\* OK \[CAPABILITY [^\]]*STARTTLS[^\]]*LOGINDISABLED[^\]]*\] Dovecot ready\./)
      c.send('a STARTTLS')
      expect(await c.line()).toMatch(/^a OK/)
      const secure = await c.upgrade('imap.mail.test')
      expect(secure.authorized).toBe(true)
      c.send('b CAPABILITY')
      const caps = await c.line()
      expect(caps).toMatch(/AUTH=PLAIN/)
      expect(caps).toMatch(/AUTH=CRAM-MD5/)
      expect(caps).not.toMatch(/LOGINDISABLED/)
      expect(await c.line()).toMatch(/^b OK/)
      // CRAM-MD5 (RFC 2195): the passwd-file keeps plaintext passwords, so Dovecot can check it.
      c.send('c AUTHENTICATE CRAM-MD5')
      const challenge = Buffer.from((await c.line()).replace(/^\+ /, ''), 'base64').toString()
      const digest = createHmac('md5', alice.password).update(challenge).digest('hex')
      c.send(Buffer.from(`${alice.address} ${digest}`).toString('base64'))
      let line: string
      while (!(line = await c.line()).startsWith('c ')) continue
      expect(line).toMatch(/^c OK/)
    } finally {
      c.close()
    }
  })

  it('IMAPS 993: login, special-use mailboxes, quota', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.imaps, true)
    try {
      expect(await c.line()).toMatch(/^\* OK /)
      c.send(`a LOGIN ${alice.address} ${alice.password}`)
      let line: string
      while (!(line = await c.line()).startsWith('a ')) continue
      expect(line).toMatch(/^a OK/)
      c.send('b LIST "" "*" RETURN (SPECIAL-USE)')
      const list: string[] = []
      while (!(line = await c.line()).startsWith('b ')) list.push(line)
      expect(line).toMatch(/^b OK/)
      for (const flag of ['\\Sent', '\\Drafts', '\\Junk', '\\Trash']) {
        expect(list.some((l) => l.includes(flag)), flag).toBe(true)
      }
      c.send('c GETQUOTAROOT INBOX')
      const quota: string[] = []
      while (!(line = await c.line()).startsWith('c ')) quota.push(line)
      expect(line).toMatch(/^c OK/)
      expect(quota.join('\n')).toMatch(/^\* QUOTA "User quota" \(STORAGE \d+ 10240\)/m)
    } finally {
      c.close()
    }
  })

  it('POP3 110 greets with an APOP timestamp and offers STLS', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.pop3)
    try {
      const greeting = await c.line()
      expect(greeting).toMatch(/^\+OK Dovecot ready\. <[^>]+@[^>]+>$/)
      c.send('CAPA')
      const caps: string[] = []
      let line: string
      while ((line = await c.line()) !== '.') caps.push(line)
      expect(caps).toContain('STLS')
      c.send('STLS')
      expect(await c.line()).toMatch(/^\+OK/)
      expect((await c.upgrade('pop.mail.test')).authorized).toBe(true)
      c.send(`USER ${bob.address}`)
      expect(await c.line()).toMatch(/^\+OK/)
      c.send(`PASS ${bob.password}`)
      expect(await c.line()).toMatch(/^\+OK/)
    } finally {
      c.close()
    }
  })

  it('POP3 110: APOP works with the greeting timestamp', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.pop3)
    try {
      const timestamp = /<[^>]+>/.exec(await c.line())![0]
      const digest = createHash('md5').update(timestamp + alice.password).digest('hex')
      c.send(`APOP ${alice.address} ${digest}`)
      expect(await c.line()).toMatch(/^\+OK/)
    } finally {
      c.close()
    }
  })

  it('wrong passwords are refused at once (no failure delay, no penalty)', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.imaps, true)
    try {
      await c.line()
      const t0 = Date.now()
      for (let i = 0; i < 4; i++) {
        c.send(`w${i} LOGIN ${alice.address} wrong-password-${i}`)
        let line: string
        while (!(line = await c.line()).startsWith(`w${i} `)) continue
        expect(line).toMatch(new RegExp(`^w${i} NO `))
      }
      // Dovecot's default would take 2 s or more per failure; its 500 ms failure timer ~1 s for four.
      expect(Date.now() - t0).toBeLessThan(800)
      c.send(`ok LOGIN ${alice.address} ${alice.password}`)
      let line: string
      while (!(line = await c.line()).startsWith('ok ')) continue
      expect(line).toMatch(/^ok OK/)
    } finally {
      c.close()
    }
  })

  it('POP3S 995: login and STAT', async () => {
    const c = await Conversation.open(dovecot.host, dovecot.ports.pop3s, true)
    try {
      expect(await c.line()).toMatch(/^\+OK /)
      c.send(`USER ${alice.address}`)
      expect(await c.line()).toMatch(/^\+OK/)
      c.send(`PASS ${alice.password}`)
      expect(await c.line()).toMatch(/^\+OK/)
      c.send('STAT')
      expect(await c.line()).toMatch(/^\+OK \d+ \d+$/)
    } finally {
      c.close()
    }
  })
})

describe('the harness', () => {
  /** Listening sockets from `ss`, with the PIDs that hold them. */
  function listeningSockets(): {proto: string; local: string; pids: number[]}[] {
    const out = execFileSync('/usr/bin/ss', ['-H', '-l', '-t', '-u', '-n', '-p'], {encoding: 'utf8'})
    return out
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const f = l.trim().split(/\s+/)
        return {proto: f[0]!, local: f[4]!, pids: [...l.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]))}
      })
  }

  it('every server is running, and none of ours listens outside 127.0.1.0/24', () => {
    const mains = Object.values(world.pids)
    for (const pid of mains) expect(fs.existsSync(`/proc/${pid}`), `pid ${pid}`).toBe(true)
    const ours = new Set(mains.flatMap((pid) => [pid, ...descendants(pid)]))
    // Unbound's own queries go out from unconnected UDP sockets on high ports of its address while they run.
    const unbound = new Set([world.pids.unbound, ...descendants(world.pids.unbound)])
    const sockets = listeningSockets()
      .filter((s) => s.pids.some((p) => ours.has(p)))
      .filter((s) => !(s.pids.some((p) => unbound.has(p)) && s.proto === 'udp' && Number(s.local.split(':')[1]) >= 1024))
    const locals = sockets.map((s) => `${s.proto} ${s.local}`)
    for (const s of sockets) {
      expect(s.local, `${s.proto} ${s.local}`).toMatch(/^127\.0\.1\.\d{1,3}:\d+$/)
    }
    expect(new Set(locals)).toEqual(
      new Set([
        'udp 127.0.1.53:53',
        'tcp 127.0.1.53:53',
        'udp 127.0.1.54:53',
        'tcp 127.0.1.54:53',
        'udp 127.0.1.55:53',
        'tcp 127.0.1.55:53',
        'tcp 127.0.1.25:25',
        'tcp 127.0.1.25:587',
        'tcp 127.0.1.25:465',
        'tcp 127.0.1.30:143',
        'tcp 127.0.1.30:993',
        'tcp 127.0.1.30:110',
        'tcp 127.0.1.30:995',
      ]),
    )
  })

  it('keeps its state and logs in its own folder', () => {
    expect(world.dir).toMatch(/\/maildig-world-/)
    for (const log of Object.values(world.logs)) expect(log.startsWith(world.dir)).toBe(true)
    for (const user of world.users) expect(user.maildir.startsWith(world.dir)).toBe(true)
  })
})
