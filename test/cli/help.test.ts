import {describe, expect, it} from 'vitest'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from './run-cli.js'

// Help the way git and npm taught people, and typos answered with the nearest word (issue 16).
describe('help', () => {
  it.each([[['help']], [['-h']], [['--help']]])('maildig %j shows the root help with examples, exit codes and docs', async (args) => {
    const r = await runCli(args)
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(r.stdout).toMatch(/^COMMANDS$/m)
    expect(r.stdout).toMatch(/^ {2}probe-smtp /m)
    expect(r.stdout).toMatch(/^EXAMPLES\n[\s\S]*\$ maildig mx example\.org/m)
    expect(r.stdout).toMatch(/^EXIT CODES\n {2}0 +fine[\s\S]*\n {2}5 +timeout[\s\S]*\n {2}8 +protocol/m)
    expect(r.stdout).toContain('docs/cli.md')
  })

  it.each([[['help', 'mx']], [['mx', '-h']], [['mx', '--help']], [['help', 'mx', '--help']]])('maildig %j shows the command help', async (args) => {
    const r = await runCli(args)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Show the mail exchangers of a domain/)
    expect(r.stdout).toMatch(/^USAGE\n {2}\$ maildig mx DOMAIN/m)
    expect(r.stdout).not.toMatch(/^EXIT CODES$/m)
  })

  it('maildig help nosuch is a usage error naming the word', async () => {
    const r = await runCli(['help', 'prob-smtp'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/"prob-smtp" is not a maildig command; did you mean probe-smtp\?/)
  })
})

