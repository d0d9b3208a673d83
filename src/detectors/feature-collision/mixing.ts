import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { permutationPValue } from '../../stats/permutation.js'
import { evenSample } from '../../util/even-sample.js'

/** Members of a group the statistic reads, evenly spaced: the mean of this many cosines is steady enough. */
const readMembers = 32
/** Records of a member's own class, outside its group, whose mean stands for where the member started. */
const baseRecords = 10
/** Records of each class searched for those bases, evenly spaced, so the cost stays flat as classes grow. */
const classSampleRows = 500
/** Groups of the data's own records the statistic is held against. */
const nullGroups = 120

/** What the mixing statistic reads: the scan's features, its neighbour graph and labels, and a sample per class. */
export interface MixingData {
  readonly features: FeatureMatrix
  readonly graph: NeighbourGraph
  readonly codes: Int32Array
  readonly classSamples: readonly Int32Array[]
}

/** The inputs with an even sample of each class's rows. */
export function mixingData(
  features: FeatureMatrix,
  graph: NeighbourGraph,
  codes: Int32Array,
  classCount: number,
) {
  const byClass = Array.from({ length: classCount }, () => [] as number[])
  codes.forEach((code, row) => {
    if (code >= 0) byClass[code].push(row)
  })
  const classSamples = byClass.map((rows) => evenSample(rows, classSampleRows))
  return { features, graph, codes, classSamples }
}

/**
 * The record of another label the group leans toward: among the other-label records in its members' neighbour
 * lists, the one nearest the ray from its class's centre (the class sample outside the group) through the members'
 * centre, beyond the members. -1 when no member has a neighbour of another label.
 */
function aimedRecord(data: MixingData, members: Int32Array, excluded: Uint8Array): number {
  const { features, graph, codes } = data
  const { data: values, cols } = features
  const label = codes[members[0]]
  const centre = new Float64Array(cols)
  for (const row of members) for (let col = 0; col < cols; col++) centre[col] += values[row * cols + col]
  const along = new Float64Array(cols)
  let classRows = 0
  for (const row of data.classSamples[label]) {
    if (excluded[row]) continue
    classRows++
    for (let col = 0; col < cols; col++) along[col] -= values[row * cols + col]
  }
  let squares = 0
  for (let col = 0; col < cols; col++) {
    centre[col] /= members.length
    along[col] = centre[col] + along[col] / Math.max(1, classRows)
    squares += along[col] * along[col]
  }
  const length = Math.sqrt(squares) || 1
  let best = -1
  let bestDistance = Number.POSITIVE_INFINITY
  for (const row of members)
    for (let position = 0; position < graph.k; position++) {
      const other = graph.indices[row * graph.k + position]
      if (codes[other] < 0 || codes[other] === label) continue
      let projection = 0
      let distance = 0
      for (let col = 0; col < cols; col++)
        projection += (values[other * cols + col] - centre[col]) * along[col]
      const ahead = Math.max(0, projection / length)
      for (let col = 0; col < cols; col++)
        distance += (values[other * cols + col] - centre[col] - (ahead * along[col]) / length) ** 2
      if (distance < bestDistance) {
        bestDistance = distance
        best = other
      }
    }
  return best
}

/** Mean of a member's `baseRecords` nearest rows of its class sample outside the group, into `base`. */
function baseOf(data: MixingData, row: number, excluded: Uint8Array, base: Float64Array): void {
  const { data: values, cols } = data.features
  const nearest = new Int32Array(baseRecords).fill(-1)
  const distances = new Float64Array(baseRecords).fill(Number.POSITIVE_INFINITY)
  for (const other of data.classSamples[data.codes[row]]) {
    if (excluded[other]) continue
    let distance = 0
    for (let col = 0; col < cols; col++)
      distance += (values[row * cols + col] - values[other * cols + col]) ** 2
    if (distance >= distances[baseRecords - 1]) continue
    let slot = baseRecords - 1
    for (; slot > 0 && distances[slot - 1] > distance; slot--) {
      distances[slot] = distances[slot - 1]
      nearest[slot] = nearest[slot - 1]
    }
    distances[slot] = distance
    nearest[slot] = other
  }
  base.fill(0)
  const found = nearest.filter((other) => other >= 0)
  for (const other of found)
    for (let col = 0; col < cols; col++) base[col] += values[other * cols + col] / found.length
}

