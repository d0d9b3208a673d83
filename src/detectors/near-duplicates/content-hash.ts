import type { Dataset } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { FNV_OFFSET_BASIS, FNV_PRIME, mixHash } from '../../util/hashing.js'

/** Mixes one word into the low lane: a second, independent hash beside FNV-1a's. */
function mixLow(low: number, word: number): number {
  const mixed = Math.imul((low ^ word) + 0x7f4a7c15, 0x85ebca6b)
  return mixed ^ (mixed >>> 15)
}

/**
 * Feeds every row's words of `matrix` into its two lanes (`highs[row]`, `lows[row]`: together they make collisions
 * negligible). Four rows go side by side, each still word by word: every step waits on the one before it in the
 * same lane, and four rows' lanes keep the multiplier busy meanwhile.
 */
function hashMatrixRows(highs: Int32Array, lows: Int32Array, matrix: FeatureMatrix): void {
  const { data, rows, cols } = matrix
  const words = new Uint32Array(data.buffer, data.byteOffset, rows * cols)
  let row = 0
  for (; row + 4 <= rows; row += 4) {
    let high0 = highs[row]
    let high1 = highs[row + 1]
    let high2 = highs[row + 2]
    let high3 = highs[row + 3]
    let low0 = lows[row]
    let low1 = lows[row + 1]
    let low2 = lows[row + 2]
    let low3 = lows[row + 3]
    for (let at = row * cols, end = at + cols; at < end; at++) {
      const word0 = words[at]
      const word1 = words[at + cols]
      const word2 = words[at + 2 * cols]
      const word3 = words[at + 3 * cols]
      high0 = Math.imul(high0 ^ word0, FNV_PRIME)
      high1 = Math.imul(high1 ^ word1, FNV_PRIME)
      high2 = Math.imul(high2 ^ word2, FNV_PRIME)
      high3 = Math.imul(high3 ^ word3, FNV_PRIME)
      low0 = mixLow(low0, word0)
      low1 = mixLow(low1, word1)
      low2 = mixLow(low2, word2)
      low3 = mixLow(low3, word3)
    }
    highs.set([high0, high1, high2, high3], row)
    lows.set([low0, low1, low2, low3], row)
  }
  for (; row < rows; row++) {
    let high = highs[row]
    let low = lows[row]
    for (let at = row * cols, end = at + cols; at < end; at++) {
      high = Math.imul(high ^ words[at], FNV_PRIME)
      low = mixLow(low, words[at])
    }
    highs[row] = high
    lows[row] = low
  }
}

function hashTexts(highs: Int32Array, lows: Int32Array, texts: readonly string[]): void {
  for (let row = 0; row < texts.length; row++) {
    const text = texts[row]
    let high = highs[row]
    let low = lows[row]
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index)
      high = Math.imul(high ^ code, FNV_PRIME)
      low = mixLow(low, code)
    }
    highs[row] = high
    lows[row] = low
  }
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
  const highs = new Int32Array(dataset.rowCount).fill(FNV_OFFSET_BASIS)
  const lows = new Int32Array(dataset.rowCount).fill(0x2545f491)
  // Each record's lanes take its features, then its embeddings, then its text, as one stream.
  for (const matrix of contentMatrices(dataset)) hashMatrixRows(highs, lows, matrix)
  if (dataset.texts) hashTexts(highs, lows, dataset.texts)
  const keys = new Float64Array(dataset.rowCount)
  for (let row = 0; row < dataset.rowCount; row++)
    keys[row] = (mixHash(highs[row] >>> 0) & 0x1fffff) * 2 ** 32 + mixHash(lows[row] >>> 0)
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
