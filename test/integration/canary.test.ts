import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runCli, type CliResult} from '../cli/run-cli.js'
import {startImapFixture, type ImapFixture} from '../fixtures/misbehaving-imap.js'
import {startPop3Fixture, type Pop3Fixture} from '../fixtures/misbehaving-pop3.js'
import {startSmtpFixture, type SmtpFixture} from '../fixtures/misbehaving-smtp.js'
import {createTestPki, type TestPki} from '../fixtures/test-pki.js'

/**
 * The canary password: every command that takes a credential (send, probe-smtp, pop3-list,
 * imap-check, and roundtrip with its two: the submission and the mailbox password), every output
 * mode (human, --json, --transcript, both, -q, and --format nagios, prometheus and junit) and every
 * failure path
 * (a server that echoes the credentials back, one that closes mid-AUTH, a TLS failure, a wrong
 * password): the password and every encoded form of it never reach stdout or stderr.
 */
const USER = 'bob'
const CANARY = 'Canary-7f3a9c+Pw/Zq41'

/** The base64 text that any encoding of `secret` contains, with the secret at byte offset 0, 1 or 2 of a 3-byte group. */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret)
  return [0, 1, 2].map((offset) => {
    const full = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64')
    // Characters that depend on the filler or on what follows the secret are left out.
    const start = offset === 0 ? 0 : offset === 1 ? 2 : 3
    const end = Math.floor((offset + bytes.length) / 3) * 4
    return full.slice(start, end)
  })
}

/** roundtrip's second password: the mailbox login's (MAILDIG_MAILBOX_PASSWORD). */
const MAILBOX_CANARY = 'Mbox-Canary-4e1d8b=Pw/Xy93'

const formsOf = (secret: string) => [
  secret,
  ...base64Forms(secret),
  `\0${USER}\0${secret}`,
  Buffer.from(`\0${USER}\0${secret}`).toString('base64'), // SASL PLAIN
  Buffer.from(secret).toString('base64'), // SASL LOGIN
  Buffer.from(`user=${USER}\x01auth=Bearer ${secret}\x01\x01`).toString('base64'), // XOAUTH2
  // The JSON-escaped PLAIN form ("\u0000bob\u0000…") and the terminal-escaped one ("\x00bob\x00…").
  `\\u0000${USER}\\u0000${secret}`,
  `\\x00${USER}\\x00${secret}`,
]
const FORMS = formsOf(CANARY)
const BOTH_FORMS = [...FORMS, ...formsOf(MAILBOX_CANARY)]

function expectNoCanary(r: CliResult, what: string, forms: string[] = FORMS): void {
  for (const form of forms) {
    expect(r.stdout.includes(form), `${what}: stdout holds ${JSON.stringify(form)}\n${r.stdout}`).toBe(false)
    expect(r.stderr.includes(form), `${what}: stderr holds ${JSON.stringify(form)}\n${r.stderr}`).toBe(false)
  }
}

const MODES: [string, string[]][] = [
  ['human', []],
  ['--json', ['--json']],
  ['--transcript', ['--transcript']],
  ['--json --transcript', ['--json', '--transcript']],
  ['-q', ['-q']],
  // The monitoring formats (docs/monitoring.md): the failure's message and findings reach them too.
  ['--format nagios', ['--format', 'nagios']],
  ['--format prometheus', ['--format', 'prometheus']],
  ['--format junit', ['--format', 'junit']],
  ['--format nagios --transcript', ['--format', 'nagios', '--transcript']],
]

type Path = 'wrong password' | 'echoing server' | 'closed mid-AUTH' | 'TLS failure'
const PATHS: Path[] = ['wrong password', 'echoing server', 'closed mid-AUTH', 'TLS failure']
/** No path waits for a deadline (each fails at once): a long one keeps a loaded machine's slow runs from ending in a timeout (exit 5). */
const PATIENT = '15s'

/**
 * The tests of each describe run at the same time (a run costs a process start and little else, so one test's runs
 * left a core idle while its slowest ran), and share this many CLI runs at once between them: enough to keep both
 * cores of a CI machine busy, few enough that a loaded machine still greets every run well inside PATIENT.
 */
const AT_ONCE = 8
let running = 0
const waiting: (() => void)[] = []
async function limited<T>(run: () => Promise<T>): Promise<T> {
  if (running >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve))
  else running++
  try {
    return await run()
  } finally {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
}
/** A test waits for its share of the runs above: its limit is that of all its runs together. */
const TEST_LIMIT = 300_000

/**
 * docs/cli.md: authentication failed 7, connection closed 4, TLS 6; an echo with NUL bytes in it (the
 * decoded PLAIN payload) may be refused as binary, 8, before it is read as a reply.
 */
const EXIT: Record<Path, number[]> = {'wrong password': [7], 'echoing server': [7, 8], 'closed mid-AUTH': [4], 'TLS failure': [6]}
/** Under --format nagios the same failures as plugin states: a refused login UNKNOWN (3), the server's failures CRITICAL (2). */
const NAGIOS_EXIT: Record<number, number> = {4: 2, 6: 2, 7: 3, 8: 2}

