import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// A resolver that cannot be reached at all (nothing listens at --resolver) is DNS_UNREACHABLE for every command's
// target, as docs/findings.md defines it and `mx` always said it: not DNS_SERVFAIL, which is a resolver that answered
// SERVFAIL or REFUSED. The address lookups of the connecting commands share one place (dns/lookup.ts, errors.ts).
const nowhere = ['--resolver', '127.0.0.1:9', '--timeout', '2s', '--json']
const env = {MAILDIG_PASSWORD: 'pw-submission', MAILDIG_MAILBOX_PASSWORD: 'pw-mailbox'}

describe('a resolver that cannot be reached is DNS_UNREACHABLE, exit 3, in every command', {timeout: 60_000}, () => {
  it.each([
    ['mx', ['mx', 'mail.test']],
    ['probe-smtp', ['probe-smtp', 'mx.mail.test']],
    ['imap-check', ['imap-check', 'imap.mail.test']],
    ['pop3-list', ['pop3-list', 'imap.mail.test']],
    ['send --server', ['send', '--to', 'you@mail.test', '--from', 'me@mail.test', '--subject', 's', '--body', 'b', '--server', 'smtp.mail.test:587']],
    // The mailbox server is opened first (its SRV records unanswered, then the domain's own address).
    ['roundtrip', ['roundtrip', '--server', 'smtp.mail.test:587', '--user', 'me@mail.test', '--from', 'me@mail.test', '--to', 'me@mail.test']],
  ])('%s', async (_what, args) => {
    const r = await runCli([...args, ...nowhere], {env})
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(r.json?.error?.code, r.stdout).toBe('DNS_UNREACHABLE')
    expect(r.json?.findings.map((f: {code: string}) => f.code)).not.toContain('DNS_SERVFAIL')
  })
})
