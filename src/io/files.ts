import { createHash } from 'node:crypto'
import { createReadStream, type Stats } from 'node:fs'
import { stat } from 'node:fs/promises'
import { PoisonguardError } from '../errors.js'
import { Utf8Stream } from './utf8-stream.js'

/** Stats a path, turning "does not exist" into FILE_NOT_FOUND with the resolved path. */
export async function statOrThrow(path: string): Promise<Stats> {
  try {
    return await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw PoisonguardError.at(
        'FILE_NOT_FOUND',
        { file: path },
        'no such file or folder',
        'check the path (relative paths start from the current folder)',
      )
    }
    throw PoisonguardError.at('FILE_NOT_FOUND', { file: path }, `cannot read it: ${(error as Error).message}`)
  }
}

export interface FileDigest {
  readonly sha256: string
  readonly byteCount: number
}

/** Receives each chunk of a file in order; may return a promise to apply back-pressure (writers). */
export type ChunkHandler = (chunk: Buffer) => void | Promise<void>

/**
 * Streams a UTF-8 text file chunk by chunk: hashes it, validates the encoding (ENCODING_ERROR naming the line),
 * and reports progress as a fraction of the file's bytes.
 */
export async function readTextChunks(
  path: string,
  onChunk: ChunkHandler,
  onProgress?: (fractionDone: number) => void,
): Promise<FileDigest> {
  const stats = await statOrThrow(path)
  const hash = createHash('sha256')
  const utf8 = new Utf8Stream()
  let byteCount = 0
  const validate = (chunk?: Buffer): void => {
    if (!(chunk ? utf8.push(chunk) : utf8.finish())) throw encodingErrorMarker
  }
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      hash.update(chunk)
      validate(chunk)
      byteCount += chunk.length
      const pending = onChunk(chunk)
      if (pending) await pending
      if (onProgress && stats.size > 0) onProgress(Math.min(1, byteCount / stats.size))
    }
    validate()
  } catch (error) {
    if (error === encodingErrorMarker) throw await encodingError(path)
    throw error
  }
  return { sha256: hash.digest('hex'), byteCount }
}

const encodingErrorMarker = new Error('invalid UTF-8')

/** ENCODING_ERROR naming where the first invalid UTF-8 in the file is. */
export async function encodingError(path: string): Promise<PoisonguardError> {
  const found = await locateInvalidUtf8(path)
  const what =
    found.byte === undefined
      ? 'a truncated UTF-8 sequence at the end of the file'
      : `byte 0x${found.byte.toString(16).padStart(2, '0')}`
  return PoisonguardError.at(
    'ENCODING_ERROR',
    { file: path, line: found.line },
    `${what} (byte offset ${found.offset}) is not valid UTF-8`,
    'save the file as UTF-8, e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`',
  )
}

interface InvalidUtf8 {
  line: number
  offset: number
  byte?: number
}

/**
 * Finds the first invalid byte sequence with the WHATWG UTF-8 decoder rules and reports where it starts; only runs
 * once decoding already failed.
 */
export async function locateInvalidUtf8(path: string): Promise<InvalidUtf8> {
  let line = 1
  let offset = 0
  let needed = 0
  let seen = 0
  let lower = 0x80
  let upper = 0xbf
  let sequence: InvalidUtf8 = { line, offset }
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let index = 0; index < chunk.length; index++, offset++) {
      const byte = chunk[index]
      if (needed === 0) {
        if (byte === 10) line++
        if (byte <= 0x7f) continue
        sequence = { line, offset, byte }
        if (byte >= 0xc2 && byte <= 0xdf) needed = 1
        else if (byte >= 0xe0 && byte <= 0xef) {
          if (byte === 0xe0) lower = 0xa0
          if (byte === 0xed) upper = 0x9f
          needed = 2
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          if (byte === 0xf0) lower = 0x90
          if (byte === 0xf4) upper = 0x8f
          needed = 3
        } else return sequence
        continue
      }
      if (byte < lower || byte > upper) return sequence
      lower = 0x80
      upper = 0xbf
      if (++seen === needed) needed = seen = 0
    }
  }
  return needed === 0 ? { line, offset } : sequence
}
