// dist/maildig-loader.cjs (copied here by scripts/build.mjs, which fills in BUILD_V8 and BUILD_ID): loads dist/maildig.cjs,
// the bundled CLI, once per process (Node's require cache keeps this module once). V8 compiles the bundle from a code
// cache, which saves compiling a megabyte of JavaScript on every start:
// - on the Node the package was built with, the build's own cache (dist/maildig.cjs.cache), made after a few offline runs;
// - on another Node (another V8, which rejects the build's cache: Node 22 and 24 for a package built on 20), a cache of
//   this user's own, written once when a run ends and read by every later run: $XDG_CACHE_HOME/maildig (or
//   ~/.cache/maildig), a folder only this user can write to (a code cache is code: one that another user could plant is
//   never read). MAILDIG_CODE_CACHE=0 or NODE_DISABLE_COMPILE_CACHE turns it off. Without a cache V8 compiles from
//   source, as it would anyway.
// CommonJS, like bin/run.js and the command stubs: a run that loads no ES module does not start Node's ES module loader at
// all (about 15 ms).
'use strict'
const fs = require('node:fs')
const {dirname, isAbsolute, join} = require('node:path')
const {Script} = require('node:vm')

const BUILD_V8 = '__MAILDIG_BUILD_V8__'
const BUILD_ID = '__MAILDIG_BUILD_ID__'
const filename = join(__dirname, 'maildig.cjs')
const buildCache = `${filename}.cache`
const userCache = process.versions.v8 === BUILD_V8 ? undefined : userCacheFile()
const cachedData = userCache ? readOwnFile(userCache) : readFile(buildCache)
// The bundle is one function expression, `(function (exports, require, module, __filename, __dirname, __maildigImport)
// {…})`, which the build writes pure ASCII, so latin1 reads it exactly. import() works in this file, not in a vm.Script
// compiled from a code cache, so the bundle's import(x) calls come here as __maildigImport(x).
const script = new Script(fs.readFileSync(filename, 'latin1'), {filename, cachedData})
if (userCache && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeUserCache(userCache))
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
  fs.writeFileSync(buildCache, data)
  return data.length
}

function readFile(file) {
  try {
    return fs.readFileSync(file)
  } catch {
    return undefined // no cache (a partial build): compiled from source
  }
}

function userCacheFile() {
  if (process.env.MAILDIG_CODE_CACHE === '0' || process.env.NODE_DISABLE_COMPILE_CACHE || typeof process.getuid !== 'function') return undefined
  const home = process.env.XDG_CACHE_HOME && isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : join(require('node:os').homedir(), '.cache')
  return {dir: join(home, 'maildig'), name: `code-${BUILD_ID}-v8-${process.versions.v8}-${process.arch}.cache`}
}

/** Owned by this user and writable by no one else: the only kind of file or folder a code cache is read from. */
function ownedBySelf(stat) {
  return stat.uid === process.getuid() && (stat.mode & 0o022) === 0
}

function readOwnFile({dir, name}) {
  try {
    if (!ownedBySelf(fs.statSync(dir))) return undefined
    const fd = fs.openSync(join(dir, name), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0))
    try {
      return ownedBySelf(fs.fstatSync(fd)) ? fs.readFileSync(fd) : undefined
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return undefined
  }
}

/** At the end of the run (so it holds the functions this run compiled): written beside, then renamed into place. */
function writeUserCache({dir, name}) {
  try {
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    if (!ownedBySelf(fs.statSync(dir))) return
    const data = script.createCachedData()
    const temporary = join(dir, `.${name}.${process.pid}`)
    fs.writeFileSync(temporary, data, {mode: 0o600, flag: 'wx'})
    fs.renameSync(temporary, join(dir, name))
    // Caches of other builds of maildig, or of another Node, that this one replaces.
    for (const other of fs.readdirSync(dir)) {
      if (other !== name && other.startsWith('code-') && other.includes(`-v8-${process.versions.v8}-`)) fs.rmSync(join(dir, other), {force: true})
    }
  } catch {
    // A cache is an optimisation: a read-only home or a full disk changes nothing else.
  }
}
