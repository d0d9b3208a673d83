import type { FeatureMatrix } from '../../data/matrix.js'
import { selectInPlace } from '../../stats/quantiles.js'
import { normalQuantile } from '../../stats/tails.js'
import { createRng } from '../../util/rng.js'

/** Levels a value in [0, 1] is read at: to within 1/255, where 8-bit pixels lie exactly. */
export const levels = 256

/** The level of a value in [0, 1]. */
export function levelOf(value: number): number {
  return Math.min(levels - 1, Math.max(0, Math.round(value * (levels - 1))))
}

/** The level of every value of some features in [0, 1] (see `levelOf`), row-major as the features are. */
export interface LevelMatrix {
  readonly levels: Uint8Array
  readonly rows: number
  readonly cols: number
}

/**
 * Every value's level, worked out once: each class reads the levels of its own records three times and those of a
 * sample of the others once more, and a byte per value is a quarter of the memory those passes sweep. Values are
 * first mapped to `(value − low) × weight` in single precision, as a scaled copy of the features would hold them,
 * without the copy: on 10,000 digits it was 31 MB written and read once.
 */
export function levelMatrix(features: FeatureMatrix, low = 0, weight = 1): LevelMatrix {
  const { data, rows, cols } = features
  const values = new Uint8Array(data.length)
  // A call per row: the detector runs once per scan, and one loop over every value, run once, runs as code compiled
  // on the stack (see `valueSpan`).
  for (let row = 0; row < rows; row++) levelRow(data, values, row * cols, (row + 1) * cols, low, weight)
  return { levels: values, rows, cols }
}

function levelRow(
  data: Float32Array,
  values: Uint8Array,
  from: number,
  to: number,
  low: number,
  weight: number,
): void {
  for (let index = from; index < to; index++) {
    const value = data[index]
    // Level 0 is what the array starts with, and most pixels of an image are its background.
    if (value !== low) values[index] = levelOf(Math.fround((value - low) * weight))
  }
}

/**
 * Adds one to `counts` (`cols × levels`) at the level of each value of the rows. Every level in the one table:
 * counting the blank background's level apart, in a small array of its own, took a branch per value that a
 * stroke's edges mispredict, and was a third slower on 10,000 digits than the cache lines it spared.
 */
function countLevels(features: LevelMatrix, rows: Int32Array, counts: Int32Array): void {
  const { cols } = features
  const values = features.levels
  for (const row of rows)
    for (let col = 0, at = row * cols; col < cols; col++, at++) counts[col * levels + values[at]]++
}

/** How many labelled records take each level of each feature (`cols × levels`), over all classes. */
export function levelCounts(features: LevelMatrix, codes: Int32Array): Int32Array {
  const counts = new Int32Array(features.cols * levels)
  const labelled = Int32Array.from(codes.keys()).filter((row) => codes[row] >= 0)
  countLevels(features, labelled, counts)
  return counts
}

/** Memory the level counts of classes held for their turn may take (64 MiB): 64 classes of 1,024 features. */
const keptCountsBytes = 1 << 26

/**
 * `levelCounts` over the classes' rows (`classRows[code]`), as the sum of each class's `rowLevelCounts`, and those of
 * the classes `analysed` picks, kept for their turn (undefined beyond `keptCountsBytes`, and for the rest): every
 * record is counted once, where counting all of them and then each class again swept the levels twice.
 */
export function classLevelCounts(
  features: LevelMatrix,
  classRows: readonly Int32Array[],
  analysed: (rows: Int32Array) => boolean,
): { all: Int32Array; own: (Int32Array | undefined)[] } {
  const all = new Int32Array(features.cols * levels)
  let room = Math.floor(keptCountsBytes / all.byteLength)
  const own = classRows.map((rows) => {
    if (room === 0 || !analysed(rows)) {
      countLevels(features, rows, all)
      return undefined
    }
    room--
    const counts = rowLevelCounts(features, rows)
    for (let at = 0; at < all.length; at++) all[at] += counts[at]
    return counts
  })
  return { all, own }
}

/**
 * How many of the rows take each level of each feature (`cols × levels`): a class's, counted once for both its
 * medians and its scores among the other classes.
 */
export function rowLevelCounts(features: LevelMatrix, rows: Int32Array): Int32Array {
  const counts = new Int32Array(features.cols * levels)
  countLevels(features, rows, counts)
  return counts
}

/**
 * Per feature and level (`cols × levels`), the normal score of that level among the other classes' values: the
 * quantile of its mid-rank there. A value no other class reaches is far out however little the others vary (a silent
 * border, a cell strokes never fill), yet never further than the others' number can tell: a class's own rare strokes
 * in a silent border, divided by a floored spread, outweighed everything else and set its far records apart.
 * Features of `rows`' class that every class varies in alike stay moderate. `all` is `levelCounts` of every class,
 * `own` the class's (`rowLevelCounts` of `rows`).
 */
