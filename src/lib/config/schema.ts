import * as z from 'zod'

/** `maildig config --json`: where the configuration file is and which values are in force (docs/cli.md "Configuration file"). */
export const configResultSchema = z.object({
  file: z.string().describe('the configuration file maildig reads ($MAILDIG_CONFIG, $XDG_CONFIG_HOME/maildig/config or ~/.config/maildig/config)'),
  exists: z.boolean(),
  profile: z.string().nullable().describe('the profile chosen with --profile or MAILDIG_PROFILE'),
  profiles: z.array(z.string()).describe('every profile the file names'),
  values: z
    .array(
      z.object({
        key: z.string(),
        value: z.string(),
        source: z.string().describe('"file:line", "environment MAILDIG_…", or "default"'),
      }),
    )
    .describe('each configuration key with the value a command would use and where it comes from'),
})

export type ConfigResult = z.infer<typeof configResultSchema>
