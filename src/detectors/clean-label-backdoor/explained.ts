import { evenSample } from '../../util/even-sample.js'
import { type LevelMatrix, packRows, principalDirections, scoreRows, type WhitenedRows } from './score.js'
import { otherRows } from './windows.js'

/** Records of the other classes whose variation is read, evenly spaced. */
const otherSampleRows = 300

/**
 * Directions of the other classes' variation taken out of a class's rows. On 64×64 shapes of random place, size,
 * ink and ground, a sine on 15% of the circles lay along none of the circles' eight leading directions (cosines
 * ≤ 0.09 in the raw pixels); with the other shapes' leading 16 directions taken out it lay along two of them (0.48,
 * 0.65). With 32 the seed-3 sine was missed (its gap weighed 83 but the other classes' up to 11) and the search
 * cost half as much again.
 */
export const explainedDirections = 16

/**
 * Fewest pixels the search runs on: the directions taken out must leave nearly all of the space. On 8×8 digits (64
 * pixels) 32 of them took half of it, the other classes' gaps widened, and a patch on 15% of the ones found before
 * (p 0.007) was lost.
 */
const fewestColumns = 16 * explainedDirections

/**
 * Whether a class's rows are searched once more with the other classes' variation taken out: rows that deviate from
 * their class's median nearly everywhere (held dense, see `packRows`) and images of enough pixels.
 */
export function searchesUnexplained(rows: WhitenedRows): boolean {
  return !rows.sparse && rows.cols >= fewestColumns
}

/**
 * The leading directions of the other classes' records, scored as the class's own are (deviations from its median in
 * normal scores among the other classes) and centred on their mean: what varies in every class, such as an image's
 * brightness or where its object sits.
 */
export function otherClassVariation(
  features: LevelMatrix,
  codes: Int32Array,
  code: number,
  centre: Float64Array,
  scores: Float32Array,
  seed: number,
): Float64Array[] {
  const { cols } = features
  const others = evenSample(otherRows(codes, code), otherSampleRows)
  const scored = scoreRows(features, others, centre, scores)
  const mean = new Float64Array(cols)
  for (let index = 0; index < others.length; index++)
    for (let col = 0; col < cols; col++) mean[col] += scored[index * cols + col] / others.length
  for (let index = 0; index < others.length; index++)
    for (let col = 0; col < cols; col++) scored[index * cols + col] -= mean[col]
  const count = Math.min(explainedDirections, Math.max(0, others.length - 1))
  return principalDirections(packRows(scored, others.length, cols), count, seed)
}

/**
 * Rows (`count × cols`) with their components along orthonormal `directions` taken out one after another, as a new
 * matrix. The pass that takes one direction out of a row also sums the row's dot product with the next, on the
 * values as stored: those of a pass per sum, with half the passes.
 */
export function withoutDirections(
  rows: Float32Array,
  count: number,
  cols: number,
  directions: readonly Float64Array[],
): Float32Array {
  const out = Float32Array.from(rows)
  const last = directions.length - 1
  for (let first = 0; first < count * cols; first += cols) {
    const row = out.subarray(first, first + cols)
    let along = 0
    if (last >= 0) along = dotOf(row, directions[0])
    for (let index = 0; index < last; index++)
      along = subtractAndDot(row, along, directions[index], directions[index + 1])
    if (last >= 0) {
      const direction = directions[last]
      for (let col = 0; col < cols; col++) row[col] -= along * direction[col]
    }
  }
  return out
}

function dotOf(row: Float32Array, direction: Float64Array): number {
  let sum = 0
  for (let col = 0; col < row.length; col++) sum += row[col] * direction[col]
  return sum
}

/** Takes `along` times `direction` out of the row and returns the row's dot product with `next` as stored. */
function subtractAndDot(
  row: Float32Array,
  along: number,
  direction: Float64Array,
  next: Float64Array,
): number {
  let sum = 0
  for (let col = 0; col < row.length; col++) {
    const value = Math.fround(row[col] - along * direction[col])
    row[col] = value
    sum += value * next[col]
  }
  return sum
}
