import type { FeatureMatrix } from '../data/matrix.js'
import { FNV_OFFSET_BASIS, FNV_PRIME, fnv1a, mixHash } from '../util/hashing.js'

/**
 * Hash of one record's content: the bits of its feature values and its text, never its id or its label. An attacker
 * cannot move a record into another partition by renaming it, and a label change stays inside the record's
 * partition, so it costs one partition like an insertion or a deletion. Equal contents share a partition.
 * @see Levine & Feizi (2021), Deep Partition Aggregation, ICLR, §3 (partitions by a hash of the input).
 */
export function hashRecordContent(features: Float32Array, text?: string): number {
  const bits = new Uint32Array(features.buffer, features.byteOffset, features.length)
  let hash = FNV_OFFSET_BASIS
  for (let index = 0; index < bits.length; index++) hash = Math.imul(hash ^ bits[index], FNV_PRIME)
  if (text !== undefined) hash = fnv1a(text, 0, text.length, hash)
  return mixHash(hash)
}

/** The content hash of every row of a matrix, with the row's text when there is one. */
export function hashRows(x: FeatureMatrix, texts?: readonly string[]): Uint32Array {
  const hashes = new Uint32Array(x.rows)
  for (let row = 0; row < x.rows; row++) {
    hashes[row] = hashRecordContent(x.data.subarray(row * x.cols, (row + 1) * x.cols), texts?.[row])
  }
  return hashes
}

/** The bucket of every record: its content hash modulo `bucketCount`. */
export function assignBuckets(hashes: Uint32Array, bucketCount: number): Int32Array {
  return Int32Array.from(hashes, (hash) => hash % bucketCount)
}

/**
 * The buckets one ensemble member trains on. Deep Partition Aggregation (`spread` 1) gives member `i` bucket `i`;
 * Finite Aggregation gives each of `k·d` members the `d` buckets `i, i−1, …, i−d+1` (cyclically), so every bucket
 * feeds exactly `d` members.
 * @see Wang, Levine & Feizi (2022), Improved certified defenses against data poisoning with (deterministic) finite
 * aggregation, ICML.
 */
export function memberBuckets(member: number, spread: number, bucketCount: number): number[] {
  return Array.from({ length: spread }, (_, offset) => (member - offset + bucketCount) % bucketCount)
}

/** The members a bucket feeds: the inverse of `memberBuckets`. */
export function bucketMembers(bucket: number, spread: number, bucketCount: number): number[] {
  return Array.from({ length: spread }, (_, offset) => (bucket + offset) % bucketCount)
}

/**
 * The training rows of every member, ordered by content hash: the same records train the same model whatever
 * their order in the file (SGD's passes start from this order).
 */
export function memberRows(
  buckets: Int32Array,
  hashes: Uint32Array,
  spread: number,
  bucketCount: number,
): Int32Array[] {
  const perBucket: number[][] = Array.from({ length: bucketCount }, () => [])
  for (let row = 0; row < buckets.length; row++) perBucket[buckets[row]].push(row)
  return Array.from({ length: bucketCount }, (_, member) => {
    const rows = memberBuckets(member, spread, bucketCount).flatMap((bucket) => perBucket[bucket])
    return Int32Array.from(rows.sort((a, b) => hashes[a] - hashes[b] || a - b))
  })
}
