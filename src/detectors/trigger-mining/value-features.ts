import type { CategoryGroup } from '../../data/categorical.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import { binomialUpperTail } from '../../stats/tails.js'
import { carrierLists, type Incidence, IncidenceBuilder } from './incidence.js'

/** Candidate tabular features: feature `f` means "column `columns[f]` holds exactly `values[f]`". */
export interface ValueFeatures {
  readonly incidence: Incidence
  readonly columns: Int32Array
  readonly values: Float64Array
}

/**
 * How many times the records of a column's next commonest value a value must be held by to count as standing alone
 * in it (see `extractValueFeatures`).
 */
const dominance = 2

/** One column's values worth testing, and those past the cap that may join a value standing alone elsewhere. */
interface ColumnValues {
  /** Ascending. */
  readonly kept: number[]
  /** The value standing alone past the cap, if any. */
  readonly alone?: number
  /** Values held by more than `maxCarriers` and at most `maxDominantCarriers` records that do not stand alone. */
  readonly pending: number[]
}

/**
 * Distinct values of one column held by between `minRows` and `maxCarriers` records, ascending, and the column's
 * commonest value up to `maxDominantCarriers` where it stands alone (`dominance`).
 */
function frequentValues(
  column: Float32Array,
  minRows: number,
  maxCarriers: number,
  maxDominantCarriers: number,
): ColumnValues {
  const sorted = Float32Array.from(column).sort()
  const kept: number[] = []
  const past: number[] = []
  let top = { value: Number.NaN, count: 0 }
  let second = 0
  let start = 0
  while (start < sorted.length) {
    let end = start + 1
    while (end < sorted.length && sorted[end] === sorted[start]) end++
    const count = end - start
    if (!Number.isNaN(sorted[start])) {
      if (count >= minRows && count <= maxCarriers) kept.push(sorted[start])
      else if (count > maxCarriers && count <= maxDominantCarriers) past.push(sorted[start])
    }
    if (count > top.count) {
      second = top.count
      top = { value: sorted[start], count }
    } else second = Math.max(second, count)
    start = end
  }
  const alone = top.count > maxCarriers && top.count <= maxDominantCarriers && top.count >= dominance * second
  if (!alone || Number.isNaN(top.value)) return { kept, pending: past }
  kept.push(top.value)
  kept.sort((a, b) => a - b)
  return { kept, alone: top.value, pending: past.filter((value) => value !== top.value) }
}

/**
 * Adds to each column's kept values those past the cap that are written into the same records as a value standing
 * alone in another column (at least `minRows` shared, and half of either's carriers, as `coCarriedValues` asks). A
 * trigger of several columns written into a sixth of a table measured to a tenth of a unit may not tower over a
 * natural peak of one column (a petal width of 0.2 cm), yet it does over another's, and its columns are carried
 * together. Only a value standing alone anchors, which no category does past the cap; a value that joins it is
 * tested as every value past the cap is (at least half of its carriers must hold the label).
 */
function joinAlone(data: Float32Array, rows: number, columns: ColumnValues[], minRows: number): void {
  const cols = columns.length
  const anchors = columns.flatMap((entry, col) =>
    entry.alone === undefined ? [] : [{ col, value: entry.alone }],
  )
  if (anchors.length === 0) return
  columns.forEach((entry, col) => {
    const joined = entry.pending.filter((value) => {
      let carriers = 0
      const shared = new Int32Array(anchors.length)
      const anchorCarriers = new Int32Array(anchors.length)
      for (let row = 0; row < rows; row++) {
        const holds = data[row * cols + col] === value
        if (holds) carriers++
        anchors.forEach((anchor, index) => {
          if (data[row * cols + anchor.col] !== anchor.value) return
          anchorCarriers[index]++
          if (holds) shared[index]++
        })
      }
      return anchors.some(
        (anchor, index) =>
          anchor.col !== col &&
          shared[index] >= Math.max(minRows, Math.max(carriers, anchorCarriers[index]) / 2),
      )
    })
    if (joined.length === 0) return
    entry.kept.push(...joined)
    entry.kept.sort((a, b) => a - b)
  })
}

/** Index of `value` in ascending `values`, or -1. */
function findValue(values: Float32Array, value: number): number {
  let low = 0
  let high = values.length - 1
  while (low <= high) {
    const middle = (low + high) >> 1
    if (values[middle] < value) low = middle + 1
    else if (values[middle] > value) high = middle - 1
    else return middle
  }
  return -1
}

