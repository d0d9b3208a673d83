import { open } from 'node:fs/promises'

const CHUNK_CHARS = 1 << 20

/**
 * Streams lines into a new file (it must not exist yet), each followed by a newline, in chunks of about a
 * mebibyte, and flushes it to disk before returning.
 */
export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const handle = await open(path, 'wx')
  try {
    let chunk: string[] = []
    let chunkChars = 0
    for (const line of lines) {
      chunk.push(line)
      chunkChars += line.length + 1
      if (chunkChars >= CHUNK_CHARS) {
        await handle.write(`${chunk.join('\n')}\n`)
        chunk = []
        chunkChars = 0
      }
    }
    if (chunk.length > 0) await handle.write(`${chunk.join('\n')}\n`)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
