import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import { statOrThrow } from './files.js'

/**
 * Bytes read at a time, into one buffer reused to the end: a read stream's fresh buffer per chunk cost a page fault
 * for every 4 KiB read, which took about as much CPU as the hashing (a 90 MiB file: 134–142 ms and 16.5k faults
 * against 74–77 ms and 1.2k). Large, so a file hashed beside other work needs few turns of the event loop.
 */
const CHUNK_BYTES = 4 << 20

/** Reads a file through SHA-256 and returns the lowercase hex digest. */
export async function hashFile(path: string): Promise<string> {
  if ((await statOrThrow(path)).isDirectory()) {
    throw PoisonguardError.at('INVALID_ARGUMENT', { file: path }, 'expected a file, found a folder')
  }
  const hash = createHash('sha256')
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES)
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES, null)
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
    }
  } finally {
    await file.close()
  }
  return hash.digest('hex')
}
