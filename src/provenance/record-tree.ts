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
  /** Records in the block not yet hashed; -1 for a tree without blocks (v1), whose records are hashed one by one. */
  readonly openBlockRecords: number
  /**
   * `append`, with the whole blocks of the recording already hashed elsewhere (`hashBlocks`) from this tree's
   * `openBlockRecords` as it was then, `open`; when that no longer holds the leaves are ignored.
   */
  appendHashed(recorded: RecordedLeaves, open: number, leaves: Uint8Array): void
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
  /**
   * Where set, the recording's records are these records of `bytes` and `ends`, in order: a source's records picked
   * out of the recording of every record, so they are not recorded twice.
   */
  readonly picks?: Int32Array
}

/** Where record `index` of a recording starts in its `bytes`. */
function recordStart(recorded: RecordedLeaves, index: number): number {
  const at = recorded.picks ? recorded.picks[index] : index
  return at === 0 ? 0 : recorded.ends[at - 1]
}

/** Where record `index` of a recording ends in its `bytes`. */
function recordEnd(recorded: RecordedLeaves, index: number): number {
  return recorded.ends[recorded.picks ? recorded.picks[index] : index]
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

  readonly openBlockRecords = -1

  appendHashed(recorded: RecordedLeaves): void {
    this.append(recorded)
  }

  clone(): RecordTree {
    return new RecordLeafTree(this.merkle.clone())
  }

  append(recorded: RecordedLeaves): void {
    const { bytes } = recorded
    for (let index = 0; index < recorded.count; index++) {
      const start = recordStart(recorded, index)
      this.add(bytes.subarray(start, start + 32), bytes.subarray(start + 32, recordEnd(recorded, index)))
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
    this.appendRange(recorded, 0, recorded.count)
  }

  get openBlockRecords(): number {
    return this.blockRecords
  }

  appendHashed(recorded: RecordedLeaves, open: number, leaves: Uint8Array): void {
    if (open !== this.blockRecords) {
      this.append(recorded)
      return
    }
    const head = headRecords(recorded.count, open)
    this.appendRange(recorded, 0, head)
    const blocks = leaves.length / 32
    const leafBytes = Buffer.from(leaves.buffer, leaves.byteOffset, leaves.length)
    for (let block = 0; block < blocks; block++)
      this.merkle.pushBinary(leafBytes.toString('latin1', 32 * block, 32 * block + 32))
    this.count += blocks * RECORDS_PER_LEAF
    this.appendRange(recorded, head + blocks * RECORDS_PER_LEAF, recorded.count)
  }

  /** Records `[from, count)` of a recording, as `add` would take them one by one. */
  private appendRange(recorded: RecordedLeaves, from: number, count: number): void {
    if (recorded.picks) {
      for (let record = from; record < count; record++) {
        const start = recordStart(recorded, record)
        const end = recordEnd(recorded, record)
        this.add(recorded.bytes.subarray(start, start + 32), recorded.bytes.subarray(start + 32, end))
      }
      return
    }
    const { bytes, ends } = recorded
    let record = from
    let start = from === 0 ? 0 : ends[from - 1]
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

/** Records of a recording that go to fill the open block of `open` records before whole blocks can start. */
function headRecords(count: number, open: number): number {
  return open === 0 ? 0 : Math.min(count, RECORDS_PER_LEAF - open)
}

/**
 * The leaf hashes (32 bytes each, back to back) of the whole blocks a recording makes when appended to a tree whose
 * open block holds `open` records: the first records fill that block, the last ones start the next. Another thread
 * can thus hash the blocks of records it read while the tree's own thread does other work.
 */
export function hashBlocks(recorded: RecordedLeaves, open: number): Uint8Array {
  const { bytes, ends, count } = recorded
  let record = headRecords(count, open)
  const blocks = Math.floor((count - record) / RECORDS_PER_LEAF)
  // Unpooled, so it can move to the other thread.
  const leaves = Buffer.allocUnsafeSlow(32 * blocks)
  let block: Buffer = Buffer.allocUnsafe(0)
  let blockView = viewOf(block)
  // Picked records are copied four bytes at a time: a byte at a time, a source's blocks took three times as long
  // to hash as the same bytes recorded back to back.
  const bytesView = viewOf(bytes)
  for (let index = 0; index < blocks; index++) {
    let blockBytes: number
    if (recorded.picks) {
      blockBytes = 1
      for (let picked = record; picked < record + RECORDS_PER_LEAF; picked++) {
        const start = recordStart(recorded, picked)
        const length = recordEnd(recorded, picked) - start
        if (block.length < blockBytes + length) {
          block = grownBuffer(block, 2 * (blockBytes + length), blockBytes)
          blockView = viewOf(block)
        }
        copyWords(bytesView, start, blockView, blockBytes, length)
        blockBytes += length
      }
    } else {
      const start = record === 0 ? 0 : ends[record - 1]
      const end = ends[record + RECORDS_PER_LEAF - 1]
      if (block.length < 1 + end - start) block = Buffer.alloc(2 * (1 + end - start))
      block.set(bytes.subarray(start, end), 1)
      blockBytes = 1 + end - start
    }
    record += RECORDS_PER_LEAF
    block[0] = 0
    leaves.write(hash('sha256', block.subarray(0, blockBytes), 'binary'), 32 * index, 32, 'latin1')
  }
  return leaves
}

/**
 * Records what it receives (see `RecordedLeaves`), for a tree to take in later. Its buffers are shared memory, so
 * the thread it is sent to reads the same records while this one hashes their blocks (`hashBlocks`).
 *
 * A recorder made from another, `whole`, records only which of the whole recording's records it received: each
 * record it is given must be the one just given to `whole` (a source's records, given to the tree of every record
 * first). Recording a source's records again took as much fresh memory as the whole recording, whose pages cost a
 * fault each; a record number takes 4 bytes instead of about 36.
 */
export class LeafRecorder implements RecordSink<LeafRecorder> {
  count = 0
  private bytes: Buffer = sharedBytes(0)
  private view = viewOf(this.bytes)
  private readonly digests = new LeafWriter()
  private used = 0
  private ends = sharedInts(1 << 12)

  constructor(private readonly whole?: LeafRecorder) {
    if (!whole) this.growBytes(1 << 16)
  }

  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void {
    if (this.count === this.ends.length) {
      const ends = sharedInts(2 * this.ends.length)
      ends.set(this.ends)
      this.ends = ends
    }
    if (this.whole) {
      this.ends[this.count++] = this.whole.count - 1
      return
    }
    const needed = this.used + 32 + labelJson.length
    if (needed > this.bytes.length) this.growBytes(needed)
    this.used = this.digests.write(bodyDigest, labelJson, this.bytes, this.view, this.used)
    this.ends[this.count++] = this.used
  }

  append(recorded: RecordedLeaves): void {
    for (let index = 0; index < recorded.count; index++) {
      const start = recordStart(recorded, index)
      const end = recordEnd(recorded, index)
      this.add(recorded.bytes.subarray(start, start + 32), recorded.bytes.subarray(start + 32, end))
    }
  }

  /** A recorder of the same records; of a whole recording, one that picks them from it (see the class). */
  clone(): LeafRecorder {
    if (this.whole) {
      const copy = new LeafRecorder(this.whole)
      copy.ends = sharedInts(this.ends.length)
      copy.ends.set(this.ends.subarray(0, this.count))
      copy.count = this.count
      return copy
    }
    const copy = new LeafRecorder(this)
    copy.reserveRecords(this.count)
    for (let index = 0; index < this.count; index++) copy.ends[index] = index
    copy.count = this.count
    return copy
  }

  /**
   * Makes room for `factor` times the records so far at their average size: a part's reader that knows how much of
   * the part it has read so spares the copies of growing by doubling, a tenth of its time.
   */
  reserve(factor: number): void {
    if (this.count === 0) return
    this.reserveRecords(Math.ceil(this.count * factor))
    const bytes = Math.ceil(this.used * factor)
    if (!this.whole && bytes > this.bytes.length) this.growBytes(bytes)
  }

  private reserveRecords(records: number): void {
    if (records <= this.ends.length) return
    const ends = sharedInts(records)
    ends.set(this.ends.subarray(0, this.count))
    this.ends = ends
  }

  private growBytes(needed: number): void {
    const grown = sharedBytes(Math.max(needed, 2 * this.bytes.length))
    grown.set(this.bytes.subarray(0, this.used))
    this.bytes = grown
    this.view = viewOf(grown)
  }

  /** What was recorded; views into the recorder's own buffers (and the whole recording's, for a picking one). */
  recorded(): RecordedLeaves {
    if (this.whole)
      return { ...this.whole.recorded(), count: this.count, picks: this.ends.subarray(0, this.count) }
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

function sharedBytes(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length))
}

function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * length))
}

function grownBuffer(from: Buffer, needed: number, used: number): Buffer {
  // Bytes past `used` are always written before they are read.
  const grown = Buffer.allocUnsafeSlow(Math.max(needed, 2 * from.length))
  from.copy(grown, 0, 0, used)
  return grown
}
