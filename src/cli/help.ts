import {Help} from '@oclif/core'
import {commandNotFound} from './command-not-found.js'
import {NAGIOS_EXIT_CODES} from './format.js'

/**
 * oclif's help, with what a newcomer looks for after the command list: examples to copy, the exit
 * codes scripts test, and where the documentation is (package.json `oclif.helpClass` names the stub
 * dist/help.cjs, which hands oclif this class from the bundle).
 */
export default class MaildigHelp extends Help {
  /** `maildig help prob-smtp` answers like `maildig prob-smtp`: the word typed and the nearest command, exit 2. */
  override async showHelp(argv: string[]): Promise<void> {
    const subject = argv.find((a) => !a.startsWith('-'))
    if (subject !== undefined && !this.config.findCommand(subject)) {
      commandNotFound({id: subject, argv, config: this.config})
      return
    }
    await super.showHelp(argv)
  }

  override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    this.log(this.section('EXAMPLES', ROOT_EXAMPLES.map(([what, line]) => `${this.render(what)}\n  $ ${line}`).join('\n\n')))
    this.log('')
    this.log(this.section('EXIT CODES', `${EXIT_CODE_TABLE.map(([code, meaning]) => `${String(code).padEnd(3)} ${meaning}`).join('\n')}\n${this.wrap(NAGIOS_EXIT_CODES)}`))
    this.log('')
    this.log(
      this.section(
        'MORE',
        this.wrap(
          'maildig COMMAND --help (or maildig help COMMAND) shows a command\'s flags and examples. Every command takes --json (one document, documented in docs/schema/) and --transcript (the protocol conversation). The reference, with every finding code and its fix: docs/cli.md and docs/findings.md (in the package and the repository). Shell completion: maildig completion --help.',
        ),
      ),
    )
  }
}

const ROOT_EXAMPLES: [string, string][] = [
  ['Where does mail for a domain go?', 'maildig mx example.org'],
  ['Does this SMTP server answer, with which TLS and certificate?', 'maildig probe-smtp mx.example.org'],
  ['The whole route to a recipient, measured hop by hop', 'maildig trace alice@example.org --from me@example.com'],
  ['The route a delivered message took (a saved message, offline)', 'maildig trace --message message.eml'],
  ['Send a test message through a submission server', 'MAILDIG_PASSWORD=… maildig send --server smtp.example.com --user me@example.com --from me@example.com --to you@example.org'],
]

/** docs/cli.md "Exit codes": the same numbers every command uses. */
const EXIT_CODE_TABLE: [number, string][] = [
  [0, 'fine: no error finding'],
  [1, 'the check found a problem (an error finding), or a recipient was rejected'],
  [2, 'usage: a bad flag or argument; nothing was sent'],
  [3, 'DNS: the name does not exist, or the resolver failed'],
  [4, 'connection refused, reset or closed'],
  [5, 'timeout: a stage did not finish within --timeout'],
  [6, 'TLS: handshake or STARTTLS failed'],
  [7, 'authentication failed or was refused'],
  [8, 'protocol: the server answered something that is not the protocol'],
  [74, 'the result could not be written (a full disk, a closed terminal)'],
  [130, 'interrupted (SIGINT); 143 for SIGTERM'],
]
