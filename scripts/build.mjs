// The build of the CLI. npm run build type-checks (tsc --noEmit), runs `node scripts/build.mjs`, then `oclif manifest`
// (against the files below), then `node scripts/build.mjs --code-cache`. Startup time is a feature (npm run bench): on
// Node 20 most of a cold start went into loading and compiling hundreds of small modules, hence:
//
//   dist/maildig.cjs          one esbuild bundle: @oclif/core, zod, chalk, dns-packet, the sources, every command (each
//                             command's modules run only when oclif imports that command)
//   dist/maildig.cjs.cache    V8's code cache for it, made at the end of the build after a few offline runs
//   dist/maildig.js           loads the bundle once per process, from the code cache when this Node's V8 accepts it
//   dist/commands/<id>.js     what the oclif manifest names and oclif imports: re-exports the command class of the bundle
//   dist/lib/docs/generate.js for scripts/gen-docs.mjs
//
// nodemailer, imapflow and ora stay outside the bundle, loaded by the commands that use them (dynamic import;
// the build fails if one is imported statically).
import {mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {build} from 'esbuild'
import {init, parse} from 'es-module-lexer'

const LAZY_PACKAGES = ['nodemailer', 'imapflow', 'ora']
// typescript: @oclif/core requires it only to read tsconfig.json in development (NODE_ENV=development or test).
const EXTERNAL = [...LAZY_PACKAGES, 'typescript']
const IMPORT = '__maildigImport'

// Exact, checked edits of @oclif/core's code as it goes into the bundle (the build fails if a text is not found once,
// as after an upgrade of @oclif/core). Each removes a start-up cost that maildig never needs:
const OCLIF_EDITS = [
  {
    // Plugin#load sorts the manifest's commands with localeCompare, whose first call starts ICU's collator (about
    // 15 ms). Command ids are ASCII ([a-z0-9-]), for which code-point order is the same order.
    file: 'node_modules/@oclif/core/lib/config/plugin.js',
    find: '.sort((a, b) => a.id.localeCompare(b.id));',
    replace: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
]

/** The esbuild plugin that makes OCLIF_EDITS, and fails the build if one of their files was not bundled. */
const oclifEdits = {
  name: 'oclif-edits',
  setup(build) {
    const made = new Set()
    build.onEnd(() => {
      const missed = OCLIF_EDITS.filter((edit) => !made.has(edit))
      if (missed.length > 0) throw new Error(`build: ${missed.map((e) => e.file).join(', ')} not in the bundle: review OCLIF_EDITS`)
    })
    for (const edit of OCLIF_EDITS) {
      const path = new URL(`../${edit.file}`, import.meta.url).pathname
      build.onLoad({filter: new RegExp(`${edit.file.replaceAll(/[./]/g, (c) => `\\${c}`)}$`)}, () => {
        const text = readFileSync(path, 'utf8')
        const count = text.split(edit.find).length - 1
        if (count !== 1) throw new Error(`build: ${edit.file} has ${count} copies of ${JSON.stringify(edit.find)}, not 1: review OCLIF_EDITS`)
        made.add(edit)
        return {contents: text.replace(edit.find, edit.replace), loader: 'js'}
      })
    }
  },
}

async function bundle() {
  const started = performance.now()
  rmSync('dist', {recursive: true, force: true})
  const ids = readdirSync('src/commands').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.slice(0, -3)).sort()
  const entry = [
    "export {run} from './cli/main.js'",
    'export const commands = {',
    ...ids.map((id) => `  ${JSON.stringify(id)}: () => import('./commands/${id}.js'),`),
    '}',
  ].join('\n')

  await build({
    stdin: {contents: entry, resolveDir: 'src', sourcefile: 'maildig-entry.ts', loader: 'ts'},
    outfile: 'dist/maildig.cjs',
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
    plugins: [oclifEdits],
  })

  // import() does not work in a vm.Script on Node 20 (a function callback needs --experimental-vm-modules, and a script
  // compiled from a code cache loses its callback), so each import(x) becomes __maildigImport(x): dist/maildig.js passes
  // its own import(), which resolves the same specifiers (packages, node: builtins, file URLs) from the same folder.
  let source = readFileSync('dist/maildig.cjs', 'utf8')
  if (source.includes(IMPORT)) throw new Error(`build: the bundle already uses ${IMPORT}`)
  const eager = new RegExp(`require\\("(${LAZY_PACKAGES.join('|')})[/"]`).exec(source)
  if (eager) throw new Error(`build: ${eager[1]} is imported statically; import it with import() where it is used`)
  await init
  const [imports] = parse(source)
  const dynamic = imports.filter((i) => i.d > -1).sort((a, b) => b.ss - a.ss)
  for (const i of dynamic) {
    if (source.slice(i.ss, i.ss + 6) !== 'import') throw new Error(`build: no import() at ${i.ss}`)
    source = `${source.slice(0, i.ss)}${IMPORT}${source.slice(i.ss + 6)}`
  }
  // All ASCII, so that dist/maildig.js can read it as latin1 (faster than decoding UTF-8, and a one-byte string for
  // V8). esbuild escapes everything but the insides of regular expression literals, where \uXXXX means the same.
  source = source.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  writeFileSync('dist/maildig.cjs', source)
  writeFileSync('dist/maildig.js', readFileSync('scripts/bundle-loader.js', 'utf8'))

  mkdirSync('dist/commands')
  for (const id of ids) {
    writeFileSync(`dist/commands/${id}.js`, `// Generated by scripts/build.mjs: the command class is in ../maildig.cjs.\nimport {commands} from '../maildig.js'\n\nexport default (await commands[${JSON.stringify(id)}]()).default\n`)
  }

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

  const kib = (Buffer.byteLength(source) / 1024).toFixed(0)
  console.log(`build: ${ids.length} commands in dist/maildig.cjs (${kib} KiB, ${dynamic.length} dynamic imports) in ${(performance.now() - started).toFixed(0)} ms`)
}

/**
 * Writes dist/maildig.cjs.cache: V8's code cache of the bundle, taken after this process ran the CLI offline a few times
 * (help, usage errors, trace and send --dry-run on the examples, an mx whose resolver does not answer), so that it holds
 * the functions a run compiles. Another Node (another V8) rejects it and compiles from source as before.
 */
async function codeCache() {
  const started = performance.now()
  rmSync('dist/maildig.cjs.cache', {force: true})
  const {run, writeCodeCache} = await import('../dist/maildig.js')
  const bin = new URL('../bin/run.js', import.meta.url).href
  const runs = [
    ['--help'],
    ['mx', '--help'],
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
    for (const argv of runs) await run(bin, argv)
  } finally {
    stdout.write = write.stdout
    stderr.write = write.stderr
  }
  process.exitCode = 0
  const size = writeCodeCache()
  console.log(`build: code cache of dist/maildig.cjs (${(size / 1024).toFixed(0)} KiB) in ${(performance.now() - started).toFixed(0)} ms`)
}

if (process.argv.includes('--code-cache')) await codeCache()
else await bundle()
