import {Readable} from 'node:stream'
import v8 from 'node:v8'
import {runInNewContext} from 'node:vm'
import {describe, expect, it} from 'vitest'
import {readTargets, TargetInputError, type TargetItem} from '../../../src/lib/batch/targets.js'
import {inShard, parseShard, targetHash} from '../../../src/lib/batch/shard.js'
import {runBatch} from '../../../src/lib/batch/run.js'
import {HostGate} from '../../../src/lib/net/host-gate.js'

async function collect(source: AsyncIterable<Buffer | string>, options = {}): Promise<TargetItem[]> {
  const items: TargetItem[] = []
  for await (const item of readTargets(source, options)) items.push(item)
  return items
}

describe('readTargets', () => {
  it('plain lines and NDJSON objects; comments and blank lines skipped; line numbers kept', async () => {
    const items = await collect(Readable.from(['# list\nexample.com\n\n  {"target": "b.test", "port": 587}\n', 'c.te', 'st\r\n{"target": 1}\n{bad\n[1]\nlast.test\n{"target": "x"} {"target": "y"}']))
    expect(items).toEqual([
      {line: 2, target: 'example.com', options: {}},
      {line: 4, target: 'b.test', options: {port: 587}},
      {line: 5, target: 'c.test', options: {}},
      {line: 6, problem: 'the JSON object has no "target" string'},
      {line: 7, problem: expect.stringMatching(/^the line is not valid JSON/)},
      {line: 8, target: '[1]', options: {}},
      {line: 9, target: 'last.test', options: {}},
      {line: 10, problem: expect.stringMatching(/^the line is not valid JSON/)},
    ])
  })

  it('a 10 MB line is that line\'s problem; the next line is read as usual, and memory holds one bounded line', async () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 'a')
    async function* source() {
      yield Buffer.from('first.test\n')
      for (let i = 0; i < huge.length; i += 65536) yield huge.subarray(i, i + 65536)
      yield Buffer.from('\nafter.test\n')
    }
    expect(await collect(source())).toEqual([
      {line: 1, target: 'first.test', options: {}},
      {line: 2, problem: 'the line is longer than 64 KiB'},
      {line: 3, target: 'after.test', options: {}},
    ])
  })

  it('a binary file is refused before the first target', async () => {
    const items = readTargets(Readable.from([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 0x0a])]))
    await expect(items.next()).rejects.toThrow(TargetInputError)
  })

  it('each next line has a deadline: a pipe nobody writes to ends the run', async () => {
    const stuck = new Readable({read() {}})
    stuck.push('a.test\n')
    const items = readTargets(stuck, {lineDeadlineMs: 100})
    expect(await items.next()).toMatchObject({value: {target: 'a.test'}})
    await expect(items.next()).rejects.toThrow(/did not arrive within 100 ms/)
  })
})

describe('shards', () => {
  it('parses I/N and auto/N; refuses 5/4, 1/0, 0/4 and auto without JOB_COMPLETION_INDEX', () => {
    expect(parseShard('2/4')).toEqual({index: 2, count: 4})
    expect(parseShard('auto/4', {JOB_COMPLETION_INDEX: '0'})).toEqual({index: 1, count: 4})
    expect(parseShard('5/4')).toBe('I must be between 1 and 4')
    expect(parseShard('0/4')).toBe('I must be between 1 and 4')
    expect(parseShard('1/0')).toBe('N must be at least 1')
    expect(parseShard('auto/4', {})).toMatch(/JOB_COMPLETION_INDEX/)
    expect(parseShard('auto/4', {JOB_COMPLETION_INDEX: '4'})).toMatch(/not below N/)
    expect(parseShard('x')).toMatch(/is not I\/N/)
  })

  it('every target lands in exactly one shard, the same on every machine; shards are roughly even', () => {
    const targets = Array.from({length: 4000}, (_, i) => `domain${i}.example`)
    const counts = [1, 2, 3, 4].map((index) => targets.filter((t) => inShard(t, {index, count: 4})).length)
    expect(counts.reduce((a, b) => a + b)).toBe(4000)
    for (const c of counts) expect(c).toBeGreaterThan(850)
    // FNV-1a 32 of "a": a published test vector, so the hash cannot drift between versions.
    expect(targetHash('a')).toBe(0xe40c292c)
    expect(targetHash(' A ')).toBe(targetHash('a'))
  })
})

const items = (n: number): AsyncIterable<TargetItem> =>
  (async function* () {
    for (let i = 1; i <= n; i++) yield {line: i, target: `t${i}`, options: {}}
  })()

