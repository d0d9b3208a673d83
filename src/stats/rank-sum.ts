import { normalSurvival } from './tails.js'

/** Largest sample whose rank-sum tail is summed exactly; beyond it the normal approximation is close. */
const exactSampleLimit = 30
/**
 * Steps the exact count may take. Beyond it the normal approximation stands in: sums of a few ranks have lighter
 * tails than the normal's, so there it overstates the chance (one rank of 600 at the bottom: 0.04 against 1/600)
 * and the test stays valid, only weaker.
 */
const exactWorkLimit = 3e7

/**
 * P(S ≤ `rankSum`) where S is the sum of `sampleSize` ranks drawn without replacement from 1…`populationSize`:
 * the one-sided p-value of the Wilcoxon rank-sum test that the sample ranks lower than chance. Exact (a count of
 * subsets by their sums) for samples up to 30, where only sums up to `rankSum` are counted; the normal
 * approximation with a continuity correction beyond, wherever it is far from significance anyway, and where the
 * count would take too long.
 * @see Wilcoxon. Individual comparisons by ranking methods. Biometrics Bulletin 1, 1945.
 */
export function rankSumLowerTail(rankSum: number, sampleSize: number, populationSize: number): number {
  if (sampleSize <= 0 || sampleSize >= populationSize) return 1
  const lowest = (sampleSize * (sampleSize + 1)) / 2
  if (rankSum < lowest) return 0
  const mean = (sampleSize * (populationSize + 1)) / 2
  const deviation = Math.sqrt((sampleSize * (populationSize - sampleSize) * (populationSize + 1)) / 12)
  const approximate = normalSurvival((mean - rankSum - 0.5) / deviation)
  const limit = Math.floor(rankSum)
  const work = Math.min(populationSize, limit) * (sampleSize + 1) * (limit + 1)
  if (sampleSize > exactSampleLimit || approximate > 0.05 || work > exactWorkLimit)
    return Math.min(1, approximate)
  return exactLowerTail(limit, sampleSize, populationSize)
}

/** Share of the `sampleSize`-subsets of 1…`populationSize` whose sum is at most `limit`, by dynamic programming. */
function exactLowerTail(limit: number, sampleSize: number, populationSize: number): number {
  // ways[j · (limit + 1) + t]: subsets of j of the ranks seen so far summing to t, each weighted by 1 / C(seen, j)
  // so the numbers stay in range; taking rank r+1 moves a j-subset of r ranks to j or j+1 of r+1.
  const width = limit + 1
  let ways = new Float64Array((sampleSize + 1) * width)
  let next = new Float64Array(ways.length)
  ways[0] = 1
  // Ranks above the limit can only be left out: they scale each count by (rank − taken) / rank and move no sum.
  const summed = Math.min(populationSize, limit)
  for (let rank = 1; rank <= summed; rank++) {
    next.fill(0)
    const most = Math.min(sampleSize, rank)
    for (let taken = 0; taken <= most; taken++) {
      // Of the subsets of `taken` among `rank` ranks, (rank − taken)/rank leave this rank out.
      const keep = (rank - taken) / rank
      const take = taken / rank
      for (let sum = 0; sum < width; sum++) {
        let value = keep * ways[taken * width + sum]
        if (taken > 0 && sum >= rank) value += take * ways[(taken - 1) * width + sum - rank]
        next[taken * width + sum] = value
      }
    }
    ;[ways, next] = [next, ways]
  }
  let total = 0
  for (let sum = 0; sum < width; sum++) total += ways[sampleSize * width + sum]
  for (let rank = summed + 1; rank <= populationSize; rank++) total *= (rank - sampleSize) / rank
  return Math.min(1, total)
}
