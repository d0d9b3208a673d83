import { open } from 'node:fs/promises'

/** Files smaller than this are read too quickly for workers to load the detectors' code meanwhile. */
const minBytes = 4 << 20
/** Bytes read from the start of the file to tell numbers from text. */
const sniffBytes = 1 << 16
/** Share of letters above which a file is taken for text, whose detectors stay on the scan's thread. */
const maxLetterShare = 0.2

/**
 * Whether a file looks like a large table of numbers (pixels, embeddings, measurements), whose detectors will run on
 * worker threads: then those can load their code while the file is still being read. A guess from its size and the
 * share of letters in its first 64 KiB; a wrong guess costs only time (code loaded for nothing, or loaded later).
 */
export async function looksLikeLargeNumericFile(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, 'r')
    const stats = await handle.stat()
    if (!stats.isFile() || stats.size < minBytes) return false
    const buffer = Buffer.alloc(sniffBytes)
    const { bytesRead } = await handle.read(buffer, 0, sniffBytes, 0)
    let letters = 0
    for (let index = 0; index < bytesRead; index++) {
      const lower = buffer[index] | 0x20
      if (lower >= 0x61 && lower <= 0x7a) letters++
    }
    return bytesRead > 0 && letters / bytesRead < maxLetterShare
  } catch {
    return false
  } finally {
    await handle?.close()
  }
}