export function otherClassScores(
  features: LevelMatrix,
  rows: Int32Array,
  all: Int32Array,
  own = rowLevelCounts(features, rows),
): Float32Array {
  const { cols } = features
  const others = new Int32Array(all.length)
  for (let at = 0; at < all.length; at++) others[at] = all[at] - own[at]
  const scores = new Float32Array(cols * levels)
  for (let col = 0; col < cols; col++) {
    let total = 0
    for (let level = 0; level < levels; level++) total += others[col * levels + level]
    let below = 0
    for (let level = 0; level < levels; level++) {
      const at = others[col * levels + level]
      // Levels no record takes are never looked up.
      if (all[col * levels + level] > 0)
        scores[col * levels + level] = normalQuantile((below + 0.5 * at + 0.5) / (total + 1))
      below += at
    }
  }
  return scores
}

/**
 * Share of a class's rows that keep their length; longer rows are shortened to the longest of them. A pattern adds
 * about the same length to each of its carriers, so setting every row to unit length (spatial signs) hid it where
 * the class's own variation is as large, as on 8×8 digits that fill their grid; a bounded length still keeps the
 * class's few far records in their own directions from steering a direction.
 */
const keptLength = 0.9

/** Columns `scoreRows` goes through at a time: their scores take 16 KB, within the nearest cache. */
const blockColumns = 16

/**
 * Some records' deviations from their class's median in normal scores among the other classes (see
 * `otherClassScores`), as a dense `rows × cols` matrix, rows no longer than the `keptLength` quantile of the class's
 * lengths: a pattern in features where the other classes rarely go becomes loud here. `shortenedBy`, when given
 * (filled with 1), receives the factor each row was shortened by.
 */
export function scoreRows(
  features: LevelMatrix,
  rows: Int32Array,
  centre: Float64Array,
  scores: Float32Array,
  shortenedBy?: Float64Array,
): Float32Array {
  const { cols } = features
  const values = features.levels
  const centreScores = Float32Array.from(centre, (value, col) => scores[col * levels + levelOf(value)])
  // Single precision halves the memory each class sweeps through; rows of bounded length need no more.
  const out = new Float32Array(rows.length * cols)
  const lengths = new Float64Array(rows.length)
  // A block of columns at a time over every row: its scores stay in a near cache, where a whole row's columns reach
  // across all of `scores`. Each length still sums its columns in order.
  for (let first = 0; first < cols; first += blockColumns) {
    const last = Math.min(cols, first + blockColumns)
    for (let index = 0; index < rows.length; index++) {
      const from = rows[index] * cols
      const to = index * cols
      let square = lengths[index]
      for (let col = first; col < last; col++) {
        const value = scores[col * levels + values[from + col]] - centreScores[col]
        out[to + col] = value
        square += value * value
      }
      lengths[index] = square
    }
  }
  for (let index = 0; index < rows.length; index++) lengths[index] = Math.sqrt(lengths[index])
  if (rows.length === 0) return out
  const longest = selectInPlace(
    Float64Array.from(lengths),
    Math.min(rows.length - 1, Math.floor(keptLength * rows.length)),
  )
  for (let index = 0; index < rows.length; index++) {
    const length = lengths[index]
    if (length <= longest) continue
    const scale = longest / length
    if (shortenedBy) shortenedBy[index] = scale
    for (let col = 0, at = index * cols; col < cols; col++, at++) out[at] *= scale
  }
  return out
}

/**
 * Per-column medians of some rows of features in [0, 1], by counting: the median, not the mean, so that the part of
 * the class carrying a pattern does not move the centre of the silent features it writes into. `counts` is
 * `rowLevelCounts` of `rows`.
 */
export function columnMedians(
  features: LevelMatrix,
  rows: Int32Array,
  counts = rowLevelCounts(features, rows),
): Float64Array {
  const { cols } = features
  const centre = new Float64Array(cols)
  const half = rows.length / 2
  for (let col = 0; col < cols; col++) {
    let seen = 0
    let level = 0
    while (level < levels - 1 && seen + counts[col * levels + level] < half)
      seen += counts[col * levels + level++]
    centre[col] = level / (levels - 1)
  }
  return centre
}

/** Subspace iterations: the leading directions need few when they stand out, and a pattern makes one stand out. */
const iterations = 6

/**
 * Gram–Schmidt on `count` directions of length `cols`, in place. Each pass that takes one earlier direction out of
 * a direction also sums its dot product with the next (or its squared length after the last): the values are those
 * of a pass per sum, in the same order, with half the passes.
 */
function orthonormalise(directions: Float64Array[]): void {
  directions.forEach((direction, index) => {
    const length = direction.length
    let sum = 0
    const first = index > 0 ? directions[0] : direction
    for (let col = 0; col < length; col++) sum += direction[col] * first[col]
    for (let previous = 0; previous < index; previous++) {
      const earlier = directions[previous]
      const next = previous + 1 < index ? directions[previous + 1] : direction
      const dot = sum
      sum = 0
      for (let col = 0; col < length; col++) {
        const value = direction[col] - dot * earlier[col]
        direction[col] = value
        sum += value * next[col]
      }
    }
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0
    for (let col = 0; col < length; col++) direction[col] *= scale
  })
}

/** `count` directions of `cols` standard normal draws, drawn direction after direction. */
function randomDirections(count: number, cols: number, seed: number): Float64Array[] {
  const rng = createRng(seed)
  return Array.from({ length: count }, () => {
    const direction = new Float64Array(cols)
    for (let col = 0; col < cols; col++) direction[col] = rng.normal()
    return direction
  })
}

