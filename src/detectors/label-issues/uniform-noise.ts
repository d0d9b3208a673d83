import { poissonUpperTail } from '../../stats/tails.js'

/**
 * Level at which a pair of classes is found confused beyond the flips every pair shares, before the Bonferroni
 * correction over the pairs.
 */
const confusedLevel = 0.05

/** A pair of classes off the joint's diagonal: the records labelled one class whose true class is the other. */
interface ConfusionCell {
  count: number
  /** Records whose true class is the cell's: the exposure its count is read against. */
  exposure: number
}

/**
 * The pairs off the joint's diagonal that hold records, least confused first, and the pairs that hold none with
 * their exposure: with a thousand classes nearly all of the million pairs are empty, and they pool without a test.
 */
function offDiagonalCells(joint: Float64Array, classCount: number, labelledCount: number) {
  const exposures = new Float64Array(classCount)
  for (let given = 0; given < classCount; given++)
    for (let truth = 0; truth < classCount; truth++)
      exposures[truth] += joint[given * classCount + truth] * labelledCount
  const cells: ConfusionCell[] = []
  const empty = { pairCount: 0, exposure: 0 }
  for (let given = 0; given < classCount; given++)
    for (let truth = 0; truth < classCount; truth++) {
      if (given === truth || exposures[truth] <= 0) continue
      const count = joint[given * classCount + truth] * labelledCount
      if (count > 0) cells.push({ count, exposure: exposures[truth] })
      else {
        empty.pairCount++
        empty.exposure += exposures[truth]
      }
    }
  cells.sort((a, b) => a.count / a.exposure - b.count / b.exposure)
  return { cells, empty }
}

/**
 * The share of labels flipped at random that the confusion between classes admits, or `undefined` with fewer than
 * three classes. Random flips send a class's records to every other class alike, so every pair of classes (a cell of
 * `joint`, given × true, as confident learning estimates it) holds them at one rate; classes that truly overlap
 * (thirds of one measurement, next to each other) add confusion to their own pairs only. The pairs are pooled from
 * the least confused up to the first whose count lies beyond the pooled rate's Poisson tail (Bonferroni over the
 * pairs), and the pooled rate, spread over the other classes, is the noise random flips explain. With two classes
 * the only pair is its own mirror, which honest data confuse unevenly (hard ham reads as spam far more often than
 * the reverse), so there is nothing to pool against.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export function uniformNoiseRate(
  joint: Float64Array,
  classCount: number,
  labelledCount: number,
): number | undefined {
  if (classCount < 3) return undefined
  const { cells, empty } = offDiagonalCells(joint, classCount, labelledCount)
  const level = confusedLevel / (cells.length + empty.pairCount)
  let pooledCount = 0
  let pooledExposure = empty.exposure
  for (const cell of cells) {
    const rate = (pooledCount + cell.count) / (pooledExposure + cell.exposure)
    if (pooledExposure > 0 && poissonUpperTail(cell.count, rate * cell.exposure) < level) break
    pooledCount += cell.count
    pooledExposure += cell.exposure
  }
  return pooledExposure > 0 ? ((classCount - 1) * pooledCount) / pooledExposure : undefined
}
