// dist/maildig.js (copied here by scripts/build.mjs): loads dist/maildig.cjs, the bundled CLI, once per process. V8
// compiles it from the code cache that the build made (dist/maildig.cjs.cache) when this Node's V8 accepts the cache,
// which saves compiling a megabyte of JavaScript on every start; otherwise it compiles from source.
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Script} from 'node:vm'

const filename = fileURLToPath(new URL('maildig.cjs', import.meta.url))
const cacheFile = `${filename}.cache`
let cachedData
try {
  cachedData = readFileSync(cacheFile)
} catch {
  // no cache (a partial build): compiled from source
}
// The CommonJS wrapper, on the bundle's first line so that line numbers in stack traces stay right. The build makes
// the bundle pure ASCII, so latin1 reads it exactly.
const wrapper = `(function (exports, require, module, __filename, __dirname, __maildigImport) {${readFileSync(filename, 'latin1')}\n})`
const script = new Script(wrapper, {filename, cachedData})
const module = {exports: {}}
script.runInThisContext()(module.exports, createRequire(filename), module, filename, dirname(filename), (specifier) => import(specifier))

/** `run(binUrl, argv?)` runs the CLI; `commands[id]()` imports one command's module (dist/commands/<id>.js). */
export const {run, commands} = module.exports

/** For the build: writes the code cache of the bundle as compiled so far in this process; returns its size. */
export function writeCodeCache() {
  const data = script.createCachedData()
  writeFileSync(cacheFile, data)
  return data.length
}
