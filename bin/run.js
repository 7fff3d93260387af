#!/usr/bin/env node
// CommonJS (bin/package.json): a run that loads no ES module never starts Node's ES module loader (about 15 ms).
'use strict'
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  // Answered without loading the framework: startup time is a feature.
  const pkg = require('../package.json')
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // package.json's engines, checked here in one comparison: oclif's own check loads semver for it (about 7 ms).
  const NODE_MAJOR = 20
  if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
    process.emitWarning(`maildig needs Node.js ${NODE_MAJOR} or later; this is ${process.version}`)
  }
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  // The bundled CLI (npm run build, scripts/build.mjs): oclif and every command in one script, from V8's code cache.
  // oclif is given the package folder, where package.json and the manifest are, not this file: looking upwards from
  // here it would stop at bin/package.json.
  const path = require('node:path')
  const loader = path.join(__dirname, '..', 'dist', 'maildig-loader.cjs')
  if (!require('node:fs').existsSync(loader)) {
    // A clone that was not built (or whose build failed): say what to do instead of a Node stack trace.
    process.stderr.write(`✖ maildig is not built (${path.relative(process.cwd(), loader) || loader} is missing): run npm ci in ${path.join(__dirname, '..')} (it builds), or npm run build\n`)
    process.exit(1)
  }
  // When the command is done, maildig ends the process without Node's teardown of its heap, if nothing is left to wait
  // for (src/cli/end.ts).
  const cli = require(loader)
  cli.run(path.join(__dirname, '..')).then(() => cli.end())
}
