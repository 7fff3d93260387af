import {spawn} from 'node:child_process'
import {afterAll, describe, expect, it} from 'vitest'
import {BIN} from '../cli/run-cli.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'

// The spinner says what is happening now (issue 16): on a terminal only, so the run goes through util-linux's
// `script`, which gives it a pseudo-terminal (80 columns set with stty: a terminal without a width gets no spinner).
const fixtures: SmtpFixture[] = []
afterAll(async () => {
  for (const f of fixtures) await f.close()
})

/** Runs maildig on a pseudo-terminal (asynchronously: the fixture server answers from this process). */
function onTerminal(args: string[]): Promise<{screen: string; status: number | null}> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
  const child = spawn('script', ['-q', '-e', '-c', `stty cols 80 rows 24; ${quoted}`, '/dev/null'], {
    env: {PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', NO_COLOR: '1', XDG_CONFIG_HOME: '/nonexistent/maildig-tests'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let screen = ''
  child.stdout.on('data', (d: Buffer) => (screen += d.toString('utf8')))
  return new Promise((resolve) => child.on('close', (status) => resolve({screen, status})))
}

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
