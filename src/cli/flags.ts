import {Flags} from '@oclif/core'

/**
 * Flags every command shares (docs/cli.md, "Shared flags"). Values arrive as strings and
 * are validated in one place (src/cli/options.ts), so every bad value gives the same one-line usage error.
 */
export const commonFlags = {
  json: Flags.boolean({description: 'Print exactly one JSON document on stdout (no colour, no spinner).', default: false}),
  resolver: Flags.string({
    description: 'DNS server for every lookup, including the addresses connections go to: IP, IP:PORT or [IPv6]:PORT. Repeatable.',
    env: 'MAILDIG_RESOLVER',
    multiple: true, multipleNonGreedy: true,
    helpValue: 'IP[:PORT]',
  }),
  timeout: Flags.string({
    description: 'Deadline for each stage (one DNS query, connect, greeting, each reply), e.g. 500ms, 10s, 2m.',
    env: 'MAILDIG_TIMEOUT',
    default: '10s',
    helpValue: 'DURATION',
  }),
  transcript: Flags.boolean({description: 'Show the protocol conversation (stderr in human mode, `transcript` in JSON).', default: false}),
  'ca-file': Flags.string({description: 'Extra trusted certificate authorities (PEM file). NODE_EXTRA_CA_CERTS also works.', helpValue: 'PEM'}),
  profile: Flags.string({description: 'Use this profile of the configuration file (see: maildig config).', env: 'MAILDIG_PROFILE', helpValue: 'NAME'}),
  quiet: Flags.boolean({char: 'q', description: 'Only the result: no spinner, no fix lines or info findings.', default: false}),
}

/** For commands that log in somewhere. The password is never a flag value (it would show in `ps` and shell history). */
export const authFlags = {
  user: Flags.string({description: 'Login name.', env: 'MAILDIG_USER', helpValue: 'NAME'}),
  'password-stdin': Flags.boolean({description: 'Read the password from standard input (otherwise MAILDIG_PASSWORD).', default: false}),
  'allow-insecure-auth': Flags.boolean({description: 'Send credentials even over plaintext or an unverified certificate.', default: false}),
}
