import { constants, type Stats } from 'node:fs'
import { lstat, open } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import { describeBytes } from './byte-count.js'
import { statOrThrow } from './files.js'

/** What a path is, for messages: `a FIFO (named pipe)`, `a character device`, `a folder`, … */
export function describeFileKind(stats: Stats): string {
  if (stats.isFile()) return 'a regular file'
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  if (stats.isSymbolicLink()) return 'a symbolic link'
  return 'not a regular file'
}

/** How to read a file that someone else may have named. */
export interface RegularFileOptions {
  /** Refuse files larger than this many bytes. */
  maxBytes: number
  /** Refuse a symbolic link instead of following it (for files found by listing a folder). */
  noFollow?: boolean
  /** What the file is, for messages, e.g. `manifest`. */
  what?: string
}

/**
 * Reads a whole file only if it is a regular file within `maxBytes`: FIFOs, devices, sockets and folders are
 * refused before they are opened (a FIFO would block forever, /dev/zero never ends), and the opened handle is
 * checked again, so a path swapped after the check is still never read past the bound.
 */
export async function readRegularFile(path: string, options: RegularFileOptions): Promise<Buffer> {
  const before = await statPath(path, options)
  requireRegular(path, before, options)
  // O_NONBLOCK: opening a FIFO that replaced the file between the checks returns at once instead of hanging.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0)
  const handle = await open(path, flags).catch((error: unknown) => {
    throw unreadable(path, options, (error as Error).message)
  })
  try {
    const opened = await handle.stat()
    requireRegular(path, opened, options)
    if (opened.ino !== before.ino || opened.dev !== before.dev)
      throw unreadable(path, options, 'the file was replaced while it was being opened')
    const buffer = Buffer.alloc(Math.min(opened.size, options.maxBytes) + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > options.maxBytes) throw tooLarge(path, options)
    return buffer.subarray(0, length)
  } finally {
    await handle.close()
  }
}

async function statPath(path: string, options: RegularFileOptions): Promise<Stats> {
  if (!options.noFollow) return statOrThrow(path)
  return lstat(path).catch((error: unknown) => {
    throw unreadable(path, options, (error as Error).message)
  })
}

function requireRegular(path: string, stats: Stats, options: RegularFileOptions): void {
  if (!stats.isFile()) {
    throw PoisonguardError.at(
      'INVALID_ARGUMENT',
      { file: path },
      `expected a regular ${options.what ?? 'file'}, found ${describeFileKind(stats)}`,
      'pass the path of a regular file',
    )
  }
  if (stats.size > options.maxBytes) throw tooLarge(path, options)
}

function tooLarge(path: string, options: RegularFileOptions): PoisonguardError {
  return PoisonguardError.at(
    'INVALID_ARGUMENT',
    { file: path },
    `the ${options.what ?? 'file'} is larger than ${describeBytes(options.maxBytes)}, more than any valid one`,
    'check that the path names the right file',
  )
}

function unreadable(path: string, options: RegularFileOptions, reason: string): PoisonguardError {
  return PoisonguardError.at(
    'FILE_NOT_FOUND',
    { file: path },
    `cannot read the ${options.what ?? 'file'}: ${reason}`,
  )
}
