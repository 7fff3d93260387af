// The build of the CLI. npm run build type-checks (tsc --noEmit), runs `node scripts/build.mjs`, then `oclif manifest`
// (against the files below), then `node scripts/build.mjs --code-cache`. Startup time is a feature (npm run bench): on
// Node 20 most of a cold start went into loading and compiling hundreds of small modules, hence:
//
//   dist/maildig.cjs          the core, one esbuild bundle in a CommonJS wrapper that the loader calls: @oclif/core,
//                             chalk, dns-packet, the CLI's entry, help, and what every command stands on (base-command
//                             with the flags, renderers and findings), each module once
//   dist/parts/<id>.cjs       one command's own code, in the same wrapper; a module the core has comes from the core
//                             (__maildigCore), so a run reads and compiles the core and one part, not every command
//   dist/extra.cjs            packages that the core requires only on paths an ordinary run does not take (help and
//                             oclif's error boxes, globbing, templates, spinners, version ranges, DEBUG logging), and
//                             oclif's own configuration, help and main loop (EXTRA_OCLIF; a run of a command starts
//                             without them, src/cli/direct.ts): in the same wrapper, loaded on the first such require
//                             (__maildigExtra), so that a run does not read or allocate source that it never runs
//   dist/*.cjs.cache          V8's code cache for each, made at the end of the build after a few offline runs
//   dist/maildig-loader.cjs   loads the core once per process and a command's part when a run names it, each from
//                             its code cache when this Node's V8 accepts it
//   dist/commands/<id>.cjs    what the oclif manifest names and oclif requires: the command class of the part
//   dist/lib/docs/generate.js for scripts/gen-docs.mjs
//
// bin/run.js, the loader and the stubs are CommonJS (bin/package.json says so for bin/), so that a run loads no ES module
// and Node never starts its ES module loader (about 15 ms of a start).
//
// nodemailer, imapflow, ora and mailauth stay outside the core and the parts, loaded by the commands that use them
// (dynamic import; the build fails if one is imported statically): imapflow, mailauth and nodemailer's composer from
// scripts of their own, dist/vendor/<name>.cjs, with code caches like the parts' (VENDOR below); ora from node_modules.
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createHash} from 'node:crypto'
import {createRequire} from 'node:module'
import {relative, resolve, sep} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {init, parse} from 'es-module-lexer'
import {withoutInteropCopies} from './interop.mjs'

