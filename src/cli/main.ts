// The entry of the bundle (dist/maildig.cjs, see scripts/build.mjs): a command started directly, or oclif's execute (same @oclif/core as the commands).
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {Errors, execute, flush} from '@oclif/core'
import {MaildigCommand} from './base-command.js'
import {DirectConfig} from './direct.js'

/** A command's class by its id (the loader's, from the command's part), or undefined for a name that is no command. */
export type CommandClassOf = (id: string) => unknown

/**
 * Runs the CLI from the package folder `root` (package.json, the manifest); `args` defaults to process.argv. With
 * `commandClass` (the loader's), a run of one of maildig's commands starts it directly (src/cli/direct.ts); anything
 * else goes through oclif.
 */
export async function run(root: string, args?: string[], commandClass?: CommandClassOf): Promise<void> {
  const argv = helpArgs(args ?? process.argv.slice(2))
  // Handing oclif package.json spares it finding and reading the file with asynchronous reads of its own.
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  const command = commandClass && directCommand(argv, pjson, commandClass)
  if (command) {
    // As oclif's execute ends a run: its output flushed, an error that escaped the command printed with its exit code.
    await command
      .run(argv.slice(1), new DirectConfig(root, pjson))
      .then(() => flush())
      .catch((error: Error) => Errors.handle(error))
    return
  }
  // maildig has no plugins: oclif need not look for plugins a user installed (a read in its data folder).
  await execute({args: argv, loadOptions: {root, pjson, userPlugins: false, devPlugins: false}})
}

/** A MaildigCommand class, as a direct run starts it. */
interface DirectCommand {
  id: string
  run(argv: string[], config: DirectConfig): Promise<unknown>
}

interface PackageJson {
  oclif?: {hooks?: Record<string, unknown>; additionalHelpFlags?: string[]}
}

/**
 * The command class a direct run starts, or undefined when the run is oclif's: `argv` names one of maildig's commands
 * built on MaildigCommand (not completion, which lists the commands), asks for no help, DEBUG asks for no oclif log,
 * and the package has no hook that oclif would run around a command (command_not_found runs only for a name that is
 * no command).
 */
function directCommand(argv: readonly string[], pjson: PackageJson, commandClass: CommandClassOf): DirectCommand | undefined {
  const [id] = argv
  if (id === undefined || id.startsWith('-')) return undefined
  if (Object.keys(pjson.oclif?.hooks ?? {}).some((hook) => hook !== 'command_not_found')) return undefined
  // Someone debugging oclif (DEBUG=oclif*, DEBUG=*, or oclif's own MAILDIG_DEBUG) gets oclif's whole run and its log.
  if (/oclif|\*/.test(process.env.DEBUG ?? '') || process.env.MAILDIG_DEBUG) return undefined
  const helpFlags = ['--help', ...(pjson.oclif?.additionalHelpFlags ?? [])]
  const end = argv.indexOf('--')
  if ((end === -1 ? argv : argv.slice(0, end)).some((a) => helpFlags.includes(a))) return undefined
  const found = commandClass(id)
  if (typeof found !== 'function' || !(found.prototype instanceof MaildigCommand)) return undefined
  const command = found as unknown as DirectCommand
  // oclif sets a command class's id when it loads the class from the manifest.
  command.id = id
  return command
}

/**
 * `maildig help` and `maildig help COMMAND` as in git and npm (oclif answers them only with its help plugin installed,
 * which would be one more package to load): the same as `--help`. `-h` is oclif's additionalHelpFlags (package.json).
 */
export function helpArgs(args: string[]): string[] {
  if (args[0] !== 'help') return args
  return [...args.slice(1).filter((a) => a !== '--help' && a !== '-h'), '--help']
}
