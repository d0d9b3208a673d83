import type { TextCounts } from '../features/text.js'
import { sublinearFrequency } from '../features/text.js'
import { pack, unpack } from './codec.js'

/*
 * A feature job's counts as they travel back. A block of short texts holds about two entries per character, so the
 * counts outweigh the texts many times, and the coordinator's cost of reading them back from the store grows with
 * their bytes: each entry is sent as one 32-bit word, its bucket in the low `hashBits` bits and its whole term
 * frequency above, instead of a bucket and a float. The coordinator takes `1 + ln(tf)` of the frequency exactly as
 * the counting does, so the values are the same bits. A block with a frequency too large for the word goes as
 * buckets and frequencies side by side.
 */

/** Packs counts whose values are whole term frequencies (`countTexts(…, { termFrequencies: true })`). */
export function packTermFrequencies(counts: TextCounts, hashBits: number): Buffer {
  const { indptr, indices, values } = counts
  const limit = 2 ** (32 - hashBits)
  const words = new Int32Array(indices.length)
  for (let entry = 0; entry < indices.length; entry++) {
    if (values[entry] >= limit) return pack({ meta: { words: false }, arrays: { indptr, indices, values } })
    words[entry] = indices[entry] | (values[entry] << hashBits)
  }
  return pack({ meta: { words: true }, arrays: { indptr, words } })
}

/** Frequencies below this get `1 + ln(tf)` from a table made once; the rest compute it. */
const tabled = 256
const sublinearTable = Float32Array.from({ length: tabled }, (_, tf) => sublinearFrequency(tf))

/** The counts `packTermFrequencies` packed, their values `1 + ln(tf)` as the counting writes them. */
export function unpackTermFrequencies(bytes: Uint8Array, hashBits: number): TextCounts {
  const { meta, arrays } = unpack(bytes)
  const indptr = arrays.indptr as Int32Array
  const packedWords = (meta as { words: boolean }).words
  const length = packedWords ? arrays.words.length : arrays.indices.length
  const indices = packedWords ? new Int32Array(length) : (arrays.indices as Int32Array)
  const values = new Float32Array(length)
  const mask = 2 ** hashBits - 1
  for (let entry = 0; entry < length; entry++) {
    let tf: number
    if (packedWords) {
      const word = arrays.words[entry]
      indices[entry] = word & mask
      tf = word >>> hashBits
    } else tf = arrays.values[entry]
    values[entry] = tf < tabled ? sublinearTable[tf] : sublinearFrequency(tf)
  }
  return { indptr, indices, values }
}
