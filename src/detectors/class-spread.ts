import { median } from '../stats/quantiles.js'
import { normalSurvival } from '../stats/tails.js'

/**
 * Smallest spread credited to the classes' natural variation: classes that happen to agree closely must not make
 * any small difference look significant.
 */
const minimumSpread = 0.1

/**
 * How far one class's value stands out among the other classes' values of the same dataset, as a robust z-score
 * (median and scaled median absolute deviation): the data's own classes are the null, so a class that natural
 * structure sets apart is weighed against how far apart natural classes lie in this dataset.
 */
export function standOutAmongClasses(values: readonly number[], index: number): number {
  const others = values.filter((_, other) => other !== index)
  const centre = median(others)
  const spread = Math.max(1.4826 * median(others.map((value) => Math.abs(value - centre))), minimumSpread)
  return (values[index] - centre) / spread
}

/**
 * P-value that some class of `suspects` stands out from the others on every one of `measures` (one value per
 * class each), Bonferroni-adjusted over the classes; undefined below three classes, where the other classes give
 * no spread to measure against.
 */
export function classSpreadPValue(
  measures: readonly (readonly number[])[],
  suspects: readonly boolean[],
): number | undefined {
  const classCount = suspects.length
  if (classCount < 3) return undefined
  let smallest = 1
  suspects.forEach((suspect, index) => {
    if (!suspect) return
    const z = Math.min(...measures.map((values) => standOutAmongClasses(values, index)))
    smallest = Math.min(smallest, normalSurvival(z) * classCount)
  })
  return Math.min(1, smallest)
}