describe.concurrent('the canary password never appears in any output', () => {
  let pki: TestPki
  const smtp = new Map<Path, SmtpFixture>()
  const pop3 = new Map<Path, Pop3Fixture>()
  const imap = new Map<Path, ImapFixture>()
  beforeAll(async () => {
    pki = createTestPki()
    let n = 160
    for (const path of PATHS) {
      const echoAuth = path === 'echoing server'
      const closeOnAuth = path === 'closed mid-AUTH'
      const tls = path === 'TLS failure'
      smtp.set(path, await startSmtpFixture({
        behaviour: tls ? 'broken-starttls' : 'good',
        host: `127.0.1.${n++}`,
        auth: {user: USER, password: 'the-right-one', mechanisms: ['PLAIN', 'LOGIN']},
        authBeforeTls: true,
        echoAuth,
        closeOnAuth,
        ...(tls ? {tls: pki.leaf} : {}),
      }))
      pop3.set(path, await startPop3Fixture({
        behaviour: tls ? 'broken-stls' : 'good',
        host: `127.0.1.${n++}`,
        user: USER,
        password: 'the-right-one',
        sasl: ['PLAIN', 'LOGIN'],
        plaintextAuth: true,
        echoAuth,
        closeOnAuth,
        ...(tls ? {tls: pki.leaf} : {}),
      }))
      imap.set(path, await startImapFixture({
        behaviour: tls ? 'broken-starttls' : 'good',
        host: `127.0.1.${n++}`,
        user: USER,
        password: 'the-right-one',
        echoAuth,
        closeOnAuth,
        ...(tls ? {tls: pki.leaf} : {}),
      }))
    }
  })
  afterAll(async () => {
    for (const f of [...smtp.values(), ...pop3.values(), ...imap.values()]) await f.close()
    pki.cleanup()
  })

  const tlsArgs = (path: Path) => (path === 'TLS failure' ? ['--tls', 'starttls'] : ['--tls', 'none', '--allow-insecure-auth'])
  const commands: [string, (path: Path) => string[], string[][]][] = [
    ['send', (path) => {
      const f = smtp.get(path)!
      return ['send', '--server', `${f.host}:${f.port}`, '--from', 'bob@mail.test', '--to', 'alice@mail.test', '--user', USER, ...tlsArgs(path)]
    }, [[]]],
    ['probe-smtp', (path) => {
      const f = smtp.get(path)!
      return ['probe-smtp', f.host, '--port', String(f.port), '--user', USER, ...tlsArgs(path)]
    }, [['--auth-mechanism', 'plain'], ['--auth-mechanism', 'login']]],
    ['pop3-list', (path) => {
      const f = pop3.get(path)!
      return ['pop3-list', f.host, '--port', String(f.port), '--user', USER, ...tlsArgs(path)]
    }, [['--auth', 'user'], ['--auth', 'plain'], ['--auth', 'login']]],
    ['imap-check', (path) => {
      const f = imap.get(path)!
      return ['imap-check', f.host, '--port', String(f.port), '--user', USER, ...tlsArgs(path)]
    }, [['--auth', 'login'], ['--auth', 'plain']]],
  ]

  // The monitoring formats run in tests of their own: as many CLI runs at once as before, so that a loaded machine meets no greeting deadline.
  const monitoring = (flags: string[]) => flags.includes('--format')
  for (const [name, base, variants] of commands) {
    for (const [group, modes] of [['', MODES.filter(([, f]) => !monitoring(f))], [' (monitoring formats)', MODES.filter(([, f]) => monitoring(f))]] as const) {
      // send is not a check command: it has no --format (docs/monitoring.md).
      if (name === 'send' && group !== '') continue
      for (const path of PATHS) {
        it(`${name}: ${path}${group}`, async () => {
          const runs: Promise<[string, CliResult, boolean?]>[] = []
          for (const variant of variants) {
            for (const [mode, flags] of modes) {
              const args = [...base(path), '--timeout', PATIENT, ...variant, ...flags]
              runs.push(limited(() => runCli(args, {env: {MAILDIG_PASSWORD: CANARY}})).then((r) => [`${variant.join(' ') || 'default'} ${mode}`, r, flags.includes('nagios')]))
            }
            // The password from standard input too.
            if (group === '') runs.push(limited(() => runCli([...base(path), '--timeout', PATIENT, ...variant, '--json', '--transcript', '--password-stdin'], {input: `${CANARY}\n`})).then((r) => [`${variant.join(' ') || 'default'} --password-stdin`, r]))
          }
          for (const [what, r, nagios] of await Promise.all(runs)) {
            // Each run failed the way its path says (not, say, a usage error that sent nothing).
            expect(nagios ? EXIT[path].map((c) => NAGIOS_EXIT[c]) : EXIT[path], `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`).toContain(r.code)
            expectNoCanary(r, what)
          }
        }, TEST_LIMIT)
      }
    }
  }
})

