import { hash } from 'node:crypto'

const EMPTY_ROOT = hash('sha256', Buffer.alloc(0), 'buffer')

/**
 * Streaming Merkle tree hash of RFC 6962 (Certificate Transparency) over leaf hashes given in order: keeps one
 * perfect subtree per set bit of the leaf count, so memory is O(log n) however many leaves arrive. Nodes are kept
 * as latin1 strings of their 32 bytes, which hashing returns far more cheaply than Buffers.
 */
export class MerkleBuilder {
  /** Roots of perfect subtrees, largest first; `sizes` holds their leaf counts. */
  private readonly roots: string[] = []
  private readonly sizes: number[] = []
  private readonly scratch = Buffer.alloc(65)
  count = 0

  /** Adds the next leaf hash (already `SHA-256(0x00 ‖ data)`). */
  push(leafHash: Uint8Array): void {
    this.pushBinary(Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength).toString('latin1'))
  }

  /** Adds the next leaf hash given as a latin1 string of its 32 bytes. */
  pushBinary(leafHash: string): void {
    let node = leafHash
    let size = 1
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      this.sizes.pop()
      node = this.combine(this.roots.pop()!, node)
      size *= 2
    }
    this.roots.push(node)
    this.sizes.push(size)
    this.count++
  }

  /** A builder holding the same leaves, which then grows on its own. */
  clone(): MerkleBuilder {
    const copy = new MerkleBuilder()
    copy.roots.push(...this.roots)
    copy.sizes.push(...this.sizes)
    copy.count = this.count
    return copy
  }

  /** The tree hash of every leaf pushed so far; the hash of no data when there are none. */
  root(): Buffer {
    if (this.roots.length === 0) return Buffer.from(EMPTY_ROOT)
    // RFC 6962 splits at the largest power of two below n, which is exactly folding the subtrees right to left.
    let node = this.roots[this.roots.length - 1]
    for (let index = this.roots.length - 2; index >= 0; index--) node = this.combine(this.roots[index], node)
    return Buffer.from(node, 'latin1')
  }

  private combine(left: string, right: string): string {
    const scratch = this.scratch
    scratch[0] = 1
    scratch.write(left, 1, 'latin1')
    scratch.write(right, 33, 'latin1')
    return hash('sha256', scratch, 'binary')
  }
}

/** RFC 6962 leaf hash of arbitrary bytes: SHA-256(0x00 ‖ data). */
export function leafHash(data: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([Buffer.from([0]), data]), 'buffer')
}

/** The Merkle tree hash of a list of leaf hashes. */
export function merkleRoot(leafHashes: Iterable<Uint8Array>): Buffer {
  const builder = new MerkleBuilder()
  for (const leaf of leafHashes) builder.push(leaf)
  return builder.root()
}
