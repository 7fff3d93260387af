// The entry of the bundle (dist/maildig.cjs, see scripts/build.mjs): oclif's execute, with the same @oclif/core as the commands.
import {execute} from '@oclif/core'

/** Runs the CLI; `dir` is bin/run.js's URL (oclif finds package.json and the manifest from it), `args` defaults to process.argv. */
export async function run(dir: string, args?: string[]): Promise<void> {
  await execute({dir, args})
}
