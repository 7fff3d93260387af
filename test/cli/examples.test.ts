import {describe, expect, it} from 'vitest'
import {createRequire} from 'node:module'
import {readFileSync} from 'node:fs'
import {Parser} from '@oclif/core'

// Every example a user can copy (each command's --help, and README's command lines) names flags that exist, gives
// every required flag, and passes values the flags accept: parsed with the command's own flags, as the CLI would parse
// it. Every one of them also runs, as a shell runs it, in test/integration/examples.test.ts (against the test world).
const require = createRequire(import.meta.url)
const manifest = require('../../oclif.manifest.json') as {commands: Record<string, {examples?: string[]}>}
const loader = require('../../dist/maildig-loader.cjs') as {commands: Record<string, () => {flags?: object; args?: object}>}

/** The maildig invocations in one shell line: pipelines, $(…) substitutions, env assignments and redirections dealt with. */
export function invocations(line: string): string[][] {
  const found: string[][] = []
  let text = line.replaceAll('<%= config.bin %>', 'maildig')
  // $(…) (not nested in these examples): each inside is a command line of its own; the substitution becomes one word.
  text = text.replace(/\$\(([^()]*)\)/g, (_m, inner: string) => {
    found.push(...invocations(inner))
    return 'SUBSTITUTED'
  })
  for (const segment of text.split(/\s*(?:\|\||&&|\||;)\s*/)) {
    const words = shellWords(segment)
    while (words.length > 0 && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) words.shift()
    if (words[0] !== 'maildig') continue
    const argv: string[] = []
    for (let i = 1; i < words.length; i++) {
      if (/^\d?[<>]{1,2}$/.test(words[i])) i++ // a redirection and its target
      else if (words[i] === '#') break
      else argv.push(words[i])
    }
    found.push(argv)
  }
  return found
}

function shellWords(text: string): string[] {
  const words: string[] = []
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g
  for (const m of text.matchAll(pattern)) words.push(m[1] ?? m[2] ?? m[3])
  return words
}

const helpExamples = Object.entries(manifest.commands).flatMap(([id, c]) => (c.examples ?? []).map((e) => [`${id} --help`, e] as const))
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const readmeLines = [...readme.matchAll(/^(?:\$ )?(maildig .*)$/gm)].map((m) => ['README.md', m[1]] as const)

describe('examples', () => {
  it('there are examples for every command, and README has command lines', () => {
    for (const [id, c] of Object.entries(manifest.commands)) expect(c.examples?.length, id).toBeGreaterThan(0)
    expect(readmeLines.length).toBeGreaterThan(5)
  })

  it.each([...helpExamples, ...readmeLines])('%s: %s parses with the command\'s flags', async (_where, example) => {
    const calls = invocations(example)
    expect(calls.length, example).toBeGreaterThan(0)
    for (const argv of calls) {
      const [id, ...rest] = argv
      expect(Object.keys(loader.commands), `${example}: "${id}" is not a command`).toContain(id)
      const command = loader.commands[id]()
      // A batch run (--targets) takes its targets from the file: the CLI parses the positional argument as optional then.
      const batch = rest.includes('--targets')
      const args = batch ? Object.fromEntries(Object.entries(command.args ?? {}).map(([name, arg]) => [name, {...arg, required: false}])) : command.args
      await expect(Parser.parse(rest, {flags: command.flags as never, args: args as never, strict: true}), `${example}: maildig ${argv.join(' ')}`).resolves.toBeTruthy()
    }
  })

  it('invocations() sees through pipes, substitutions, env assignments and redirections', () => {
    expect(invocations('MAILDIG_PASSWORD=… maildig imap-check h --user u --wait-for-message-id "$(maildig send --to me@x --json | jq -r .messageId)" --wait 2m')).toEqual([
      ['send', '--to', 'me@x', '--json'],
      ['imap-check', 'h', '--user', 'u', '--wait-for-message-id', 'SUBSTITUTED', '--wait', '2m'],
    ])
    expect(invocations('maildig probe-smtp h --password-stdin < pw.txt')).toEqual([['probe-smtp', 'h', '--password-stdin']])
  })
})