/** The `directionCount` leading directions of the rows' second moments, by subspace iteration from a seeded start. */
export function principalDirections(
  rows: WhitenedRows,
  directionCount: number,
  seed: number,
): Float64Array[] {
  const { cols } = rows
  const directions = randomDirections(Math.min(directionCount, cols), cols, seed)
  orthonormalise(directions)
  for (let iteration = 0; iteration < iterations; iteration++) {
    const coordinates = projectRows(rows, directions)
    for (const direction of directions) direction.fill(0)
    addWeightedRows(rows, coordinates, directions)
    orthonormalise(directions)
  }
  return directions
}

/**
 * The `directionCount` leading principal directions of whitened rows (centred on the median) by
 * subspace iteration, and the rows' mean (where a minority that shares one shift pulls it), each then turned toward
 * what its far-out records share (see `refineTowardTails`) and oriented so the
 * longer tail is positive (the carriers of a pattern are the minority). A planted pattern need not lead: the
 * class's natural variation may be larger. `subset` (positions among the rows) fits them on some rows only.
 */
export function leadingDirections(
  rows: WhitenedRows,
  directionCount: number,
  seed: number,
  fewest: number,
  subset?: readonly number[],
): Float64Array[] {
  const { count, cols } = rows
  const positions = subset ? evenSample(subset.length).map((position) => subset[position]) : evenSample(count)
  const fitted = selectRows(rows, positions)
  const directions = principalDirections(fitted, directionCount, seed)
  // The rows are centred on the class's median, so their mean is where a minority sharing one shift pulls it.
  const meanShift = new Float64Array(cols)
  addWeightedRows(fitted, [new Float64Array(fitted.count).fill(1)], [meanShift])
  orthonormalise([meanShift])
  return refineTowardTails(fitted, [...directions, meanShift], fewest)
}

/**
 * Adds each row times its weight in `weights[k]` to `outs[k]`, row after row, so every sum is added up in the same
 * order whichever way the rows are held.
 */
function addWeightedRows(
  rows: WhitenedRows,
  weights: readonly Float64Array[],
  outs: readonly Float64Array[],
): void {
  if (rows.sparse) addWeightedSparseRows(rows.sparse, weights, outs)
  else addWeightedDenseRows(rows.dense, rows.cols, weights, outs)
}

/**
 * Only the non-zero entries are added: an output starts at +0 and adding a zero product leaves any sum as it was, so
 * the sums are the same to the last bit as over every entry.
 */
function addWeightedSparseRows(
  rows: SparseRows,
  weights: readonly Float64Array[],
  outs: readonly Float64Array[],
): void {
  let index = 0
  for (; index + 4 <= outs.length; index += 4)
    addWeightedSparseRowsToFour(rows, weights.slice(index, index + 4), outs.slice(index, index + 4))
  for (; index < outs.length; index++) addWeightedSparseRowsToOne(rows, weights[index], outs[index])
}

function addWeightedSparseRowsToOne(rows: SparseRows, weights: Float64Array, out: Float64Array): void {
  const { starts, columns, values } = rows
  for (let row = 0, start = starts[0]; row + 1 < starts.length; row++) {
    const end = starts[row + 1]
    const weight = weights[row]
    for (let at = start; at < end; at++) out[columns[at]] += weight * values[at]
    start = end
  }
}

/**
 * Four outputs at once, side by side in one array (as `projectSparseOnFour` holds its directions): each entry
 * loaded serves four sums, where one output at a time read every entry four times. Each sum still takes the rows
 * in order, so it is the same to the last bit.
 */
function addWeightedSparseRowsToFour(
  rows: SparseRows,
  weights: readonly Float64Array[],
  outs: readonly Float64Array[],
): void {
  const { starts, columns, values } = rows
  const cols = outs[0].length
  const sums = new Float64Array(4 * cols)
  for (let col = 0; col < cols; col++)
    for (let index = 0; index < 4; index++) sums[4 * col + index] = outs[index][col]
  const [weights0, weights1, weights2, weights3] = weights
  for (let row = 0, start = starts[0]; row + 1 < starts.length; row++) {
    const end = starts[row + 1]
    const weight0 = weights0[row]
    const weight1 = weights1[row]
    const weight2 = weights2[row]
    const weight3 = weights3[row]
    for (let at = start; at < end; at++) {
      const value = values[at]
      const col = 4 * columns[at]
      sums[col] += weight0 * value
      sums[col + 1] += weight1 * value
      sums[col + 2] += weight2 * value
      sums[col + 3] += weight3 * value
    }
    start = end
  }
  for (let col = 0; col < cols; col++)
    for (let index = 0; index < 4; index++) outs[index][col] = sums[4 * col + index]
}

/**
 * Eight rows go in per pass over an output, added in the same order as one at a time, so the sums are the same to the
 * last bit with an eighth of the loads and stores of the output; every output takes its turn on the same eight rows,
 * which stay in the nearest cache while they do.
 */
function addWeightedDenseRows(
  rows: Float32Array,
  cols: number,
  weights: readonly Float64Array[],
  outs: readonly Float64Array[],
): void {
  const count = weights[0].length
  let row = 0
  for (; row + 8 <= count; row += 8)
    for (let index = 0; index < outs.length; index++)
      addEightRows(rows, cols, row, weights[index], outs[index])
  for (; row < count; row++)
    for (let index = 0; index < outs.length; index++) {
      const out = outs[index]
      const weight = weights[index][row]
      for (let col = 0; col < cols; col++) out[col] += weight * rows[row * cols + col]
    }
}

