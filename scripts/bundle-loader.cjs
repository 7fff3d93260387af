// dist/maildig-loader.cjs (copied here by scripts/build.mjs, which fills in BUILD_V8, BUILD_ID and VENDORED): loads maildig's bundled
// scripts once per process (Node's require cache keeps this module once):
// - dist/maildig.cjs, the core: oclif's command, parser and errors, the CLI's entry, help (run when first asked for) and
//   the command-not-found hook, and every module of theirs;
// - dist/parts/<id>.cjs, one command's own code, loaded when a run names that command (src/cli/main.ts starts it
//   directly) or oclif asks for its class. A module that the core
//   has (oclif, chalk, dns-packet, the findings…) is not in a part: the part takes the core's, through __maildigCore(path),
//   so each module runs once per process. A run reads and compiles the core and one part, not every command;
// - dist/extra.cjs, packages that the core and the parts require only on paths an ordinary run does not take (help and
//   oclif's error boxes, globbing, templates, version ranges, DEBUG logging) and oclif's configuration, help and main
//   loop: loaded on the first such require
//   (__maildigExtra(path)), with the core's modules from the core as for a part.
// - dist/vendor/<name>.cjs, a package that few commands need (imapflow, mailauth, nodemailer's composer) bundled with
//   its dependencies: loaded when a command first imports it (__maildigImport, VENDORED).
// V8 compiles each script from a code cache, which saves compiling hundreds of kilobytes of JavaScript on every start:
// - on the Node the package was built with, the build's own caches (<script>.cache beside each), made after a few offline
//   runs;
// - on another Node (another V8, which rejects the build's caches: Node 22 and 24 for a package built on 20), caches of
//   this user's own, written once when a run ends and read by every later run: $XDG_CACHE_HOME/maildig (or
//   ~/.cache/maildig), a folder only this user can write to (a code cache is code: one that another user could plant is
//   never read). MAILDIG_CODE_CACHE=0 or NODE_DISABLE_COMPILE_CACHE turns them off. Without a cache V8 compiles from
//   source, as it would anyway.
// CommonJS, like bin/run.js and the command stubs: a run that loads no ES module does not start Node's ES module loader at
// all (about 15 ms).
'use strict'
const fs = require('node:fs')
const {dirname, isAbsolute, join} = require('node:path')
const {Script} = require('node:vm')

const BUILD_V8 = '__MAILDIG_BUILD_V8__'
const BUILD_ID = '__MAILDIG_BUILD_ID__'
/** import() specifiers served by a vendor script (dist/vendor/<name>.cjs), by name: VENDOR in scripts/build.mjs. */
const VENDORED = '__MAILDIG_VENDORED__'
const ownV8 = process.versions.v8 === BUILD_V8
const cacheHome = ownV8 ? undefined : userCacheHome()
/** The scripts this process compiled: the build writes their caches, another V8 writes the user's. */
const loaded = new Map()
let writeAtExit = false
/** The one buffer every script and cache is read into (readScratch). */
let scratch

/**
 * Compiles and runs one bundled script: `(function (exports, require, module, __filename, __dirname, __maildigImport,
 * __maildigCore, __maildigExtra) {…})`, which the build writes pure ASCII, so latin1 reads it exactly. import() works in this file, not in
 * a vm.Script compiled from a code cache, so the scripts' import(x) calls come here as __maildigImport(x).
 */
function load(name, core, extra) {
  const filename = join(__dirname, `${name}.cjs`)
  const userCache = cacheHome && {dir: cacheHome, name: `code-${BUILD_ID}-${name.replace('/', '-')}-v8-${process.versions.v8}-${process.arch}.cache`}
  // The source first: the string V8 keeps is a copy, so the scratch buffer is free again for the cache.
  const source = readScratch(filename).toString('latin1')
  const cachedData = userCache ? readOwnFile(userCache) : readFile(`${filename}.cache`)
  // V8 reads the cache while it compiles, and keeps none of it: the scratch buffer is free again afterwards.
  const script = new Script(source, {filename, cachedData})
  loaded.set(name, {script, filename, userCache: userCache && (!cachedData || script.cachedDataRejected) ? userCache : undefined})
  if (userCache && (!cachedData || script.cachedDataRejected) && !writeAtExit) {
    writeAtExit = true
    process.once('exit', writeUserCaches)
  }
  const module = {exports: {}}
  script.runInThisContext()(module.exports, require, module, filename, dirname(filename), importFor, core, extra)
  return module.exports
}

let core
/** A core module for a part or the extra, by its path in the source tree (the build checks that every path named is there). */
const shared = (path) => {
  if (!core) throw new Error(`maildig: ${path} was needed from the core while the core was loading (a build error)`)
  const get = core.shared[path]
  if (!get) throw new Error(`maildig: the core has no module ${path} (a build of mixed versions?)`)
  return get()
}
let extraScript
/** A module of dist/extra.cjs, by its path in the source tree; the script is loaded on the first one. */
const extra = (path) => {
  extraScript ??= load('extra', shared, extra)
  const get = extraScript.modules[path]
  if (!get) throw new Error(`maildig: dist/extra.cjs has no module ${path} (a build of mixed versions?)`)
  return get()
}
const vendors = new Map()
/** A vendor script's table (import() specifier → a function that requires that module of the script), loaded on first use. */
const vendor = (name) => {
  if (!vendors.has(name)) vendors.set(name, load(`vendor/${name}`))
  return vendors.get(name)
}

