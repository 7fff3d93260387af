import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import {mailboxes} from '../world/index.js'
import {BIN, runProcess} from '../cli/run-cli.js'

// Every example a user can copy runs here, as a shell runs it: each command's --help examples, and README's command
// lines and shell blocks (pipelines through jq, $(…) substitutions, redirections from files). They run against the
// test world, which serves the documentation names they use (example.com, example.org, bücher.example,
// bl.example.net: test/world/zones.ts exampleRecords) with Postfix and Dovecot behind them and mailboxes for
// me@example.com, you@example.org and bob@example.org. The reader's machine is a temporary HOME:
//   - ~/.config/maildig/config names the world's DNS as `resolver` and its CA as `ca-file` (what a sysadmin
//     writes once, docs/cli.md "Configuration file"), with a profile `staging`;
//   - MAILDIG_PASSWORD is me@example.com's password; SENDER_PW and RECIPIENT_PW (README's round trip) are
//     me@example.com's and you@example.org's;
//   - the working folder has the files examples read: pw.txt (the password), body.txt, ca.pem (the world's CA),
//     received.eml (a message bob@example.org received through Postfix) and examples/ (this repository's);
//   - `maildig` on PATH is this build, on the Node running the tests.
// The text of an example is changed in two places only, both listed in SUBSTITUTIONS. Each example has an
// expectation in EXPECTED (exit code, something in its output); one that has none must exit 0 and print
// something. An example that sends mail must say in which mailbox it lands, and the message must be there.
const world = inject('world')
const manifest = createRequire(import.meta.url)('../../oclif.manifest.json') as {commands: Record<string, {examples?: string[]}>}
const user = (address: string) => world.users.find((u) => u.address === address)!
const me = user('me@example.com')
const you = user('you@example.org')
const boxes = mailboxes(world)
const worldResolver = world.dns.port === 53 ? world.dns.host : `${world.dns.host}:${world.dns.port}`

/** What the test changes in an example's text before running it, and why. */
const SUBSTITUTIONS: {pattern: RegExp; replacement: string; why: string}[] = [
  {pattern: /MAILDIG_PASSWORD=…/g, replacement: `MAILDIG_PASSWORD='${me.password}'`, why: '… is the password the reader fills in'},
  {pattern: /MAILDIG_MAILBOX_PASSWORD=…/g, replacement: `MAILDIG_MAILBOX_PASSWORD='${you.password}'`, why: '… is the mailbox password the reader fills in (roundtrip --to you@example.org)'},
  {pattern: /--resolver (?!127\.0\.1\.53\b)\S+/g, replacement: `--resolver ${worldResolver}`, why: 'a public resolver: the test machine has no internet'},
]

interface Expected {
  /** Exit code of the whole line (bash with pipefail: the first command that failed, else the last). */
  exit: number
  stdout?: RegExp
  stderr?: RegExp
  /** Shell code run after the example in the same shell: what it changed (a file, a shell function). */
  then?: string
  /** zsh instead of bash, after `compinit` as a zsh user's .zshrc runs it. */
  zsh?: true
  /** The mailbox the message it sends lands in: the Message-ID it printed must arrive there. */
  mailbox?: string
}

