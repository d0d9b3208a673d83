import { describe, expect, it } from 'vitest'
import { measureReliability, wilsonInterval } from './reliability.js'
import type { AnnotationTable } from './types.js'

describe('wilsonInterval', () => {
  it('matches the published interval for 8 of 10 (Newcombe 1998, method 3)', () => {
    const [lower, upper] = wilsonInterval(8, 10)
    expect(lower).toBeCloseTo(0.4902, 4)
    expect(upper).toBeCloseTo(0.9433, 4)
  })

  it('stays inside [0, 1] and is the whole range without trials', () => {
    expect(wilsonInterval(0, 5)[0]).toBe(0)
    expect(wilsonInterval(5, 5)[1]).toBe(1)
    expect(wilsonInterval(0, 0)).toEqual([0, 1])
  })
})

describe('measureReliability', () => {
  // Two annotators over six items of two classes; the posteriors are certain, so κ is Cohen's own.
  const table: AnnotationTable = {
    itemIds: ['a', 'b', 'c', 'd', 'e', 'f'],
    annotatorIds: ['good', 'always-yes'],
    classes: ['no', 'yes'],
    item: Int32Array.from([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]),
    annotator: Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]),
    label: Int32Array.from([0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]),
  }
  const truth = [0, 0, 1, 1, 0, 0]
  const posterior = Float64Array.from(truth.flatMap((k) => (k === 0 ? [1, 0] : [0, 1])))

  /** Cohen 1960: κ = (p_o − p_e) / (1 − p_e), p_e from the two raters' marginals. */
  function referenceKappa(given: number[]): number {
    const observed = given.filter((label, i) => label === truth[i]).length / given.length
    const share = (values: number[], k: number) =>
      values.filter((value) => value === k).length / values.length
    const chance = share(given, 0) * share(truth, 0) + share(given, 1) * share(truth, 1)
    return (observed - chance) / (1 - chance)
  }

  it('gives accuracy, Cohen’s κ and the confusion counts against certain posteriors', () => {
    const reliability = measureReliability(table, posterior)
    expect(Array.from(reliability.accuracy)).toEqual([5 / 6, 2 / 6])
    expect(reliability.kappa[0]).toBeCloseTo(referenceKappa([0, 0, 1, 1, 1, 0]), 12)
    expect(reliability.kappa[1]).toBeCloseTo(0, 12)
    // always-yes: the four "no" items and the two "yes" items all answered yes.
    expect(Array.from(reliability.confusionCounts.subarray(4, 8))).toEqual([0, 4, 0, 2])
    expect(reliability.accuracyLower[0]).toBeLessThan(5 / 6)
    expect(reliability.accuracyUpper[0]).toBeGreaterThan(5 / 6)
  })
})
