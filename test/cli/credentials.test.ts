import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// One rule for credentials in every command (src/cli/credentials.ts), checked before any connection:
// 127.0.1.250 has no server, so a run that connected would end with exit 4, not 2.
const NOWHERE = '127.0.1.250'
const commands: Array<[string, string[]]> = [
  ['probe-smtp', ['probe-smtp', NOWHERE]],
  ['pop3-list', ['pop3-list', NOWHERE]],
  ['imap-check', ['imap-check', NOWHERE]],
  ['send', ['send', '--from', 'me@mail.test', '--to', 'you@mail.test', '--server', NOWHERE]],
]

function expectUsage(r: {code: number | null; stdout: string; stderr: string}, message: RegExp) {
  expect(r.code, r.stderr).toBe(2)
  expect(r.stdout).toBe('')
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)])
}

describe('credentials: the same rule in every command', {timeout: 30_000}, () => {
  it.each(commands)('%s: an empty --user is refused', async (_name, args) => {
    expectUsage(await runCli([...args, '--user', ''], {env: {MAILDIG_PASSWORD: 'pw'}}), /--user: the user name is empty/)
  })

  it.each(commands)('%s: a CR/LF in MAILDIG_USER names the variable', async (_name, args) => {
    expectUsage(await runCli(args, {env: {MAILDIG_USER: 'bob\r\nDELE 1', MAILDIG_PASSWORD: 'pw'}}), /^✖ MAILDIG_USER: the value contains a CR, LF or NUL/)
  })

  it.each(commands)('%s: --user without a password says where the password comes from', async (_name, args) => {
    expectUsage(await runCli([...args, '--user', 'bob']), /--user: give the password in MAILDIG_PASSWORD or with --password-stdin/)
  })

  it.each(commands)('%s: --password-stdin without a user is refused, standard input not read', async (_name, args) => {
    expectUsage(await runCli([...args, '--password-stdin'], {input: 'pw\n'}), /--password-stdin: give the user name too/)
  })

  it.each(commands.filter(([name]) => name !== 'send'))('%s: MAILDIG_OAUTH_TOKEN is checked like a password', async (_name, args) => {
    const r = await runCli([...args, '--user', 'bob'], {env: {MAILDIG_OAUTH_TOKEN: 'ya29.secret-token\r\nQUIT'}})
    expectUsage(r, /MAILDIG_OAUTH_TOKEN: the value contains a CR, LF or NUL/)
    expect(r.stderr).not.toContain('secret-token')
  })
})

describe('pop3-list validates the user name before connecting', () => {
  it('--user "bob DELE 1" is refused (USER cannot carry white space): exit 2, no connection', async () => {
    expectUsage(await runCli(['pop3-list', NOWHERE, '--user', 'bob DELE 1'], {env: {MAILDIG_PASSWORD: 'pw'}}), /--user: the name contains white space, which USER, APOP and CRAM-MD5 cannot carry; use --auth plain/)
    expectUsage(await runCli(['pop3-list', NOWHERE, '--user', 'bob DELE 1', '--auth', 'apop'], {env: {MAILDIG_PASSWORD: 'pw'}}), /which APOP cannot carry/)
  })
})