const foundMessage = /✔ found UID \d+/
const EXPECTED: Record<string, Expected> = {
  'maildig completion bash > ~/.local/share/bash-completion/completions/maildig': {exit: 0, then: 'source ~/.local/share/bash-completion/completions/maildig && complete -p maildig', stdout: /^complete -o default -F _maildig_complete maildig$/m},
  'eval "$(maildig completion zsh)"': {exit: 0, zsh: true, then: 'print -r -- $_comps[maildig]', stdout: /^_maildig_complete$/m},
  'maildig config': {exit: 0, stdout: /^resolver +127\.0\.1\.53 +\S+\/\.config\/maildig\/config:1$/m},
  'maildig config --profile staging --json': {exit: 0, stdout: /"profile": "staging"[\s\S]*"key": "timeout",\s*"value": "15s"/},
  'maildig imap-check imap.example.com': {exit: 0, stdout: /✔ certificate .* ✔ trusted · ✔ names imap\.example\.com/},
  'MAILDIG_PASSWORD=… maildig imap-check imap.example.com --user me@example.com': {exit: 0, stdout: /✔ login +me@example\.com: ok/},
  'maildig imap-check imap.example.com --port 143 --tls starttls --user me@example.com --password-stdin < pw.txt': {exit: 0, stdout: /✔ STARTTLS[\s\S]*✔ login +me@example\.com: ok/},
  'maildig imap-check imap.example.com --user me@example.com --wait-for-message-id "$(maildig send --from me@example.com --to me@example.com --json | jq -r .messageId)" --wait 2m': {exit: 0, stdout: foundMessage},
  'maildig mx example.com': {exit: 0, stdout: /^10 +mx\.example\.com +127\.0\.1\.25 /m},
  'maildig mx bücher.example --resolver 9.9.9.9': {exit: 0, stdout: /^bücher\.example \(xn--bcher-kva\.example\): 1 mail exchanger[\s\S]*mx\.example\.com/},
  'maildig mx example.com --json | jq \'.exchanges[].exchange\'': {exit: 0, stdout: /^"mx\.example\.com"\n$/},
  'maildig mx example.com --short': {exit: 0, stdout: /^mx\.example\.com\n$/},
  'MAILDIG_PASSWORD=… maildig pop3-list pop.example.com --user me@example.com': {exit: 0, stdout: /✔ login +me@example\.com/},
  'maildig pop3-list pop.example.com --port 110 --user me@example.com --password-stdin < pw.txt': {exit: 0, stdout: /✔ STLS[\s\S]*✔ login +me@example\.com/},
  'maildig pop3-list pop.example.com --user me@example.com --limit 10 --json | jq \'.messages[].headers.subject\'': {exit: 0, stdout: /^"[^"\n]+"$/m},
  'maildig pop3-list pop.example.com --tls implicit --transcript': {exit: 0, stdout: /port 995/, stderr: /<~ \+OK Dovecot ready/},
  'maildig probe-smtp mx.example.com': {exit: 0, stdout: /✔ STARTTLS/},
  'maildig probe-smtp smtp.example.com --port 587 --user me@example.com --password-stdin < pw.txt': {exit: 0, stdout: /✔ AUTH .*→ ok/},
  'maildig probe-smtp example.com --mx --rcpt postmaster@example.com --require starttls,valid-cert': {exit: 0, stdout: /mx\.example\.com +127\.0\.1\.25 +220 [\s\S]*✔ no problems found/},
  'maildig probe-smtp mx.example.com --relay-test --transcript': {exit: 0, stdout: /RELAY_DENIED/, stderr: /~> RCPT TO:<relay-test@example\.net>/},
  'maildig probe-smtp smtp.example.com:465': {exit: 0, stdout: /port 465[\s\S]*✔ TLS/},
  'maildig send --from me@example.com --to you@example.org': {exit: 0, stdout: /✔ accepted +you@example\.org/, mailbox: 'you@example.org'},
  'maildig send --server smtp.example.com --user me@example.com --from me@example.com --to you@example.org --password-stdin < pw.txt': {exit: 0, stdout: /via +smtp\.example\.com/, mailbox: 'you@example.org'},
  'maildig send --from me@example.com --to you@example.org --subject "hello" --body-file - < body.txt': {exit: 0, stdout: /subject +hello/, mailbox: 'you@example.org'},
  'maildig send --from me@example.com --to you@example.org --dry-run': {exit: 0, stdout: /^From: me@example\.com$/m},
  // roundtrip: the message lands in the --to mailbox, where roundtrip itself waits for it (and --cleanup removes it).
  'MAILDIG_MAILBOX_PASSWORD=… maildig roundtrip --from me@example.com --to you@example.org': {exit: 0, stdout: /^✔ delivered in .* end to end[\s\S]*submitted +mx\.example\.org /m},
  'MAILDIG_PASSWORD=… maildig roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --warning 30s --critical 2m': {exit: 0, stdout: /^✔ delivered in [\s\S]*IMAP IDLE in INBOX/m},
  'MAILDIG_PASSWORD=… maildig roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --pop3 --mailbox-host pop.example.com --wait 10m': {exit: 0, stdout: /^✔ delivered in [\s\S]*POP3 polling/m},
  'MAILDIG_PASSWORD=… maildig roundtrip --server smtp.example.com --user me@example.com --from me@example.com --to me@example.com --cleanup --format nagios': {exit: 0, stdout: /^ROUNDTRIP OK - me@example\.com: delivered in [\d.]+ s end to end \(queue id [A-Z0-9]+\), [^|]*\| .*'latency'=[\d.]+s;;;0 /},
  'maildig sender example.com --ip 192.0.2.25': {exit: 0, stdout: /✔ SPF +pass for 192\.0\.2\.25/},
  'maildig sender alice@example.com --ip 192.0.2.25 --ip 2001:db8::25 --helo mail.example.com': {exit: 0, stdout: /^ +2001:db8::25 +HELO mail\.example\.com +pass/m},
  'maildig sender "<>" --helo mail.example.com --ip 192.0.2.25 --no-dnsbl': {exit: 0, stdout: /HELO mail\.example\.com +pass/},
  'maildig sender example.com --selector s1 --selector s2': {exit: 0, stdout: /✔ DKIM/},
  // The example message is not signed by example.org's key (there is none): its signature fails, exit 1.
  'maildig sender example.com --message examples/postfix-relay-chain.eml --json | jq .dkim.signatures': {exit: 1, stdout: /"selector": "mail2024"/},
  // 192.0.2.25 is listed in bl.example.net: the jq filter shows the listing, and a listing is exit 1.
  'maildig sender example.com --ip 192.0.2.25 --dnsbl bl.example.net --json | jq \'.dnsbl[] | select(.status == "listed")\'': {exit: 1, stdout: /"reason": "192\.0\.2\.25 sent spam to our traps"/},
  'maildig trace --message examples/postfix-relay-chain.eml': {exit: 0, stdout: /^Observed route: 4 hops/},
  'maildig trace bob@example.org --from alice@example.com': {exit: 0, stdout: /Deliverable via mx\.example\.org/},
  'maildig trace bob@example.org --format mermaid': {exit: 0, stdout: /^flowchart TD$[\s\S]*Deliverable via mx\.example\.org/m},
  // Postfix names itself mx.mail.test in its Received line, so the comparison says the MX named itself differently.
  'maildig trace bob@example.org --message received.eml --json': {exit: 0, stdout: /"subject": "for received\.eml"[\s\S]*"predictedVia": "mx\.example\.org"/},
  // Batch runs: one NDJSON line (or CSV row) per target, a summary on stderr.
  'maildig mx --targets domains.txt --concurrency 64 > mx-audit.ndjson': {exit: 0, then: 'jq -r .target mx-audit.ndjson | sort', stdout: /^bücher\.example\nexample\.com\nexample\.org\n$/, stderr: /^maildig mx: 3 targets: 3 ok, 0 with findings, 0 failed; /m},
  'maildig probe-smtp --mx --targets domains.txt --per-host 1 --format csv > mx-tls.csv': {exit: 0, then: 'head -n 1 mx-tls.csv; tail -n +2 mx-tls.csv | wc -l', stdout: /^target,[^\n]*\n3\n$/},
  // One line with findings (alice@example.org's address fails SPF): exit 1, and the run went on.
  'maildig sender --targets examples/senders.ndjson --no-dnsbl': {exit: 1, stdout: /"target":"alice@example\.org","ok":false/, stderr: /^maildig sender: 3 targets: 2 ok, 1 with findings, 0 failed; /m},
  'maildig trace --targets recipients.txt --from alice@example.com > routes.ndjson': {exit: 0, then: 'jq -r \'.target + " " + (.exitCode | tostring)\' routes.ndjson | sort', stdout: /^bob@example\.org 0\nyou@example\.org 0\n$/},
  // README (those with output shown are compared with it below)
  'maildig probe-smtp mx.example.com --format nagios --warning 2s --critical 5s --warning cert_days=30:\n# SMTP OK - mx.example.com: 220 mx.example.com ESMTP, TLSv1.3, 0.212 s response time | \'time\'=0.212s;2;5;0 (then each stage, cert_days, the findings)\n# In node_exporter\'s textfile folder (its --collector.textfile.directory), e.g. /var/lib/node_exporter:\nmaildig imap-check imap.example.com --format prometheus --output maildig-imap.prom\nmaildig trace you@example.org --from me@example.com --format junit --output maildig-trace.xml': {
    exit: 0,
    then: 'grep -c "^probe_success" maildig-imap.prom; grep -c "<testsuite " maildig-trace.xml',
    // The plugin line (its state depends on how fast the loaded test machine answers), then one sample and one suite in the files.
    stdout: /^SMTP (OK|WARNING) - mx\.example\.com: 220 [^\n]*\| 'time'=[\d.]+s;2;5;0 [^\n]*'cert_days'=\d+;30:[^\n]*\n[\s\S]*^1\n1\n$/m,
  },
  'maildig sender mail.test --ip 127.0.1.66 --dnsbl bl.test --resolver 127.0.1.53': {exit: 1},
  // The audit, its CSV, a resume that finds everything done, and shard 2 of 4 (which takes 1 of the 3 domains).
  'maildig mx --targets domains.txt > mx.ndjson\nmaildig probe-smtp --mx --targets domains.txt --per-host 1 --format csv > tls-audit.csv\nmaildig mx --targets domains.txt --resume mx.ndjson        # after Ctrl-C: carries on where it stopped\nmaildig mx --targets domains.txt --shard 2/4 > part-2.ndjson   # machine 2 of 4': {
    exit: 0,
    then: 'wc -l < mx.ndjson; tail -n +2 tls-audit.csv | wc -l; wc -l < part-2.ndjson',
    stdout: /^3\n3\n1\n$/,
    stderr: /3 skipped \(--resume\)[\s\S]*2 skipped \(--shard 2\/4\)/,
  },
  'maildig completion bash > ~/.local/share/bash-completion/completions/maildig   # bash\nmaildig completion zsh > ~/.zfunc/_maildig                                      # zsh (fpath=(~/.zfunc $fpath) before compinit)': {exit: 0, then: 'head -n 1 ~/.zfunc/_maildig; tail -n 1 ~/.local/share/bash-completion/completions/maildig', stdout: /^#compdef maildig\ncomplete -o default -F _maildig_complete maildig\n$/},
  'id=$(MAILDIG_PASSWORD="$SENDER_PW" maildig send --server smtp.example.com --user me@example.com \\\n       --from me@example.com --to you@example.org --json | jq -r .messageId)\nMAILDIG_PASSWORD="$RECIPIENT_PW" maildig imap-check imap.example.org --user you@example.org \\\n       --wait-for-message-id "$id" --wait 2m': {exit: 0, stdout: foundMessage},
}

interface Example {
  where: string
  text: string
  /** README's output under the command line, when it shows one. */
  shown?: string
}

const helpExamples: Example[] = Object.entries(manifest.commands).flatMap(([id, c]) =>
  (c.examples ?? []).map((e) => ({where: `${id} --help`, text: e.replaceAll('<%= config.bin %>', 'maildig')})),
)
const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const readmeExamples: Example[] = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].flatMap(([, lang, body]): Example[] => {
  // A block that starts with a prompt: the command, then what it printed.
  const prompt = /^\$ (maildig .*)\n([\s\S]*)$/.exec(body)
  if (prompt) return [{where: 'README.md', text: prompt[1], shown: prompt[2]}]
  // A shell block that runs maildig (not the ones about npm and the clone).
  if (lang === 'sh' && /(^|[\s(])maildig /m.test(body)) return [{where: 'README.md', text: body.trimEnd()}]
  return []
})

let home: string
let work: string
let bin: string

/** Runs shell text in the reader's machine: bash with pipefail (or zsh), HOME and the working folder above. */
function shell(text: string, options: {zsh?: boolean; timeoutMs?: number} = {}): ReturnType<typeof runProcess> {
  const env = {
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    NO_COLOR: '1',
    MAILDIG_PASSWORD: me.password,
    SENDER_PW: me.password,
    RECIPIENT_PW: you.password,
  }
  const [command, args]: [string, string[]] = options.zsh
    ? ['zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"\n${text}`]]
    : ['bash', ['-o', 'pipefail', '-c', text]]
  return runProcess(command, args, {env, cwd: work, group: true, timeoutMs: options.timeoutMs})
}

function substitute(text: string): string {
  let out = text
  for (const s of SUBSTITUTIONS) out = out.replace(s.pattern, s.replacement)
  return out
}

/** Finding codes in human output (`✖ CODE …`, `⚠ CODE`, `ℹ CODE`). */
const findingCodes = (text: string) => [...text.matchAll(/^[✖⚠ℹ] ([A-Z][A-Z0-9_]+) /gmu)].map((m) => m[1]).sort()

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'maildig-examples-'))
  work = path.join(home, 'work')
  bin = path.join(home, 'bin')
  for (const dir of [work, bin, path.join(home, '.config', 'maildig'), path.join(home, '.local/share/bash-completion/completions'), path.join(home, '.zfunc')]) {
    fs.mkdirSync(dir, {recursive: true})
  }
  fs.writeFileSync(path.join(home, '.config', 'maildig', 'config'), `resolver = ${worldResolver}\nca-file = ${world.ca.caFile}\n\n[profile staging]\ntimeout = 15s\n`)
  fs.writeFileSync(path.join(bin, 'maildig'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755})
  fs.copyFileSync(world.ca.caFile, path.join(work, 'ca.pem'))
  fs.writeFileSync(path.join(work, 'pw.txt'), `${me.password}\n`)
  fs.writeFileSync(path.join(work, 'body.txt'), 'Hello from the examples of maildig.\n')
  // The batch examples' lists (--targets): mail domains, and recipients for trace.
  fs.writeFileSync(path.join(work, 'domains.txt'), '# customer domains\nexample.com\nexample.org\nbücher.example\n')
  fs.writeFileSync(path.join(work, 'recipients.txt'), 'bob@example.org\nyou@example.org\n')
  fs.symlinkSync(fileURLToPath(new URL('../../examples', import.meta.url)), path.join(work, 'examples'))
  // The reader has mail: me@example.com's mailbox is not empty whatever example runs first.
  const first = await shell('maildig send --from you@example.org --to me@example.com --subject "already there" --json')
  expect(first.code, first.stderr).toBe(0)
  await boxes.waitForDelivery('me@example.com', (m) => m.raw.includes(JSON.parse(first.stdout).messageId), 15_000)
  // received.eml: a message bob@example.org received, through Postfix, saved as a mail client's "show original" saves it.
  const sent = await shell('maildig send --from alice@example.com --to bob@example.org --subject "for received.eml" --json')
  expect(sent.code, sent.stderr).toBe(0)
  const messageId = JSON.parse(sent.stdout).messageId as string
  const received = await boxes.waitForDelivery('bob@example.org', (m) => m.raw.includes(messageId), 15_000)
  fs.writeFileSync(path.join(work, 'received.eml'), received.raw)
}, 60_000)

