import { hash } from 'node:crypto'
import { type RECORD_ENCODING, RECORD_ENCODING_V1, recordLeafBinary } from './canonical.js'
import { MerkleBuilder } from './merkle.js'
import { copyWords, viewOf } from './word-copy.js'

/** Records per Merkle leaf in the v2 encoding. */
export const RECORDS_PER_LEAF = 1024

/** The record encodings a manifest may name; v1 manifests stay verifiable. */
export type RecordEncoding = typeof RECORD_ENCODING | typeof RECORD_ENCODING_V1

/** Takes records in input order, each as its 32-byte body digest and its label's JSON (UTF-8). */
export interface RecordSink<Self> {
  readonly count: number
  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void
  /** A sink holding the same records, which then grows on its own. */
  clone(): Self
  /** Adds the records of a recording, in order, as `add` would one by one. */
  append(recorded: RecordedLeaves): void
}

/** A Merkle tree over records in input order. */
export interface RecordTree extends RecordSink<RecordTree> {
  root(): Buffer
}

/**
 * Records as a tree receives them, for a tree elsewhere to take in later: each record's body digest and label JSON
 * back to back in `bytes`, record `r` ending at `ends[r]`. A part of a dataset digested on another thread cannot
 * hash its blocks, whose bounds depend on how many records came before it.
 */
export interface RecordedLeaves {
  readonly bytes: Uint8Array
  readonly ends: Int32Array
  readonly count: number
}

/** An empty tree of the given encoding. */
export function createRecordTree(encoding: RecordEncoding): RecordTree {
  return encoding === RECORD_ENCODING_V1 ? new RecordLeafTree() : new RecordBlockTree()
}

/** v1: one leaf per record, SHA-256(0x00 ‖ body digest ‖ label JSON); two to three hash calls per record. */
class RecordLeafTree implements RecordTree {
  constructor(private readonly merkle = new MerkleBuilder()) {}

  get count(): number {
    return this.merkle.count
  }

  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void {
    this.merkle.pushBinary(recordLeafBinary(bodyDigest, labelJson))
  }

  clone(): RecordTree {
    return new RecordLeafTree(this.merkle.clone())
  }

  append(recorded: RecordedLeaves): void {
    const { bytes, ends } = recorded
    let start = 0
    for (let index = 0; index < recorded.count; index++) {
      this.add(bytes.subarray(start, start + 32), bytes.subarray(start + 32, ends[index]))
      start = ends[index]
    }
  }

  root(): Buffer {
    return this.merkle.root()
  }
}

const INITIAL_BLOCK_BYTES = 1 + RECORDS_PER_LEAF * 40

/**
 * v2: one leaf per block of `RECORDS_PER_LEAF` records, SHA-256(0x00 ‖ (body digest ‖ label JSON) per record). A
 * label's JSON is `null` or a quoted string, so the concatenation reads back one way. Records are copied into a
 * reused buffer and hashed a block at a time, so a record costs no hash call of its own beyond its body digest.
 */
class RecordBlockTree implements RecordTree {
  count = 0
  private block: Buffer = Buffer.alloc(INITIAL_BLOCK_BYTES)
  private blockView = viewOf(this.block)
  private readonly digests = new LeafWriter()
  private blockBytes = 1
  private blockRecords = 0

  constructor(private readonly merkle = new MerkleBuilder()) {}

  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void {
    const needed = this.blockBytes + 32 + labelJson.length
    if (needed > this.block.length) this.grow(needed)
    this.blockBytes = this.digests.write(bodyDigest, labelJson, this.block, this.blockView, this.blockBytes)
    this.count++
    if (++this.blockRecords === RECORDS_PER_LEAF) this.flush(this.merkle)
  }

  append(recorded: RecordedLeaves): void {
    const { bytes, ends, count } = recorded
    let record = 0
    let start = 0
    // Whole runs of records up to the end of the current block are copied at once.
    while (record < count) {
      const last = Math.min(count, record + RECORDS_PER_LEAF - this.blockRecords) - 1
      const end = ends[last]
      const needed = this.blockBytes + end - start
      if (needed > this.block.length) this.grow(needed)
      this.block.set(bytes.subarray(start, end), this.blockBytes)
      this.blockBytes = needed
      this.blockRecords += last + 1 - record
      this.count += last + 1 - record
      record = last + 1
      start = end
      if (this.blockRecords === RECORDS_PER_LEAF) this.flush(this.merkle)
    }
  }

