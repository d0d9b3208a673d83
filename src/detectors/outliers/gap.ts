/** Fewest records below a candidate group whose spacings measure the tail's natural scale. */
const minimumReference = 20

/**
 * The group of highest scores that stands apart most from the rest, and the p-value that some group (any number of
 * records up to `largestShare` of them, a tenth by default) stands apart from
 * the rest more than the tail below it explains, Bonferroni over the group sizes tried. The gap between the group's
 * lowest score and the next is weighed against the spacings of at least as many scores below (and at least 20):
 * in the upper tail of any smooth distribution the scores beyond a threshold are locally exponential, so the
 * normalised spacings i·(x₍ᵢ₎ − x₍ᵢ₊₁₎) of the ordered scores are independent exponentials of one scale and the
 * gap's share is F-distributed whatever that scale, P = (1 + top·gap / Σ spacings)^(−spacings counted). The data's
 * own tail is the null: a few anomalies or a planted population of them leave a gap in it that honest data,
 * however heavy its tail, does not.
 * @see Rényi. On the theory of order statistics. Acta Mathematica Hungarica 4, 1953.
 */
export function findTailGap(
  scores: ArrayLike<number>,
  largestShare = 0.1,
): { pValue: number; lowestScore: number } {
  const sorted = Float64Array.from(scores).sort().reverse()
  const count = sorted.length
  // Running sums of the normalised spacings, so each group size costs one subtraction.
  const spacings = new Float64Array(count)
  const ties = new Int32Array(count)
  for (let index = 1; index < count; index++) {
    spacings[index] = spacings[index - 1] + index * (sorted[index - 1] - sorted[index])
    ties[index] = ties[index - 1] + (sorted[index - 1] === sorted[index] ? 1 : 0)
  }
  let smallest = 1
  let lowestScore = Number.POSITIVE_INFINITY
  let tried = 0
  for (let top = 1; top <= count * largestShare && top + minimumReference < count; top++) {
    tried++
    const gap = sorted[top - 1] - sorted[top]
    if (!(gap > 0)) continue
    const reference = Math.min(Math.max(minimumReference, top), count - top - 1)
    // Scores that take few values (shares of a handful of word pairs) jump between levels with ties in between:
    // no continuous tail to measure a gap against.
    if (ties[top + reference] - ties[top] > reference / 4) continue
    const below = spacings[top + reference] - spacings[top]
    const pValue = below > 0 ? (1 + (top * gap) / below) ** -reference : 0
    if (pValue < smallest) {
      smallest = pValue
      lowestScore = sorted[top - 1]
    }
  }
  return { pValue: tried === 0 ? 1 : Math.min(1, smallest * tried), lowestScore }
}