afterAll(() => {
  if (home) fs.rmSync(home, {recursive: true, force: true})
})

describe('every example runs', () => {
  it('README\'s examples are found: command lines with their output, and shell blocks', () => {
    expect(readmeExamples.filter((e) => e.shown !== undefined).length).toBeGreaterThan(5)
    expect(readmeExamples.some((e) => e.text.includes('\n'))).toBe(true)
  })

  it('every expectation belongs to an example that exists (a changed example changes its expectation)', () => {
    const texts = new Set([...helpExamples, ...readmeExamples].map((e) => e.text))
    expect(Object.keys(EXPECTED).filter((t) => !texts.has(t))).toEqual([])
  })

  // Concurrently (each example is its own process tree, each message its own Message-ID); expect from the context.
  // Several at once on a loaded machine: zsh's compinit alone took over 30 s there once. The shell is killed at 60 s.
  it.concurrent.for([...helpExamples, ...readmeExamples])('$where: $text', {timeout: 90_000}, async (example, {expect}) => {
    const expected: Expected = EXPECTED[example.text] ?? {exit: 0, stdout: /\S/}
    const text = substitute(example.text)
    expect(text.replaceAll('$(', '').replaceAll('${', ''), 'an example with a placeholder no substitution fills').not.toMatch(/…|<[a-z-]+>/)
    const r = await shell(expected.then ? `${text}\n${expected.then}` : text, {zsh: expected.zsh})
    const context = `${example.text}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`
    expect(r.code, context).toBe(expected.exit)
    expect(r.stderr, context).not.toMatch(/\bat .*\.c?js:\d+/)
    if (expected.stdout) expect(r.stdout, context).toMatch(expected.stdout)
    if (expected.stderr) expect(r.stderr, context).toMatch(expected.stderr)

    const sent = [...r.stdout.matchAll(/^✔ sent <([^>]+)>$/gm)].map((m) => m[1])
    if (sent.length > 0 || expected.mailbox) {
      expect(expected.mailbox, `${example.text} sends mail: EXPECTED must name the mailbox it lands in`).toBeDefined()
      expect(sent, context).toHaveLength(1)
      const message = await boxes.waitForDelivery(expected.mailbox!, (m) => m.raw.includes(`<${sent[0]}>`), 15_000)
      if (example.text.includes('body.txt')) expect(message.raw).toContain('Hello from the examples of maildig.')
    }

    if (example.shown !== undefined) {
      // README shows what the world answered. Without timings the output is the same, as it is; with them (they
      // vary, and so do the columns they widen) its first line and its finding codes are; JSON without `timings`.
      if (example.shown.startsWith('{')) {
        const {timings: _a, ...shown} = JSON.parse(example.shown)
        const {timings: _b, ...actual} = JSON.parse(r.stdout)
        expect(actual).toEqual(shown)
      } else if (/\d ms\b/.test(example.shown)) {
        expect(r.stdout.split('\n')[0]).toBe(example.shown.split('\n')[0])
        expect(findingCodes(r.stdout)).toEqual(findingCodes(example.shown))
      } else {
        expect(r.stdout).toBe(example.shown)
      }
    }
  })
})