function addEightRows(
  rows: Float32Array,
  cols: number,
  row: number,
  weight: Float64Array,
  out: Float64Array,
) {
  const first = row * cols
  const weight0 = weight[row]
  const weight1 = weight[row + 1]
  const weight2 = weight[row + 2]
  const weight3 = weight[row + 3]
  const weight4 = weight[row + 4]
  const weight5 = weight[row + 5]
  const weight6 = weight[row + 6]
  const weight7 = weight[row + 7]
  for (let col = 0, at = first; col < cols; col++, at++)
    out[col] =
      out[col] +
      weight0 * rows[at] +
      weight1 * rows[at + cols] +
      weight2 * rows[at + 2 * cols] +
      weight3 * rows[at + 3 * cols] +
      weight4 * rows[at + 4 * cols] +
      weight5 * rows[at + 5 * cols] +
      weight6 * rows[at + 6 * cols] +
      weight7 * rows[at + 7 * cols]
}

/** Records of a class that the directions are fitted on at most. */
const fitRows = 300

/**
 * Positions of at most `fitRows` of `count` rows, evenly spaced: such a sample finds the directions as well as the
 * whole class, for a pattern keeps its share in it.
 */
function evenSample(count: number): number[] {
  const sample = Math.min(count, fitRows)
  return Array.from({ length: sample }, (_, index) => Math.floor((index * count) / sample))
}

/**
 * Rounds of moving a direction onto the records far out along it, and then as many onto those beyond its widest
 * gap.
 */
const refinements = 4

/** Robust z-score (within the class) from which a record pulls the direction toward itself. */
const pullFrom = 3

/**
 * Weights that move a direction to the mean of the rows marked far minus the mean of the others; none when too few
 * or more than half are.
 */
function pullWeights(far: Uint8Array): Float64Array | undefined {
  const count = far.length
  let farCount = 0
  for (const flag of far) farCount += flag
  if (farCount < 2 || farCount > count / 2) return undefined
  const farWeight = 1 / farCount
  const nearWeight = -1 / (count - farCount)
  return Float64Array.from(far, (flag) => (flag ? farWeight : nearWeight))
}

/** One direction's way through `refineTowardTails`. */
interface Refinement {
  round: number
  along: { direction: Float64Array; scores: Float64Array }
  far: Uint8Array
  /**
   * The records the direction was last moved onto: moving onto them again would give the same direction, and so
   * would every later round of the same kind.
   */
  pulledTo: Uint8Array
  pulled: boolean
}

/** The weights of the direction's next pull, its round moved on to it; none once it has settled. */
function nextPull(state: Refinement, fewest: number): Float64Array | undefined {
  for (; state.round < 2 * refinements; state.round++) {
    const { scores } = state.along
    const threshold = state.round < refinements ? pullFrom : widestGap(scores, fewest).threshold
    for (let row = 0; row < scores.length; row++) state.far[row] = scores[row] >= threshold ? 1 : 0
    const settled = state.pulled && sameFlags(state.far, state.pulledTo)
    const weights = settled ? undefined : pullWeights(state.far)
    if (weights) return weights
    if (state.round >= refinements) break
    state.round = refinements - 1
  }
  state.round = 2 * refinements
  return undefined
}

/**
 * Turns each direction toward what its far-out records share: the mean of their rows minus the mean of the others,
 * repeated (two-means on one line), first for the records beyond a robust z of 3, then for those beyond the widest
 * gap. A pattern that a minority carries is one shared shift, so a direction that only partly points at it ends on
 * it. The records beyond z = 3 find the pattern but mix the class's own far records in with its carriers, which
 * keeps the direction partly on them; the records beyond the gap are the carriers alone. Returned oriented so the
 * far-out side is positive. The directions take their rounds side by side, each pass over the rows serving all
 * that still move, as the subspace iteration's do; each direction's sums are added in the same order as alone.
 */
function refineTowardTails(
  rows: WhitenedRows,
  starts: readonly Float64Array[],
  fewest: number,
): Float64Array[] {
  const { count, cols } = rows
  const states: Refinement[] = projectRows(rows, starts).map((coordinates, index) => ({
    round: 0,
    along: orient(starts[index], coordinates),
    far: new Uint8Array(count),
    pulledTo: new Uint8Array(count),
    pulled: false,
  }))
  for (;;) {
    const moving = states.filter((state) => state.round < 2 * refinements)
    const pulls = moving.map((state) => nextPull(state, fewest))
    const pulling = moving.filter((_, index) => pulls[index])
    if (pulling.length === 0) break
    const next = pulling.map(() => new Float64Array(cols))
    addWeightedRows(
      rows,
      pulls.filter((weights) => weights !== undefined),
      next,
    )
    for (const direction of next) orthonormalise([direction])
    projectRows(rows, next).forEach((coordinates, index) => {
      const state = pulling[index]
      state.along = orient(next[index], coordinates)
      ;[state.far, state.pulledTo] = [state.pulledTo, state.far]
      state.pulled = true
      state.round++
    })
  }
  return states.map((state) => state.along.direction)
}

