import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, splitFailure} from '../cli/run-cli.js'
import {startSmtpFixture, type SmtpBehaviour, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'
import {createTestPki, type TestPki} from '../fixtures/test-pki.js'

// The same misbehaving servers as test/unit/smtp/misbehaving.test.ts, through the built CLI: the
// process exit code, one clear line on stderr, no stack trace, within the timeout + 1 s.
const TIMEOUT_MS = 1500
const cases: [SmtpBehaviour, number, RegExp, string[]][] = [
  ['silent', 5, /greeting/i, []],
  ['greet-421', 4, /421/, []],
  ['close-immediately', 4, /closed/i, []],
  ['endless-line', 8, /longer than|too long/i, []],
  ['garbage', 8, /binary|garbage|protocol/i, []],
  ['bad-ehlo', 8, /EHLO|reply/i, []],
  ['broken-starttls', 6, /TLS/, ['--tls', 'starttls']],
  ['slow', 5, /greeting/i, []],
]

describe('probe-smtp against misbehaving servers (CLI)', () => {
  const fixtures = new Map<SmtpBehaviour, SmtpFixture>()
  let pki: TestPki
  beforeAll(async () => {
    pki = createTestPki()
    let n = 90
    for (const [behaviour] of cases) {
      fixtures.set(behaviour, await startSmtpFixture({behaviour, host: `127.0.1.${n++}`, tls: pki.leaf}))
    }
  })
  afterAll(async () => {
    for (const f of fixtures.values()) await f.close()
    pki.cleanup()
  })

  it.each(cases)('%s → exit %d', async (behaviour, exit, message, extra) => {
    const f = fixtures.get(behaviour)!
    const r = await runCli(['probe-smtp', f.host, '--port', String(f.port), '--timeout', `${TIMEOUT_MS}ms`, ...extra])
    expect(r.code).toBe(exit)
    expect(r.stdout).toBe('')
    // The steps that worked (issue 16), then the error, and its fix.
    const {steps, error, rest} = splitFailure(r.stderr)
    expect(steps.every((l) => /^ {2}[✔✖·…] /.test(l)), steps.join('\n')).toBe(true)
    expect(error).toMatch(/^✖ /)
    expect(error).toMatch(message)
    expect(rest.length).toBeLessThanOrEqual(1)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+|Error: /)
    const json = await runCli(['probe-smtp', f.host, '--port', String(f.port), '--timeout', `${TIMEOUT_MS}ms`, '--json', ...extra])
    expect(json.code).toBe(exit)
    expect(json.json).toMatchObject({ok: false, exitCode: exit})
    // The command's own time: within the timeout + 1 s (the process start is not the probe's).
    expect(json.json!.timings.totalMs).toBeLessThan(TIMEOUT_MS + 1000)
  })
})
