import {describe, expect, it} from 'vitest'
import {MaildigError} from '../../../src/lib/errors.js'
import {STAGE_TIMEOUT_CODES, stageTimeouts, withDeadline} from '../../../src/lib/net/deadline.js'

describe('withDeadline', () => {
  it('passes through a result that comes in time', async () => {
    await expect(withDeadline(Promise.resolve(42), {stage: 'reply', timeoutMs: 100, subject: 'x'})).resolves.toBe(42)
  })

  it('rejects with the stage code, category timeout (exit 5), and runs onTimeout first', async () => {
    let aborted: MaildigError | undefined
    const started = performance.now()
    const error = await withDeadline<never>(new Promise(() => undefined), {
      stage: 'greeting',
      timeoutMs: 50,
      subject: 'mx.example.com [192.0.2.1]:25',
      onTimeout: (e) => (aborted = e),
    }).catch((e: MaildigError) => e)
    expect(performance.now() - started).toBeLessThan(500)
    expect(error).toBeInstanceOf(MaildigError)
    expect(error.code).toBe('GREETING_TIMEOUT')
    expect(error.exitCode).toBe(5)
    expect(error.message).toBe('no greeting from mx.example.com [192.0.2.1]:25 within 50 ms')
    expect(aborted).toBe(error)
  })

  it('names the command a reply was awaited for', async () => {
    const error = await withDeadline<never>(new Promise(() => undefined), {stage: 'reply', timeoutMs: 20, subject: 'mx:25', command: 'EHLO'}).catch((e: MaildigError) => e)
    expect(error.code).toBe('REPLY_TIMEOUT')
    expect(error.message).toMatch(/to EHLO within 20 ms/)
  })

  it('swallows a late rejection of the work', async () => {
    let reject!: (e: Error) => void
    const work = new Promise((_r, j) => (reject = j))
    await expect(withDeadline(work, {stage: 'tls', timeoutMs: 10, subject: 'x'})).rejects.toMatchObject({code: 'TLS_TIMEOUT'})
    reject(new Error('late'))
    await new Promise((r) => setTimeout(r, 10))
  })

  it('has a code for every stage', () => {
    expect(STAGE_TIMEOUT_CODES).toEqual({dns: 'DNS_TIMEOUT', connect: 'CONNECT_TIMEOUT', tls: 'TLS_TIMEOUT', greeting: 'GREETING_TIMEOUT', reply: 'REPLY_TIMEOUT'})
  })
})

describe('stageTimeouts', () => {
  it('spreads one value over every stage, or takes one per stage', () => {
    expect(stageTimeouts(500)).toEqual({dns: 500, connect: 500, tls: 500, greeting: 500, reply: 500})
    expect(stageTimeouts({greeting: 300}, 1000)).toEqual({dns: 1000, connect: 1000, tls: 1000, greeting: 300, reply: 1000})
    expect(stageTimeouts(undefined).reply).toBe(10_000)
  })
})