describe('typos', () => {
  it('a mistyped command shows what was typed (no internal colon) and the nearest command', async () => {
    const r = await runCli(['prob-smtp', '127.0.0.11'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toEqual(['✖ "prob-smtp" is not a maildig command; did you mean probe-smtp? (see: maildig --help)'])
  })

  it('a word far from every command lists the commands', async () => {
    const r = await runCli(['frobnicate'])
    expect(r.stderr).toMatch(/"frobnicate" is not a maildig command \(commands: completion, config, imap-check, mx/)
  })

  it.each([
    [['mx', 'example.test', '--reslover', '127.0.0.1'], '--reslover: no such flag; did you mean --resolver?'],
    [['mx', 'example.test', '--jsno'], '--jsno: no such flag; did you mean --json?'],
    [['send', '--from', 'a@b.test', '--to', 'c@d.test', '--dryrun'], '--dryrun: no such flag; did you mean --dry-run?'],
    [['probe-smtp', 'h.test', '--xyzzy'], '--xyzzy: no such flag (see: maildig probe-smtp --help)'],
  ])('maildig %j suggests the nearest flag', async (args, line) => {
    const r = await runCli(args)
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toContain(line)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
  })

  it('--password says where passwords come from', async () => {
    const r = await runCli(['probe-smtp', 'h.test', '--user', 'u', '--password', 'hunter2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--password: a password is never a flag value .*MAILDIG_PASSWORD.*--password-stdin/)
  })

  it('missing required flags: one line each, with the -- name', async () => {
    const r = await runCli(['send'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual(['✖ --from: this flag is required', '✖ --to: this flag is required (see: maildig send --help)'])
    const json = await runCli(['send', '--json'])
    expect(json.json?.error).toEqual({code: 'USAGE', message: '--from: this flag is required\n--to: this flag is required'})
  })
})

describe('completion', () => {
  it('bash: a script bash accepts, completing commands, flags and option values', async () => {
    const r = await runCli(['completion', 'bash'])
    expect(r.code).toBe(0)
    const dir = mkdtempSync(join(tmpdir(), 'maildig-completion-'))
    const file = join(dir, 'maildig.bash')
    writeFileSync(file, r.stdout)
    const complete = (words: string[]) => {
      const script = `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _maildig_complete; echo "\${COMPREPLY[*]}"`
      const out = spawnSync('bash', ['-c', script], {encoding: 'utf8'})
      expect(out.stderr).toBe('')
      return out.stdout.trim()
    }
    expect(complete(['maildig', 'pro'])).toBe('probe-smtp')
    expect(complete(['maildig', 'send', '--tls', ''])).toBe('starttls implicit none')
    expect(complete(['maildig', 'mx', '--reso'])).toBe('--resolver')
    expect(complete(['maildig', 'help', 'tr'])).toBe('trace')
  })

  it('zsh: a script zsh parses, naming every command', async () => {
    const r = await runCli(['completion', 'zsh'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^#compdef maildig\n/)
    for (const id of ['mx', 'probe-smtp', 'send', 'pop3-list', 'imap-check', 'trace']) expect(r.stdout).toContain(`'${id}:`)
    const check = spawnSync('zsh', ['-n'], {input: r.stdout, encoding: 'utf8'})
    expect(check.error).toBeUndefined()
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })

  it('an unknown shell is a usage error', async () => {
    const r = await runCli(['completion', 'fish'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/fish.*bash, zsh/)
  })
})

describe('option values in any case', () => {
  it('--tls STARTTLS and --dsn-ret full are accepted as starttls and FULL', async () => {
    const r = await runCli(['send', '--from', 'a@b.test', '--to', 'c@d.test', '--server', 'smtp.b.test', '--tls', 'STARTTLS', '--dsn-ret', 'full', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
  })
  it('a value that is no choice in any case is still refused', async () => {
    const r = await runCli(['probe-smtp', 'h.test', '--tls', 'Bogus'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--tls=Bogus to be one of: starttls, implicit, none/)
  })
})

// Every command's help shows each flag's default the same way ("[default: 10s]"), --format's included: the text report.
describe('defaults in every command\'s help', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
    commands: Record<string, {flags: Record<string, {type: string; default?: unknown; hidden?: boolean; options?: string[]}>}>
  }
  const commands = Object.entries(manifest.commands)

  it('covers every command, and each command with --format has the text report as its default', () => {
    expect(commands.map(([id]) => id)).toEqual(expect.arrayContaining(['mx', 'probe-smtp', 'imap-check', 'pop3-list', 'trace', 'sender', 'roundtrip', 'send']))
    const withFormat = commands.filter(([, c]) => c.flags.format)
    expect(withFormat.length).toBeGreaterThanOrEqual(7)
    for (const [id, c] of withFormat) expect([id, c.flags.format.default]).toEqual([id, 'text'])
  })

  it.each(commands.map(([id, c]) => [id, c.flags]))('maildig %s --help shows every default', async (id, flags) => {
    const r = await runCli([id as string, '--help'])
    expect(r.code).toBe(0)
    // One entry per flag of the FLAGS section: from its "--name" line (oclif indents it 2 to 6 spaces, in one column or
    // two) to the next flag's.
    const section = /^FLAGS\n([\s\S]*?)(?=^[A-Z][A-Z ]*$|(?![\s\S]))/m.exec(r.stdout)?.[1] ?? ''
    const entries = new Map<string, string>()
    for (const block of section.split(/\n(?= {2,6}(?:-\w, )?--(?:\[no-\])?[a-z][a-z0-9-]*(?:=\S*)?(?:\s|$))/)) {
      const name = /^ {2,6}(?:-\w, )?--(?:\[no-\])?([a-z][a-z0-9-]*)/.exec(block)?.[1]
      if (name) entries.set(name, block.replace(/\s+/g, ' '))
    }
    const shown = Object.entries(flags as Record<string, {hidden?: boolean}>).filter(([, f]) => !f.hidden).map(([name]) => name)
    expect([...entries.keys()].sort()).toEqual(shown.sort())
    for (const [name, flag] of Object.entries(flags as Record<string, {type: string; default?: unknown; hidden?: boolean}>)) {
      if (flag.hidden || flag.type === 'boolean' || flag.default === undefined) continue
      expect(entries.get(name), `--${name} of ${id}`).toMatch(new RegExp(`\\[default: ${String(flag.default).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[\\],]`))
    }
  })
})

// Under --format nagios the exit code is the plugin state (docs/monitoring.md): 2 for CRITICAL, not the exit 1 of the
// other formats. Every help text that states exit codes says so, --critical's and --warning's included.
describe('exit codes under --format nagios in the help', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {
    commands: Record<string, {flags: Record<string, {options?: string[]}>}>
  }
  const checks = Object.entries(manifest.commands).filter(([, c]) => c.flags.format?.options?.includes('nagios')).map(([id]) => id)

  it('covers every check command', () => {
    expect(checks).toEqual(expect.arrayContaining(['mx', 'probe-smtp', 'imap-check', 'pop3-list', 'trace', 'sender', 'roundtrip']))
  })

  it.each(checks)('maildig %s --help: --critical is exit 1, and CRITICAL exit 2 with nagios; the states beside the exit codes', async (id) => {
    const r = await runCli([id, '--help'])
    const text = r.stdout.replace(/\s+/g, ' ')
    expect(text).toContain('--critical=[LABEL=]RANGE... CRITICAL when a measurement is outside this range: a THRESHOLD_CRITICAL error finding, exit 1 (with --format nagios: CRITICAL, exit 2)')
    expect(text).toMatch(/--warning=\[LABEL=\]RANGE\.\.\. WARNING when a measurement is outside this range \([^)]*\): a THRESHOLD_WARNING finding, which leaves the exit code as it is \(with --format nagios: WARNING, exit 1\)/)
    expect(text).not.toMatch(/CRITICAL \(an error finding, exit 1\)/)
    expect(text).toMatch(/Exit codes: 0 [^]*With --format nagios the exit code is the state instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN/)
  })

  it('maildig --help: the states beside the exit codes', async () => {
    const r = await runCli(['--help'])
    expect(r.stdout).toMatch(/^EXIT CODES\n[\s\S]*\n {2}130 [^\n]*\n {2}With --format nagios the exit code is the state instead: 0 OK, 1 WARNING, 2\n {2}CRITICAL, 3 UNKNOWN/m)
  })
})
