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
  const seen = new Map<number, number[]>()
  for (let row = 0; row < rows; row++) {
    const base = row * cols
    let hash = FNV_OFFSET_BASIS
    for (let col = 0; col < cols; col++) hash = Math.imul(hash ^ bits[base + col], FNV_PRIME)
    const key = mixHash(hash >>> 0)
    const earlier = seen.get(key)
    if (earlier?.some((other) => sameRow(data, other * cols, base, cols))) continue
    first[row] = 1
    if (earlier) earlier.push(row)
    else seen.set(key, [row])
  }
  return first
}

function sameRow(data: Float32Array, first: number, second: number, cols: number): boolean {
  for (let col = 0; col < cols; col++) if (data[first + col] !== data[second + col]) return false
  return true
}
