import {PassThrough, Writable} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {endWhenDone, type EndingProcess} from '../../../src/cli/end.js'

/** A process whose streams and resources the test chooses; `exited` says whether the end called exit(). */
function fakeProcess(resources: string[], stdout: NodeJS.WritableStream = new PassThrough(), stderr: NodeJS.WritableStream = new PassThrough()) {
  const state = {exited: false}
  const proc: EndingProcess = {stdout, stderr, getActiveResourcesInfo: () => resources, exit: () => void (state.exited = true)}
  return {proc, state}
}

describe('the end of a run (src/cli/end.ts)', () => {
  it('exits at once when only standard streams and DNS sockets remain', async () => {
    for (const resources of [[], ['PipeWrap'], ['TTYWrap', 'TTYWrap'], ['PipeWrap', 'UDPWrap', 'UDPWrap']]) {
      const {proc, state} = fakeProcess(resources)
      await endWhenDone(proc)
      expect(state.exited, resources.join()).toBe(true)
    }
  })

  it("leaves the end to Node while a connection, a file operation or a timer is pending (a polite QUIT is not cut short)", async () => {
    for (const pending of ['TCPSocketWrap', 'TLSWrap', 'FSReqCallback', 'FileHandle', 'Timeout', 'Immediate', 'ProcessWrap', 'WriteWrap']) {
      const {proc, state} = fakeProcess(['PipeWrap', pending])
      await endWhenDone(proc)
      expect(state.exited, pending).toBe(false)
    }
  })

  it('exits only after what was written to standard output has been handed on', async () => {
    let release: () => void = () => {}
    const slow = new Writable({highWaterMark: 1, write: (_chunk, _encoding, callback) => void (release = callback)})
    slow.write('the result\n')
    const {proc, state} = fakeProcess(['PipeWrap'], slow)
    const ending = endWhenDone(proc)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(state.exited).toBe(false)
    release()
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await ending
    expect(state.exited).toBe(true)
  })

  it('still ends when standard output is already closed (a reader that went away)', async () => {
    const closed = new PassThrough()
    closed.destroy()
    const {proc, state} = fakeProcess(['PipeWrap'], closed)
    await endWhenDone(proc)
    expect(state.exited).toBe(true)
  })
})
