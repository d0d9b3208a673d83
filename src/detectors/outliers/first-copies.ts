import type { FeatureMatrix } from '../../data/matrix.js'
import { FNV_OFFSET_BASIS, FNV_PRIME, mixHash } from '../../util/hashing.js'

/**
 * 1 for each record whose features no earlier record repeats exactly, 0 for its repeats. A record written twice
 * (a join done twice, a file appended to itself) is one draw of the data, not two: its copies' scores tie, and a
 * test that reads the spacings of the ordered scores as independent draws takes each tie for a gap-free stretch of
 * the tail and finds the scores above it standing apart.
 */
export function firstCopies(features: FeatureMatrix): Uint8Array {
  const { data, rows, cols } = features
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length)
  const first = new Uint8Array(rows)
  // Open addressing in typed arrays: a million rows cost two arrays, not a million lists.
  const size = 2 ** Math.ceil(Math.log2(2 * rows + 1))
  const slots = new Int32Array(size).fill(-1)
  const hashes = new Uint32Array(rows)
  for (let row = 0; row < rows; row++) {
    const base = row * cols
    let hash = FNV_OFFSET_BASIS
    for (let col = 0; col < cols; col++) hash = Math.imul(hash ^ bits[base + col], FNV_PRIME)
    hashes[row] = mixHash(hash >>> 0)
    let slot = hashes[row] & (size - 1)
    let repeat = false
    for (; slots[slot] >= 0; slot = (slot + 1) & (size - 1)) {
      const other = slots[slot]
      if (hashes[other] === hashes[row] && sameRow(data, other * cols, base, cols)) {
        repeat = true
        break
      }
    }
    if (repeat) continue
    slots[slot] = row
    first[row] = 1
  }
  return first
}

function sameRow(data: Float32Array, first: number, second: number, cols: number): boolean {
  for (let col = 0; col < cols; col++) if (data[first + col] !== data[second + col]) return false
  return true
}
