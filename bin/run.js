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
  require('../dist/maildig-loader.cjs').run(require('node:path').join(__dirname, '..'))
}
