import {nearest} from './suggest.js'

interface HookOptions {
  id?: string
  argv?: string[]
  config?: {commandIDs?: string[]}
}

/**
 * oclif's command_not_found hook (package.json oclif.hooks, through bin/command-not-found.js): an unknown command is a
 * usage error like any other: one line and exit 2, or under --json the envelope, so scripts always get a document. It
 * shows the word that was typed (oclif joins the words after it with its internal `:`: `prob-smtp:127.0.0.11`) and the
 * nearest command.
 */
export function commandNotFound(options: HookOptions): void {
  const typed = escapeControls(String(options.id ?? '').split(':')[0])
  const known = [...(options.config?.commandIDs ?? [])].sort()
  const suggestion = nearest(typed, known)
  const message = `"${typed}" is not a maildig command${suggestion ? `; did you mean ${suggestion}?` : ` (commands: ${known.join(', ')})`} (see: maildig --help)`
  if ((options.argv ?? []).includes('--json')) {
    const doc = {command: typed, ok: false, exitCode: 2, findings: [], timings: {totalMs: 0}, error: {code: 'USAGE', message}}
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
  } else {
    process.stderr.write(`✖ ${message}\n`)
  }
  process.exitCode = 2
}

function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}