/**
 * How far a group's members look moved from their class toward one record of another: the mean, over up to
 * `readMembers` members, of the cosine between the member's offset from its own class (the mean of its nearest
 * class records outside the group, where it would have started) and its way on to the record the group leans
 * toward. A collision adds to each poison a step toward the target, so both point the same way; a record of a
 * natural group lies beyond its nearer class records as often away from another class as toward it. Rows marked
 * in `excluded` (the group itself) are not taken for bases. -Infinity when the group leans toward no record.
 * @see Shafahi et al. Poison Frogs! Targeted Clean-Label Poisoning Attacks on Neural Networks. NeurIPS 2018.
 */
export function mixingStatistic(data: MixingData, group: Int32Array, excluded: Uint8Array): number {
  const members = evenSample(group, readMembers)
  const aimed = aimedRecord(data, members, excluded)
  if (aimed < 0) return Number.NEGATIVE_INFINITY
  const { data: values, cols } = data.features
  const base = new Float64Array(cols)
  let sum = 0
  for (const row of members) {
    baseOf(data, row, excluded, base)
    let dot = 0
    let offsetSquares = 0
    let aheadSquares = 0
    for (let col = 0; col < cols; col++) {
      const offset = values[row * cols + col] - base[col]
      const ahead = values[aimed * cols + col] - values[row * cols + col]
      dot += offset * ahead
      offsetSquares += offset * offset
      aheadSquares += ahead * ahead
    }
    if (offsetSquares > 0 && aheadSquares > 0) sum += dot / Math.sqrt(offsetSquares * aheadSquares)
  }
  return sum / members.length
}

/**
 * The statistic on groups of the data's own records: from every `rows / nullGroups`-th labelled record not
 * marked in `tested`, the record and its same-label neighbours (as many as the graph holds), each group read as
 * a tested group is. Groups of a class's body and rim alike, so the null holds what honest neighbourhoods show.
 */
export function mixingNull(data: MixingData, tested: Uint8Array): Float64Array {
  const { graph, codes } = data
  const seeds: number[] = []
  for (let row = 0; row < graph.rows; row++) if (codes[row] >= 0 && !tested[row]) seeds.push(row)
  const excluded = new Uint8Array(graph.rows)
  const statistics: number[] = []
  for (const seed of evenSample(seeds, nullGroups)) {
    const members = [seed]
    for (let position = 0; position < graph.k; position++) {
      const other = graph.indices[seed * graph.k + position]
      if (codes[other] === codes[seed] && !tested[other] && other !== seed) members.push(other)
    }
    if (members.length < 2) continue
    for (const row of members) excluded[row] = 1
    const statistic = mixingStatistic(data, Int32Array.from(members), excluded)
    for (const row of members) excluded[row] = 0
    // A group that leans toward no record of another label is no collision's like: the null holds those that do.
    if (statistic > Number.NEGATIVE_INFINITY) statistics.push(statistic)
  }
  return Float64Array.from(statistics)
}

/** P-value of a group's mixing statistic against the data's own groups (`mixingNull`). */
export function mixingPValue(data: MixingData, members: Int32Array, groupNull: Float64Array): number {
  const excluded = new Uint8Array(data.graph.rows)
  for (const row of members) excluded[row] = 1
  const statistic = mixingStatistic(data, members, excluded)
  if (statistic === Number.NEGATIVE_INFINITY || groupNull.length === 0) return 1
  return permutationPValue(statistic, groupNull).pValue
}
