import {expect} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'

/** The MaildigError `promise` rejects with; the test fails when it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<MaildigError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure')
    },
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MaildigError)
  return error as MaildigError
}