const LAZY_PACKAGES = ['nodemailer', 'imapflow', 'ora', 'mailauth']
// typescript: @oclif/core requires it only to read tsconfig.json in development (NODE_ENV=development or test).
const EXTERNAL = [...LAZY_PACKAGES, 'typescript']
// The packages of LAZY_PACKAGES with a CommonJS build, each bundled with its dependencies into dist/vendor/<name>.cjs:
// the import() specifiers the sources use, by script. Loaded from node_modules through import(), each was a few hundred
// files of its own that Node resolved, read and compiled at every run that needed it, through its ES module loader
// (imapflow's package sends import() to its ES module build): imapflow took about 250 ms of every imap-check and
// roundtrip, mailauth about 200 ms of a DKIM verification, nodemailer's composer about 60 ms of a send; a vendor script
// from its code cache takes a third of that or less. The loader's __maildigImport gives each specifier what import()
// gives for a CommonJS module: its exports, and them again as `default`. ora is an ES module only: it stays an import().
const VENDOR = {
  imapflow: ['imapflow'],
  mailauth: ['mailauth/lib/dkim/verify.js', 'mailauth/lib/arc/index.js'],
  nodemailer: ['nodemailer/lib/mail-composer'],
}
const IMPORT = '__maildigImport'
const CORE = '__maildigCore'
const EXTRA = '__maildigExtra'
const BUNDLE_WRAPPER = `(function (exports, require, module, __filename, __dirname, ${IMPORT}, ${CORE}, ${EXTRA}) {`
// Packages that the core and the parts take from dist/extra.cjs (with the packages only they import): each is required
// only on a path that an ordinary run does not take, most of them through OCLIF_EDITS' __maildigLazy. A run of mx read
// and allocated them as source (about 270 KiB of the core's 710 KiB) and never ran them. test/cli/startup.test.ts checks
// that mx, trace --message and sender do not load dist/extra.cjs.
const EXTRA_PACKAGES = [
  // oclif's help, error boxes and spinners (colours, layout, terminal widths)
  'ansis', 'ansi-escapes', 'clean-stack', 'cli-spinners', 'indent-string', 'string-width', 'widest-line', 'wrap-ansi',
  // oclif's command discovery without a manifest, plugin patterns, templates, package.json config, package types, WSL
  'ejs', 'get-package-type', 'lilconfig', 'minimatch', 'tinyglobby', 'wsl-utils',
  // version ranges (plugin and engine checks), the debug logger (DEBUG=oclif*), oclif's colour detection for its themes
  'debug', 'semver', 'supports-color',
]
// oclif's own modules that only its path needs (help, completion, a name that is no command; src/cli/direct.ts starts
// maildig's commands without them): its configuration, help and main loop, which OCLIF_EDITS already load on first
// use. In the extra, they are not read and copied into a string at every start (about 90 KiB of the core).
const EXTRA_OCLIF = /^node_modules\/@oclif\/core\/lib\/(config\/|help\/|main\.js$|execute\.js$|module-loader\.js$|constraints\.js$)/
const packageName = (specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')

// Exact, checked edits of @oclif/core's code as it goes into the bundle (the build fails if a text is not found once,
// as after an upgrade of @oclif/core). Each removes a start-up cost that a maildig run does not need:
const lazy = (file, name, expression) => ({
  file,
  find: `const ${name} = ${expression};`,
  replace: `const ${name} = __maildigLazy(() => ${expression});`,
})
const OCLIF_EDITS = [
  {
    // Plugin#load sorts the manifest's commands with localeCompare, whose first call starts ICU's collator (about
    // 15 ms). Command ids are ASCII ([a-z0-9-]), for which code-point order is the same order.
    file: 'node_modules/@oclif/core/lib/config/plugin.js',
    find: '.sort((a, b) => a.id.localeCompare(b.id));',
    replace: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
  {
    // Config#load asks whether this Linux is WSL (wsl-utils, is-wsl, is-docker: about 3 ms of modules and file reads
    // under /proc) for config.platform, which only oclif's plugin installers and autocomplete read; maildig reads
    // neither, so config.platform is Node's process.platform.
    file: 'node_modules/@oclif/core/lib/util/os.js',
    find: "return (await import('wsl-utils')).isWsl ? 'wsl' : (0, node_os_1.platform)();",
    replace: 'return (0, node_os_1.platform)();',
  },
  {
    // oclif reads a handful of small files as it starts (the manifest, a theme) through fs/promises, whose loading
    // pulls in readline (about 2 ms) and whose reads wait on the thread pool: the same reads, synchronous, behind the
    // same asynchronous functions.
    file: 'node_modules/@oclif/core/lib/util/fs.js',
    find: 'const promises_1 = require("node:fs/promises");',
    replace: 'const promises_1 = {stat: async (path) => (0, node_fs_1.statSync)(path), readFile: async (path, options) => (0, node_fs_1.readFileSync)(path, options)};',
  },
  // Modules that oclif requires when it loads but uses only on paths a maildig run with a manifest never takes
  // (finding commands without a manifest, plugin patterns, templates, spinners, Windows shells, flags read from
  // stdin): required on first use instead (__maildigLazy, in the bundle's banner).
  lazy('node_modules/@oclif/core/lib/config/plugin.js', 'tinyglobby_1', 'require("tinyglobby")'),
  lazy('node_modules/@oclif/core/lib/config/plugin-loader.js', 'minimatch_1', 'require("minimatch")'),
  lazy('node_modules/@oclif/core/lib/config/config.js', 'ejs_1', '__importDefault(require("ejs"))'),
  lazy('node_modules/@oclif/core/lib/help/util.js', 'ejs_1', '__importDefault(require("ejs"))'),
  lazy('node_modules/@oclif/core/lib/module-loader.js', 'getPackageType', "require('get-package-type')"),
  lazy('node_modules/@oclif/core/lib/util/os.js', 'node_child_process_1', 'require("node:child_process")'),
  lazy('node_modules/@oclif/core/lib/parser/parse.js', 'node_readline_1', 'require("node:readline")'),
  lazy('node_modules/@oclif/core/lib/ux/action/spinner.js', 'cli_spinners_1', '__importDefault(require("cli-spinners"))'),
  lazy('node_modules/@oclif/core/lib/util/read-pjson.js', 'lilconfig_1', 'require("lilconfig")'),
  // Colours and layout for help, spinners, themes and oclif's own error boxes: ansis, wrap-ansi (with ansi-styles and
  // color-convert), string-width and company start up in about 2 ms, and maildig's commands print through chalk.
  ...['ux/theme.js', 'ux/action/spinner.js', 'help/index.js', 'help/command.js', 'help/root.js', 'help/formatter.js'].map((file) =>
    lazy(`node_modules/@oclif/core/lib/${file}`, 'ansis_1', '__importDefault(require("ansis"))'),
  ),
  lazy('node_modules/@oclif/core/lib/ux/action/spinner.js', 'ansiEscapes', "require('ansi-escapes')"),
  // oclif's own colour detection (the supports-color package, with os and tty) serves only its themed output: help and
  // error boxes.
  lazy('node_modules/@oclif/core/lib/ux/theme.js', 'supports_color_1', 'require("./supports-color")'),
  ...['errors/errors/cli.js', 'errors/errors/pretty-print.js', 'help/formatter.js'].flatMap((file) => [
    lazy(`node_modules/@oclif/core/lib/${file}`, 'wrap_ansi_1', '__importDefault(require("wrap-ansi"))'),
    lazy(`node_modules/@oclif/core/lib/${file}`, 'indent_string_1', '__importDefault(require("indent-string"))'),
  ]),
  lazy('node_modules/@oclif/core/lib/help/formatter.js', 'string_width_1', '__importDefault(require("string-width"))'),
  lazy('node_modules/@oclif/core/lib/help/formatter.js', 'widest_line_1', '__importDefault(require("widest-line"))'),
  ...['errors/errors/cli.js', 'errors/handle.js'].map((file) => lazy(`node_modules/@oclif/core/lib/${file}`, 'clean_stack_1', '__importDefault(require("clean-stack"))')),
  lazy('node_modules/@oclif/core/lib/config/ts-path.js', 'promises_1', 'require("node:fs/promises")'),
  // oclif's performance markers (OCLIF_PERFORMANCE) need perf_hooks only when they are on; loading it costs ten modules.
  lazy('node_modules/@oclif/core/lib/performance.js', 'node_perf_hooks_1', 'require("node:perf_hooks")'),
  // oclif logs through the debug package, which prints only for namespaces in DEBUG; loading it (with tty, util and
  // its colour detection) costs every run about 2 ms. Without DEBUG a logger is a function that does nothing, and the
  // package loads only when DEBUG is set (DEBUG=oclif* maildig … prints oclif's log as before).
  lazy('node_modules/@oclif/core/lib/logger.js', 'debug_1', '__importDefault(require("debug"))'),
  {
    file: 'node_modules/@oclif/core/lib/logger.js',
    find: 'const debug = (0, debug_1.default)(namespace);',
    replace: 'const debug = process.env.DEBUG ? (0, debug_1.default)(namespace) : () => {};',
  },
  lazy('node_modules/@oclif/core/lib/util/read-tsconfig.js', 'promises_1', 'require("node:fs/promises")'),
  // A direct run of a command (src/cli/direct.ts) uses oclif's Command, parser, flags, errors and output, not its
  // configuration (config.js, plugins, ts-path), help (classes, formatter, docopts) or main loop (main.js, execute.js):
  // those load when first used, on oclif's own path (help, completion, a name that is no command), instead of at
  // every start.
  ...['config', 'execute', 'help', 'main'].map((name) => ({
    file: 'node_modules/@oclif/core/lib/index.js',
    find: `var ${name}_1 = require("./${name}");`,
    replace: `var ${name}_1 = __maildigLazy(() => require("./${name}"));`,
  })),
  // oclif's module loader, and its flag constraints, which maildig's commands do not use.
  ...['ModuleLoader = __importStar(require("./module-loader"))', 'Constraints = __importStar(require("./constraints"))'].map((assignment) => {
    const [name, expression] = assignment.split(' = ')
    return {file: 'node_modules/@oclif/core/lib/index.js', find: `exports.${assignment};`, replace: `exports.${name} = __maildigLazy(() => ${expression});`}
  }),
  {
    // oclif reads its own version from its package.json, which esbuild inlines whole (an object of 27 KiB built at
    // every start): the version, written in at build time.
    file: 'node_modules/@oclif/core/lib/cache.js',
    find: "return { name: '@oclif/core', version: require('@oclif/core/package.json').version };",
    replace: `return { name: '@oclif/core', version: ${JSON.stringify(JSON.parse(readFileSync('node_modules/@oclif/core/package.json', 'utf8')).version)} };`,
  },
  lazy('node_modules/@oclif/core/lib/command.js', 'config_1', 'require("./config")'),
  lazy('node_modules/@oclif/core/lib/command.js', 'util_1', 'require("./help/util")'),
  lazy('node_modules/@oclif/core/lib/flags.js', 'help_1', 'require("./help")'),
  lazy('node_modules/@oclif/core/lib/errors/handle.js', 'index_1', 'require("../help/index")'),
]
// A module's exports, required when a property is first read (every use of the edited names above is a property
// read: (0, x_1.f)(…), x_1.default.f(…)).
const LAZY_HELPER = 'var __maildigLazy=(load)=>{let m;return new Proxy({},{get:(_,key)=>(m??=load())[key]})};'
// performance.now() in maildig's code (durations, deadlines, the transcript's clock) reads the same monotonic clock through
// process.hrtime(): Node's global `performance` loads ten perf_hooks modules on first use (about 1 ms of a start). The
// build's define turns each performance.now into __maildigNow.
const NOW_HELPER = 'var __maildigNow=()=>{const t=process.hrtime();return t[0]*1e3+t[1]/1e6};'


/** The esbuild plugin that makes OCLIF_EDITS in the files a build loads; `made` collects the edits made (checked after the builds). */
const oclifEdits = (made) => ({
  name: 'oclif-edits',
  setup(build) {
    for (const file of new Set(OCLIF_EDITS.map((e) => e.file))) {
      // The file as esbuild names it, with either separator (Windows): …/@oclif/core/lib/config/plugin.js
      const tail = file.replace(/^node_modules\//, '').replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('/', '[\\\\/]')
      build.onLoad({filter: new RegExp(`[\\\\/]${tail}$`), namespace: 'file'}, (args) => {
        let text = readFileSync(args.path, 'utf8')
        for (const edit of OCLIF_EDITS.filter((e) => e.file === file)) {
          const count = text.split(edit.find).length - 1
          if (count !== 1) throw new Error(`build: ${file} has ${count} copies of ${JSON.stringify(edit.find)}, not 1: review OCLIF_EDITS`)
          text = text.replace(edit.find, () => edit.replace)
          made.add(edit)
        }
        return {contents: text, loader: 'js'}
      })
    }
  },
})

/** The options every script of the CLI is built with. */
const SCRIPT_OPTIONS = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Whitespace and syntax only: names stay as written (stack traces, Function.name).
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  legalComments: 'none',
  logLevel: 'warning',
  define: {'performance.now': '__maildigNow'},
  banner: {js: NOW_HELPER},
}

/**
 * A part's imports of modules that the core has: each becomes `module.exports = __maildigCore(path)`, the core's own
 * instance of that module (its exports object, live bindings included), so that no module runs twice in a process.
 * Each such path is added to `used` (the core's `shared` table).
 */
function coreModules(inCore, used) {
  return {
    name: 'core-modules',
    setup(build) {
      build.onResolve({filter: /.*/}, async (args) => {
        if (args.pluginData?.resolving || args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined
        const found = await build.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {resolving: true}})
        if (found.errors.length > 0 || found.external) return undefined
        const path = relative(process.cwd(), found.path).split(sep).join('/')
        // Anything else esbuild resolves as it would without this plugin (package sideEffects included).
        if (!inCore.has(path)) return undefined
        used.add(path)
        return {path, namespace: 'maildig-core'}
      })
      build.onLoad({filter: /.*/, namespace: 'maildig-core'}, (args) => ({contents: `module.exports = ${CORE}(${JSON.stringify(args.path)})`, loader: 'js'}))
    },
  }
}

/**
 * An import of one of EXTRA_PACKAGES becomes `module.exports = __maildigExtra(path)`: that module of dist/extra.cjs,
 * loaded on first use. `paths` collects each module so named (path in the tree → absolute path), for the extra's build.
 */
function extraModules(paths) {
  const filter = new RegExp(`^(${EXTRA_PACKAGES.map((name) => name.replaceAll(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(/|$)`)
  return {
    name: 'extra-modules',
    setup(build) {
      build.onResolve({filter}, async (args) => {
        if (args.pluginData?.resolving || !EXTRA_PACKAGES.includes(packageName(args.path))) return undefined
        const found = await build.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {resolving: true}})
        if (found.errors.length > 0 || found.external) return undefined
        const path = relative(process.cwd(), found.path).split(sep).join('/')
        paths.set(path, found.path)
        return {path, namespace: 'maildig-extra'}
      })
      // oclif's requires of its own modules (relative) that EXTRA_OCLIF names.
      build.onResolve({filter: /^\.\.?\//}, async (args) => {
        if (args.pluginData?.resolving || !/[\\/]@oclif[\\/]core[\\/]lib[\\/]/.test(args.importer)) return undefined
        const found = await build.resolve(args.path, {kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: {resolving: true}})
        if (found.errors.length > 0 || found.external) return undefined
        const path = relative(process.cwd(), found.path).split(sep).join('/')
        if (!EXTRA_OCLIF.test(path)) return undefined
        paths.set(path, found.path)
        return {path, namespace: 'maildig-extra'}
      })
      build.onLoad({filter: /.*/, namespace: 'maildig-extra'}, (args) => ({contents: `module.exports = ${EXTRA}(${JSON.stringify(args.path)})`, loader: 'js'}))
    },
  }
}

