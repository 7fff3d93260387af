import {describe, expect, it} from 'vitest'
import {commonFlags, FlagValueError, port, resolverServers, wordList} from '../../../src/cli/flags.js'

/** A flag's parser as oclif calls it: with the command-line token, or without one for a value from the environment. */
async function parse<T>(flag: {parse: (...a: never[]) => Promise<T>; name?: string}, name: string, input: string, fromEnv = false): Promise<T> {
  const call = flag.parse as unknown as (input: string, context: object, options: object) => Promise<T>
  return call(input, fromEnv ? {} : {token: {type: 'flag', flag: name, input}}, {...flag, name})
}

describe('typed flags', () => {
  it('parse into the values the library takes', async () => {
    expect(await parse(commonFlags.timeout, 'timeout', '1.5s')).toBe(1500)
    expect(await parse(port(), 'port', '587')).toBe(587)
    const two = [{host: '192.0.2.1', port: 53}, {host: '192.0.2.2', port: 5353}]
    expect(await parse(commonFlags.resolver, 'resolver', '192.0.2.1,192.0.2.2:5353')).toEqual(two)
    // --resolver given twice gives one list per flag; MAILDIG_RESOLVER one list: the same servers either way.
    expect(resolverServers([[two[0]], [two[1]]])).toEqual(two)
    expect(resolverServers(two)).toEqual(two)
    expect(await parse(wordList(['starttls', 'tls1.3'] as const)(), 'require', 'StartTLS, TLS1.3')).toEqual(['starttls', 'tls1.3'])
  })

  it('name the flag, or the environment variable the value came from', async () => {
    await expect(parse(commonFlags.timeout, 'timeout', 'abc')).rejects.toThrow(new FlagValueError('--timeout: "abc" is not a duration (write e.g. 500ms, 10s or 2m)'))
    const fromEnv = await parse(commonFlags.timeout, 'timeout', 'abc', true).catch((e: FlagValueError) => e.line)
    expect(fromEnv).toBe('MAILDIG_TIMEOUT: "abc" is not a duration (write e.g. 500ms, 10s or 2m)')
  })

  it('take the default --timeout from the library', async () => {
    const {DEFAULT_TIMEOUT_MS} = await import('../../../src/lib/net/deadline.js')
    expect(commonFlags.timeout.default).toBe(DEFAULT_TIMEOUT_MS)
  })
})
