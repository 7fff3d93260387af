import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {runCli} from './run-cli.js'
import {startFakeDns, type FakeDns} from '../fixtures/fake-dns.js'
import {PLAIN_MESSAGE, rsaKeyPair, signMessage} from '../fixtures/dkim.js'

// sender's bad input (issue 12): exit 2, one clear line naming the argument or flag, and no DNS query made. A scripted
// DNS server stands ready as the --resolver and counts the questions; it must get none.
let dns: FakeDns
const dir = mkdtempSync(path.join(tmpdir(), 'maildig-sender-'))
const binary = path.join(dir, 'image.bin')
writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]))
// Text that is not a mail message; an empty file; a file past the 64 MiB bound (sparse: refused by its size, unread);
// a FIFO nobody writes to (the read's deadline ends the run).
const text = path.join(dir, 'notes.txt')
writeFileSync(text, 'just some notes\nthat are not a mail message\n')
const empty = path.join(dir, 'empty.eml')
writeFileSync(empty, '')
const huge = path.join(dir, 'huge.eml')
writeFileSync(huge, 'From: a@example.test\r\n\r\n')
truncateSync(huge, 64 * 1024 * 1024 + 1)
const fifo = path.join(dir, 'fifo.eml')
execFileSync('mkfifo', [fifo])

beforeAll(async () => {
  dns = await startFakeDns('127.0.1.201', () => ({kind: 'answer', answers: []}))
})
afterAll(() => dns.close())

const cases: [string[], RegExp][] = [
  [['sender', ''], /^✖ sender: the domain is empty/],
  [['sender', 'a b'], /^✖ sender: "a b" contains white space/],
  [['sender', 'example.test', '--ip', '999.1.1.1'], /^✖ --ip: "999\.1\.1\.1" is not an IPv4 or IPv6 address/],
  [['sender', 'example.test', '--ip', '::g'], /^✖ --ip: "::g" is not an IPv4 or IPv6 address/],
  [['sender', 'example.test', '--selector', 'a b'], /^✖ --selector: "a b" may hold only letters/],
  [['sender', 'example.test', '--selector', 'a'.repeat(64)], /^✖ --selector: the label "a{20}…" is 64 characters long; DNS allows 63/],
  [['sender', 'example.test', '--dnsbl', 'not a zone'], /^✖ --dnsbl: "not a zone" contains white space/],
  [['sender', 'example.test', '--message', binary], /^✖ --message: .*binary file, not a mail message/],
  [['sender', 'example.test', '--message', text], /^✖ --message: no header fields: not a mail message/],
  [['sender', 'example.test', '--message', empty], /^✖ --message: the input is empty/],
  [['sender', 'example.test', '--message', huge], /^✖ --message: .*huge\.eml is larger than 64 MiB/],
  [['sender', 'example.test', '--message', fifo, '--timeout', '1s'], /^✖ --message: nothing arrived from .*fifo\.eml within 1(\.00)? ?s \(--timeout\)/],
  [['sender', '<>'], /^✖ sender: the null sender "<>" is checked with its HELO identity alone: give --helo NAME/],
  [['sender', 'alice@', '--ip', '192.0.2.1'], /^✖ sender: "alice@" is not an address/],
  [['sender', 'example.test', '--helo', 'a b'], /^✖ --helo:/],
  [['sender', 'example.test', '--dnsbl', 'bl.example', '--no-dnsbl'], /--no-dnsbl/],
]

describe('sender: bad input', () => {
  it.each(cases)('maildig %j', async (args, message) => {
    const before = dns.queries.length
    const r = await runCli([...args, '--resolver', `${dns.host}:${dns.port}`])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(dns.queries.length - before, 'DNS queries sent for bad input').toBe(0)
  })

  it('a binary message on standard input: exit 2 before any lookup, under --json too', async () => {
    const before = dns.queries.length
    const r = await runCli(['sender', 'example.test', '--message', '-', '--json', '--resolver', `${dns.host}:${dns.port}`], {input: 'From: a@example.test\r\nSubject: \u0000\u0000\r\n\r\nbody\r\n'})
    expect(r.code).toBe(2)
    expect(r.json).toMatchObject({command: 'sender', ok: false, exitCode: 2, error: {code: 'USAGE', message: expect.stringMatching(/^--message: .*NUL bytes/)}})
    expect(dns.queries.length - before, 'DNS queries sent for bad input').toBe(0)
  })

  it('a message whose DKIM l= is longer than its body: --json prints one JSON document (mailauth\'s debugging line stays out)', async () => {
    const signed = await signMessage(PLAIN_MESSAGE, {domain: 'signed.test', selector: 'rsa', privateKey: rsaKeyPair(2048).privateKey, maxBodyLength: 12})
    const cut = path.join(dir, 'cut.eml')
    writeFileSync(cut, signed.replace('A body to hash.', 'A body'))
    const r = await runCli(['sender', 'signed.test', '--message', cut, '--no-dnsbl', '--json', '--timeout', '2s', '--resolver', `${dns.host}:${dns.port}`])
    expect(r.stdout).not.toMatch(/TOTAL|EXPECTING/)
    expect(r.json, r.stdout).toMatchObject({command: 'sender', dkim: {signatures: [{bodyLengthLimit: 12}]}})
  })

  it('a good invocation does ask the DNS (the counter works)', async () => {
    const before = dns.queries.length
    const r = await runCli(['sender', 'example.test', '--no-dnsbl', '--json', '--timeout', '2s', '--resolver', `${dns.host}:${dns.port}`])
    expect(r.json, r.stdout).toMatchObject({command: 'sender'})
    expect(dns.queries.length - before).toBeGreaterThan(0)
  })
})
