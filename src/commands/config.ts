import type {ChalkInstance} from 'chalk'
import {MaildigCommand, type Outcome, type RunContext} from '../cli/base-command.js'
import {authFlags, commonFlags, type FlagsOf} from '../cli/flags.js'
import {configReport} from '../cli/config.js'
import type {ConfigResult} from '../lib/config/schema.js'
import {renderConfig} from '../render/config.js'

export default class Config extends MaildigCommand<ConfigResult> {
  static override summary = 'Show where the configuration file is and which values are in force.'
  static override description = `maildig reads defaults for the flags you type every time (resolver, timeout, ca-file, user, ehlo, cert-days, server, from, transcript, quiet) from $MAILDIG_CONFIG, or $XDG_CONFIG_HOME/maildig/config, or ~/.config/maildig/config, with named profiles ([profile NAME], chosen with --profile or MAILDIG_PROFILE). Flags override the file, and so does the environment. Passwords are never read from it.

Example file:
  resolver = 127.0.0.53
  timeout = 15s

  [profile staging]
  resolver = 10.0.0.53
  ca-file = /etc/ssl/staging-ca.pem
  user = monitor@staging.example`
  static override examples = ['<%= config.bin %> config', '<%= config.bin %> config --profile staging --json']
  static override flags = {...commonFlags, user: authFlags.user}

  protected async work(_flags: FlagsOf<typeof Config>, _args: object, _context: RunContext): Promise<Outcome<ConfigResult>> {
    return {result: configReport(this.argv), findings: []}
  }

  protected renderHuman(outcome: Outcome<ConfigResult>, style: ChalkInstance): string {
    return renderConfig(style, outcome.result)
  }
}
