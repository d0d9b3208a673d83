import { PoisonguardError } from '../errors.js'
import { describeBytes } from './byte-count.js'

const EMPTY = Buffer.alloc(0)
/** How much of the next chunk is copied to finish a record cut by a chunk boundary. */
const BRIDGE_BYTES = 1 << 16

/**
 * Splits a byte stream into records while keeping memory bounded: a record cut by a chunk boundary is carried
 * into the next parse, and the carried bytes are only re-parsed once at least as many new bytes arrived, so a long
 * record costs linear time.
 */
export abstract class ChunkTokenizer {
  /** Physical 1-based line where the next record starts. */
  protected line = 1
  /** File offset of byte 0 of the buffer being parsed. */
  protected bufferOffset = 0
  private leftover: Buffer = EMPTY
  private pending: Buffer[] = []
  private pendingBytes = 0

  constructor(
    protected readonly file: string,
    protected readonly maxLineBytes: number,
  ) {}

  push(chunk: Buffer): void {
    if (this.leftover.length === 0) {
      this.run(chunk, false)
      return
    }
    if (this.pending.length === 0 && this.leftover.length <= BRIDGE_BYTES && this.bridge(chunk)) return
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    const waiting = this.leftover.length + this.pendingBytes
    if (this.pendingBytes < this.leftover.length && waiting <= this.maxLineBytes) return
    this.run(this.joined(), false)
  }

  /** Parses whatever is left as the end of the file. */
  finish(): void {
    this.run(this.joined(), true)
  }

  /** Parses complete records from `buffer` and returns how many bytes were consumed. */
  protected abstract parse(buffer: Buffer, final: boolean): number

  /** Throws LINE_TOO_LONG when a record spans more than the limit. */
  protected checkLength(byteCount: number, line: number): void {
    if (byteCount <= this.maxLineBytes) return
    throw PoisonguardError.at(
      'LINE_TOO_LONG',
      { file: this.file, line },
      `the record starting on this line is longer than the limit of ${describeBytes(this.maxLineBytes)}`,
      'raise maxLineBytes (--max-line-bytes) if records are really this long; a quote that is never closed also makes a record run on',
    )
  }

  /**
   * Finishes the record cut at the last chunk boundary from a copy of it and the head of `chunk`, then parses the
   * rest of `chunk` where it lies: joining the whole chunk to the cut record copied every byte of a file once more.
   * False, with nothing parsed, when the record runs on past the head.
   */
  private bridge(chunk: Buffer): boolean {
    const carried = this.leftover
    const head = Buffer.concat([carried, chunk.subarray(0, BRIDGE_BYTES)])
    const consumed = this.parse(head, false)
    if (consumed === 0) return false
    this.bufferOffset += consumed
    if (consumed < carried.length) {
      this.leftover = carried.subarray(consumed)
      this.push(chunk)
    } else {
      this.leftover = EMPTY
      this.run(chunk.subarray(consumed - carried.length), false)
    }
    return true
  }

  private joined(): Buffer {
    const buffer = this.pending.length === 0 ? this.leftover : Buffer.concat([this.leftover, ...this.pending])
    this.pending = []
    this.pendingBytes = 0
    return buffer
  }

  private run(buffer: Buffer, final: boolean): void {
    const consumed = this.parse(buffer, final)
    this.bufferOffset += consumed
    this.leftover = consumed === buffer.length ? EMPTY : buffer.subarray(consumed)
    this.checkLength(this.leftover.length, this.line)
  }
}
