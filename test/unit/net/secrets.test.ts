import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {saslLoginStep, saslPlain, saslXoauth2} from '../../../src/lib/net/sasl.js'
import {everywhere, SECRET_MASK, Secrets, secretForms} from '../../../src/lib/net/secrets.js'
import {Transcript} from '../../../src/lib/net/transcript.js'

const PASSWORD = 'Canary-Pw-7f3a9c21e5b0Q!'
const halves = [PASSWORD.slice(0, 12), PASSWORD.slice(12)]

/** Whether any base64 run in `text`, decoded from each of its first 4 characters, shows half of the password. */
function leaksInBase64(text: string): boolean {
  for (const run of text.match(/[A-Za-z0-9+/]{8,}/g) ?? []) {
    for (let skip = 0; skip < 4; skip++) {
      const decoded = Buffer.from(run.slice(skip), 'base64').toString('latin1')
      if (halves.some((h) => decoded.includes(h))) return true
    }
  }
  return false
}

describe('secretForms', () => {
  it('is the value, its base64, and the base64 that depends on it alone at each of the 3 byte alignments', () => {
    const forms = secretForms(PASSWORD)
    expect(forms).toContain(PASSWORD)
    expect(forms).toContain(Buffer.from(PASSWORD).toString('base64'))
    expect(forms).toHaveLength(5)
    for (const pad of ['', 'x', 'xy']) {
      const encoded = Buffer.from(`${pad}${PASSWORD}tail`).toString('base64')
      expect(forms.slice(2).some((core) => encoded.includes(core)), `after ${pad.length} bytes`).toBe(true)
    }
  })

  it('leaves values shorter than 3 characters alone', () => {
    expect(secretForms('ab')).toEqual([])
  })
})

describe('Secrets', () => {
  it('masks the password in every SASL payload and in base64 at any offset', () => {
    const secrets = new Secrets()
    secrets.add(PASSWORD)
    const texts = [
      `535 bad credentials: \\0bob\\0${PASSWORD}`,
      `535 raw: ${saslPlain('bob', PASSWORD)}`,
      `535 raw: ${saslLoginStep(PASSWORD)}`,
      `535 raw: ${saslXoauth2('bob@mail.test', PASSWORD)}`,
      ...['a', 'ab', 'abc', 'abcd'].map((pad) => `535 shifted: ${Buffer.from(`${pad}${PASSWORD}!!`).toString('base64')}`),
    ]
    for (const text of texts) {
      // Not a vacuous check: the detector finds the password before scrubbing.
      expect(text.includes(PASSWORD) || leaksInBase64(text), text).toBe(true)
      const scrubbed = secrets.scrub(text)
      expect(scrubbed).toContain(SECRET_MASK)
      expect(scrubbed).not.toContain(PASSWORD)
      expect(leaksInBase64(scrubbed), scrubbed).toBe(false)
    }
  })

  it('scrubs every string of a result, and an error with its response and cause', () => {
    const secrets = new Secrets()
    secrets.addCredential('bob', PASSWORD)
    const result = secrets.scrubDeep({response: `250 ${PASSWORD}`, list: [{text: PASSWORD}], n: 3, none: null})
    expect(result).toEqual({response: `250 ${SECRET_MASK}`, list: [{text: SECRET_MASK}], n: 3, none: null})
    const cause = new Error(`raw ${saslPlain('bob', PASSWORD)}`)
    const error = secrets.scrubError(new MaildigError('AUTH_FAILED', 'auth', `no: ${PASSWORD}`, {response: `535 ${PASSWORD}`, cause}))
    expect(error.message).toBe(`no: ${SECRET_MASK}`)
    expect(error.response).toBe(`535 ${SECRET_MASK}`)
    expect((error.cause as Error).message).toBe(`raw ${SECRET_MASK}`)
  })

  it('registers every secret with the process registry too, which the CLI prints through', () => {
    const value = 'only-registered-in-a-transcript-42'
    const transcript = new Transcript()
    transcript.protect(value)
    expect(everywhere.scrub(`x ${Buffer.from(value).toString('base64')} y`)).toBe(`x ${SECRET_MASK} y`)
  })
})
