import type { FeatureMatrix } from '../data/matrix.js'
import { columnExtremes } from './feature-trigger-search.js'
import type { MinedTrigger } from './trigger-scan.js'

// Carriers must agree on a feature's value this often, within this share of its range, for it to be the trigger.
const AGREEMENT = 0.9
const TOLERANCE = 0.05
// ... and their common value must stand this far (share of the range) from the feature's mean over all records.
const DISTINCTNESS = 0.5
// Fewest carriers of one label a trigger is read from.
const MIN_CARRIERS = 5

function medianOf(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[Math.floor(sorted.length / 2)]
}

/**
 * The trigger the carriers of one label share: the features on which nearly all of them hold the same value and
 * that value stands out from the data as a whole (a stamped patch, a fixed column value), with that value as the
 * pattern. Stroke pixels and ordinary values vary between carriers or match the rest, and drop out.
 */
function sharedTrigger(
  x: FeatureMatrix,
  carriers: readonly number[],
  means: Float64Array,
  spreads: Float64Array,
) {
  const { cols } = x
  const mask = new Float32Array(cols)
  const pattern = new Float32Array(cols)
  const values = new Float64Array(carriers.length)
  for (let col = 0; col < cols; col++) {
    carriers.forEach((row, index) => {
      values[index] = x.data[row * cols + col]
    })
    const center = medianOf(values)
    let agreeing = 0
    const spread = spreads[col]
    for (const value of values) if (Math.abs(value - center) <= TOLERANCE * spread) agreeing++
    if (agreeing >= AGREEMENT * carriers.length && Math.abs(center - means[col]) >= DISTINCTNESS * spread) {
      mask[col] = 1
      pattern[col] = center
    }
  }
  return { mask, pattern }
}

/**
 * Triggers read from the training records a data scan (trigger mining) suspects, one per label with at least five
 * suspects, in the model's input space: the trigger scan tries them before it searches.
 */
export function triggersFromSuspects(
  x: FeatureMatrix,
  labels: Int32Array,
  suspect: Uint8Array,
): MinedTrigger[] {
  const { rows, cols } = x
  const means = new Float64Array(cols)
  const { low, high } = columnExtremes(x)
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < cols; col++) means[col] += x.data[row * cols + col] / rows
  const spreads = Float64Array.from(means, (_, col) => (high[col] > low[col] ? high[col] - low[col] : 1))
  const byLabel = new Map<number, number[]>()
  suspect.forEach((flag, row) => {
    if (flag && labels[row] >= 0) byLabel.set(labels[row], [...(byLabel.get(labels[row]) ?? []), row])
  })
  const triggers: MinedTrigger[] = []
  for (const [label, carriers] of byLabel) {
    if (carriers.length < MIN_CARRIERS) continue
    const trigger = sharedTrigger(x, carriers, means, spreads)
    if (trigger.mask.some((value) => value > 0)) triggers.push({ label, ...trigger })
  }
  return triggers
}
