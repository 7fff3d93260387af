import {describe, expect, it} from 'vitest'
import type {DnsAnswer, DnsResolver} from '../../../src/lib/dns/resolver.js'
import {verifyMessage, withoutMailauthOutput} from '../../../src/lib/dkim/verify.js'
import {PLAIN_MESSAGE, rsaKeyPair, signMessage} from '../../fixtures/dkim.js'

// mailauth 4.13 prints "TOTAL <n> EXPECTING <l>" with console.log when a signature's l= is longer than the body, and has
// no option to keep it quiet. verify.ts drops what is printed from inside a verification, and only that, and leaves
// console.log as it found it: after a verification that throws, and after concurrent ones.
const rsa = rsaKeyPair(2048)
const resolver = {
  query: async (name: string): Promise<DnsAnswer<'TXT'>> => ({
    name,
    type: 'TXT',
    status: 'ok',
    rcode: 'NOERROR',
    records: [{chunks: [rsa.record], text: rsa.record}] as never,
    cnames: [],
    authenticated: false,
    server: null,
    transport: null,
    ms: 0,
  }),
} as unknown as DnsResolver

/** Runs `work` with console.log recording (the spy) instead of printing; returns what was printed, and console.log afterwards. */
async function recording(work: (spy: typeof console.log) => Promise<void>): Promise<{printed: unknown[][]; after: typeof console.log; spy: typeof console.log}> {
  const printed: unknown[][] = []
  const saved = console.log
  const spy = (...args: unknown[]) => void printed.push(args)
  console.log = spy
  try {
    await work(spy)
    return {printed, after: console.log, spy}
  } finally {
    console.log = saved
  }
}

const deferred = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return {promise, resolve}
}

describe('mailauth prints nothing through maildig, and console.log stays as it was', () => {
  it('a signature whose l= is longer than the body: mailauth\'s "TOTAL … EXPECTING …" line is not printed', async () => {
    const signed = await signMessage(PLAIN_MESSAGE, {domain: 'signed.test', selector: 'rsa', privateKey: rsa.privateKey, maxBodyLength: 12})
    const cut = signed.replace('A body to hash.', 'A body')
    let result: Awaited<ReturnType<typeof verifyMessage>> | undefined
    const {printed, after, spy} = await recording(async () => {
      result = await verifyMessage(Buffer.from(cut), resolver)
    })
    expect(result!.signatures[0]).toMatchObject({result: 'fail', bodyLengthLimit: 12, bodyHash: 'mismatch', reason: expect.stringMatching(/^the body is shorter than l=12 \(\d+ bytes canonicalised\): it was cut after signing$/)})
    expect(printed).toEqual([])
    expect(after).toBe(spy)
  })

  it('the same message through mailauth directly does print it (what the test above guards against)', async () => {
    const signed = await signMessage(PLAIN_MESSAGE, {domain: 'signed.test', selector: 'rsa', privateKey: rsa.privateKey, maxBodyLength: 12})
    const {dkimVerify} = await import('mailauth/lib/dkim/verify.js')
    const {printed} = await recording(async () => {
      await dkimVerify(Buffer.from(signed.replace('A body to hash.', 'A body')), {resolver: async () => [[rsa.record]]} as never)
    })
    expect(printed).toContainEqual(['TOTAL', expect.any(Number), 'EXPECTING', 12])
  })

  it('a verification that throws leaves console.log as it was, and what it printed is dropped', async () => {
    const {printed, after, spy} = await recording(async () => {
      await expect(
        withoutMailauthOutput(async () => {
          console.log('from inside')
          throw new Error('mailauth failed')
        }),
      ).rejects.toThrow('mailauth failed')
      await expect(
        withoutMailauthOutput(() => {
          throw new Error('thrown before any promise')
        }),
      ).rejects.toThrow('thrown before any promise')
      console.log('after')
    })
    expect(printed).toEqual([['after']])
    expect(after).toBe(spy)
  })

  it('two concurrent verifications: output from outside them goes through while they run; console.log is restored after the last', async () => {
    const {printed, after, spy} = await recording(async (spy) => {
      const first = deferred()
      const second = deferred()
      const a = withoutMailauthOutput(async () => {
        await first.promise
        console.log('inside a')
      })
      const b = withoutMailauthOutput(async () => {
        await second.promise
        console.log('inside b')
        throw new Error('b failed')
      })
      console.log('outside, while both run')
      expect(console.log).not.toBe(spy)
      first.resolve()
      await a
      console.log('outside, while b runs')
      expect(console.log).not.toBe(spy)
      second.resolve()
      await expect(b).rejects.toThrow('b failed')
      expect(console.log).toBe(spy)
      console.log('outside, after both')
    })
    expect(printed).toEqual([['outside, while both run'], ['outside, while b runs'], ['outside, after both']])
    expect(after).toBe(spy)
  })
})