function sameFlags(first: Uint8Array, second: Uint8Array): boolean {
  for (let index = 0; index < first.length; index++) if (first[index] !== second[index]) return false
  return true
}

/** Every row's coordinate along each direction. */
export function projectRows(rows: WhitenedRows, directions: readonly Float64Array[]): Float64Array[] {
  return rows.sparse
    ? projectSparseRows(rows.sparse, rows.cols, directions)
    : projectDenseRows(rows.dense, rows.count, rows.cols, directions)
}

/**
 * Only the non-zero entries are multiplied: each sum starts at +0 and adding a zero product leaves any sum as it was,
 * so the coordinates are the same to the last bit as over every entry, each still added up column by column.
 */
function projectSparseRows(
  rows: SparseRows,
  cols: number,
  directions: readonly Float64Array[],
): Float64Array[] {
  const count = rows.starts.length - 1
  const coordinates = directions.map(() => new Float64Array(count))
  let index = 0
  for (; index + 4 <= directions.length; index += 4)
    projectSparseOnFour(rows, cols, directions.slice(index, index + 4), coordinates.slice(index, index + 4))
  for (; index < directions.length; index++) projectSparseOnOne(rows, directions[index], coordinates[index])
  return coordinates
}

/**
 * Four directions at once, side by side in one array: each entry loaded serves four sums, and four independent sums
 * keep the adder busy where one would wait on its previous addition.
 */
function projectSparseOnFour(
  rows: SparseRows,
  cols: number,
  directions: readonly Float64Array[],
  coordinates: readonly Float64Array[],
): void {
  const { starts, columns, values } = rows
  const interleaved = new Float64Array(4 * cols)
  for (let col = 0; col < cols; col++)
    for (let index = 0; index < 4; index++) interleaved[4 * col + index] = directions[index][col]
  const [out0, out1, out2, out3] = coordinates
  for (let row = 0; row + 1 < starts.length; row++) {
    let sum0 = 0
    let sum1 = 0
    let sum2 = 0
    let sum3 = 0
    for (let at = starts[row], end = starts[row + 1]; at < end; at++) {
      const value = values[at]
      const col = 4 * columns[at]
      sum0 += value * interleaved[col]
      sum1 += value * interleaved[col + 1]
      sum2 += value * interleaved[col + 2]
      sum3 += value * interleaved[col + 3]
    }
    out0[row] = sum0
    out1[row] = sum1
    out2[row] = sum2
    out3[row] = sum3
  }
}

/**
 * One direction (each round of turning one toward its tail): four rows go through their entries side by side for
 * as many as all four hold, so four independent sums keep the adder busy; the rest of each row follows alone.
 */
function projectSparseOnOne(rows: SparseRows, direction: Float64Array, out: Float64Array): void {
  const { starts, columns, values } = rows
  const count = starts.length - 1
  let row = 0
  for (; row + 4 <= count; row += 4) {
    const at0 = starts[row]
    const at1 = starts[row + 1]
    const at2 = starts[row + 2]
    const at3 = starts[row + 3]
    const end = starts[row + 4]
    const shared = Math.min(at1 - at0, at2 - at1, at3 - at2, end - at3)
    let sum0 = 0
    let sum1 = 0
    let sum2 = 0
    let sum3 = 0
    for (let step = 0; step < shared; step++) {
      sum0 += values[at0 + step] * direction[columns[at0 + step]]
      sum1 += values[at1 + step] * direction[columns[at1 + step]]
      sum2 += values[at2 + step] * direction[columns[at2 + step]]
      sum3 += values[at3 + step] * direction[columns[at3 + step]]
    }
    for (let at = at0 + shared; at < at1; at++) sum0 += values[at] * direction[columns[at]]
    for (let at = at1 + shared; at < at2; at++) sum1 += values[at] * direction[columns[at]]
    for (let at = at2 + shared; at < at3; at++) sum2 += values[at] * direction[columns[at]]
    for (let at = at3 + shared; at < end; at++) sum3 += values[at] * direction[columns[at]]
    out[row] = sum0
    out[row + 1] = sum1
    out[row + 2] = sum2
    out[row + 3] = sum3
  }
  for (; row < count; row++) {
    let sum = 0
    for (let at = starts[row]; at < starts[row + 1]; at++) sum += values[at] * direction[columns[at]]
    out[row] = sum
  }
}

function projectDenseRows(
  whitened: Float32Array,
  count: number,
  cols: number,
  directions: readonly Float64Array[],
): Float64Array[] {
  const coordinates = directions.map(() => new Float64Array(count))
  let row = 0
  // One direction (each round of turning one toward its tail): eight rows per pass over it.
  if (directions.length === 1)
    for (; row + 8 <= count; row += 8) projectEightRows(whitened, row, cols, directions[0], coordinates[0])
  // Four rows and two directions at once: one running sum waits on the previous addition, eight independent ones
  // keep the adder busy, and each row value loaded serves both directions. Each sum is still added up column by
  // column, so the coordinates are the same to the last bit. The directions take their turns on the same four rows,
  // which stay in the nearest cache while they do.
  for (; row + 4 <= count; row += 4) {
    let index = 0
    for (; index + 2 <= directions.length; index += 2)
      projectFourRowsOnTwo(whitened, row, cols, directions[index], directions[index + 1], coordinates, index)
    if (index < directions.length) projectFourRows(whitened, row, cols, directions[index], coordinates[index])
  }
  for (; row < count; row++)
    for (let index = 0; index < directions.length; index++) {
      const direction = directions[index]
      let sum = 0
      for (let col = 0; col < cols; col++) sum += whitened[row * cols + col] * direction[col]
      coordinates[index][row] = sum
    }
  return coordinates
}