describe.concurrent('roundtrip: neither of its two canary passwords appears in any output', () => {
  let pki: TestPki
  const smtp = new Map<Path, SmtpFixture>()
  const pop3 = new Map<Path, Pop3Fixture>()
  const imap = new Map<Path, ImapFixture>()
  /** The mailbox that lets the run go on to the submission: it takes the mailbox canary. */
  let goodMailbox: ImapFixture
  beforeAll(async () => {
    pki = createTestPki()
    let n = 180
    for (const path of PATHS) {
      const echoAuth = path === 'echoing server'
      const closeOnAuth = path === 'closed mid-AUTH'
      const tls = path === 'TLS failure'
      const common = {echoAuth, closeOnAuth, ...(tls ? {tls: pki.leaf} : {})}
      smtp.set(path, await startSmtpFixture({behaviour: tls ? 'broken-starttls' : 'good', host: `127.0.1.${n++}`, auth: {user: USER, password: 'the-right-one', mechanisms: ['PLAIN', 'LOGIN']}, authBeforeTls: true, ...common}))
      pop3.set(path, await startPop3Fixture({behaviour: tls ? 'broken-stls' : 'good', host: `127.0.1.${n++}`, user: USER, password: 'the-right-one', sasl: ['PLAIN', 'LOGIN'], plaintextAuth: true, ...common}))
      imap.set(path, await startImapFixture({behaviour: tls ? 'broken-starttls' : 'good', host: `127.0.1.${n++}`, user: USER, password: 'the-right-one', ...common}))
    }
    goodMailbox = await startImapFixture({behaviour: 'good', host: `127.0.1.${n++}`, user: USER, password: MAILBOX_CANARY})
  })
  afterAll(async () => {
    for (const f of [...smtp.values(), ...pop3.values(), ...imap.values(), goodMailbox]) await f.close()
    pki.cleanup()
  })

  const tlsArgs = (path: Path, flag: string) => (path === 'TLS failure' ? [flag, 'starttls'] : [flag, 'none'])
  const run = (args: string[], stdin: boolean) =>
    limited(() => runCli(['roundtrip', '--from', 'bob@mail.test', '--to', 'alice@mail.test', '--user', USER, '--mailbox-user', USER, '--allow-insecure-auth', '--no-predict', '--wait', '5s', '--timeout', PATIENT, ...args, ...(stdin ? ['--password-stdin'] : [])], {
      env: {MAILDIG_MAILBOX_PASSWORD: MAILBOX_CANARY, ...(stdin ? {} : {MAILDIG_PASSWORD: CANARY})},
      input: stdin ? `${CANARY}\n` : '',
    }))
  const sides: [string, (path: Path) => string[]][] = [
    // The mailbox logs in with its canary; the submission server then fails the way the path says.
    ['the submission server', (path) => ['--server', `${smtp.get(path)!.host}:${smtp.get(path)!.port}`, ...tlsArgs(path, '--tls'), '--mailbox-host', `${goodMailbox.host}:${goodMailbox.port}`, '--mailbox-tls', 'none']],
    // The mailbox fails first (nothing is sent): IMAP, then POP3.
    ['the IMAP mailbox', (path) => ['--server', `${smtp.get('wrong password')!.host}:${smtp.get('wrong password')!.port}`, '--tls', 'none', '--mailbox-host', `${imap.get(path)!.host}:${imap.get(path)!.port}`, ...tlsArgs(path, '--mailbox-tls')]],
    ['the POP3 mailbox', (path) => ['--server', `${smtp.get('wrong password')!.host}:${smtp.get('wrong password')!.port}`, '--tls', 'none', '--pop3', '--mailbox-host', `${pop3.get(path)!.host}:${pop3.get(path)!.port}`, ...tlsArgs(path, '--mailbox-tls')]],
  ]

  for (const [side, args] of sides) {
    for (const path of PATHS) {
      it(`${side}: ${path}`, async () => {
        // The monitoring formats in a group of their own, as above: no more runs at once than the greeting deadline allows.
        const monitoring = (flags: readonly string[]) => flags.includes('--format')
        for (const modes of [MODES.filter(([, f]) => !monitoring(f)), MODES.filter(([, f]) => monitoring(f))]) {
          const runs: Promise<[string, CliResult, boolean]>[] = modes.map(([mode, flags]) => run([...args(path), ...flags], false).then((r): [string, CliResult, boolean] => [mode, r, flags.includes('nagios')]))
          if (!monitoring(modes[0][1])) runs.push(run([...args(path), '--json', '--transcript'], true).then((r) => ['--password-stdin', r, false]))
          for (const [what, r, nagios] of await Promise.all(runs)) {
            expect(nagios ? EXIT[path].map((c) => NAGIOS_EXIT[c]) : EXIT[path], `${what}: exit ${r.code}\n${r.stderr}${r.stdout}`).toContain(r.code)
            expectNoCanary(r, what, BOTH_FORMS)
          }
        }
      }, TEST_LIMIT)
    }
  }
})
