// The Node.js binaries of other major versions that npm test and npm run bench run maildig on besides the current one
// (users run 22 and 24; these machines run 20). Prints one absolute path per major asked for, fetching the official
// binary when it is missing: the npm registry's node-<platform>-<arch> package is Node's own release binary, packed.
// Kept in .cache/node/<major>/ inside the repository (ignored by git), so a second run fetches nothing.
//   node scripts/node-versions.mjs 22 24
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, renameSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const majors = process.argv.slice(2)
if (majors.length === 0 || !majors.every((m) => /^\d+$/.test(m))) {
  console.error('usage: node scripts/node-versions.mjs MAJOR...')
  process.exit(2)
}
for (const major of majors) {
  const dir = join(root, '.cache', 'node', major)
  const bin = join(dir, 'bin', 'node')
  if (major === process.versions.node.split('.')[0]) {
    console.log(process.execPath)
    continue
  }
  if (!existsSync(bin)) {
    const pkg = `node-${process.platform}-${process.arch}@${major}`
    console.error(`node-versions: fetching ${pkg} from the npm registry`)
    mkdirSync(join(root, '.cache', 'node'), {recursive: true})
    const work = mkdtempSync(join(root, '.cache', 'node', `.fetch-${major}-`))
    try {
      const tarball = execFileSync('npm', ['pack', pkg, '--silent'], {cwd: work, encoding: 'utf8'}).trim().split('\n').pop()
      mkdirSync(join(work, 'node', 'bin'), {recursive: true})
      execFileSync('tar', ['xzf', tarball, '-C', join(work, 'node'), '--strip-components=1', 'package/bin/node'], {cwd: work})
      rmSync(dir, {recursive: true, force: true})
      renameSync(join(work, 'node'), dir)
    } finally {
      rmSync(work, {recursive: true, force: true})
    }
  }
  const version = execFileSync(bin, ['--version'], {encoding: 'utf8'}).trim()
  if (!version.startsWith(`v${major}.`)) throw new Error(`node-versions: ${bin} is ${version}, not Node ${major}`)
  console.log(bin)
}
