import type { Dataset } from '../data/dataset.js'
import type { Rng } from '../util/rng.js'
import type { ParamProblems } from './params.js'
import type { AttackResult } from './types.js'

/** Records to poison for a rate: `round(rate × rowCount)`, but at least one, so a small dataset is not left clean. */
export function countForRate(rate: number, rowCount: number): number {
  return Math.max(1, Math.round(rate * rowCount))
}

/** Rows whose label code passes `keep`, ascending; unlabelled rows (-1) are never eligible. */
export function labelledRowsWhere(codes: Int32Array, keep: (code: number) => boolean): Int32Array {
  const rows: number[] = []
  for (let row = 0; row < codes.length; row++) if (codes[row] >= 0 && keep(codes[row])) rows.push(row)
  return Int32Array.from(rows)
}

/** `count` distinct candidates drawn uniformly (partial Fisher–Yates), returned ascending. */
export function sampleRows(candidates: Int32Array, count: number, rng: Rng): Int32Array {
  const pool = Int32Array.from(candidates)
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i)
    const swap = pool[i]
    pool[i] = pool[j]
    pool[j] = swap
  }
  return pool.subarray(0, count).sort()
}

/** Records a problem when a rate asks for more records than are eligible; returns whether the count fits. */
export function checkEligible(
  count: number,
  eligible: number,
  rowCount: number,
  what: string,
  problems: ParamProblems,
): boolean {
  if (count <= eligible) return true
  const maxRate = eligible / rowCount
  problems.add(
    'rate',
    `asks for ${count} poisoned records but only ${eligible} are ${what}; use a rate of at most ${Number(maxRate.toFixed(4))}`,
  )
  return false
}

/** Records appended to a dataset, in the dataset's own columns. */
export interface AddedRows {
  readonly ids: readonly string[]
  readonly codes: Int32Array
  /** Row-major, `ids.length × features.cols`; required when the dataset has features. */
  readonly features?: Float32Array
  /** Required when the dataset has texts. */
  readonly texts?: readonly string[]
  /** Used when the dataset has sources. */
  readonly source: string
}

/** What an attack changed; arrays given here are owned by the new dataset (copy before writing into them). */
export interface DatasetChanges {
  readonly codes?: Int32Array
  readonly features?: Float32Array
  readonly texts?: readonly string[]
  readonly added?: AddedRows
}

function concatFloat(first: Float32Array, second: Float32Array): Float32Array {
  const out = new Float32Array(first.length + second.length)
  out.set(first)
  out.set(second, first.length)
  return out
}

function concatInt(first: Int32Array, second: Int32Array): Int32Array {
  const out = new Int32Array(first.length + second.length)
  out.set(first)
  out.set(second, first.length)
  return out
}

/**
 * Builds the poisoned dataset: changed columns replaced, added rows appended, everything else shared with the
 * input. Embeddings are dropped once features, texts or the row count change, because they no longer describe
 * the records.
 */
export function poisonedDataset(input: Dataset, changes: DatasetChanges): Dataset {
  const added = changes.added
  const codes = changes.codes ?? input.labels?.codes
  const features = changes.features ?? input.features?.data
  const texts = changes.texts ?? input.texts
  const rowCount = input.rowCount + (added?.ids.length ?? 0)
  const warnings = [...input.warnings]
  const contentChanged = changes.features !== undefined || changes.texts !== undefined || added !== undefined
  if (input.embeddings && contentChanged)
    warnings.push('embeddings were dropped: the attack changed or added records they no longer describe')
  const cols = input.features?.cols ?? 0
  return {
    ...input,
    origin: { ...input.origin, sha256: '' },
    rowCount,
    ids: added ? [...input.ids, ...added.ids] : input.ids,
    labels:
      input.labels && (changes.codes || added)
        ? { ...input.labels, codes: added ? concatInt(codes!, added.codes) : codes! }
        : input.labels,
    texts: texts && added ? [...texts, ...(added.texts ?? [])] : texts,
    sources:
      input.sources && added ? [...input.sources, ...added.ids.map(() => added.source)] : input.sources,
    features:
      input.features && (changes.features || added)
        ? { data: added?.features ? concatFloat(features!, added.features) : features!, rows: rowCount, cols }
        : input.features,
    embeddings: contentChanged ? undefined : input.embeddings,
    // Added records have no prompt and response of their own.
    instructions: added ? undefined : input.instructions,
    warnings,
  }
}

/** Packs a poisoned dataset and its ground truth into an attack result. */
export function attackResult(
  dataset: Dataset,
  poisonedRows: Int32Array,
  info: Record<string, unknown>,
  triggerTestSet?: AttackResult['triggerTestSet'],
): AttackResult {
  const rows = Int32Array.from(poisonedRows).sort()
  return {
    dataset,
    poisonedRows: rows,
    poisonedIds: Array.from(rows, (row) => dataset.ids[row]),
    info,
    ...(triggerTestSet ? { triggerTestSet } : {}),
  }
}

/** Rows `first..first+count-1`, the positions of appended records. */
export function rowRange(first: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, index) => first + index)
}

/**
 * Hands out ids for added records, `<base>~<tag><k>` with the smallest k ≥ 1 not yet taken, so ids stay unique
 * and say which record each one copies.
 */
export function createIdAllocator(existing: readonly string[]): (base: string, tag: string) => string {
  const taken = new Set(existing)
  const nextNumber = new Map<string, number>()
  return (base, tag) => {
    const prefix = `${base}~${tag}`
    let number = nextNumber.get(prefix) ?? 1
    while (taken.has(`${prefix}${number}`)) number++
    nextNumber.set(prefix, number + 1)
    const id = `${prefix}${number}`
    taken.add(id)
    return id
  }
}