/**
 * The source of a built script as the loader runs it: import(x) as __maildigImport(x), all ASCII, inside the wrapper.
 * Fails the build on what must not be in a script.
 */
function finishScript(file, {vendor = false} = {}) {
  // import() does not work in a vm.Script on Node 20 (a function callback needs --experimental-vm-modules, and a script
  // compiled from a code cache loses its callback), so each import(x) becomes __maildigImport(x): the loader passes
  // its own import(), which resolves the same specifiers (packages, node: builtins, file URLs) from the same folder.
  let source = readFileSync(file, 'utf8')
  if (source.includes(IMPORT)) throw new Error(`build: ${file} already uses ${IMPORT}`)
  const eager = vendor ? null : new RegExp(`require\\("(${LAZY_PACKAGES.join('|')})[/"]`).exec(source)
  if (eager) throw new Error(`build: ${eager[1]} is imported statically; import it with import() where it is used`)
  // zod describes the JSON documents (the schema files, for the docs generator); a run checks flags with plain functions
  // (src/cli/validate.ts). Loading zod's first schemas cost every run about 2 ms.
  if (source.includes('node_modules/zod/')) throw new Error(`build: zod is in ${file}: import a schema file only as a type (import type), and check flag values without zod`)
  const [imports] = parse(source)
  const dynamic = imports.filter((i) => i.d > -1).sort((a, b) => b.ss - a.ss)
  for (const i of dynamic) {
    if (source.slice(i.ss, i.ss + 6) !== 'import') throw new Error(`build: no import() at ${i.ss} of ${file}`)
    source = `${source.slice(0, i.ss)}${IMPORT}${source.slice(i.ss + 6)}`
  }
  if (!vendor) source = withoutInteropCopies(source, file)
  // All ASCII, so that the loader can read it as latin1 (faster than decoding UTF-8, and a one-byte string for
  // V8). esbuild escapes everything but the insides of regular expression literals, where \uXXXX means the same.
  source = source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  // Written inside the CommonJS wrapper the loader calls (its parameters are the loader's arguments), on the first line
  // so that line numbers in stack traces stay right: V8 then compiles the file's text as it is read, where wrapping it
  // at start made a second long string.
  writeFileSync(file, `${BUNDLE_WRAPPER}${source}\n})`)
  return {source, dynamic: dynamic.length}
}