/**
 * The scripts' import(x) (__maildigImport): a vendored package from its script, with what import() gives for a CommonJS
 * module (its exports, and them again as `default`); anything else through Node's import(), from this folder.
 */
function importFor(specifier) {
  const name = VENDORED[specifier]
  if (name === undefined) return import(specifier)
  return new Promise((resolve) => {
    const exports = vendor(name)[specifier]()
    resolve({...exports, default: exports})
  })
}

core = load('maildig', undefined, extra)
const parts = new Map()
const part = (id) => {
  if (!parts.has(id)) parts.set(id, load(`parts/${id}`, shared, extra))
  return parts.get(id)
}

/** `run(root, argv?)` runs the CLI from the package folder `root`; a command's class comes from its part. */
exports.run = (root, argv) => core.run(root, argv, (id) => (core.ids.includes(id) ? part(id).default : undefined))
/** `end()`, when run() has resolved: ends the process at once when nothing is left to wait for (src/cli/end.ts). */
exports.end = core.endWhenDone
/** `commands[id]()` is a command's class (its part is loaded then). */
exports.commands = Object.fromEntries(core.ids.map((id) => [id, () => part(id).default]))
/** maildig's help class (package.json oclif.helpClass, through dist/help.cjs), loaded when it is first asked for. */
Object.defineProperty(exports, 'Help', {enumerable: true, get: () => core.loadHelp()})
exports.commandNotFound = core.commandNotFound

/** The scripts this process has loaded so far (maildig, parts/<id>, extra): for the tests of what a run loads. */
exports.loadedScripts = () => [...loaded.keys()]
/** Of those, the ones V8 compiled from source: no code cache, or one it rejected (for the tests). */
exports.compiledFromSource = () => [...loaded].filter(([, {script}]) => script.cachedDataRejected !== false).map(([name]) => name)

/**
 * For the build: loads every command's part, the extra and the vendor scripts (so that each has a cache, whether or not a
 * run used it), then writes the code cache of each script as compiled so far in this process; returns their sizes by name.
 */
exports.writeCodeCaches = function writeCodeCaches() {
  for (const id of core.ids) part(id)
  extraScript ??= load('extra', shared, extra)
  // Each vendored module run once, so that the caches hold their top levels (the bulk of what loading one costs).
  for (const [specifier, name] of Object.entries(VENDORED)) vendor(name)[specifier]()
  const sizes = {}
  for (const [name, {script, filename}] of loaded) {
    const data = script.createCachedData()
    fs.writeFileSync(`${filename}.cache`, data)
    sizes[name] = data.length
  }
  return sizes
}

function readFile(file) {
  try {
    return readScratch(file)
  } catch {
    return undefined // no cache (a partial build): compiled from source
  }
}

/**
 * Every script and cache is read into one buffer, which the next read overwrites. Memory that a process touches for the
 * first time costs a page fault for every 4 KiB, and on some machines (virtual machines whose guest page tables the
 * host keeps) a fault costs more than reading the page: a buffer of its own for each file cost an mx run about 105
 * more faults there (1.5 ms). Returns the part of the buffer the file filled, valid until the next read.
 */
function readScratch(file) {
  const fd = typeof file === 'number' ? file : fs.openSync(file, 'r')
  try {
    const size = fs.fstatSync(fd).size
    if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafeSlow(Math.max(size, 1024 * 1024))
    let filled = 0
    while (filled < size) {
      const n = fs.readSync(fd, scratch, filled, size - filled, filled)
      if (n === 0) break
      filled += n
    }
    return scratch.subarray(0, filled)
  } finally {
    if (typeof file !== 'number') fs.closeSync(fd)
  }
}

function userCacheHome() {
  if (process.env.MAILDIG_CODE_CACHE === '0' || process.env.NODE_DISABLE_COMPILE_CACHE || typeof process.getuid !== 'function') return undefined
  const home = process.env.XDG_CACHE_HOME && isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : join(require('node:os').homedir(), '.cache')
  return join(home, 'maildig')
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
      return ownedBySelf(fs.fstatSync(fd)) ? readScratch(fd) : undefined
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return undefined
  }
}

/** At the end of the run (so that each holds the functions this run compiled): written beside, then renamed into place. */
function writeUserCaches() {
  for (const {script, userCache} of loaded.values()) if (userCache) writeUserCache(script, userCache)
}

function writeUserCache(script, {dir, name}) {
  try {
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    if (!ownedBySelf(fs.statSync(dir))) return
    const data = script.createCachedData()
    const temporary = join(dir, `.${name}.${process.pid}`)
    fs.writeFileSync(temporary, data, {mode: 0o600, flag: 'wx'})
    fs.renameSync(temporary, join(dir, name))
    // Caches of other builds of maildig for this Node, which this one replaces.
    for (const other of fs.readdirSync(dir)) {
      if (other.startsWith('code-') && !other.startsWith(`code-${BUILD_ID}-`) && other.includes(`-v8-${process.versions.v8}-`)) fs.rmSync(join(dir, other), {force: true})
    }
  } catch {
    // A cache is an optimisation: a read-only home or a full disk changes nothing else.
  }
}
