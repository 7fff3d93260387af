import {Args, Command} from '@oclif/core'
import {UsageError} from '../lib/errors.js'
import {completionScript, SHELLS, type CompletionCommand} from '../cli/completion.js'

export default class Completion extends Command {
  static override summary = 'Print a shell completion script for bash or zsh.'
  static override description = `Completes maildig's commands, their flags, and the values of flags that take one of a few words (--tls, --format…). The script is made from this maildig's own command list, so install it again after an upgrade.

Install for your user, in one command:
  bash:  maildig completion bash > ~/.local/share/bash-completion/completions/maildig
  zsh:   maildig completion zsh > ~/.zfunc/_maildig   (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)
Or for this shell only: eval "$(maildig completion bash)" (or zsh).`
  static override examples = ['<%= config.bin %> completion bash > ~/.local/share/bash-completion/completions/maildig', 'eval "$(<%= config.bin %> completion zsh)"']
  static override args = {shell: Args.string({description: 'bash or zsh.', required: true, options: [...SHELLS]})}

  public async run(): Promise<void> {
    let shell: string
    try {
      ;({
        args: {shell},
      } = await this.parse(Completion))
    } catch (error) {
      process.stderr.write(`✖ ${new UsageError((error as Error).message.split('\n')[0]).message} (see: maildig completion --help)\n`)
      process.exitCode = 2
      return
    }
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        id: c.id,
        summary: c.summary ?? '',
        flags: Object.entries(c.flags).map(([name, flag]) => ({
          name,
          char: flag.char,
          takesValue: flag.type === 'option',
          options: flag.type === 'option' && flag.options ? [...flag.options] : undefined,
        })),
      }))
    process.stdout.write(completionScript(shell as (typeof SHELLS)[number], this.config.bin, commands))
  }
}