/**
 * Exact (column, value) pairs held by between `minRows` and `maxCarriers` records: an in-bounds tabular trigger
 * writes the same values into every poisoned record, which natural continuous columns rarely repeat. A value held
 * by more (up to `maxDominantCarriers`) is kept where it stands alone in its column, held by at least `dominance`
 * times as many records as any other value: a trigger written into a sixth of the records towers over a
 * measurement's chance repeats, while a category shares its column with other common values (a 0/1 flag, one-hot
 * codes, a grade) and is never tested alone. Other values past the cap join where they are written into the same
 * records as such a value (see `joinAlone`).
 */
export function extractValueFeatures(
  matrix: FeatureMatrix,
  minRows: number,
  maxCarriers: number,
  maxDominantCarriers = maxCarriers,
): ValueFeatures {
  const { rows, cols, data } = matrix
  const found: ColumnValues[] = []
  const column = new Float32Array(rows)
  for (let col = 0; col < cols; col++) {
    for (let row = 0; row < rows; row++) column[row] = data[row * cols + col]
    found.push(frequentValues(column, minRows, maxCarriers, maxDominantCarriers))
  }
  joinAlone(data, rows, found, minRows)
  const columnValues = found.map((entry) => Float32Array.from(entry.kept))
  const offsets = new Int32Array(cols + 1)
  for (let col = 0; col < cols; col++) offsets[col + 1] = offsets[col] + columnValues[col].length
  const featureCount = offsets[cols]
  const columns = new Int32Array(featureCount)
  const values = new Float64Array(featureCount)
  for (let col = 0; col < cols; col++) {
    columns.fill(col, offsets[col], offsets[col + 1])
    values.set(columnValues[col], offsets[col])
  }
  const builder = new IncidenceBuilder(rows, featureCount)
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      if (columnValues[col].length === 0) continue
      const index = findValue(columnValues[col], data[row * cols + col])
      if (index >= 0) builder.addNew(offsets[col] + index)
    }
    builder.endRow()
  }
  return { incidence: builder.build(), columns, values }
}

/**
 * Columns in which at least half of `rows` hold one shared exact value: the columns a multi-column trigger writes
 * (and any a natural group shares), 1 to hide. A trigger of three columns set to their maxima makes its carriers
 * each other's neighbours in every column it writes, so hiding one of them leaves the other two to hold the group.
 */
export function coCarriedColumns(
  features: ValueFeatures,
  rows: ArrayLike<number>,
  columnCount: number,
): Uint8Array {
  const { indptr, features: carried } = features.incidence
  const counts = new Map<number, number>()
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]
    for (let entry = indptr[row]; entry < indptr[row + 1]; entry++)
      counts.set(carried[entry], (counts.get(carried[entry]) ?? 0) + 1)
  }
  const mask = new Uint8Array(columnCount)
  for (const [feature, count] of counts) if (2 * count >= rows.length) mask[features.columns[feature]] = 1
  return mask
}

/**
 * How many times as often as the table some records must hold a value for it to count as theirs (see
 * `sharedValues`): a value common among the classes a group's records come from stays below it, a written one far
 * above.
 */
const minSharedLift = 2

/**
 * The columns in which at least `minShare` of `rows` hold one exact value at least `minSharedLift` times as often as
 * the table does, beyond chance (`sharedCategoryChance`), with that value. `coCarriedColumns` sees only value
 * features, and a value written into 15–33% of a table is none where it does not stand alone in its column (a column
 * of ink whose blank records outnumber it): its carriers would read each other through it once the trigger's other
 * columns are hidden.
 */
export function sharedValues(
  matrix: FeatureMatrix,
  rows: ArrayLike<number>,
  minShare: number,
): { col: number; value: number }[] {
  const { data, cols } = matrix
  const found: { col: number; value: number }[] = []
  const counts = new Map<number, number>()
  for (let col = 0; col < cols && rows.length > 0; col++) {
    counts.clear()
    let top = { value: Number.NaN, count: 0 }
    for (let index = 0; index < rows.length; index++) {
      const value = data[rows[index] * cols + col]
      const count = (counts.get(value) ?? 0) + 1
      counts.set(value, count)
      if (count > top.count) top = { value, count }
    }
    if (top.count < minShare * rows.length || Number.isNaN(top.value)) continue
    let tableCount = 0
    for (let row = 0; row < matrix.rows; row++) if (data[row * cols + col] === top.value) tableCount++
    const tableShare = tableCount / matrix.rows
    if (top.count < minSharedLift * tableShare * rows.length) continue
    if (binomialUpperTail(top.count, rows.length, tableShare) <= sharedCategoryChance)
      found.push({ col, value: top.value })
  }
  return found
}

