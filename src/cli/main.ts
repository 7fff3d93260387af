// The entry of the bundle (dist/maildig.cjs, see scripts/build.mjs): oclif's execute, with the same @oclif/core as the commands.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {execute} from '@oclif/core'

/** Runs the CLI from the package folder `root` (package.json, the manifest); `args` defaults to process.argv. */
export async function run(root: string, args?: string[]): Promise<void> {
  // Handing oclif package.json spares it finding and reading the file with asynchronous reads of its own.
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  // maildig has no plugins: oclif need not look for plugins a user installed (a read in its data folder).
  await execute({args: helpArgs(args ?? process.argv.slice(2)), loadOptions: {root, pjson, userPlugins: false, devPlugins: false}})
}

/**
 * `maildig help` and `maildig help COMMAND` as in git and npm (oclif answers them only with its help plugin installed,
 * which would be one more package to load): the same as `--help`. `-h` is oclif's additionalHelpFlags (package.json).
 */
export function helpArgs(args: string[]): string[] {
  if (args[0] !== 'help') return args
  return [...args.slice(1).filter((a) => a !== '--help' && a !== '-h'), '--help']
}
