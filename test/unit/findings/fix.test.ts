import {describe, expect, it} from 'vitest'
import {readFileSync} from 'node:fs'
import {catalogEntry, contextOf, fixFor, type FixContext} from '../../../src/lib/findings.js'

// Fix texts chosen by protocol, command and reply (issue 16), each checked against the command that produces it: the
// flags a fix names must be flags of that command.
const manifest = JSON.parse(readFileSync(new URL('../../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, {flags: Record<string, unknown>}>}
const flagsNamed = (text: string) => [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1])

const cases: {what: string; code: string; context: FixContext; has: RegExp[]; hasNot: RegExp[]}[] = [
  {what: 'trace: a greeting timeout suggests no --tls (trace has none)', code: 'GREETING_TIMEOUT', context: {command: 'trace'}, has: [/probe-smtp/], hasNot: [/--tls/]},
  {what: 'probe-smtp: a greeting timeout may be implicit TLS', code: 'GREETING_TIMEOUT', context: {command: 'probe-smtp', protocol: 'smtp'}, has: [/--tls implicit/], hasNot: []},
  {what: 'imap-check: a greeting timeout points at 993', code: 'GREETING_TIMEOUT', context: {command: 'imap-check', protocol: 'imap'}, has: [/993/], hasNot: [/465/]},
  {what: "imap-check: no STARTTLS is the IMAP server's setting", code: 'STARTTLS_NOT_OFFERED', context: {command: 'imap-check', protocol: 'imap'}, has: [/Dovecot: ssl = yes/], hasNot: [/smtpd_tls/]},
  {what: 'pop3-list: likewise', code: 'STARTTLS_NOT_OFFERED', context: {command: 'pop3-list', protocol: 'pop3'}, has: [/995/], hasNot: [/smtpd_tls/]},
  {what: "trace: the mailbox step's STLS", code: 'STARTTLS_NOT_OFFERED', context: contextOf({message: 'pop.mail.test [127.0.1.2]:110 (pop3) does not offer STLS: logins there travel unencrypted'}, {command: 'trace'}), has: [/Dovecot/], hasNot: [/smtpd_tls/]},
  {what: "probe-smtp: no STARTTLS is Postfix's setting", code: 'STARTTLS_NOT_OFFERED', context: {command: 'probe-smtp', protocol: 'smtp'}, has: [/smtpd_tls_security_level/], hasNot: []},
  {what: 'send: 503 to AUTH is no AUTH on that port, not a wrong password', code: 'AUTH_NOT_OFFERED', context: {command: 'send', protocol: 'submission', replyCode: 503}, has: [/587/, /465/], hasNot: [/password/]},
  {what: 'send: a wrong password (535) keeps the general fix', code: 'AUTH_FAILED', context: {command: 'send', protocol: 'submission', replyCode: 535}, has: [/user name and password/], hasNot: []},
  {
    what: 'send: 554 5.7.1 without a login is relaying denied',
    code: 'RCPT_REJECTED',
    context: contextOf({message: '<bob@elsewhere.test>: 554 5.7.1 <bob@elsewhere.test>: Relay access denied'}, {command: 'send', protocol: 'submission', authenticated: false}),
    has: [/Relaying denied \(5\.7\.1\)/, /--user/],
    hasNot: [/5\.1\.1/, /no such user/],
  },
  {
    what: 'send: 5.7.1 after a login is a policy, not a missing --user',
    code: 'RCPT_REJECTED',
    context: contextOf({message: '<bob@elsewhere.test>: 554 5.7.1 Sender address rejected: not owned by user'}, {command: 'send', protocol: 'submission', authenticated: true}),
    has: [/policy/],
    hasNot: [/Add --user/],
  },
  {what: 'probe-smtp: 550 5.1.1 is no such address', code: 'RCPT_REJECTED', context: contextOf({message: '<x@mail.test>: 550 5.1.1 <x@mail.test>: Recipient address rejected'}, {command: 'probe-smtp'}), has: [/No such address/], hasNot: []},
  {what: 'probe-smtp: 5.7.1 at an MX is a policy, not a missing --user', code: 'RCPT_REJECTED', context: contextOf({message: '<x@mail.test>: 554 5.7.1 Service unavailable; Client host blocked'}, {command: 'probe-smtp', protocol: 'smtp'}), has: [/policy/], hasNot: [/--user/]},
]

describe('fix texts that fit the situation', () => {
  it.each(cases)('$what', ({code, context, has, hasNot}) => {
    const fix = fixFor(code, context)!
    expect(fix).toBeTruthy()
    for (const pattern of has) expect(fix).toMatch(pattern)
    for (const pattern of hasNot) expect(fix).not.toMatch(pattern)
    const flags = Object.keys(manifest.commands[context.command!].flags)
    for (const flag of flagsNamed(fix)) expect(flags, `${context.command}: the fix names --${flag}`).toContain(flag)
  })

  it("without a context, the catalog's fix", () => {
    expect(fixFor('GREETING_TIMEOUT')).toBe(catalogEntry('GREETING_TIMEOUT')!.fix)
    expect(fixFor('NO_SUCH_CODE')).toBeUndefined()
  })

  it('contextOf reads the reply code and enhanced status code from a message', () => {
    expect(contextOf({message: 'x: 550 5.1.1 no such user'}, {})).toEqual({replyCode: 550, enhancedCode: '5.1.1'})
    expect(contextOf({message: 'rejected (421-4.7.0 try later)'}, {})).toEqual({replyCode: 421, enhancedCode: '4.7.0'})
    expect(contextOf({message: 'mx.example [192.0.2.1]:25 timed out'}, {})).toEqual({})
  })
})
