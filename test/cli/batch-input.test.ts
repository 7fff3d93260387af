import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {runCli} from './run-cli.js'

// Batch runs' bad input: exit 2 with one line before any work (nothing on stdout, nothing asked of a
// resolver: 127.0.0.1:9 would fail every target), except a line's own problem, which is that line's document.
const dir = mkdtempSync(join(tmpdir(), 'maildig-batch-input-'))
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}
const good = file('good.txt', 'example.test\n')
const binary = file('binary.bin', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0x0a, 0x41]))
const notNdjson = file('notes.txt', 'example.test done\n')
const noTarget = file('other.ndjson', '{"name": "x"}\n')
const nowhere = ['--resolver', '127.0.0.1:9', '--timeout', '500ms']

const cases: [string[], RegExp][] = [
  [['mx', '--targets', join(dir, 'missing.txt')], /^✖ --targets: cannot read .*missing\.txt \(ENOENT\)/],
  [['mx', '--targets', dir], /--targets: .* is a directory/],
  [['mx', '--targets', binary], /^✖ --targets: it is a binary file, not a list of targets/],
  [['mx', '--targets', good, '--concurrency', '0'], /--concurrency: "0" is not a whole number from 1 to 1000/],
  [['mx', '--targets', good, '--concurrency', 'many'], /--concurrency: "many"/],
  [['mx', '--targets', good, '--shard', '5/4'], /--shard: I must be between 1 and 4/],
  [['mx', '--targets', good, '--shard', '1/0'], /--shard: N must be at least 1/],
  [['mx', '--targets', good, '--shard', 'auto/4'], /--shard: auto needs JOB_COMPLETION_INDEX/],
  [['mx', '--targets', good, '--per-host=-1'], /--per-host: "-1" is not a whole number from 1 to 100/],
  [['mx', '--targets', good, '--per-host', '-1'], /--per-host/],
  [['mx', '--targets', good, '--host-interval', 'soon'], /--host-interval: "soon" is not a duration/],
  [['mx', '--targets', good, '--qps', '0'], /--qps: "0" is not a rate above 0/],
  [['mx', '--targets', good, '--resume', notNdjson], /--resume: .*notes\.txt is not NDJSON \(line 1 is not JSON\)/],
  [['mx', '--targets', good, '--resume', noTarget], /--resume: .*other\.ndjson line 1 is not a maildig batch line/],
  [['mx', '--targets', good, '--resume', join(dir, 'r.ndjson'), '--format', 'csv'], /--resume: only with NDJSON output/],
  [['mx', 'example.test', '--targets', good], /--targets: give either a domain or --targets FILE, not both/],
  [['mx', 'example.test', '--concurrency', '4'], /--concurrency: only with --targets FILE/],
  [['mx', '--format', 'csv'], /give a domain, or --targets FILE/],
  // What describes one check has no meaning for a run that writes a line per target.
  [['mx', '--targets', good, '--format', 'nagios'], /--format nagios: not with --targets \(a batch run writes NDJSON, or CSV with --format csv\)/],
  [['probe-smtp', '--mx', '--targets', good, '--format', 'prometheus'], /--format prometheus: not with --targets/],
  [['mx', '--targets', good, '--output', join(dir, 'out.ndjson')], /--output: not with --targets or --format csv \(one check per run; --resume FILE appends/],
  [['sender', '--targets', good, '--warning', '2s'], /--warning: not with --targets/],
  [['trace', '--targets', good, '--critical', '5s'], /--critical: not with --targets/],
  [['trace', '--targets', good, '--message', good], /--message: not with --targets/],
  [['probe-smtp', '--targets', good, '--user', 'me'], /--user: a batch run does not log in/],
]

describe('batch bad input', () => {
  it.each(cases)('maildig %j', async (args, message) => {
    const r = await runCli([...args, ...nowhere])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(message)
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/)
  })

  it('a 10 MB line and a line of invalid JSON are those lines\' documents; the run goes on', async () => {
    const targets = file('mixed.txt', `${'a'.repeat(10 * 1024 * 1024)}\n{"target": \nbad..name\n`)
    const r = await runCli(['mx', '--targets', targets, ...nowhere])
    expect(r.code).toBe(1)
    const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(docs.map((d) => [d.line ?? null, d.exitCode, d.error.message])).toEqual([
      [1, 2, '--targets line 1: the line is longer than 64 KiB'],
      [2, 2, expect.stringMatching(/^--targets line 2: the line is not valid JSON/)],
      [null, 2, expect.stringMatching(/^domain: /)],
    ])
    expect(r.stderr).toMatch(/^maildig mx: 3 targets: 0 ok, 0 with findings, 3 failed/)
  })
})
