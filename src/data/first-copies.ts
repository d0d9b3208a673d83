import { FNV_OFFSET_BASIS, FNV_PRIME, fnv1a, mixHash } from '../util/hashing.js'
import type { Dataset } from './dataset.js'
import type { FeatureMatrix } from './matrix.js'

/**
 * Where each record of a dataset was first written. A record written twice (a join done twice, a scrape that
 * revisits a page, a file appended to itself) is one draw of the data, not two: a test that counts records as
 * independent draws must count it once.
 */
export interface RecordCopies {
  /** For each row, the row holding the first copy of its record: the row itself for a first copy. */
  readonly firstRow: Int32Array
  /** 1 for each row that no earlier row repeats, 0 for its repeats. */
  readonly isFirst: Uint8Array
  /** Rows that repeat an earlier one. */
  readonly repeatCount: number
}

/** What makes two rows one record: the same bits in every feature, the same text and the same label. */
export interface RecordParts {
  readonly rowCount: number
  readonly features?: FeatureMatrix
  readonly texts?: readonly string[]
  /** Label codes: copies with different labels are a contradiction, two records, not one draw. */
  readonly codes?: Int32Array
}

/**
 * Finds each row's first copy: a hash of the row, checked part by part on a match, in an open-addressed table of
 * typed arrays (a million rows cost two arrays, not a million lists). Values are compared bit for bit, so -0 and
 * 0 differ, and so do two NaNs of different payloads.
 */
export function findRecordCopies(parts: RecordParts): RecordCopies {
  const { rowCount, features, texts, codes } = parts
  const bits =
    features && new Uint32Array(features.data.buffer, features.data.byteOffset, features.data.length)
  const cols = features?.cols ?? 0
  const size = 2 ** Math.ceil(Math.log2(2 * rowCount + 1))
  const slots = new Int32Array(size).fill(-1)
  const hashes = new Uint32Array(rowCount)
  const firstRow = new Int32Array(rowCount)
  const isFirst = new Uint8Array(rowCount)
  let repeatCount = 0
  for (let row = 0; row < rowCount; row++) {
    let hash = FNV_OFFSET_BASIS
    if (bits)
      for (let col = row * cols; col < (row + 1) * cols; col++) hash = Math.imul(hash ^ bits[col], FNV_PRIME)
    if (texts) hash = fnv1a(texts[row], 0, texts[row].length, hash >>> 0)
    if (codes) hash = Math.imul(hash ^ codes[row], FNV_PRIME)
    hashes[row] = mixHash(hash >>> 0)
    let slot = hashes[row] & (size - 1)
    let first = row
    for (; slots[slot] >= 0; slot = (slot + 1) & (size - 1)) {
      const other = slots[slot]
      if (hashes[other] === hashes[row] && sameRecord(parts, bits, other, row)) {
        first = other
        break
      }
    }
    firstRow[row] = first
    if (first !== row) {
      repeatCount++
      continue
    }
    slots[slot] = row
    isFirst[row] = 1
  }
  return { firstRow, isFirst, repeatCount }
}

function sameRecord(
  parts: RecordParts,
  bits: Uint32Array | undefined,
  first: number,
  second: number,
): boolean {
  if (parts.codes && parts.codes[first] !== parts.codes[second]) return false
  if (parts.texts && parts.texts[first] !== parts.texts[second]) return false
  const cols = parts.features?.cols ?? 0
  for (let col = 0; col < cols; col++)
    if (bits![first * cols + col] !== bits![second * cols + col]) return false
  return true
}

const copiesOfDatasets = new WeakMap<Dataset, RecordCopies>()

/**
 * The record copies of a dataset (its features as loaded, texts and labels), found once per dataset and shared
 * by every detector that reads it.
 */
export function recordCopies(dataset: Dataset): RecordCopies {
  let copies = copiesOfDatasets.get(dataset)
  if (!copies) {
    copies = findRecordCopies({
      rowCount: dataset.rowCount,
      features: dataset.features,
      texts: dataset.texts,
      codes: dataset.labels?.codes,
    })
    copiesOfDatasets.set(dataset, copies)
  }
  return copies
}
