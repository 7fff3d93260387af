/**
 * A command run without oclif's configuration. oclif's Config.load reads the manifest (every command with its flags,
 * 62 KiB of JSON), the package's theme and hooks, and builds the command list, its permutations and topics, before it
 * looks up the one command a run names: about 4 ms and a quarter of a megabyte of objects of every start (the objects
 * that bring V8's second young-generation collection forward). A run of one of maildig's own commands needs none of
 * it: its class (from its part), the command line, and the few values that oclif's Command reads of its
 * configuration, which this class holds. Help, `maildig` alone, a name that is no command, and commands that read the
 * command list (completion) still go through oclif (src/cli/main.ts decides).
 */
export class DirectConfig {
  readonly name: string
  readonly bin: string
  readonly version: string
  readonly userAgent: string
  readonly topicSeparator = ' '
  readonly binAliases: string[] | undefined = undefined
  /** oclif's theme for its JSON output and spinners: maildig sets none. */
  readonly theme = undefined

  constructor(
    readonly root: string,
    readonly pjson: {name: string; version: string; oclif?: {bin?: string}},
  ) {
    this.name = pjson.name
    this.bin = pjson.oclif?.bin ?? pjson.name
    this.version = pjson.version
    this.userAgent = `${this.name}/${this.version} ${process.platform}-${process.arch} node-${process.version}`
  }

  /** oclif's environment variable for key k (MAILDIG_K), as its Config names them. */
  scopedEnvVarKey(k: string): string {
    return [this.bin, k].map((p) => p.replaceAll('@', '').replaceAll(/[/-]/g, '_')).join('_').toUpperCase()
  }

  scopedEnvVarKeys(k: string): string[] {
    return [this.scopedEnvVarKey(k)]
  }

  scopedEnvVar(k: string): string | undefined {
    return process.env[this.scopedEnvVarKey(k)]
  }

  /** A direct run is taken only when the package has no hook that would run in it (main.ts): none to run. */
  async runHook(): Promise<{successes: []; failures: []}> {
    return {successes: [], failures: []}
  }
}
