#!/usr/bin/env node
// `maildig --version` answers without loading the framework: startup time is a feature.
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.name}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // package.json's engines, checked here in one comparison: oclif's own check loads semver for it (about 7 ms).
  const NODE_MAJOR = 20
  if (Number(process.versions.node.split('.')[0]) < NODE_MAJOR) {
    process.emitWarning(`maildig needs Node.js ${NODE_MAJOR} or later; this is ${process.version}`)
  }
  process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  // The bundled CLI (npm run build, scripts/build.mjs): oclif and every command in one script, from V8's code cache.
  const {run} = await import('../dist/maildig.js')
  await run(import.meta.url)
}
