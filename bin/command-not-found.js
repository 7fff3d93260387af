// oclif hook (package.json oclif.hooks.command_not_found): an unknown command is a usage error like any
// other — one line and exit 2, or under --json the CONTRACT envelope, so scripts always get a document.
// CommonJS, like everything in bin/ (bin/package.json).
'use strict'
module.exports = async function commandNotFound(options) {
  const id = String(options.id ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
  const known = [...(options.config?.commandIDs ?? [])].sort().join(', ')
  const message = `"${id}" is not a maildig command (commands: ${known}; see maildig --help)`
  if ((options.argv ?? []).includes('--json')) {
    const doc = {command: id, ok: false, exitCode: 2, findings: [], timings: {totalMs: 0}, error: {code: 'USAGE', message}}
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`)
  } else {
    process.stderr.write(`✖ ${message}\n`)
  }
  process.exitCode = 2
}
