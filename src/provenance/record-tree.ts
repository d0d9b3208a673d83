import { hash } from 'node:crypto'
import { type RECORD_ENCODING, RECORD_ENCODING_V1, recordLeafBinary } from './canonical.js'
import { MerkleBuilder } from './merkle.js'

/** Records per Merkle leaf in the v2 encoding. */
export const RECORDS_PER_LEAF = 1024

/** The record encodings a manifest may name; v1 manifests stay verifiable. */
export type RecordEncoding = typeof RECORD_ENCODING | typeof RECORD_ENCODING_V1

/** A Merkle tree over records in input order, each given as its 32-byte body digest and its label's JSON (UTF-8). */
export interface RecordTree {
  readonly count: number
  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void
  /** A tree holding the same records, which then grows on its own. */
  clone(): RecordTree
  root(): Buffer
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
  private block = Buffer.alloc(INITIAL_BLOCK_BYTES)
  private blockBytes = 1
  private blockRecords = 0

  constructor(private readonly merkle = new MerkleBuilder()) {}

  add(bodyDigest: Uint8Array, labelJson: Uint8Array): void {
    const needed = this.blockBytes + 32 + labelJson.length
    if (needed > this.block.length) this.grow(needed)
    const block = this.block
    let at = this.blockBytes
    // A few dozen bytes are copied faster by hand than by a call into `set`.
    for (let index = 0; index < 32; index++) block[at++] = bodyDigest[index]
    for (let index = 0; index < labelJson.length; index++) block[at++] = labelJson[index]
    this.blockBytes = at
    this.count++
    if (++this.blockRecords === RECORDS_PER_LEAF) this.flush(this.merkle)
  }

  clone(): RecordTree {
    const copy = new RecordBlockTree(this.merkle.clone())
    copy.count = this.count
    copy.block = Buffer.from(this.block)
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
    const grown = Buffer.alloc(Math.max(needed, 2 * this.block.length))
    this.block.copy(grown, 0, 0, this.blockBytes)
    this.block = grown
  }
}