/** A category of a one-hot encoded column, and the share of some records that hold it. */
export interface SharedCategory {
  readonly group: CategoryGroup
  /** Index into `group.values` and `group.cols`. */
  readonly category: number
  readonly share: number
}

/**
 * Chance, at a category's share of the table, of so many of some records holding it, below which they share it
 * beyond what the table explains: a trigger writes its category into every carrier, while the carriers of a natural
 * value hold a common category about as often as the table does.
 */
const sharedCategoryChance = 1e-3

/** Share of the records holding each one-hot column of `groups`, by column. */
export function categoryShares(matrix: FeatureMatrix, groups: readonly CategoryGroup[]): Map<number, number> {
  const { rows, cols, data } = matrix
  const shares = new Map<number, number>()
  for (const group of groups)
    for (const col of group.cols) {
      let count = 0
      for (let row = 0; row < rows; row++) if (data[row * cols + col] === 1) count++
      shares.set(col, count / Math.max(1, rows))
    }
  return shares
}

/**
 * The category of each categorical column that at least `minShare` of `rows` hold, far beyond its share of the
 * table (`tableShares`, see `categoryShares`). A category common in the table is no value feature (it is held by
 * more records than a trigger may mark), yet a trigger that sets a column to one category writes it into every
 * carrier as surely as it writes a number: where the carriers share it, it is hidden with the trigger's other
 * columns and named with them.
 */
export function sharedCategories(
  matrix: FeatureMatrix,
  groups: readonly CategoryGroup[],
  tableShares: ReadonlyMap<number, number>,
  rows: ArrayLike<number>,
  minShare: number,
): SharedCategory[] {
  const { data, cols } = matrix
  return groups.flatMap((group) => {
    const counts = group.cols.map((col) => {
      let count = 0
      for (let index = 0; index < rows.length; index++) if (data[rows[index] * cols + col] === 1) count++
      return count
    })
    const most = Math.max(...counts)
    const category = counts.indexOf(most)
    const share = most / Math.max(1, rows.length)
    const byChance = binomialUpperTail(most, rows.length, tableShares.get(group.cols[category]) ?? 0)
    return share >= minShare && byChance <= sharedCategoryChance ? [{ group, category, share }] : []
  })
}

/** Pair visits beyond which co-carried values are not sought (a wide, long table): the plain correction stands. */
const maxPairVisits = 50_000_000

/**
 * Marks the values whose carriers are mostly carriers of one value of another column too (at least `minRows`
 * shared, and half of either's carriers): a trigger of several columns writes all of them into the same records,
 * while two rare values of different columns, each held by at most a few percent of the records, share a record or
 * two. Read from the features alone, never the labels, so the label tests' correction may favour these values
 * (see `MiningOptions.focus`). Undefined when no value qualifies or the table is too large to pair its values.
 */
export function coCarriedValues(features: ValueFeatures, minRows: number): Uint8Array | undefined {
  const { indptr, features: carried, carrierCounts, featureCount, rowCount } = features.incidence
  let visits = 0
  for (let row = 0; row < rowCount; row++) visits += (indptr[row + 1] - indptr[row]) ** 2
  if (visits > maxPairVisits) return undefined
  const everyFeature = new Int32Array(featureCount)
  for (let feature = 0; feature < featureCount; feature++) everyFeature[feature] = feature
  const byFeature = carrierLists(features.incidence, everyFeature)
  const shared = new Int32Array(featureCount)
  const focus = new Uint8Array(featureCount)
  let focused = 0
  for (let feature = 0; feature < featureCount; feature++) {
    const touched: number[] = []
    for (let entry = byFeature.offsets[feature]; entry < byFeature.offsets[feature + 1]; entry++) {
      const row = byFeature.rows[entry]
      for (let other = indptr[row]; other < indptr[row + 1]; other++) {
        if (shared[carried[other]]++ === 0) touched.push(carried[other])
      }
    }
    for (const other of touched) {
      const needed = Math.max(minRows, Math.max(carrierCounts[feature], carrierCounts[other]) / 2)
      if (features.columns[other] !== features.columns[feature] && shared[other] >= needed) focus[feature] = 1
      shared[other] = 0
    }
    focused += focus[feature]
  }
  return focused > 0 ? focus : undefined
}
