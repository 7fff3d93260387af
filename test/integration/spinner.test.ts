import {afterAll, describe, expect, it} from 'vitest'
import {runOnTerminal} from '../cli/run-cli.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'

// The spinner says what is happening now (issue 16): on a terminal only, so the run goes through a pseudo-terminal
// (runOnTerminal).
const fixtures: SmtpFixture[] = []
afterAll(async () => {
  for (const f of fixtures) await f.close()
})

const onTerminal = (args: string[]) => runOnTerminal(args).ended

describe('the spinner on a terminal', () => {
  it('after the connect: "waiting for the greeting from HOST:PORT (connected after N ms)"', async () => {
    const f = await startSmtpFixture({host: '127.0.1.150', behaviour: 'silent'})
    fixtures.push(f)
    const {screen, status} = await onTerminal(['probe-smtp', `${f.host}:${f.port}`, '--timeout', '1500ms'])
    expect(status).toBe(5)
    expect(screen).toMatch(new RegExp(`waiting for the greeting from 127\\.0\\.1\\.150:${f.port} \\(connected after \\d+ ms\\)`))
    expect(screen).toMatch(/✖ no greeting from 127\.0\.1\.150/)
  })

  it('after the greeting: which command is waiting for its answer', async () => {
    const f = await startSmtpFixture({host: '127.0.1.151', behaviour: 'slow-after-ehlo'})
    fixtures.push(f)
    const {screen} = await onTerminal(['send', '--server', `${f.host}:${f.port}`, '--tls', 'none', '--from', 'a@mail.test', '--to', 'b@mail.test', '--timeout', '1500ms'])
    expect(screen, screen.slice(-300)).toMatch(new RegExp(`waiting for 127\\.0\\.1\\.151:${f.port}'s answer to MAIL FROM`))
  })

  it('--quiet: no spinner', async () => {
    const f = await startSmtpFixture({host: '127.0.1.152', behaviour: 'silent'})
    fixtures.push(f)
    const {screen} = await onTerminal(['probe-smtp', `${f.host}:${f.port}`, '--timeout', '1s', '--quiet'])
    expect(screen).not.toMatch(/waiting for the greeting/)
  })
})
