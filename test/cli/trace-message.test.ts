import {readFileSync, writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'
import {expectFolded} from './fold.js'

// trace --message works offline, on any machine: the README's first example.
describe('trace --message (offline)', () => {
  it('shows the Postfix relay chain oldest hop first', async () => {
    const r = await runCli(['trace', '--message', 'examples/postfix-relay-chain.eml', '--json'])
    expect(r.code).toBe(0)
    expect(r.json!.observed.length).toBeGreaterThanOrEqual(4)
    expect(r.json!.observed[0].index).toBe(0)
    expect(r.json!.observed.every((h: any) => h.index === r.json!.observed.indexOf(h))).toBe(true)
    expect(r.json!.observed.at(-1).with).toMatch(/LMTP/i)
    expect(r.json!.authentication.authenticationResults.length).toBeGreaterThan(0)
  })

  it('counts every Authentication-Results field of the receiver (Postfix + OpenDKIM + OpenDMARC write one each)', async () => {
    const example = readFileSync('examples/postfix-relay-chain.eml', 'utf8')
    const failing = example.replace('; spf=pass smtp.mailfrom', '; spf=fail smtp.mailfrom').replace('; dmarc=pass (p=quarantine', '; dmarc=fail (p=quarantine')
    expect(failing).not.toBe(example)
    const json = await runCli(['trace', '--message', '-', '--json'], {input: failing})
    // A warning: the message was delivered, but the receiver found it failing (docs/findings.md).
    expect(json.code).toBe(0)
    expect(json.json!.findings.filter((f: any) => f.code === 'AUTHENTICATION_FAILED').map((f: any) => f.message)).toEqual([
      expect.stringMatching(/^dmarc=fail at mx1\.example\.net/),
      expect.stringMatching(/^spf=fail at mx1\.example\.net/),
    ])
    const human = await runCli(['trace', '--message', '-'], {input: failing})
    expect(human.stdout).toMatch(/AUTHENTICATION_FAILED dmarc=fail at mx1\.example\.net/)
    expect(human.stdout).toMatch(/Authentication at mx1\.example\.net: dkim=pass dkim-atps=neutral dmarc=fail spf=fail/)
    expect(human.stdout).not.toMatch(/no problems found/)
    // The example itself passes everything.
    const clean = await runCli(['trace', '--message', 'examples/postfix-relay-chain.eml'])
    expect(clean.code).toBe(0)
    expect(clean.stdout).toMatch(/Authentication at mx1\.example\.net: dkim=pass dkim-atps=neutral dmarc=pass spf=pass/)
  }, 30_000)

  it('blames the skewed clock', async () => {
    const r = await runCli(['trace', '--message', 'examples/skewed-clock.eml'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/CLOCK_SKEW the clock of gw\.example\.com \(hop 2\) is about 2\.0 h behind/)
    expect(r.stdout).toMatch(/−2\.0 h/)
  })

  it('numbers hops the same way everywhere: from 1, as the route shows them', async () => {
    const r = await runCli(['trace', '--message', 'examples/skewed-clock.eml'])
    // The route shows "[2] gw.example.com"; its clock-skew line and the finding say hop 2 as well.
    expect(r.stdout).toMatch(/\[2\] gw\.example\.com/)
    expect(r.stdout).toMatch(/hop 2 \(gw\.example\.com\) is 2\.0 h earlier than hop 1 \(smtp\.example\.com\)/)
    expect(r.stdout).not.toMatch(/hop 0\b/)
    const noTls = 'Received: from b.example (b.example [198.51.100.2]) by c.example with ESMTP id 2; Mon, 1 Jan 2024 10:00:02 +0000\r\n'
      + 'Received: from a.example (a.example [198.51.100.1]) by b.example with ESMTPS id 1; Mon, 1 Jan 2024 10:00:01 +0000\r\n\r\n'
    const json = await runCli(['trace', '--message', '-', '--json'], {input: noTls})
    expect(json.json!.observed.map((h: any) => h.by)).toEqual(['b.example', 'c.example'])
    expect(json.json!.findings).toEqual([expect.objectContaining({code: 'HOP_WITHOUT_TLS', message: expect.stringMatching(/^hop 2 from b\.example/)})])
  }, 30_000)

  it('reads standard input', async () => {
    const r = await runCli(['trace', '--message', '-', '--json'], {input: 'Received: from a.example (a.example [192.0.2.1]) by b.example with ESMTPS id X; Mon, 1 Jan 2024 10:00:00 +0000\r\nSubject: hi\r\n\r\nbody\r\n'})
    expect(r.code).toBe(0)
    expect(r.json!.observed).toEqual([expect.objectContaining({from: 'a.example', fromIp: '192.0.2.1', by: 'b.example', tls: true})])
  })

  it('never lets a message\'s control characters reach the terminal', async () => {
    const r = await runCli(['trace', '--message', '-'], {input: 'Subject: hi \u001b]0;owned\u0007 \u001b[2J there\r\nReceived: from a.example by b.example; Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n'})
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('\\x1b]0;owned\\x07')
    expect(r.stdout).not.toMatch(/\u001b\]|\u0007|\u001b\[2J/)
  })

  it('draws Mermaid', async () => {
    const r = await runCli(['trace', '--message', 'examples/gmail-to-outlook.eml', '--format', 'mermaid'])
    expect(r.stdout).toMatch(/^flowchart TD/)
  })
})

describe('trace --message on a narrow terminal', () => {
  it('COLUMNS=40: each hop folds between words', async () => {
    const wide = await runCli(['trace', '--message', 'examples/postfix-relay-chain.eml'])
    const narrow = await runCli(['trace', '--message', 'examples/postfix-relay-chain.eml'], {env: {COLUMNS: '40'}})
    expect(narrow.code).toBe(0)
    expectFolded(wide.stdout, narrow.stdout)
  })
})

describe('trace bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'maildig-trace-'))
  const binary = join(dir, 'binary.eml')
  writeFileSync(binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]))
  it.each([
    [['not-an-address'], /recipient: "not-an-address" is not an address/],
    [['a@b.test', '--from', 'x\r\ny'], /--from: the address contains a CR, LF or NUL/],
    [['--message', '/nonexistent/message.eml'], /--message: cannot read \/nonexistent\/message\.eml/],
    [['--message', binary], /--message: .*binary/],
    [['a@b.test', '--format', 'bogus'], /--format/],
    [[], /give a recipient address, or --message/],
  ])('trace %j', async (args, message) => {
    const r = await runCli(['trace', ...args, '--resolver', '127.0.1.250'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(message)
  })
})
