import {describe, expect, it} from 'vitest'
import {InvalidValueError, invalidValue} from '../../../src/lib/errors.js'
import {flagOfField, usageLineOf} from '../../../src/cli/flag-names.js'
import type {Pop3ListOptions} from '../../../src/lib/pop3/list.js'

const command = {flags: {port: {type: 'option'}, 'auth-mechanism': {type: 'option'}, 'wait-for-subject': {type: 'option'}, user: {type: 'option', env: 'MAILDIG_USER'}, header: {type: 'option'}}}

describe('the library names a field, the command line its flag', () => {
  it('turns a field into the flag that carries it', () => {
    expect(flagOfField('port', command, [])).toBe('--port')
    expect(flagOfField('authMechanism', command, [])).toBe('--auth-mechanism')
    expect(flagOfField('waitFor.subject', command, [])).toBe('--wait-for-subject')
    expect(flagOfField('headers', command, [])).toBe('--header')
    // A field this command has no flag for keeps its name.
    expect(flagOfField('limit', command, [])).toBe('limit')
  })

  it('names the environment variable when the value came from there', () => {
    expect(flagOfField('user', command, [], )).toBe('--user')
    const saved = process.env.MAILDIG_USER
    process.env.MAILDIG_USER = 'bob x'
    try {
      expect(flagOfField('user', command, [])).toBe('MAILDIG_USER')
      expect(flagOfField('user', command, ['--user', 'bob x'])).toBe('--user')
    } finally {
      if (saved === undefined) delete process.env.MAILDIG_USER
      else process.env.MAILDIG_USER = saved
    }
  })

  it('makes the one usage line', () => {
    const error = invalidValue<Pop3ListOptions>('port', '0 is not a port number (1–65535)')
    expect(error).toBeInstanceOf(InvalidValueError)
    expect(error.message).toBe('port: 0 is not a port number (1–65535)')
    expect(usageLineOf(error, command, []).message).toBe('--port: 0 is not a port number (1–65535)')
  })
})