describe('runBatch', () => {
  it('runs `concurrency` at a time, writes in completion order, and skips what it is told to', async () => {
    let running = 0
    let most = 0
    const written: string[] = []
    const summary = await runBatch({
      targets: items(10),
      concurrency: 3,
      skip: (t) => t === 't2',
      check: async (item) => {
        running++
        most = Math.max(most, running)
        const n = Number((item as {target: string}).target.slice(1))
        await new Promise((resolve) => setTimeout(resolve, n === 1 ? 80 : 5))
        running--
        return (item as {target: string}).target
      },
      write: (result) => {
        written.push(result)
      },
    })
    expect(most).toBe(3)
    expect(summary).toMatchObject({done: 9, skipped: 1, interrupted: false})
    expect(written).toHaveLength(9)
    expect(written.indexOf('t1')).toBeGreaterThan(written.indexOf('t3'))
    expect(written).not.toContain('t2')
  })

  it('an abort starts nothing new and finishes what is in flight', async () => {
    const stop = new AbortController()
    const written: string[] = []
    const summary = await runBatch({
      targets: items(100),
      concurrency: 4,
      signal: stop.signal,
      check: async (item) => {
        if ((item as {target: string}).target === 't6') stop.abort()
        await new Promise((resolve) => setTimeout(resolve, 20))
        return (item as {target: string}).target
      },
      write: (r) => {
        written.push(r)
      },
    })
    expect(summary.interrupted).toBe(true)
    expect(written).toContain('t6')
    expect(written.length).toBeLessThan(12)
    expect(summary.running).toBe(0)
  })

  it('memory stays flat over many targets when the run can be aborted (no reaction kept per target on the signal)', async () => {
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const heapAfter = async (count: number): Promise<number> => {
      async function* targets(): AsyncIterable<TargetItem> {
        for (let i = 0; i < count; i++) yield {line: i + 1, target: `t${i}.test`, options: {}}
      }
      const stop = new AbortController()
      const summary = await runBatch({targets: targets(), concurrency: 4, signal: stop.signal, check: async (item) => item, write: () => {}})
      expect(summary.done).toBe(count)
      gc()
      // What a leak would keep is reachable from the signal, so the heap is measured while it is still alive.
      const used = process.memoryUsage().heapUsed
      expect(stop.signal.aborted).toBe(false)
      return used
    }
    const small = await heapAfter(1_000)
    const large = await heapAfter(60_000)
    // Racing every wait against one never-settling promise kept about 200 bytes per target (12 MB here).
    expect(large - small).toBeLessThan(3 * 1024 * 1024)
  })

  it('a failing write (the output is gone) stops the run with that error', async () => {
    await expect(
      runBatch({targets: items(50), concurrency: 2, check: async () => 'x', write: () => Promise.reject(Object.assign(new Error('EPIPE'), {code: 'EPIPE'}))}),
    ).rejects.toMatchObject({code: 'EPIPE'})
  })

  it('an input that fails mid-run lets the targets in flight finish, then reports the failure', async () => {
    let finished = 0
    async function* failing() {
      yield {line: 1, target: 'a', options: {}}
      throw new TargetInputError('the next line did not arrive')
    }
    await expect(
      runBatch({targets: failing(), concurrency: 2, check: async () => {
        await new Promise((resolve) => setTimeout(resolve, 30))
        finished++
        return 'x'
      }, write: () => {}}),
    ).rejects.toThrow(/did not arrive/)
    expect(finished).toBe(1)
  })
})

describe('HostGate', () => {
  it('at most perHost conversations per address; others are not held up', async () => {
    const gate = new HostGate({perHost: 2})
    const open = new Map<string, number>()
    const most = new Map<string, number>()
    const talk = (address: string) =>
      gate.run(address, async () => {
        open.set(address, (open.get(address) ?? 0) + 1)
        most.set(address, Math.max(most.get(address) ?? 0, open.get(address)!))
        await new Promise((resolve) => setTimeout(resolve, 20))
        open.set(address, open.get(address)! - 1)
      })
    await Promise.all([...Array.from({length: 8}, () => talk('192.0.2.1')), talk('192.0.2.2'), talk('192.0.2.3')])
    expect(most.get('192.0.2.1')).toBe(2)
    expect(gate.started.get('192.0.2.1')).toBe(8)
  })

  it('spaces starts by the interval, and backs off a busy server', async () => {
    const gate = new HostGate({perHost: 5, intervalMs: 50})
    const starts: number[] = []
    await Promise.all(Array.from({length: 3}, () => gate.run('192.0.2.9', async () => starts.push(performance.now()))))
    expect(starts[2] - starts[0]).toBeGreaterThanOrEqual(95)
    gate.backOff('192.0.2.9')
    const before = performance.now()
    let waited = -1
    const later = gate.run('192.0.2.9', async () => (waited = performance.now() - before))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(waited).toBe(-1)
    void later
  })

  it('once: the first caller\'s promise is every caller\'s', async () => {
    const gate = new HostGate()
    let runs = 0
    const work = () => gate.once('k', async () => ++runs)
    expect(await Promise.all([work(), work(), work()])).toEqual([1, 1, 1])
  })
})
