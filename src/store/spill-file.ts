import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SpillableArray, SpilledArray, SpillStore } from '../data/spill.js'
import { PoisonguardError } from '../errors.js'
import { cleanUpOnInterrupt } from '../io/interrupt.js'

/** A spill store in one temporary file; `close` removes it (and so do exit, SIGINT and SIGTERM). */
export interface SpillFile extends SpillStore {
  close(): void
}

export interface SpillFileOptions {
  /** Folder the temporary file's own folder is made in; default `os.tmpdir()`. */
  directory?: string
}

/** Bytes per system call: one call on a larger typed array can exceed what a single read or write accepts. */
const chunkBytes = 64 * 2 ** 20

const fullDiskCodes = new Set(['ENOSPC', 'EDQUOT', 'EFBIG'])

const mebibytes = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MiB`

/** The typed error for a failed spill: a full disk says so and names the folder, anything else says what failed. */
export function spillError(error: unknown, folder: string, bytes: number): PoisonguardError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code && fullDiskCodes.has(code))
    return new PoisonguardError(
      'OUTPUT_ERROR',
      `no space left in ${folder} for the ${mebibytes(bytes)} the scan spills past its memory budget (${code})`,
      {
        hint: 'free space there, choose another folder with --temp-dir, or raise --max-memory',
        cause: error,
      },
    )
  const reason = error instanceof Error ? error.message : String(error)
  return new PoisonguardError(
    'OUTPUT_ERROR',
    `cannot write the scan's temporary file in ${folder}: ${reason}`,
    { hint: 'choose a writable folder with --temp-dir, or raise --max-memory', cause: error },
  )
}

const bytesOf = (array: SpillableArray) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength)

/**
 * A spill store backed by a file in a folder of its own under `directory`, made at the first write (a scan that
 * never spills leaves nothing behind) and removed by `close`, at exit, or when SIGINT or SIGTERM ends the process.
 */
export function createSpillFile(options: SpillFileOptions = {}): SpillFile {
  const directory = options.directory ?? tmpdir()
  let folder: string | undefined
  let descriptor: number | undefined
  let bytesWritten = 0
  let releaseInterrupt: (() => void) | undefined
  const remove = () => {
    if (descriptor !== undefined) closeSync(descriptor)
    descriptor = undefined
    if (folder) rmSync(folder, { recursive: true, force: true })
    folder = undefined
  }
  const close = () => {
    releaseInterrupt?.()
    releaseInterrupt = undefined
    process.removeListener('exit', remove)
    remove()
  }
  const open = (bytes: number): number => {
    if (descriptor !== undefined) return descriptor
    try {
      folder = mkdtempSync(join(directory, 'poisonguard-spill-'))
      process.on('exit', remove)
      releaseInterrupt = cleanUpOnInterrupt(remove)
      descriptor = openSync(join(folder, 'arrays.bin'), 'w+', 0o600)
      return descriptor
    } catch (error) {
      close()
      throw spillError(error, directory, bytes)
    }
  }
  return {
    get bytesWritten() {
      return bytesWritten
    },
    get location() {
      return directory
    },
    write(array) {
      const bytes = bytesOf(array)
      const file = open(bytes.length)
      const spilled: SpilledArray = {
        type: array instanceof Float32Array ? 'float32' : 'int32',
        length: array.length,
        byteOffset: bytesWritten,
      }
      try {
        for (let done = 0; done < bytes.length; ) {
          const length = Math.min(chunkBytes, bytes.length - done)
          done += writeSync(file, bytes, done, length, spilled.byteOffset + done)
        }
      } catch (error) {
        throw spillError(error, directory, bytes.length)
      }
      bytesWritten += bytes.length
      return spilled
    },
    read(spilled, start, into) {
      if (descriptor === undefined) throw new Error('the spill file is closed')
      const bytes = bytesOf(into)
      const position = spilled.byteOffset + start * into.BYTES_PER_ELEMENT
      for (let done = 0; done < bytes.length; ) {
        const length = Math.min(chunkBytes, bytes.length - done)
        const read = readSync(descriptor, bytes, done, length, position + done)
        if (read === 0) throw new Error(`the spill file ended ${bytes.length - done} bytes early`)
        done += read
      }
    },
    close,
  }
}
