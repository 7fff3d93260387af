// node:fs's promises are reached through fs.promises where used, so a run that reads no file does not load them.
import {promises as fs} from 'node:fs'
import {UsageError} from '../lib/errors.js'

const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`

/** All of standard input, at most `maxBytes` (more is a usage error naming the flag). */
export async function readStdin(maxBytes: number, flag: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new UsageError(`${flag}: standard input is larger than ${maxBytes >= 1024 * 1024 ? mib(maxBytes) : `${maxBytes / 1024} KiB`}`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * A file given with a flag (`-` for standard input), read to at most `maxBytes`. With `truncate`, a
 * larger file is read to the bound (trace needs only the header); without, it is a usage error.
 */
export async function readInput(source: string, maxBytes: number, flag: string, truncate = false): Promise<Buffer> {
  if (source === '-') return readStdin(maxBytes, flag)
  try {
    const handle = await fs.open(source, 'r')
    try {
      const stat = await handle.stat()
      if (!stat.isFile()) throw new UsageError(`${flag}: ${source} is not a file`)
      if (stat.size > maxBytes && !truncate) throw new UsageError(`${flag}: ${source} is larger than ${mib(maxBytes)}`)
      const {buffer, bytesRead} = await handle.read({buffer: Buffer.alloc(Math.min(stat.size, maxBytes)), position: 0})
      return buffer.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`${flag}: cannot read ${source} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}