function projectEightRows(
  whitened: Float32Array,
  row: number,
  cols: number,
  direction: Float64Array,
  out: Float64Array,
): void {
  const first = row * cols
  let sum0 = 0
  let sum1 = 0
  let sum2 = 0
  let sum3 = 0
  let sum4 = 0
  let sum5 = 0
  let sum6 = 0
  let sum7 = 0
  for (let col = 0, at = first; col < cols; col++, at++) {
    const weight = direction[col]
    sum0 += whitened[at] * weight
    sum1 += whitened[at + cols] * weight
    sum2 += whitened[at + 2 * cols] * weight
    sum3 += whitened[at + 3 * cols] * weight
    sum4 += whitened[at + 4 * cols] * weight
    sum5 += whitened[at + 5 * cols] * weight
    sum6 += whitened[at + 6 * cols] * weight
    sum7 += whitened[at + 7 * cols] * weight
  }
  out[row] = sum0
  out[row + 1] = sum1
  out[row + 2] = sum2
  out[row + 3] = sum3
  out[row + 4] = sum4
  out[row + 5] = sum5
  out[row + 6] = sum6
  out[row + 7] = sum7
}

function projectFourRows(
  whitened: Float32Array,
  row: number,
  cols: number,
  direction: Float64Array,
  out: Float64Array,
): void {
  const first = row * cols
  const second = first + cols
  const third = second + cols
  const fourth = third + cols
  let sum0 = 0
  let sum1 = 0
  let sum2 = 0
  let sum3 = 0
  for (let col = 0; col < cols; col++) {
    const weight = direction[col]
    sum0 += whitened[first + col] * weight
    sum1 += whitened[second + col] * weight
    sum2 += whitened[third + col] * weight
    sum3 += whitened[fourth + col] * weight
  }
  out[row] = sum0
  out[row + 1] = sum1
  out[row + 2] = sum2
  out[row + 3] = sum3
}

function projectFourRowsOnTwo(
  whitened: Float32Array,
  row: number,
  cols: number,
  direction: Float64Array,
  other: Float64Array,
  coordinates: readonly Float64Array[],
  index: number,
): void {
  const first = row * cols
  const second = first + cols
  const third = second + cols
  const fourth = third + cols
  let sum0 = 0
  let sum1 = 0
  let sum2 = 0
  let sum3 = 0
  let otherSum0 = 0
  let otherSum1 = 0
  let otherSum2 = 0
  let otherSum3 = 0
  for (let col = 0; col < cols; col++) {
    const weight = direction[col]
    const otherWeight = other[col]
    const value0 = whitened[first + col]
    const value1 = whitened[second + col]
    const value2 = whitened[third + col]
    const value3 = whitened[fourth + col]
    sum0 += value0 * weight
    sum1 += value1 * weight
    sum2 += value2 * weight
    sum3 += value3 * weight
    otherSum0 += value0 * otherWeight
    otherSum1 += value1 * otherWeight
    otherSum2 += value2 * otherWeight
    otherSum3 += value3 * otherWeight
  }
  const out = coordinates[index]
  out[row] = sum0
  out[row + 1] = sum1
  out[row + 2] = sum2
  out[row + 3] = sum3
  const otherOut = coordinates[index + 1]
  otherOut[row] = otherSum0
  otherOut[row + 1] = otherSum1
  otherOut[row + 2] = otherSum2
  otherOut[row + 3] = otherSum3
}

/** Robust z-scores (median, MAD). */
export function robustScores(coordinates: Float64Array): Float64Array {
  return robustScoresOn(coordinates, coordinates)
}

/** `values` as robust z-scores on the median and MAD of `coordinates`. */
function robustScoresOn(coordinates: Float64Array, values: Float64Array): Float64Array {
  const count = coordinates.length
  if (count === 0) return new Float64Array(0)
  // The upper median: the middle value itself, found without sorting.
  const centre = selectInPlace(Float64Array.from(coordinates), count >> 1)
  const deviations = new Float64Array(count)
  for (let index = 0; index < count; index++) deviations[index] = Math.abs(coordinates[index] - centre)
  const spread = 1.4826 * selectInPlace(deviations, count >> 1) || 1
  return values.map((value) => (value - centre) / spread)
}

/**
 * The direction, negated when more records lie beyond −3 than beyond +3 along it, with the records' coordinates
 * and robust scores along the result (negated with it: exactly what projecting onto the negated direction gives, so
 * the next round need not project again).
 */
function orient(
  direction: Float64Array,
  coordinates: Float64Array,
): { direction: Float64Array; scores: Float64Array } {
  let above = 0
  let below = 0
  const scores = robustScores(coordinates)
  for (const value of scores) {
    if (value > 3) above++
    else if (value < -3) below++
  }
  if (below <= above) return { direction, scores }
  // 0 − x, not −x: a projection that sums to zero is +0 either way.
  return {
    direction: direction.map((value) => -value),
    scores: robustScores(coordinates.map((value) => 0 - value)),
  }
}

