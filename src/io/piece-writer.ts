import { type FileHandle, open } from 'node:fs/promises'

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
