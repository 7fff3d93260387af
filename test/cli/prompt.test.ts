import {describe, expect, it} from 'vitest'
import {spawnSync} from 'node:child_process'
import {BIN} from './run-cli.js'

// With --user and no password given, on a terminal maildig asks for it without echo (issue 16). The terminal is a
// pseudo-terminal that python3's pty module opens; what maildig writes to it is read back whole.
const DRIVER = String.raw`
import os, pty, select, sys, time
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(argv[0], argv, {'PATH': os.environ['PATH'], 'NO_COLOR': '1', 'TERM': 'xterm', 'XDG_CONFIG_HOME': '/nonexistent/maildig-tests'})
out = b''
deadline = time.time() + 20
def read_some(wait):
    global out
    r, _, _ = select.select([fd], [], [], wait)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        out += data
    return True
while b'Password for' not in out and time.time() < deadline:
    if not read_some(0.2):
        break
os.write(fd, os.environ['TYPED'].encode())
while time.time() < deadline and read_some(0.2):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stderr.write(str(os.waitstatus_to_exitcode(status)))
`

function onTerminal(args: string[], typed: string) {
  const r = spawnSync('python3', ['-c', DRIVER, process.execPath, BIN, ...args], {encoding: 'utf8', env: {PATH: process.env.PATH, TYPED: typed}, timeout: 30_000})
  return {screen: r.stdout, code: Number(r.stderr.trim().split('\n').pop())}
}

describe('the password prompt on a terminal', () => {
  it('asks, does not echo, and goes on with what was typed', () => {
    const canary = 'canary-Pw-7781'
    // Nothing listens on port 9: after the prompt the run goes on to connect (exit 4), which it would not without a password.
    const {screen, code} = onTerminal(['probe-smtp', '127.0.0.1', '--port', '9', '--user', 'bob', '--tls', 'none', '--allow-insecure-auth', '--timeout', '3s'], `${canary}\r`)
    expect(screen).toContain('Password for bob: ')
    expect(screen).not.toContain(canary)
    expect(screen).not.toContain(Buffer.from(canary).toString('base64').slice(0, 12))
    expect(code).toBe(4)
  })

  it('Ctrl-D on an empty line gives up: the usual usage error, exit 2', () => {
    const {screen, code} = onTerminal(['probe-smtp', '127.0.0.1', '--port', '9', '--user', 'bob', '--timeout', '3s'], '\u0004')
    expect(screen).toContain('Password for bob: ')
    expect(screen).toMatch(/give the password in MAILDIG_PASSWORD or with --password-stdin/)
    expect(code).toBe(2)
  })
})
