import net from 'node:net'

export type Reachability = 'open' | 'refused' | 'timeout' | 'error'

/** A bare TCP connect, closed at once: does anything answer at that address and port? */
export function tcpReachable(address: string, port: number, timeoutMs: number): Promise<Reachability> {
  return new Promise((resolve) => {
    const socket = net.connect({host: address, port})
    const done = (state: Reachability) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(state)
    }
    const timer = setTimeout(() => done('timeout'), timeoutMs)
    socket.once('connect', () => done('open'))
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code === 'ECONNREFUSED' ? 'refused' : 'error'))
  })
}
