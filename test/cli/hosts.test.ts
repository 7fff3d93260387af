import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// Host names, domains and address literals pass one validator (src/lib/dns/names.ts) everywhere; a CR/LF is refused,
// never trimmed away. 127.0.1.250 has no server: a run that got as far as connecting would end with exit 4, not 2.
const cases: Array<[string, string[], RegExp]> = [
  ['mx, a domain ending in CR/LF', ['mx', 'example.org\r\n'], /^✖ domain: .*control characters/],
  ['probe-smtp, a host ending in LF', ['probe-smtp', '127.0.1.250\n'], /^✖ host: .*control characters/],
  ['probe-smtp --mx, a domain ending in CR', ['probe-smtp', 'example.org\r', '--mx'], /control characters/],
  ['pop3-list, a host with U+0085', ['pop3-list', 'pop.example\u0085'], /^✖ host: .*control characters/],
  ['imap-check, a host ending in CR/LF', ['imap-check', 'imap.example\r\n'], /^✖ host: .*control characters/],
  ['send --server, a host ending in CR/LF', ['send', '--from', 'a@b.test', '--to', 'c@d.test', '--server', '127.0.1.250\r\n', '--dry-run'], /^✖ --server: .*control characters/],
  ['send --server, a port ending in CR/LF', ['send', '--from', 'a@b.test', '--to', 'c@d.test', '--server', '127.0.1.250:587\r\n', '--dry-run'], /^✖ --server: .*not a port number/],
  ['probe-smtp --ehlo of 5,005 characters', ['probe-smtp', '127.0.1.250', '--ehlo', `${'a'.repeat(5000)}.test`], /^✖ --ehlo: .*253/],
  ['probe-smtp --ehlo [999.1.1.1]', ['probe-smtp', '127.0.1.250', '--ehlo', '[999.1.1.1]'], /^✖ --ehlo: .*not an address literal/],
  ['send --ehlo -bad-.test', ['send', '--from', 'a@b.test', '--to', 'c@d.test', '--server', '127.0.1.250', '--ehlo', '-bad-.test', '--dry-run'], /^✖ --ehlo: .*inner hyphens/],
  ['trace --ehlo a..b', ['trace', 'bob@example.org', '--ehlo', 'a..b'], /^✖ --ehlo: .*empty label/],
  ['probe-smtp --ehlo with U+0085', ['probe-smtp', '127.0.1.250', '--ehlo', 'mail\u0085.example'], /^✖ --ehlo: .*control characters/],
]

describe('hosts, domains and EHLO names', {timeout: 30_000}, () => {
  it.each(cases)('%s: exit 2, one line', async (_what, args, message) => {
    const r = await runCli(args)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
  })
})