async function bundle() {
  const started = performance.now()
  rmSync('dist', {recursive: true, force: true})
  await init
  const ids = readdirSync('src/commands').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3)).sort()

  // The core: oclif, the entry, help and the command-not-found hook, with every module they import. Built once to learn
  // its modules, then again with `shared`, which hands each of them to the parts.
  const coreEntry = [
    "export {run} from './cli/main.js'",
    "export {endWhenDone} from './cli/end.js'",
    // maildig's help class (oclif's Help, its formatter and layout) runs its module only when oclif asks for help.
    "export const loadHelp = () => require('./cli/help.js').default",
    "export {commandNotFound} from './cli/command-not-found.js'",
    // What every command stands on (the flags, the renderers, the findings…): in the core, not in each part.
    "export {MaildigCommand} from './cli/base-command.js'",
    `export const ids = ${JSON.stringify(ids)}`,
  ]
  const extraPaths = new Map()
  // OCLIF_EDITS made in the core's and the extra's builds (each edited file is in one of them).
  const editsMade = new Set()
  const coreBuild = (shared) =>
    build({
      ...SCRIPT_OPTIONS,
      stdin: {contents: [...coreEntry, ...shared].join('\n'), resolveDir: 'src', sourcefile: 'maildig-core.ts', loader: 'ts'},
      outfile: 'dist/maildig.cjs',
      plugins: [oclifEdits(editsMade), extraModules(extraPaths)],
      banner: {js: `${NOW_HELPER}${LAZY_HELPER}`},
      metafile: true,
    })
  const scan = await coreBuild([])
  const inCore = new Set(Object.keys(scan.metafile.inputs).filter((path) => !path.startsWith('<') && !path.startsWith('maildig-extra:') && path !== 'src/maildig-core.ts'))
  // Every module of every script, for the third-party notices (NOTICES below).
  const bundled = new Set(inCore)
  // The core modules that the parts and the extra take from the core (coreModules records them): only those are in the
  // core's `shared` table, since each module a CommonJS require takes needs a namespace object (one getter per export)
  // built at every start.
  const sharedPaths = new Set()

  // One part per command: its own modules, and the core's through __maildigCore. A run loads the core and one part.
  mkdirSync('dist/parts')
  const parts = await Promise.all(
    ids.map(async (id) => {
      const file = `dist/parts/${id}.cjs`
      const result = await build({
        ...SCRIPT_OPTIONS,
        stdin: {contents: `export {default} from './commands/${id}.js'`, resolveDir: 'src', sourcefile: `maildig-${id}.ts`, loader: 'ts'},
        outfile: file,
        plugins: [extraModules(extraPaths), coreModules(inCore, sharedPaths)],
        metafile: true,
      })
      for (const path of Object.keys(result.metafile.inputs)) bundled.add(path)
      const twice = Object.keys(result.metafile.inputs).filter((path) => inCore.has(path))
      if (twice.length > 0) throw new Error(`build: ${file} has its own copy of core modules: ${twice.join(', ')}`)
      return {file, ...finishScript(file)}
    }),
  )

  // The extra: each module that the core or a part named through __maildigExtra, with what it imports (the core's modules
  // from the core).
  const extra = await build({
    ...SCRIPT_OPTIONS,
    stdin: {
      contents: ['export const modules = {', ...[...extraPaths].sort().map(([path, absolute]) => `  ${JSON.stringify(path)}: () => require(${JSON.stringify(absolute)}),`), '}'].join('\n'),
      resolveDir: 'src',
      sourcefile: 'maildig-extra.ts',
      loader: 'ts',
    },
    outfile: 'dist/extra.cjs',
    plugins: [oclifEdits(editsMade), coreModules(inCore, sharedPaths)],
    // OCLIF_EDITS' lazy requires are in oclif's modules here too.
    banner: {js: `${NOW_HELPER}${LAZY_HELPER}`},
    metafile: true,
  })
  for (const path of Object.keys(extra.metafile.inputs)) bundled.add(path)
  const inBoth = Object.keys(extra.metafile.inputs).filter((path) => inCore.has(path))
  if (inBoth.length > 0) throw new Error(`build: dist/extra.cjs has its own copy of core modules: ${inBoth.join(', ')}`)
  const extraScript = {file: 'dist/extra.cjs', ...finishScript('dist/extra.cjs')}

  const extraNamed = extraPaths.size
  await coreBuild([
    // require(), so that a module is there as soon as a part asks for it; each runs at most once, as in the core.
    'export const shared = {',
    ...[...sharedPaths].sort().map((path) => `  ${JSON.stringify(path)}: () => require(${JSON.stringify(resolve(path))}),`),
    '}',
  ])
  if (extraPaths.size !== extraNamed) throw new Error('build: the core named a module of dist/extra.cjs that its first build did not')
  const missed = OCLIF_EDITS.filter((edit) => !editsMade.has(edit))
  if (missed.length > 0) throw new Error(`build: ${missed.map((e) => e.file).join(', ')} not in the bundle: review OCLIF_EDITS`)
  const scripts = [{file: 'dist/maildig.cjs', ...finishScript('dist/maildig.cjs')}, ...parts, extraScript]

  // The vendor scripts: each package as it is (none of maildig's modules, no build define), its dependencies bundled in.
  mkdirSync('dist/vendor')
  const vendors = await Promise.all(
    Object.entries(VENDOR).map(async ([name, specifiers]) => {
      const file = `dist/vendor/${name}.cjs`
      const result = await build({
        ...SCRIPT_OPTIONS,
        external: ['typescript'],
        define: {},
        metafile: true,
        stdin: {contents: `module.exports = {\n${specifiers.map((s) => `  ${JSON.stringify(s)}: () => require(${JSON.stringify(s)}),`).join('\n')}\n}\n`, resolveDir: process.cwd(), sourcefile: `maildig-vendor-${name}.js`, loader: 'js'},
        outfile: file,
      })
      for (const path of Object.keys(result.metafile.inputs)) bundled.add(path)
      return {file, ...finishScript(file, {vendor: true})}
    }),
  )
  scripts.push(...vendors)
  const packages = writeNotices(bundled)

  // The loader knows which V8 made the build's code caches, and which build it loads (the key of a user's own caches).
  const hash = createHash('sha256')
  for (const {source} of scripts) hash.update(source)
  const buildId = hash.digest('hex').slice(0, 16)
  const loader = readFileSync('scripts/bundle-loader.cjs', 'utf8')
  if (!loader.includes("'__MAILDIG_BUILD_V8__'") || !loader.includes("'__MAILDIG_BUILD_ID__'") || !loader.includes("'__MAILDIG_VENDORED__'")) throw new Error('build: the loader has no build placeholders')
  const vendored = Object.fromEntries(Object.entries(VENDOR).flatMap(([name, specifiers]) => specifiers.map((s) => [s, name])))
  writeFileSync(
    'dist/maildig-loader.cjs',
    loader
      .replace("'__MAILDIG_BUILD_V8__'", JSON.stringify(process.versions.v8))
      .replace("'__MAILDIG_BUILD_ID__'", JSON.stringify(buildId))
      .replace("'__MAILDIG_VENDORED__'", JSON.stringify(vendored)),
  )

  mkdirSync('dist/commands')
  for (const id of ids) {
    writeFileSync(`dist/commands/${id}.cjs`, `// Generated by scripts/build.mjs: the command class is in ../parts/${id}.cjs.\nmodule.exports = require('../maildig-loader.cjs').commands[${JSON.stringify(id)}]()\n`)
  }

  writeFileSync('dist/help.cjs', "// Generated by scripts/build.mjs: maildig's help class (src/cli/help.ts) is in maildig.cjs.\nmodule.exports = require('./maildig-loader.cjs').Help\n")

  // For scripts/gen-docs.mjs (npm run docs): the docs generator as an ES module, packages imported from node_modules.
  await build({
    entryPoints: ['src/lib/docs/generate.ts'],
    outfile: 'dist/lib/docs/generate.js',
    bundle: true,
    packages: 'external',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'warning',
  })

  const kib = (file) => `${(Buffer.byteLength(scripts.find((s) => s.file === file).source) / 1024).toFixed(0)} KiB`
  const dynamic = scripts.reduce((sum, s) => sum + s.dynamic, 0)
  console.log(`build: dist/maildig.cjs (${kib('dist/maildig.cjs')}), ${ids.length} command parts (mx ${kib('dist/parts/mx.cjs')}, trace ${kib('dist/parts/trace.cjs')}), dist/extra.cjs (${kib('dist/extra.cjs')}) and ${Object.keys(VENDOR).length} vendor scripts (${Object.keys(VENDOR).map((name) => `${name} ${kib(`dist/vendor/${name}.cjs`)}`).join(', ')}); ${dynamic} dynamic imports; notices of ${packages} bundled packages; in ${(performance.now() - started).toFixed(0)} ms`)
}

