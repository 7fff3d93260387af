// npm pack / npm publish hooks (package.json prepack and postpack). The package.json that goes into the tarball is the
// one a user installs: it keeps no `prepare` script (which builds a clone on npm ci, and which npm 11 would name in an
// install-scripts warning on every user's install, although an installed package is built already) and no
// devDependencies (bundled into dist/maildig.cjs, or needed only to build and test). postpack puts the file back as it
// was; prepack refuses to run over a backup that an interrupted pack left, so the original is never lost.
import {copyFileSync, existsSync, readFileSync, renameSync, writeFileSync} from 'node:fs'

const BACKUP = '.package.json.before-pack'
const step = process.argv[2]
if (step === 'prepack') {
  if (existsSync(BACKUP)) throw new Error(`pack: ${BACKUP} exists (an interrupted pack?): compare it with package.json, keep the right one, delete the other`)
  copyFileSync('package.json', BACKUP)
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
  delete pkg.devDependencies
  for (const name of ['prepare', 'prepack', 'postpack', 'test', 'test:unit', 'typecheck', 'bench', 'docs', 'build']) delete pkg.scripts?.[name]
  if (pkg.scripts && Object.keys(pkg.scripts).length === 0) delete pkg.scripts
  writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`)
} else if (step === 'postpack') {
  if (existsSync(BACKUP)) renameSync(BACKUP, 'package.json')
} else {
  throw new Error('usage: node scripts/pack.mjs prepack|postpack')
}
