import type { Dataset } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { FNV_OFFSET_BASIS, FNV_PRIME, mixHash } from '../../util/hashing.js'

/** Two independent 32-bit lanes of one running hash; together they make collisions negligible. */
interface HashLanes {
  high: number
  low: number
}

function hashBits(lanes: HashLanes, bits: Uint32Array): void {
  let { high, low } = lanes
  for (let index = 0; index < bits.length; index++) {
    const word = bits[index]
    high = Math.imul(high ^ word, FNV_PRIME)
    low = Math.imul((low ^ word) + 0x7f4a7c15, 0x85ebca6b)
    low ^= low >>> 15
  }
  lanes.high = high
  lanes.low = low
}

function hashText(lanes: HashLanes, text: string): void {
  let { high, low } = lanes
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    high = Math.imul(high ^ code, FNV_PRIME)
    low = Math.imul((low ^ code) + 0x7f4a7c15, 0x85ebca6b)
    low ^= low >>> 15
  }
  lanes.high = high
  lanes.low = low
}

function rowBits(matrix: FeatureMatrix, row: number): Uint32Array {
  const { data, cols } = matrix
  return new Uint32Array(data.buffer, data.byteOffset + row * cols * 4, cols)
}

/** The content a record is made of: raw features, embeddings and text, whichever the dataset has. */
function contentMatrices(dataset: Dataset): FeatureMatrix[] {
  return [dataset.features, dataset.embeddings].filter(
    (matrix): matrix is FeatureMatrix => matrix !== undefined && matrix.cols > 0,
  )
}

/**
 * A 53-bit hash of every record's content (feature bits, embedding bits, text), equal for byte-identical
 * records; labels, ids and sources are not part of the content.
 */
export function hashRecordContents(dataset: Dataset): Float64Array {
  const matrices = contentMatrices(dataset)
  const keys = new Float64Array(dataset.rowCount)
  for (let row = 0; row < dataset.rowCount; row++) {
    const lanes: HashLanes = { high: FNV_OFFSET_BASIS, low: 0x2545f491 }
    for (const matrix of matrices) hashBits(lanes, rowBits(matrix, row))
    if (dataset.texts) hashText(lanes, dataset.texts[row])
    keys[row] = (mixHash(lanes.high >>> 0) & 0x1fffff) * 2 ** 32 + mixHash(lanes.low >>> 0)
  }
  return keys
}

/** Whether two records hold exactly the same content; confirms a hash match. */
export function sameContent(dataset: Dataset, first: number, second: number): boolean {
  for (const matrix of contentMatrices(dataset)) {
    const a = rowBits(matrix, first)
    const b = rowBits(matrix, second)
    for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
  }
  return !dataset.texts || dataset.texts[first] === dataset.texts[second]
}

/** Pairs (as flat [a0, b0, a1, b1, …]) linking every record to the first earlier record with identical content. */
export function exactDuplicatePairs(dataset: Dataset, keys: Float64Array): Int32Array {
  const order = Int32Array.from({ length: keys.length }, (_, index) => index).sort(
    (a, b) => keys[a] - keys[b] || a - b,
  )
  const pairs: number[] = []
  let start = 0
  while (start < order.length) {
    let end = start + 1
    while (end < order.length && keys[order[end]] === keys[order[start]]) end++
    for (let index = start + 1; index < end; index++) {
      // Within one hash run, link to the first member with the same content (a true collision starts a new set).
      for (let earlier = start; earlier < index; earlier++) {
        if (sameContent(dataset, order[earlier], order[index])) {
          pairs.push(order[earlier], order[index])
          break
        }
      }
    }
    start = end
  }
  return Int32Array.from(pairs)
}
