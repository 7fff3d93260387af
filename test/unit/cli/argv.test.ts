import {describe, expect, it} from 'vitest'
import {canonicalChoices} from '../../../src/cli/argv.js'

// Option values are case-insensitive where the protocol is (issue 16): written in the flag's own spelling before oclif
// checks them.
const flags = {tls: {options: ['starttls', 'implicit', 'none']}, 'dsn-ret': {options: ['FULL', 'HDRS']}, subject: {}}

describe('canonicalChoices', () => {
  it('rewrites a choice in any case, as a separate or an inline value', () => {
    expect(canonicalChoices(['--tls', 'STARTTLS', '--dsn-ret=full'], flags)).toEqual(['--tls', 'starttls', '--dsn-ret=FULL'])
  })
  it('leaves other flags, unknown values, positional words and everything after -- alone', () => {
    expect(canonicalChoices(['host', '--subject', 'NONE', '--tls', 'Bogus', '--', '--tls', 'NONE'], flags)).toEqual(['host', '--subject', 'NONE', '--tls', 'Bogus', '--', '--tls', 'NONE'])
  })
})