/** Where the notices of the packages bundled into the scripts go (package.json `files` ships it). */
const NOTICES = 'dist/THIRD-PARTY-NOTICES.md'

/**
 * Writes NOTICES: for each package that a script bundled (oclif, chalk, dns-packet, imapflow and its dependencies…), its
 * name, version, licence and licence text, as their licences (MIT, ISC, BSD, Apache-2.0) ask of a copy that is passed
 * on; the scripts themselves keep no comments. Fails the build for a bundled package that names no licence.
 * Returns how many packages it lists.
 */
function writeNotices(paths) {
  const roots = new Set()
  for (const input of paths) {
    // Inputs in esbuild's namespaces of this build (maildig-core:…, maildig-extra:…) are stand-ins for the same files.
    const path = input.replace(/^[\w-]+:/, '')
    const at = path.lastIndexOf('node_modules/')
    if (at < 0) continue
    const parts = path.slice(at + 'node_modules/'.length).split('/')
    roots.add(path.slice(0, at) + 'node_modules/' + parts.slice(0, parts[0].startsWith('@') ? 2 : 1).join('/'))
  }
  const entries = []
  for (const root of [...roots].sort()) {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8'))
    const licence = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type ?? pkg.licenses?.map((l) => l.type ?? l).join(' OR ')
    if (!licence) throw new Error(`build: ${pkg.name} (${root}) is bundled and names no licence: check it may be, and say so here`)
    // LICENSE, LICENSE.md, LICENSE-MIT.txt, LICENSE.MIT and LICENSE.EUPL-1.2 (a choice of licences: each is given)…, and
    // a NOTICE file, which Apache-2.0 asks to pass on.
    const files = readdirSync(root).filter((f) => /^(licen[cs]e|copying|notice)([-.][\w.-]+)?$/i.test(f)).sort()
    const text = files.length > 0 ? files.map((f) => readFileSync(`${root}/${f}`, 'utf8').trim()).join('\n\n') : `(The package ships no licence file; its package.json names ${licence}.)`
    entries.push(`## ${pkg.name} ${pkg.version}\n\nLicence: ${licence}${pkg.homepage ? ` · ${pkg.homepage}` : ''}\n\n\`\`\`\`text\n${text}\n\`\`\`\``)
  }
  const unique = [...new Set(entries)]
  writeFileSync(
    NOTICES,
    `# Third-party notices\n\nmaildig's scripts in dist/ bundle these packages (npm run build, scripts/build.mjs). Their licences and notices\nfollow, as they ask of a copy that is passed on.\n\n${unique.join('\n\n')}\n`,
  )
  return unique.length
}

