// dist/maildig-loader.cjs (copied here by scripts/build.mjs): loads dist/maildig.cjs, the bundled CLI, once per process
// (Node's require cache keeps this module once). V8 compiles the bundle from the code cache that the build made
// (dist/maildig.cjs.cache) when this Node's V8 accepts it, which saves compiling a megabyte of JavaScript on every
// start; otherwise it compiles from source. CommonJS, like bin/run.js and the command stubs: a run that loads no ES module
// does not start Node's ES module loader at all (about 15 ms).
'use strict'
const {readFileSync, writeFileSync} = require('node:fs')
const {dirname, join} = require('node:path')
const {Script} = require('node:vm')

const filename = join(__dirname, 'maildig.cjs')
const cacheFile = `${filename}.cache`
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  // no cache (a partial build): compiled from source
}
// The bundle is one function expression, `(function (exports, require, module, __filename, __dirname, __maildigImport)
// {…})`, which the build writes pure ASCII, so latin1 reads it exactly. import() works in this file, not in a vm.Script
// compiled from a code cache, so the bundle's import(x) calls come here as __maildigImport(x).
const script = new Script(readFileSync(filename, 'latin1'), {filename, cachedData})
const bundle = {exports: {}}
script.runInThisContext()(bundle.exports, require, bundle, filename, dirname(filename), (specifier) => import(specifier))

/** `run(root, argv?)` runs the CLI from the package folder `root`; `commands[id]()` is a command's class. */
exports.run = bundle.exports.run
exports.commands = bundle.exports.commands
/** maildig's help class (package.json oclif.helpClass, through dist/help.cjs). */
exports.Help = bundle.exports.Help
exports.commandNotFound = bundle.exports.commandNotFound

/** For the build: writes the code cache of the bundle as compiled so far in this process; returns its size. */
exports.writeCodeCache = function writeCodeCache() {
  const data = script.createCachedData()
  writeFileSync(cacheFile, data)
  return data.length
}
