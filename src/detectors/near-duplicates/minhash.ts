import { WordCursor } from '../../text/words.js'
import { combineHashes, FNV_OFFSET_BASIS, FNV_PRIME, mixHash } from '../../util/hashing.js'

/** Word shingles of every text, each set sorted ascending without repeats, in one flat array. */
export interface ShingleSets {
  readonly offsets: Int32Array
  readonly hashes: Uint32Array
}

/**
 * Sets of hashed word bigrams (a one-word text is its own shingle) over the first `maxChars` characters of each
 * text, words as written (`whitespace` words: a copy is the same text, case and punctuation included):
 * inserting or changing one word touches at most two shingles.
 */
export function wordShingles(texts: readonly string[], maxChars: number): ShingleSets {
  const offsets = new Int32Array(texts.length + 1)
  const scratch = new Uint32Array(Math.ceil(maxChars / 2) + 2)
  let hashes = new Uint32Array(1024)
  for (let row = 0; row < texts.length; row++) {
    const count = shinglesOf(texts[row], maxChars, scratch)
    const unique = uniqueSorted(scratch.subarray(0, count))
    if (offsets[row] + unique.length > hashes.length) {
      const grown = new Uint32Array(Math.max(hashes.length * 2, offsets[row] + unique.length))
      grown.set(hashes.subarray(0, offsets[row]))
      hashes = grown
    }
    hashes.set(unique, offsets[row])
    offsets[row + 1] = offsets[row] + unique.length
  }
  return { offsets, hashes: hashes.slice(0, offsets[texts.length]) }
}

/** Writes the bigram hashes of one text into `out` in one pass over its characters; returns their count. */
function shinglesOf(text: string, maxChars: number, out: Uint32Array): number {
  const words = new WordCursor(text, { definition: 'whitespace', maxChars })
  let count = 0
  let wordCount = 0
  let previous = 0
  while (words.next()) {
    const word = mixHash(words.hash)
    if (wordCount > 0) out[count++] = combineHashes(previous, word)
    previous = word
    wordCount++
  }
  if (wordCount === 1) out[count++] = previous
  return count
}

/** Sorts `values` in place and returns the prefix holding each value once. */
function uniqueSorted(values: Uint32Array): Uint32Array {
  values.sort()
  let kept = 0
  for (let index = 0; index < values.length; index++) {
    if (index === 0 || values[index] !== values[index - 1]) values[kept++] = values[index]
  }
  return values.subarray(0, kept)
}

/** Exact Jaccard similarity of two rows' shingle sets (1 for two empty sets). */
export function shingleJaccard(sets: ShingleSets, first: number, second: number): number {
  let a = sets.offsets[first]
  const aEnd = sets.offsets[first + 1]
  let b = sets.offsets[second]
  const bEnd = sets.offsets[second + 1]
  const union = aEnd - a + (bEnd - b)
  if (union === 0) return 1
  let shared = 0
  while (a < aEnd && b < bEnd) {
    const x = sets.hashes[a]
    const y = sets.hashes[b]
    if (x === y) {
      shared++
      a++
      b++
    } else if (x < y) a++
    else b++
  }
  return shared / (union - shared)
}

const emptyBin = 0xffffffff

/**
 * MinHash signatures by one-permutation hashing: each shingle's hash picks one of `binCount` bins and keeps the
 * bin's minimum, so a signature costs one hash per shingle instead of one per shingle and bin. An empty bin
 * borrows the value of a bin picked by a fixed pseudo-random probe sequence (the same for every text), so short
 * texts keep bins that agree only as often as their sets overlap.
 * @see Li, Owen, Zhang. One Permutation Hashing. NeurIPS 2012.
 * @see Shrivastava. Optimal Densification for Fast and Accurate Minwise Hashing. ICML 2017.
 */
export function minhashSignatures(sets: ShingleSets, binCount: number, salt: number): Uint32Array {
  const rowCount = sets.offsets.length - 1
  const signatures = new Uint32Array(rowCount * binCount).fill(emptyBin)
  const binWidth = 2 ** 32 / binCount
  for (let row = 0; row < rowCount; row++) {
    const signature = signatures.subarray(row * binCount, (row + 1) * binCount)
    for (let entry = sets.offsets[row]; entry < sets.offsets[row + 1]; entry++) {
      const hash = mixHash((sets.hashes[entry] ^ salt) >>> 0)
      const bin = Math.floor(hash / binWidth)
      const within = hash - bin * binWidth
      if (within < signature[bin]) signature[bin] = within
    }
    if (sets.offsets[row + 1] > sets.offsets[row]) densify(signature, binCount)
  }
  return signatures
}

function densify(signature: Uint32Array, binCount: number): void {
  const filled = new Uint8Array(binCount)
  for (let bin = 0; bin < binCount; bin++) filled[bin] = +(signature[bin] !== emptyBin)
  for (let bin = 0; bin < binCount; bin++) {
    if (filled[bin]) continue
    for (let attempt = 1; ; attempt++) {
      const donor = mixHash((Math.imul(bin, 0x9e3779b1) + attempt) >>> 0) % binCount
      if (filled[donor]) {
        signature[bin] = signature[donor]
        break
      }
    }
  }
}

/**
 * Calls `visit` with every bucket of two or more rows (ascending) whose signatures agree on every value of one
 * band, band by band; a pair of rows may share buckets in several bands.
 * @see Broder. On the Resemblance and Containment of Documents. 1997; Leskovec, Rajaraman, Ullman. Mining of
 * Massive Datasets, ch. 3 (banding).
 */
export function visitBandBuckets(
  signatures: Uint32Array,
  rowCount: number,
  bandCount: number,
  visit: (rows: Int32Array) => void,
): void {
  const width = signatures.length / rowCount
  const rowsPerBand = width / bandCount
  const keys = new Float64Array(rowCount)
  const order = new Int32Array(rowCount)
  for (let band = 0; band < bandCount; band++) {
    for (let row = 0; row < rowCount; row++) {
      let high = FNV_OFFSET_BASIS
      let low = 0x2545f491
      for (let value = 0; value < rowsPerBand; value++) {
        // Strided bins: a band's values come from bins far apart in the signature.
        const word = signatures[row * width + value * bandCount + band]
        high = Math.imul(high ^ word, FNV_PRIME)
        low = mixHash((low ^ word) >>> 0)
      }
      keys[row] = (mixHash(high >>> 0) & 0x1fffff) * 2 ** 32 + low
      order[row] = row
    }
    order.sort((a, b) => keys[a] - keys[b] || a - b)
    let start = 0
    while (start < rowCount) {
      let end = start + 1
      while (end < rowCount && keys[order[end]] === keys[order[start]]) end++
      if (end - start > 1) visit(order.subarray(start, end))
      start = end
    }
  }
}