/**
 * Writes dist/maildig.cjs.cache: V8's code cache of the bundle, taken after this process ran the CLI offline a few times
 * (help, usage errors, trace and send --dry-run on the examples, mx against a DNS responder in this process and against
 * a resolver that does not answer), so that it holds the functions a run compiles. Not --help: with help's functions
 * (templates, layout) in the cache, mx started about 5 ms slower, and help about 10 ms faster, which no one reading it
 * notices. One cache for all commands: caches per command (each of that command's functions only) measured no faster
 * for mx. Another Node (another V8) rejects it and compiles from source as before.
 */
async function codeCache() {
  const started = performance.now()
  for (const folder of ['dist/parts', 'dist/vendor']) for (const file of readdirSync(folder)) if (file.endsWith('.cache')) rmSync(`${folder}/${file}`, {force: true})
  rmSync('dist/maildig.cjs.cache', {force: true})
  // oclif reads and parses its manifest at every start: written without indentation (62 KiB, not 83) and in ASCII
  // (\uXXXX for the few other characters, the same JSON), Node reads it into a one-byte string, which JSON.parse goes
  // through faster than a two-byte one.
  const manifest = JSON.stringify(JSON.parse(readFileSync('oclif.manifest.json', 'utf8')))
  writeFileSync('oclif.manifest.json', manifest.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
  const {run, writeCodeCaches} = createRequire(import.meta.url)('../dist/maildig-loader.cjs')
  const root = fileURLToPath(new URL('..', import.meta.url))
  const dns = await startBuildDns()
  const resolver = `127.0.0.1:${dns.address().port}`
  const runs = [
    // mx as it usually goes: answers decoded, the table rendered, in both outputs.
    ['mx', 'mail.test', '--resolver', resolver],
    ['mx', 'mail.test', '--resolver', resolver, '--json'],
    ['mx'],
    ['mx', 'mail.test', '--nope'],
    ['trace', '--message', 'examples/skewed-clock.eml'],
    ['send', '--dry-run', '--from', 'a@b.test', '--to', 'c@d.test'],
    ['mx', 'mail.invalid', '--resolver', '127.0.0.1:9', '--timeout', '1s', '--json'],
    ['mx', 'mail.invalid', '--resolver', '127.0.0.1:9', '--timeout', '1s'],
  ]
  const {stdout, stderr} = process
  const write = {stdout: stdout.write, stderr: stderr.write}
  stdout.write = stderr.write = (_chunk, encoding, callback) => {
    const done = typeof encoding === 'function' ? encoding : callback
    if (done) process.nextTick(done)
    return true
  }
  try {
    for (const argv of runs) await run(root, argv)
  } finally {
    stdout.write = write.stdout
    stderr.write = write.stderr
    dns.close()
  }
  process.exitCode = 0
  const sizes = writeCodeCaches()
  const kib = (name) => `${(sizes[name] / 1024).toFixed(0)} KiB`
  console.log(`build: code caches of dist/maildig.cjs (${kib('maildig')}), its parts (mx ${kib('parts/mx')}, trace ${kib('parts/trace')}), dist/extra.cjs (${kib('extra')}) and the vendor scripts (${Object.keys(VENDOR).map((name) => `${name} ${kib(`vendor/${name}`)}`).join(', ')}) in ${(performance.now() - started).toFixed(0)} ms`)
}

/** A DNS responder on 127.0.0.1 for the code cache's mx runs: mail.test with two exchanges, addresses and PTRs. */
async function startBuildDns() {
  const [{createSocket}, packet] = await Promise.all([import('node:dgram'), import('dns-packet')])
  const socket = createSocket('udp4')
  socket.on('message', (message, peer) => {
    const query = packet.decode(message)
    const {name, type} = query.questions[0]
    const answers = []
    if (name === 'mail.test' && type === 'MX') {
      answers.push({type, name, ttl: 60, data: {preference: 10, exchange: 'mx1.mail.test'}}, {type, name, ttl: 60, data: {preference: 20, exchange: 'mx2.mail.test'}})
    }
    const host = /^mx(\d)\.mail\.test$/.exec(name)
    if (host && type === 'A') answers.push({type, name, ttl: 60, data: `192.0.2.${host[1]}`})
    if (host && type === 'AAAA') answers.push({type, name, ttl: 60, data: `2001:db8::${host[1]}`})
    const ptr = /^(\d)\.2\.0\.192\.in-addr\.arpa$/.exec(name)
    if (ptr && type === 'PTR') answers.push({type, name, ttl: 60, data: `mx${ptr[1]}.mail.test`})
    socket.send(packet.encode({type: 'response', id: query.id, flags: packet.RECURSION_AVAILABLE, questions: query.questions, answers}), peer.port, peer.address)
  })
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve))
  return socket
}

if (process.argv.includes('--code-cache')) await codeCache()
else await bundle()
