import type { FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import {
  columnDistribution,
  createSortScratch,
  type EmpiricalDistribution,
  memberDistribution,
  sortedDistribution,
  sortedDistributionWithRows,
} from './ecdf.js'
import { KllSketch } from './sketch.js'

/** Columns with more rows are summarised by a KLL sketch unless told otherwise. */
export const DEFAULT_SKETCH_ABOVE_ROWS = 250_000

/** Most distinct whole-number values a column may have to count as categorical. */
export const MAX_CATEGORIES = 20

/** One numeric column reduced to what schema inference and the drift tests need. */
export interface ColumnSummary {
  /** Exact sorted sample, or a KLL sketch's weighted items above `sketchAboveRows`. */
  readonly distribution: EmpiricalDistribution
  /** Every finite value is a whole number. */
  readonly integer: boolean
  /** The distinct values, ascending, of a whole-number column with at most MAX_CATEGORIES of them. */
  readonly distinct?: number[]
  /** Counts of `distinct`, aligned with it (estimated from the sketch's weights when sketched). */
  readonly distinctCounts?: number[]
  /** Row of each value of an exact sample of every row, so that summaries of row subsets need no sort. */
  readonly rows?: Int32Array
}

export interface SummaryOptions {
  /** Columns with more rows than this are summarised by a KLL sketch; default 250,000. */
  sketchAboveRows?: number
  /** KLL capacity k; default 2,048 (rank error about 0.2% on a million rows). */
  sketchK?: number
  seed?: number
  /** Only these rows (e.g. one source); default all. */
  rows?: ArrayLike<number>
  /** Summaries of every row of the same matrix: with their row orders, `rows` (distinct) need no sort. */
  whole?: readonly ColumnSummary[]
}

function distinctValues(
  distribution: EmpiricalDistribution,
): { values: number[]; counts: number[] } | undefined {
  const values: number[] = []
  const counts: number[] = []
  const { values: sorted, weights } = distribution
  for (let index = 0; index < sorted.length; index++) {
    const weight = weights ? weights[index] : 1
    if (index > 0 && sorted[index] === sorted[index - 1]) {
      counts[counts.length - 1] += weight
      continue
    }
    if (values.length === MAX_CATEGORIES) return undefined
    values.push(sorted[index])
    counts.push(weight)
  }
  return { values, counts }
}

/** Whether every finite value is a whole number. */
function allWhole(values: ArrayLike<number>, start = 0, stride = 1, rows?: ArrayLike<number>): boolean {
  const count = rows ? rows.length : Math.ceil((values.length - start) / stride)
  for (let index = 0; index < count; index++) {
    const value = values[(rows ? rows[index] : index) * stride + start]
    if (Number.isFinite(value) && !Number.isInteger(value)) return false
  }
  return true
}

function summaryOf(distribution: EmpiricalDistribution, integer: boolean, rows?: Int32Array): ColumnSummary {
  const distinct = integer ? distinctValues(distribution) : undefined
  return { distribution, integer, distinct: distinct?.values, distinctCounts: distinct?.counts, rows }
}

/** Summarises one column: sorted exactly up to `sketchAboveRows` rows, sketched beyond, in one pass either way. */
export function summarizeColumn(
  matrix: FeatureMatrix,
  col: number,
  options: SummaryOptions = {},
): ColumnSummary {
  const { data, cols } = matrix
  const { rows } = options
  const rowCount = rows ? rows.length : matrix.rows
  if (rowCount > (options.sketchAboveRows ?? DEFAULT_SKETCH_ABOVE_ROWS)) {
    const sketch = new KllSketch(options.sketchK ?? 2048, createRng((options.seed ?? 0) + col))
    if (rows) for (let index = 0; index < rowCount; index++) sketch.update(data[rows[index] * cols + col])
    else sketch.updateStrided(data, col, cols)
    return summaryOf(sketch.toDistribution(), allWhole(data, col, cols, rows))
  }
  return exactSummary(columnDistribution(data, cols, col, rows))
}

function exactSummary(distribution: EmpiricalDistribution, rows?: Int32Array): ColumnSummary {
  // The sorted sample holds every finite value, contiguous, so this reads it instead of striding the matrix.
  return summaryOf(distribution, allWhole(distribution.values), rows)
}

/** Columns gathered together: a row's values share cache lines, so one pass over the rows serves all of them. */
const GATHER_COLUMNS = 16

/**
 * Columns `first` … `first + width − 1` of the chosen rows, column after column (`width × rowCount` values):
 * read once row by row instead of once per column, which would stream the whole matrix for every column.
 */
function gatherColumns(
  matrix: FeatureMatrix,
  first: number,
  width: number,
  rows?: ArrayLike<number>,
): Float32Array {
  const { data, cols } = matrix
  const rowCount = rows ? rows.length : matrix.rows
  const block = new Float32Array(width * rowCount)
  for (let index = 0; index < rowCount; index++) {
    const offset = (rows ? rows[index] : index) * cols + first
    for (let k = 0; k < width; k++) block[k * rowCount + index] = data[offset + k]
  }
  return block
}

/**
 * Summaries of every column for each of several disjoint row subsets (the sources of a side), from the summaries of
 * every row with their row orders: one walk per column hands each sorted value to its subset, instead of one walk
 * per column and subset. The same summaries as `summarizeColumns` with `rows` and `whole`; undefined when `whole`
 * has no row orders (sketched columns).
 */
export function summarizeDisjointSubsets(
  matrix: FeatureMatrix,
  subsets: readonly Int32Array[],
  whole: readonly ColumnSummary[],
): ColumnSummary[][] | undefined {
  if (!whole.every((summary) => summary.rows)) return undefined
  // Rows of no subset go to a last slot that is filled but never read; so every value is written and the walk
  // does not branch on membership.
  const none = subsets.length
  // One byte per row while the subsets allow it: the walk looks a row up in sorted order, i.e. at random.
  const subsetOf = (none < 255 ? new Uint8Array(matrix.rows) : new Int32Array(matrix.rows)).fill(none)
  const starts = new Int32Array(none + 2)
  subsets.forEach((rows, subset) => {
    for (let index = 0; index < rows.length; index++) subsetOf[rows[index]] = subset
    starts[subset + 1] = starts[subset] + rows.length
  })
  starts[none + 1] = matrix.rows
  const next = new Int32Array(none + 1)
  const bySubset: ColumnSummary[][] = subsets.map(() => [])
  for (const summary of whole) {
    const values = summary.distribution.values
    const rows = summary.rows!
    const picked = new Float64Array(matrix.rows)
    next.set(starts.subarray(0, none + 1))
    for (let index = 0; index < values.length; index++) picked[next[subsetOf[rows[index]]]++] = values[index]
    for (let subset = 0; subset < none; subset++) {
      const kept = next[subset] - starts[subset]
      const sorted = picked.subarray(starts[subset], next[subset])
      bySubset[subset].push(exactSummary({ values: sorted, totalWeight: kept, count: kept, rankError: 0 }))
    }
  }
  return bySubset
}

/** Summaries of every column of a matrix (or of its `rows`). */
export function summarizeColumns(matrix: FeatureMatrix, options: SummaryOptions = {}): ColumnSummary[] {
  const rowCount = options.rows ? options.rows.length : matrix.rows
  if (rowCount > (options.sketchAboveRows ?? DEFAULT_SKETCH_ABOVE_ROWS))
    return Array.from({ length: matrix.cols }, (_, col) => summarizeColumn(matrix, col, options))
  const { rows, whole } = options
  if (rows && whole?.every((summary) => summary.rows)) {
    const member = new Uint8Array(matrix.rows)
    for (let index = 0; index < rows.length; index++) member[rows[index]] = 1
    return whole.map((summary) =>
      exactSummary(memberDistribution(summary.distribution, summary.rows!, member, rows.length)),
    )
  }
  const summaries: ColumnSummary[] = []
  const scratch = createSortScratch(rowCount)
  for (let first = 0; first < matrix.cols; first += GATHER_COLUMNS) {
    const width = Math.min(GATHER_COLUMNS, matrix.cols - first)
    const block = gatherColumns(matrix, first, width, rows)
    for (let k = 0; k < width; k++) {
      const column = block.subarray(k * rowCount, (k + 1) * rowCount)
      if (rows) {
        summaries.push(exactSummary(sortedDistribution(column, scratch)))
        continue
      }
      const sorted = sortedDistributionWithRows(column, scratch)
      summaries.push(exactSummary(sorted.distribution, sorted.rows))
    }
  }
  return summaries
}

/** Columns a thread claims at a time when two threads sort one matrix. */
const SHARED_SORT_COLUMNS = 2

/**
 * The whole-column sorts of one matrix, shared by two threads (`sortClaimedColumns` on each, then
 * `sharedColumnSummaries` on the one that needs them), in shared memory: so neither waits while the other sorts.
 */
export interface SharedColumnSort {
  /** The next block of columns to claim, then per column 0 until sorted, then how many values it kept, plus one. */
  readonly state: Int32Array
  /** Column `col`'s sorted values from `col × rows` on. */
  readonly values: Float64Array
  /** The row of each of those values. */
  readonly rows: Int32Array
}

export function createSharedColumnSort(matrix: FeatureMatrix): SharedColumnSort {
  const cells = matrix.rows * matrix.cols
  return {
    state: new Int32Array(new SharedArrayBuffer(4 * (1 + matrix.cols))),
    values: new Float64Array(new SharedArrayBuffer(8 * cells)),
    rows: new Int32Array(new SharedArrayBuffer(4 * cells)),
  }
}

/**
 * Sorts blocks of columns into `shared` until every block is claimed; returns how many blocks this thread sorted.
 * The sorted values and rows are those `summarizeColumns` gives.
 */
export function sortClaimedColumns(matrix: FeatureMatrix, shared: SharedColumnSort): number {
  const { rows, cols } = matrix
  const scratch = createSortScratch(rows)
  let taken = 0
  for (;;) {
    const first = Atomics.add(shared.state, 0, 1) * SHARED_SORT_COLUMNS
    if (first >= cols) return taken
    const width = Math.min(SHARED_SORT_COLUMNS, cols - first)
    const block = gatherColumns(matrix, first, width)
    for (let k = 0; k < width; k++) {
      const sorted = sortedDistributionWithRows(block.subarray(k * rows, (k + 1) * rows), scratch)
      const kept = sorted.distribution.count
      const offset = (first + k) * rows
      shared.values.set(sorted.distribution.values, offset)
      shared.rows.set(sorted.rows.subarray(0, kept), offset)
      Atomics.store(shared.state, 1 + first + k, kept + 1)
      Atomics.notify(shared.state, 1 + first + k)
    }
    taken++
  }
}

/**
 * `summarizeColumns` of every row of `matrix`, sorted by this thread and another one (`sortClaimedColumns` on
 * both): this thread claims blocks until none is left, then takes the other's. A column the other thread claimed
 * and has not finished is waited for about as long as a block takes here, then sorted here as well (with the same
 * result): on a busy machine the other thread may be paused, and this one must not wait on it.
 */
export function sharedColumnSummaries(matrix: FeatureMatrix, shared: SharedColumnSort): ColumnSummary[] {
  const started = performance.now()
  const taken = sortClaimedColumns(matrix, shared)
  const blockMs = taken > 0 ? (performance.now() - started) / taken : 0
  const summaries: ColumnSummary[] = []
  for (let col = 0; col < matrix.cols; col++) {
    if (Atomics.load(shared.state, 1 + col) === 0) Atomics.wait(shared.state, 1 + col, 0, blockMs)
    const done = Atomics.load(shared.state, 1 + col)
    if (done === 0) {
      const sorted = sortedDistributionWithRows(gatherColumns(matrix, col, 1), createSortScratch(matrix.rows))
      summaries.push(exactSummary(sorted.distribution, sorted.rows))
      continue
    }
    const offset = col * matrix.rows
    const kept = done - 1
    const values = shared.values.subarray(offset, offset + kept)
    summaries.push(
      exactSummary(
        { values, totalWeight: kept, count: kept, rankError: 0 },
        shared.rows.subarray(offset, offset + kept),
      ),
    )
  }
  return summaries
}
