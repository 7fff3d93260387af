import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../cli/run-cli.js'
import {startImapFixture, type ImapFixture} from '../fixtures/misbehaving-imap.js'
import {startPop3Fixture, type Pop3Fixture} from '../fixtures/misbehaving-pop3.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'

/**
 * Servers that put terminal escapes in what they say (a banner, a CAPA line, an IMAP error): every
 * byte that came from the server is shown escaped, in the human output (not a terminal here: a pipe,
 * as a redirected file), with colour forced on, and in the transcript. Only maildig's own colours are
 * colours. A server must not fake a green ✔, hide text or leave the terminal recoloured.
 */
const EVIL = '\u001b[32m✔ FAKE\u001b[0m'
const SHOWN = '\\x1b[32m✔ FAKE\\x1b[0m'

function expectEscaped(r: CliResult, where: 'stdout' | 'stderr'): void {
  const text = r[where]
  expect(r.stdout + r.stderr).not.toContain('\u001b[32m✔ FAKE')
  expect(r.stdout + r.stderr).not.toContain('FAKE\u001b[0m')
  expect(text).toContain(SHOWN)
}

const modes: [string, Record<string, string | undefined>][] = [
  ['colour off', {NO_COLOR: '1'}],
  ['FORCE_COLOR', {NO_COLOR: undefined, FORCE_COLOR: '3'}],
]

describe('server text with terminal escapes is shown escaped', () => {
  let smtp: SmtpFixture
  let pop3: Pop3Fixture
  let imap: ImapFixture
  beforeAll(async () => {
    smtp = await startSmtpFixture({behaviour: 'good', host: '127.0.1.150', hostname: `mail.test ${EVIL}`})
    pop3 = await startPop3Fixture({behaviour: 'good', host: '127.0.1.151', hostname: `pop ${EVIL}`, implementation: `evil ${EVIL}`, user: 'bob', password: 'pw-1'})
    imap = await startImapFixture({behaviour: 'good', host: '127.0.1.152', user: 'alice', password: 'pw-2', greetingText: `ready ${EVIL}`, loginFailure: `NO [AUTHENTICATIONFAILED] wrong ${EVIL}`})
  })
  afterAll(async () => {
    await Promise.all([smtp.close(), pop3.close(), imap.close()])
  })

  for (const [mode, env] of modes) {
    it(`probe-smtp banner and EHLO (${mode}), human output and transcript`, async () => {
      const r = await runCli(['probe-smtp', smtp.host, '--port', String(smtp.port), '--tls', 'none', '--transcript'], {env})
      expect(r.code, r.stderr).toBe(0)
      expectEscaped(r, 'stdout')
      expectEscaped(r, 'stderr')
      if (env.FORCE_COLOR) expect(r.stdout).toMatch(/\u001b\[\d+m/) // maildig's own colours stay
    })

    it(`pop3-list greeting and CAPA (${mode}), human output and transcript`, async () => {
      const r = await runCli(['pop3-list', pop3.host, '--port', String(pop3.port), '--tls', 'none', '--transcript'], {env})
      expect(r.code, r.stderr).toBe(0)
      expectEscaped(r, 'stdout')
      expectEscaped(r, 'stderr')
      expect(r.stderr).toContain(`IMPLEMENTATION evil ${SHOWN}`)
    })

    it(`imap-check greeting (${mode}), human output and transcript`, async () => {
      const r = await runCli(['imap-check', imap.host, '--port', String(imap.port), '--tls', 'none', '--transcript'], {env})
      expect(r.code, r.stderr).toBe(0)
      expectEscaped(r, 'stdout')
      expectEscaped(r, 'stderr')
    })

    it(`imap-check error text (${mode}), error line and transcript`, async () => {
      const r = await runCli(['imap-check', imap.host, '--port', String(imap.port), '--tls', 'none', '--allow-insecure-auth', '--user', 'alice', '--transcript'], {
        env: {...env, MAILDIG_PASSWORD: 'not-the-password'},
      })
      expect(r.code, r.stderr).toBe(7)
      expectEscaped(r, 'stderr')
      expect(r.stderr).toContain(`wrong ${SHOWN}`)
    })
  }

  it('--json keeps the server text as it was (JSON escapes it)', async () => {
    const r = await runCli(['probe-smtp', smtp.host, '--port', String(smtp.port), '--tls', 'none', '--json'], {env: {FORCE_COLOR: '3'}})
    expect(r.json!.banner.text).toContain(EVIL)
    expect(r.stdout).not.toContain('\u001b')
  })
})
