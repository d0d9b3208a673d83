import { hash } from 'node:crypto'
import { merkleRoot } from '../provenance/merkle.js'

/*
 * The proofs of an RFC 6962 Merkle tree (section 2.1) over the audit log's leaf hashes: an inclusion proof that one
 * entry is in a tree of a given size, and a consistency proof that a smaller tree is a prefix of a larger one. The
 * leaf and node hashing (0x00 and 0x01 prefixes) is the one `src/provenance/merkle.ts` uses for record roots.
 */

function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash('sha256', Buffer.concat([Buffer.from([1]), left, right]), 'buffer')
}

/** The largest power of two strictly below `size` (size ≥ 2): where RFC 6962 splits a tree. */
function splitPoint(size: number): number {
  let split = 1
  while (split * 2 < size) split *= 2
  return split
}

/** MTH(D[n]) of RFC 6962 over leaf hashes, by the builder record roots use; the hash of no data for an empty tree. */
export function treeHash(leaves: readonly Buffer[]): Buffer {
  return merkleRoot(leaves)
}

/** PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves`, nearest sibling first. */
export function inclusionProof(leaves: readonly Buffer[], index: number): Buffer[] {
  if (leaves.length <= 1) return []
  const split = splitPoint(leaves.length)
  if (index < split) return [...inclusionProof(leaves.slice(0, split), index), treeHash(leaves.slice(split))]
  return [...inclusionProof(leaves.slice(split), index - split), treeHash(leaves.slice(0, split))]
}

/** PROOF(m, D[n]): shows the tree of the first `firstSize` leaves is a prefix of the tree of all `leaves`. */
export function consistencyProof(leaves: readonly Buffer[], firstSize: number): Buffer[] {
  if (firstSize === 0 || firstSize === leaves.length) return []
  return subProof(firstSize, leaves, true)
}

function subProof(size: number, leaves: readonly Buffer[], complete: boolean): Buffer[] {
  if (size === leaves.length) return complete ? [] : [treeHash(leaves)]
  const split = splitPoint(leaves.length)
  if (size <= split)
    return [...subProof(size, leaves.slice(0, split), complete), treeHash(leaves.slice(split))]
  return [...subProof(size - split, leaves.slice(split), false), treeHash(leaves.slice(0, split))]
}

/** Checks an inclusion proof the way a client does (RFC 9162, 2.1.3.2), from the leaf up to the root. */
export function verifyInclusion(
  leaf: Buffer,
  index: number,
  treeSize: number,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (index >= treeSize) return false
  let fn = index
  let sn = treeSize - 1
  let node = leaf
  for (const sibling of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      node = nodeHash(sibling, node)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn >>= 1
          sn >>= 1
        }
      }
    } else node = nodeHash(node, sibling)
    fn >>= 1
    sn >>= 1
  }
  return sn === 0 && node.equals(root)
}

/** Checks a consistency proof between two signed tree heads (RFC 9162, 2.1.4.2). */
export function verifyConsistency(
  firstSize: number,
  secondSize: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (firstSize > secondSize) return false
  if (firstSize === secondSize) return proof.length === 0 && firstRoot.equals(secondRoot)
  if (firstSize === 0 || proof.length === 0) return false
  const path = isPowerOfTwo(firstSize) ? [firstRoot, ...proof] : [...proof]
  if (path.length === 0) return false
  let fn = firstSize - 1
  let sn = secondSize - 1
  while (fn % 2 === 1) {
    fn >>= 1
    sn >>= 1
  }
  let fr = path[0]
  let sr = path[0]
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1
        sn >>= 1
      }
    } else sr = nodeHash(sr, c)
    fn >>= 1
    sn >>= 1
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot)
}

function isPowerOfTwo(value: number): boolean {
  return (value & (value - 1)) === 0
}
