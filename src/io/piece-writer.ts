import { type FileHandle, open } from 'node:fs/promises'
import type { Dataset } from '../data/dataset.js'
import { readTextChunks } from './files.js'
import { changedSinceLoad } from './output.js'

/**
 * Longest record when a text input is streamed again to write a filtered copy. Records were already read once with
 * the user's limit; this only keeps a runaway file from exhausting memory.
 */
export const REREAD_MAX_RECORD_BYTES = 1 << 30

/** Gathers output pieces during a synchronous parse and writes them once per input chunk. */
export class PieceWriter {
  private pieces: Buffer[] = []

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<PieceWriter> {
    return new PieceWriter(await open(path, 'wx'))
  }

  add(piece: Buffer): void {
    this.pieces.push(piece)
  }

  async flush(): Promise<void> {
    if (this.pieces.length === 0) return
    const data = Buffer.concat(this.pieces)
    this.pieces = []
    await this.handle.write(data)
  }

  /** Runs the body, flushes, and always closes the file. */
  async run(body: () => Promise<void>): Promise<void> {
    try {
      await body()
      await this.flush()
      await this.handle.sync()
    } finally {
      await this.handle.close()
    }
  }
}

/** A streaming parser fed one chunk at a time, like the CSV and line tokenizers. */
interface ChunkParser {
  push(chunk: Buffer): void
  finish(): void
}

/**
 * Streams the dataset's input file through `parser`, whose callbacks add the pieces to keep to `writer`, and writes
 * them once per chunk. Fails when the file is not the one that was loaded: another hash, or `recordCount()` records.
 */
export async function rewriteInput(
  dataset: Dataset,
  parser: ChunkParser,
  writer: PieceWriter,
  recordCount: () => number,
): Promise<void> {
  await writer.run(async () => {
    const digest = await readTextChunks(dataset.origin.path, async (chunk) => {
      parser.push(chunk)
      await writer.flush()
    })
    parser.finish()
    if (digest.sha256 !== dataset.origin.sha256 || recordCount() !== dataset.rowCount)
      throw changedSinceLoad(dataset)
  })
}