  clone(): RecordTree {
    const copy = new RecordBlockTree(this.merkle.clone())
    copy.count = this.count
    copy.block = Buffer.from(this.block)
    copy.blockView = viewOf(copy.block)
    copy.blockBytes = this.blockBytes
    copy.blockRecords = this.blockRecords
    return copy
  }

  root(): Buffer {
    if (this.blockRecords === 0) return this.merkle.root()
    // The last, partial block closes a copy, so the tree can still grow afterwards.
    const merkle = this.merkle.clone()
    merkle.pushBinary(this.blockLeaf())
    return merkle.root()
  }

  private flush(merkle: MerkleBuilder): void {
    merkle.pushBinary(this.blockLeaf())
    this.blockBytes = 1
    this.blockRecords = 0
  }

  private blockLeaf(): string {
    this.block[0] = 0
    return hash('sha256', this.block.subarray(0, this.blockBytes), 'binary')
  }

  private grow(needed: number): void {
    this.block = grownBuffer(this.block, needed, this.blockBytes)
    this.blockView = viewOf(this.block)
  }
}

/** Records what it receives (see `RecordedLeaves`), for a tree to take in later. */
export class LeafRecorder implements RecordSink<LeafRecorder> {
  count = 0
  private bytes: Buffer = Buffer.alloc(1 << 16)
  private view = viewOf(this.bytes)
  private readonly digests = new LeafWriter()
  private used = 0
  private ends = new Int32Array(1 << 12)

  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void {
    const needed = this.used + 32 + labelJson.length
    if (needed > this.bytes.length) this.setBytes(grownBuffer(this.bytes, needed, this.used))
    if (this.count === this.ends.length) {
      const ends = new Int32Array(2 * this.ends.length)
      ends.set(this.ends)
      this.ends = ends
    }
    this.used = this.digests.write(bodyDigest, labelJson, this.bytes, this.view, this.used)
    this.ends[this.count++] = this.used
  }

  append(recorded: RecordedLeaves): void {
    let start = 0
    for (let index = 0; index < recorded.count; index++) {
      const end = recorded.ends[index]
      this.add(recorded.bytes.subarray(start, start + 32), recorded.bytes.subarray(start + 32, end))
      start = end
    }
  }

  clone(): LeafRecorder {
    const copy = new LeafRecorder()
    copy.append(this.recorded())
    return copy
  }

  /**
   * Makes room for `factor` times the records so far at their average size: a part's reader that knows how much of
   * the part it has read so spares the copies of growing by doubling, a tenth of its time.
   */
  reserve(factor: number): void {
    if (this.count === 0) return
    const records = Math.ceil(this.count * factor)
    if (records > this.ends.length) {
      const ends = new Int32Array(records)
      ends.set(this.ends.subarray(0, this.count))
      this.ends = ends
    }
    const bytes = Math.ceil(this.used * factor)
    if (bytes > this.bytes.length) this.setBytes(grownBuffer(this.bytes, bytes, this.used))
  }

  private setBytes(bytes: Buffer): void {
    this.bytes = bytes
    this.view = viewOf(bytes)
  }

  /** What was recorded; views into the recorder's own buffers. */
  recorded(): RecordedLeaves {
    return {
      bytes: this.bytes.subarray(0, this.used),
      ends: this.ends.subarray(0, this.count),
      count: this.count,
    }
  }
}

/**
 * Writes a record's body digest and label JSON at `at` and returns the end: the digest as eight 32-bit words, read
 * through a view of the digest's buffer made once for as long as the same buffer keeps coming.
 */
class LeafWriter {
  private digest: Uint8Array = new Uint8Array(0)
  private digestView = viewOf(this.digest)

  write(bodyDigest: Uint8Array, labelJson: Uint8Array, target: Buffer, view: DataView, at: number): number {
    if (bodyDigest !== this.digest) {
      this.digest = bodyDigest
      this.digestView = viewOf(bodyDigest)
    }
    copyWords(this.digestView, 0, view, at, 32)
    at += 32
    for (let index = 0; index < labelJson.length; index++) target[at++] = labelJson[index]
    return at
  }
}

function grownBuffer(from: Buffer, needed: number, used: number): Buffer {
  // Bytes past `used` are always written before they are read; unpooled, so the buffer can move between threads.
  const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * from.length))
  from.copy(grown, 0, 0, used)
  return grown
}
