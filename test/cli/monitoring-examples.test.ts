import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {runCli} from './run-cli.js'

// docs/monitoring.md's examples, in the form a test can run them: every maildig command line in
// them goes through the CLI's parser (flags that exist, values that parse: no USAGE error), against
// a resolver that is not there so nothing leaves the machine; YAML blocks parse (the yaml package).
const doc = readFileSync(new URL('../../docs/monitoring.md', import.meta.url), 'utf8')
const examples = doc.slice(doc.indexOf('\n## Examples'))
const blocks = [...examples.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({lang: m[1], text: m[2]}))

/** Sample values for the macros of Nagios, Icinga 2 and the CI systems. */
const MACROS: Record<string, string> = {
  $HOSTNAME$: 'imap.example.com',
  $ARG1$: '2s',
  $ARG2$: '5s',
  $maildig_host$: 'mx.example.com',
  $maildig_port$: '587',
  $maildig_tls$: 'starttls',
  $maildig_warning$: '2s',
  $maildig_critical$: '5s',
  $maildig_resolver$: '127.0.0.1:9',
}

function words(line: string): string[] {
  return line.trim().split(/\s+/).map((w) => MACROS[w] ?? w)
}

/** Every maildig invocation in a block, as argument lists (after the binary). */
function invocations(block: {lang: string; text: string}): string[][] {
  if (block.lang === 'icinga2') {
    // The command array, then each `"--flag" = "$value$"` of the arguments dictionary.
    const command = /command = \[([^\]]*)\]/.exec(block.text)![1]
    const args = [...command.matchAll(/"([^"]*)"/g)].map((m) => MACROS[m[1]] ?? m[1]).slice(1)
    for (const m of block.text.matchAll(/^\s*"(--[a-z-]+)" = "([^"]*)"/gm)) args.push(m[1], MACROS[m[2]] ?? m[2])
    return [args]
  }
  return [...block.text.matchAll(/maildig ((?:mx|probe-smtp|imap-check|pop3-list|trace|[a-z][a-z0-9-]*) [^;\n"]*)/g)].map((m) => words(m[1]))
}

/** The command line with --format and --output taken out and --json put in, to see the parser's verdict in the document. */
function parserCheck(args: string[]): {args: string[]; format?: string; output?: string} {
  const out: string[] = []
  let format: string | undefined
  let output: string | undefined
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--format') format = args[++i]
    else if (args[i] === '--output') output = args[++i]
    else out.push(args[i])
  }
  return {args: [...out, '--json', '--resolver', '127.0.0.1:9', '--timeout', '1s'], format, output}
}

describe('docs/monitoring.md examples', () => {
  it('has the examples the issue asks for', () => {
    expect(blocks.map((b) => b.lang)).toEqual(['icinga2', 'nagios', 'sh', 'yaml', 'yaml', 'yaml', 'yaml'])
    expect(examples).toMatch(/GitHub Actions[\s\S]*GitLab CI[\s\S]*Kubernetes/)
  })

  it.each(blocks.filter((b) => b.lang === 'yaml').map((b, i) => [i, b.text]))('YAML block %i parses', (_i, text) => {
    const docs = parseAllDocuments(text)
    expect(docs.length).toBeGreaterThan(0)
    for (const d of docs) {
      expect(d.errors.map((e) => e.message)).toEqual([])
      expect(d.toJS()).toBeTypeOf('object')
    }
  })

  const lines = blocks.flatMap(invocations)
  it('names maildig in every block but the alert rules', () => {
    expect(lines.length).toBeGreaterThanOrEqual(7)
  })

  it.each(lines.map((l) => [l.join(' '), l]))('maildig %s: the flags exist and parse', async (_line, args) => {
    const {args: checked, format, output} = parserCheck(args)
    expect(['nagios', 'prometheus', 'junit']).toContain(format)
    if (format !== 'nagios') expect(output, 'prometheus and junit examples write a file').toMatch(/\.(prom|xml)$/)
    const r = await runCli(checked, {env: {MAILDIG_PASSWORD: 'example', MAILDIG_MAILBOX_PASSWORD: 'example'}, timeoutMs: 60_000})
    expect(r.json, r.stdout + r.stderr).toBeDefined()
    expect(r.json!.error?.code, r.json!.error?.message).not.toBe('USAGE')
  }, 60_000)
})