/**
 * The widest stretch, empty but for a few strays, between the class's records along a direction with at least
 * `fewest` and at most half of them beyond it, how many lie beyond, and the score of the nearest of those. A
 * pattern a minority carries is one shared shift, so its carriers sit apart from the rest of the class; a style of
 * the class fades out gradually and leaves no gap.
 */
export function widestGap(
  scores: Float64Array,
  fewest: number,
): { width: number; beyond: number; threshold: number } {
  return widestGapOfSorted(Float64Array.from(scores).sort(), fewest)
}

/**
 * `widestGap` of `count` scores from the largest of them sorted in ascending order: all of them, or at least the
 * `largestNeeded(count)` largest.
 */
export function widestGapOfSorted(
  ascending: Float64Array,
  fewest: number,
  count = ascending.length,
): { width: number; beyond: number; threshold: number } {
  const last = ascending.length - 1
  // The `index`-th largest score.
  const sorted = (index: number) => ascending[last - index]
  const half = count >> 1
  let width = 0
  let start = -1
  let strays = 0
  for (let index = fewest - 1; index < half; index++) {
    // A few of the class's own records may stray into the gap: one in twenty of those beyond it.
    const allowed = Math.floor((index + 1) / 20)
    if (index + 1 + allowed >= count) break
    const gap = sorted(index) - sorted(index + 1 + allowed)
    if (gap > width) {
      width = gap
      start = index
      strays = allowed
    }
  }
  if (start < 0) return { width: 0, beyond: 0, threshold: Number.POSITIVE_INFINITY }
  // The carriers end at the largest single step inside the gap.
  let edge = start
  for (let index = start + 1; index <= start + strays; index++)
    if (sorted(index) - sorted(index + 1) > sorted(edge) - sorted(edge + 1)) edge = index
  return { width, beyond: edge + 1, threshold: sorted(edge) }
}

/** How many of `count` scores' largest `widestGapOfSorted` reads: the top half and the strays allowed below it. */
export function largestNeeded(count: number): number {
  const half = count >> 1
  return Math.min(count, half + Math.floor(half / 20) + 2)
}

/** Rows' non-zero entries, row after row, each row's in column order. */
interface SparseRows {
  /** Where each row's entries start, and one past the last row's end. */
  readonly starts: Int32Array
  readonly columns: Int32Array
  readonly values: Float32Array
}

/** Some whitened rows, held whole or as their non-zero entries (see `packRows`). */
export type WhitenedRows =
  | {
      readonly count: number
      readonly cols: number
      readonly dense: Float32Array
      readonly sparse?: undefined
    }
  | { readonly count: number; readonly cols: number; readonly dense?: undefined; readonly sparse: SparseRows }

/**
 * Rows of `scoreRows` (`count × cols`) held as their non-zero entries when fewer than half are non-zero, else as
 * they are. A record deviates by exactly 0 wherever its value's level is the class median's, as on digits' blank
 * background, where most of a class and so its median are blank; such rows are mostly zeros, and each product then
 * costs a fraction of the dense one.
 */
export function packRows(whitened: Float32Array, count: number, cols: number): WhitenedRows {
  // Without branches: where zeros and non-zeros alternate, as at a stroke's edge, a branch is mispredicted often.
  let nonZeros = 0
  for (let at = 0; at < count * cols; at++) nonZeros += +(whitened[at] !== 0)
  if (2 * nonZeros >= count * cols) return { count, cols, dense: whitened }
  const starts = new Int32Array(count + 1)
  // Every value is written where the next entry goes and kept only when non-zero: a slot past the last entry takes
  // the zeros after it.
  const columns = new Int32Array(nonZeros + 1)
  const values = new Float32Array(nonZeros + 1)
  let next = 0
  for (let row = 0; row < count; row++) {
    const first = row * cols
    for (let col = 0; col < cols; col++) {
      const value = whitened[first + col]
      columns[next] = col
      values[next] = value
      next += +(value !== 0)
    }
    starts[row + 1] = next
  }
  return {
    count,
    cols,
    sparse: { starts, columns: columns.subarray(0, nonZeros), values: values.subarray(0, nonZeros) },
  }
}

/** The rows at the given positions, as rows of their own held the same way. */
function selectRows(rows: WhitenedRows, positions: readonly number[]): WhitenedRows {
  const { cols } = rows
  const count = positions.length
  if (!rows.sparse) {
    const dense = new Float32Array(count * cols)
    positions.forEach((position, index) => {
      dense.set(rows.dense.subarray(position * cols, (position + 1) * cols), index * cols)
    })
    return { count, cols, dense }
  }
  const { starts, columns, values } = rows.sparse
  const picked = new Int32Array(count + 1)
  positions.forEach((position, index) => {
    picked[index + 1] = picked[index] + starts[position + 1] - starts[position]
  })
  const pickedColumns = new Int32Array(picked[count])
  const pickedValues = new Float32Array(picked[count])
  positions.forEach((position, index) => {
    pickedColumns.set(columns.subarray(starts[position], starts[position + 1]), picked[index])
    pickedValues.set(values.subarray(starts[position], starts[position + 1]), picked[index])
  })
  return { count, cols, sparse: { starts: picked, columns: pickedColumns, values: pickedValues } }
}

