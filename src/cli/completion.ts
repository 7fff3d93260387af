/** Shell completion scripts, made from the command list (src/commands/completion.ts prints them). */
export const SHELLS = ['bash', 'zsh'] as const
export type Shell = (typeof SHELLS)[number]

export interface CompletionCommand {
  id: string
  summary: string
  flags: {name: string; char?: string; takesValue: boolean; options?: string[]}[]
}

export function completionScript(shell: Shell, bin: string, commands: CompletionCommand[]): string {
  return shell === 'bash' ? bashScript(bin, commands) : zshScript(bin, commands)
}

/** The function's name: the binary's name with anything a shell identifier cannot hold replaced. */
const fnName = (bin: string) => `_${bin.replace(/[^A-Za-z0-9_]/g, '_')}_complete`
/** Single-quoted for the shell (ids, flag names and options are ASCII words; summaries may hold anything). */
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`

function bashScript(bin: string, commands: CompletionCommand[]): string {
  const ids = commands.map((c) => c.id).sort()
  const flagCases = commands
    .map((c) => `    ${c.id}) flags=${quote(c.flags.flatMap((f) => [`--${f.name}`, ...(f.char ? [`-${f.char}`] : [])]).join(' '))} ;;`)
    .join('\n')
  const valueCases = commands
    .flatMap((c) => c.flags.filter((f) => f.options?.length).map((f) => `    ${c.id}:--${f.name}) COMPREPLY=($(compgen -W ${quote(f.options!.join(' '))} -- "$cur")); return ;;`))
    .join('\n')
  return `# bash completion for ${bin} (made by \`${bin} completion bash\`)
${fnName(bin)}() {
  local cur prev cmd flags
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${quote([...ids, 'help', '--help', '--version'].join(' '))} -- "$cur"))
    return
  fi
  if [ "$cmd" = help ]; then
    COMPREPLY=($(compgen -W ${quote(ids.join(' '))} -- "$cur"))
    return
  fi
  case "$cmd:$prev" in
${valueCases}
  esac
  case "$cmd" in
${flagCases}
    *) flags='' ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags --help" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o default -F ${fnName(bin)} ${bin}
`
}

function zshScript(bin: string, commands: CompletionCommand[]): string {
  const described = commands.map((c) => quote(`${c.id}:${c.summary.replace(/:/g, '\\:')}`)).join(' ')
  const cases = commands
    .map((c) => {
      const specs = c.flags.map((f) => {
        const value = f.takesValue ? (f.options?.length ? `:value:(${f.options.join(' ')})` : ':value:_files') : ''
        return quote(`--${f.name}[${f.name}]${value}`)
      })
      return `    ${c.id}) _arguments ${[...specs, quote('*:argument:_files')].join(' ')} ;;`
    })
    .join('\n')
  return `#compdef ${bin}
# zsh completion for ${bin} (made by \`${bin} completion zsh\`)
${fnName(bin)}() {
  local -a commands
  commands=(${described})
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=\${words[2]}
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases}
    help) _describe 'command' commands ;;
  esac
}
compdef ${fnName(bin)} ${bin}
`
}
