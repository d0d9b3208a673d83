/** Records chosen at a false-discovery target, and how many of them are expected to be false alarms. */
export interface FalseDiscoverySelection {
  readonly selected: Uint8Array
  /** Sum of the chosen records' chances of being false alarms. */
  readonly expectedFalseAlarms: number
}

/**
 * The largest set of records, taken in order of their chance of being a false alarm (the local false-discovery
 * rate), whose mean chance stays at or below `rate`: the expected share of false alarms among them is then at most
 * `rate`, and their sum says how many false alarms to expect.
 * @see Efron, Tibshirani, Storey, Tusher. Empirical Bayes analysis of a microarray experiment. JASA 96, 2001.
 * @see Storey. The positive false discovery rate: a Bayesian interpretation and the q-value. Ann. Stat. 31, 2003.
 */
export function selectByLocalFdr(
  falseAlarmChances: Float64Array,
  eligible: Uint8Array,
  rate: number,
): FalseDiscoverySelection {
  const order = Array.from(falseAlarmChances.keys())
    .filter((row) => eligible[row] === 1)
    .sort((a, b) => falseAlarmChances[a] - falseAlarmChances[b] || a - b)
  let sum = 0
  let count = 0
  let bestCount = 0
  let bestSum = 0
  for (const row of order) {
    sum += falseAlarmChances[row]
    count++
    if (sum <= rate * count) {
      bestCount = count
      bestSum = sum
    }
  }
  const selected = new Uint8Array(falseAlarmChances.length)
  for (const row of order.slice(0, bestCount)) selected[row] = 1
  return { selected, expectedFalseAlarms: bestSum }
}