/**
 * The class's held-out gap: the class is split in two halves, the directions are fitted on one half (see
 * `leadingDirections`) and the other half is scored along the one whose scores there leave the widest gap, and the
 * other way round; the gap is the widest the two halves' scores leave together. A direction fitted on a few records
 * in many features can always be turned to set some of them apart; only a pattern sets apart records it was not
 * fitted on, so a clean class, small or large, keeps a narrow gap. Also returns the gap the same records leave along
 * that direction with each feature's values shuffled on its own (`chance`, see `projectShuffled`), how many held-out
 * records lie beyond the gap, and the direction that left the widest gap on its held-out half, to score the
 * carriers along (`along`: every record's coordinate on it). It is not turned once more toward what the whole
 * class's far records share: on 28×28 digits with feature-collision poisons that pulled it from the 60 poisons onto
 * them and 91 honest look-alikes of their target.
 */
export function crossFittedGap(
  rows: WhitenedRows,
  directionCount: number,
  seed: number,
  fewest: number,
): { gap: number; chance: number; beyond: number; direction: Float64Array; along: Float64Array } {
  const { count, cols } = rows
  const halves = [0, 1].map((half) =>
    Array.from({ length: count }, (_, index) => index).filter((index) => index % 2 === half),
  )
  // Each half holds about half the carriers.
  const fewestHeld = Math.max(2, fewest >> 1)
  const scores = new Float64Array(count)
  let widest: { width: number; direction: Float64Array } = { width: -1, direction: new Float64Array(cols) }
  halves.forEach((fitted, half) => {
    const held = halves[1 - half]
    const directions = leadingDirections(rows, directionCount, seed + half, fewestHeld, fitted)
    let best: { width: number; scores: Float64Array; direction: Float64Array } = {
      width: -1,
      scores: new Float64Array(held.length),
      direction: directions[0],
    }
    projectRows(selectRows(rows, held), directions).forEach((coordinates, index) => {
      const heldScores = robustScores(coordinates)
      const width = widestGap(heldScores, fewestHeld).width
      if (width > best.width) best = { width, scores: heldScores, direction: directions[index] }
    })
    held.forEach((index, position) => {
      scores[index] = best.scores[position]
    })
    if (best.width > widest.width) widest = best
  })
  const { width, beyond } = widestGap(scores, fewest)
  // In the units of the records' own spread along the direction: shuffled sums of sparse values may have none.
  const along = projectRows(rows, [widest.direction])[0]
  const shuffled = robustScoresOn(along, projectShuffled(rows, widest.direction, seed))
  const chance = widestGap(shuffled, fewest).width
  return { gap: width, chance, beyond, direction: widest.direction, along }
}

/**
 * The rows' coordinates along a direction with each feature's values shuffled among the rows on its own: the same
 * values, none of what records share. Values of few kinds (0/1 pixels, items bought or not) leave empty stretches
 * between the coordinates they can take, and a direction on one such feature sets its holders apart as a pattern
 * would; the shuffled rows leave the same stretches, while a shift many features share is gone from them.
 */
function projectShuffled(rows: WhitenedRows, direction: Float64Array, seed: number): Float64Array {
  const { count, cols } = rows
  const byColumn = rows.sparse && columnMajor(rows.sparse, cols)
  const rng = createRng(seed ^ 0x5bd1e995)
  const out = new Float64Array(count)
  const order = Int32Array.from({ length: count }, (_, index) => index)
  // One feature's values laid out by row and read through the shuffled order: the same products added in the same
  // order as reading them out of whole rows, zeros included, without a dense copy of sparse rows (rows × cols) or a
  // jump of a row's length per value read.
  const column = new Float32Array(count)
  for (let col = 0; col < cols; col++) {
    const weight = direction[col]
    if (weight === 0) continue
    rng.shuffle(order)
    if (byColumn) {
      const { starts, rowsOf, values } = byColumn
      for (let at = starts[col]; at < starts[col + 1]; at++) column[rowsOf[at]] = values[at]
    } else {
      const dense = rows.dense!
      for (let row = 0; row < count; row++) column[row] = dense[row * cols + col]
    }
    for (let row = 0; row < count; row++) out[row] += weight * column[order[row]]
    if (byColumn)
      for (let at = byColumn.starts[col]; at < byColumn.starts[col + 1]; at++) column[byColumn.rowsOf[at]] = 0
  }
  return out
}

/** Sparse rows' entries column by column, each column's in row order. */
function columnMajor(rows: SparseRows, cols: number) {
  const { columns, values } = rows
  const starts = new Int32Array(cols + 1)
  for (let at = 0; at < columns.length; at++) starts[columns[at] + 1]++
  for (let col = 0; col < cols; col++) starts[col + 1] += starts[col]
  const next = starts.slice(0, cols)
  const rowsOf = new Int32Array(columns.length)
  const byColumn = new Float32Array(columns.length)
  for (let row = 0; row + 1 < rows.starts.length; row++)
    for (let at = rows.starts[row]; at < rows.starts[row + 1]; at++) {
      const to = next[columns[at]]++
      rowsOf[to] = row
      byColumn[to] = values[at]
    }
  return { starts, rowsOf, values: byColumn }
}
