import { describe, expect, it } from 'vitest'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { describeLikeness, type ExplainContext, explainMember } from './explain.js'
import {
  analyseGroup,
  classesMadeOfCopies,
  fitGroupSizes,
  floodSizeThreshold,
  type GroupAnalysis,
  type GroupContext,
  joinFloodPieces,
  memberFindingKind,
  memberSuspicion,
  ordinaryGroupSizes,
  testContradictions,
  withRelabelledFloods,
} from './score.js'

/**
 * Two classes on a line: class 0 around x = 0, class 1 around x = 10, one row per unit step; rows at or above
 * `firstExtra` are extra records placed by the test.
 */
function lineContext(extra: { x: number; label: number }[]): GroupContext & { rowCount: number } {
  const base = Array.from({ length: 40 }, (_, index) => ({
    x: index < 20 ? index * 0.1 : 10 + index * 0.1,
    label: index < 20 ? 0 : 1,
  }))
  const points = [...base, ...extra]
  const rowCount = points.length
  const k = 5
  const indices = new Int32Array(rowCount * k)
  const distances = new Float32Array(rowCount * k)
  points.forEach((point, row) => {
    const nearest = points
      .map((other, index) => ({ index, distance: Math.abs(other.x - point.x) }))
      .filter(({ index }) => index !== row)
      .sort((a, b) => a.distance - b.distance || a.index - b.index)
      .slice(0, k)
    nearest.forEach(({ index, distance }, position) => {
      indices[row * k + position] = index
      distances[row * k + position] = distance
    })
  })
  const graph: NeighbourGraph = { rows: rowCount, k, indices, distances }
  return {
    rowCount,
    features: { data: Float32Array.from(points, (point) => point.x), rows: rowCount, cols: 1 },
    graph,
    codes: Int32Array.from(points, (point) => point.label),
    classCount: 2,
    voteCount: 10,
    scanStride: 1,
    work: { distancesComputed: 0 },
  }
}

const explainContext = (codes: Int32Array, rowCount: number): ExplainContext => ({
  ids: Array.from({ length: rowCount }, (_, row) => `r${row}`),
  codes,
  classes: ['cat', 'dog'],
  minCosine: 0.98,
  minJaccard: 0.75,
  minCorrelation: 0.99,
  floodSizeThreshold: 5,
})

describe('near-duplicate group scoring', () => {
  it('blames the copy whose label its surroundings contradict', () => {
    const context = lineContext([{ x: 0.5, label: 1 }])
    const group = Int32Array.from([5, 40])
    const analysis = analyseGroup(group, 100, context)
    expect(analysis.kind).toBe('contradiction')
    expect(analysis.bestLabel).toBe(0)
    expect(analysis.original).toBe(5)
    expect(memberSuspicion(analysis, 40, context.codes)).toBeGreaterThan(0.99)
    expect(memberSuspicion(analysis, 5, context.codes)).toBeLessThan(0.01)
    const text = explainMember(
      analysis,
      40,
      'identical copies',
      explainContext(context.codes!, context.rowCount),
    )
    expect(text).toBe(
      'one of 2 identical copies with conflicting labels (1 × cat, 1 × dog); this one is labelled dog and 10 of the 10 nearest other records are cat',
    )
  })

  it('does not take copies an edit kept out of a group for its surroundings', () => {
    // An original (row 5) linked to one relabelled copy, and six more copies at the same place that no link
    // reached: the nearest records outside the group are those copies, and they carry the copies' label.
    const copies = Array.from({ length: 7 }, () => ({ x: 0.5, label: 1 }))
    const context = lineContext(copies)
    const group = Int32Array.from([5, 40])
    expect(analyseGroup(group, 100, context).bestLabel).toBe(1)
    const alike = (_first: number, _second: number, distance: number) => distance === 0
    const analysis = analyseGroup(group, 100, { ...context, alike })
    expect(analysis.bestLabel).toBe(0)
    // The copies still weigh as members do, so the original is cleared and the linked copy blamed, short of certainty.
    expect(memberSuspicion(analysis, 5, context.codes)).toBeLessThan(0.5)
    expect(memberSuspicion(analysis, 40, context.codes)).toBeGreaterThan(0.5)
  })

  it('in a flood, suspects the many copies and clears the lone original', () => {
    const copies = Array.from({ length: 12 }, () => ({ x: 10.5, label: 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from([25, ...copies.map((_, index) => 40 + index)])
    const analysis = analyseGroup(group, 5, context)
    expect(analysis.kind).toBe('flood')
    expect(analysis.original).toBe(25)
    for (let row = 40; row < 52; row++)
      expect(memberSuspicion(analysis, row, context.codes)).toBeGreaterThan(0.99)
    expect(memberSuspicion(analysis, 25, context.codes)).toBeLessThan(0.2)
    expect(
      explainMember(
        analysis,
        41,
        'near-identical copies (cosine ≥ 0.98)',
        explainContext(context.codes!, context.rowCount),
      ),
    ).toBe(
      'one of 13 near-identical copies (cosine ≥ 0.98) of record r25, labelled cat while the original and its neighbours are dog',
    )
  })

  it('keeps natural duplicates with one label low, even in a large group', () => {
    const copies = Array.from({ length: 8 }, () => ({ x: 0.3, label: 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from([3, ...copies.map((_, index) => 40 + index)])
    const large = analyseGroup(group, 5, context)
    const small = analyseGroup(group.subarray(0, 3), 100, context)
    for (const row of group) expect(memberSuspicion(large, row, context.codes)).toBeLessThan(0.5)
    expect(memberSuspicion(small, 40, context.codes)).toBeLessThan(0.2)
    expect(small.kind).toBe('duplicate')
  })

  it('overrules a label that a whole group shares only when its surroundings all disagree', () => {
    const copies = Array.from({ length: 8 }, () => ({ x: 10.5, label: 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const analysis = analyseGroup(group, 5, context)
    expect(memberSuspicion(analysis, 40, context.codes)).toBeGreaterThan(0.5)
  })

  it('takes a large group for its class’s own structure when most of the class is such copies', () => {
    const copies = Array.from({ length: 30 }, () => ({ x: 10.5, label: 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const copyClasses = classesMadeOfCopies([group], 5, context.codes!, 2)
    expect(Array.from(copyClasses)).toEqual([1, 0])
    const asFlood = analyseGroup(group, 5, context)
    expect(asFlood.kind).toBe('flood')
    expect(memberSuspicion(asFlood, 41, context.codes)).toBeGreaterThan(0.5)
    const asClass = analyseGroup(group, 5, { ...context, copyClasses })
    expect(asClass.kind).toBe('duplicate')
    expect(memberSuspicion(asClass, 41, context.codes)).toBeLessThan(0.5)
    // Ten copies are a fifth of their class: a flood still.
    expect(Array.from(classesMadeOfCopies([group.subarray(0, 10)], 5, context.codes!, 2))).toEqual([0, 0])
  })

  it('sets the flood bar from the dataset’s own group sizes', () => {
    const pairs = Array.from({ length: 200 }, (_, index) => Int32Array.from([2 * index, 2 * index + 1]))
    expect(floodSizeThreshold(pairs, 3)).toBe(5)
    expect(floodSizeThreshold([], 7)).toBe(7)
    // Ten floods and nothing else cannot make floods ordinary.
    const floods = Array.from({ length: 10 }, (_, index) =>
      Int32Array.from({ length: 41 }, (_, member) => index * 41 + member),
    )
    expect(floodSizeThreshold(floods, 5)).toBe(11)
    // When most records sit in groups of 3 to 20, a group of 20 is ordinary.
    const crowded = Array.from({ length: 100 }, (_, index) =>
      Int32Array.from({ length: 3 + (index % 18) }, (_, member) => index * 30 + member),
    )
    expect(floodSizeThreshold(crowded, 5)).toBeGreaterThan(20)
  })

  it('suspects the copies of a flood even when they carry the label the surroundings favour', () => {
    const copies = Array.from({ length: 19 }, () => ({ x: 10.5, label: 1 }))
    const context = lineContext([{ x: 10.5, label: 0 }, ...copies])
    const group = Int32Array.from({ length: 20 }, (_, index) => 40 + index)
    const analysis = analyseGroup(group, 5, context)
    expect(analysis.excess).toBeCloseTo(0.75)
    // The surroundings side with the copies, so one of them stands in for the original; the real one is blamed.
    expect(context.codes![analysis.original]).toBe(1)
    expect(memberSuspicion(analysis, 40, context.codes)).toBeGreaterThan(0.99)
    const copySuspicion = Array.from(group)
      .filter((row) => row !== analysis.original && row !== 40)
      .map((row) => memberSuspicion(analysis, row, context.codes))
    expect(copySuspicion).toHaveLength(18)
    for (const suspicion of copySuspicion) expect(suspicion).toBeCloseTo(0.75)
  })

  it('lets copies of one record with another label speak fully once natural groups that large are not expected', () => {
    // Ten copies labelled dog of one cat among cats, against a flood bar of 6: barely past it, capped at 0.95.
    const extra = [{ x: 0.55, label: 0 }, ...Array.from({ length: 10 }, () => ({ x: 0.55, label: 1 }))]
    const context = lineContext(extra)
    const group = Int32Array.from(extra.map((_, index) => 40 + index))
    const capped = analyseGroup(group, 6, context)
    expect(memberSuspicion(capped, 41, context.codes)).toBeCloseTo(0.5 + (1 - 6 / 11))
    // Where the dataset's other groups are pairs, eleven copies are about 10⁻⁴ natural groups: the doubt is the label's.
    const pairs = Array.from({ length: 2 }, (_, index) => Int32Array.of(2 * index, 2 * index + 1))
    const weighed = analyseGroup(group, 6, { ...context, sizes: fitGroupSizes([group, ...pairs]) })
    expect(weighed.naturalCount).toBeLessThan(1e-3)
    expect(memberSuspicion(weighed, 41, context.codes)).toBeGreaterThan(0.99)
    expect(memberSuspicion(weighed, 40, context.codes)).toBeLessThan(0.5)
  })

  it('reads several relabelled members of a large natural group as label noise, whichever side its surroundings take', () => {
    // A thread of 20 copies, 17 labelled cat and 3 dog, among dogs: several on each side, so no copy of one record.
    const copies = Array.from({ length: 20 }, (_, index) => ({ x: 10.5, label: index < 17 ? 0 : 1 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const analysis = analyseGroup(group, 5, context)
    expect(analysis.bestLabel).toBe(1)
    expect(analysis.kind).toBe('contradiction')
    expect(memberFindingKind(analysis, 40, context.codes)).toBe('contradiction')
  })

  it('reads a record and its honest twin copied in numbers under another label as a flood', () => {
    // A dog and its exact twin among dogs, with 18 copies labelled cat: two members on each side read as noise.
    const copies = Array.from({ length: 20 }, (_, index) => ({ x: 10.5, label: index < 2 ? 1 : 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const analysis = analyseGroup(group, 5, context)
    expect(analysis.kind).toBe('contradiction')
    // Elsewhere the dataset holds pairs and a few triples: 18 copies are far past what natural groups grow to.
    const naturalGroups = (triples: number) =>
      Array.from({ length: 96 + triples }, (_, index) =>
        Int32Array.from({ length: index < triples ? 3 : 2 }, (_, member) => 1000 + 3 * index + member),
      )
    const sizes = fitGroupSizes([group, ...naturalGroups(20)])
    const [flood] = withRelabelledFloods([analysis], 5, sizes)
    expect(flood.kind).toBe('flood')
    for (let row = 42; row < 60; row++) expect(memberFindingKind(flood, row, context.codes)).toBe('flood')
    // Beside a natural thread of 25 dogs, 18 copies are as many as natural copies make here: label noise still.
    const thread = Int32Array.from({ length: 25 }, (_, index) => 60 + index)
    const beside = lineContext([...copies, ...Array.from({ length: 25 }, () => ({ x: 10.7, label: 1 }))])
    const analyses = [analyseGroup(group, 5, beside), analyseGroup(thread, 5, beside)]
    expect(withRelabelledFloods(analyses, 5, sizes)[0].kind).toBe('contradiction')
    // Five on the true side are more than one record's natural copies where the flood bar is 5.
    const five = Int32Array.from(context.codes!, (code, row) => (row >= 40 && row < 45 ? 1 : code))
    const fiveTrue = analyseGroup(group, 5, { ...context, codes: five })
    expect(withRelabelledFloods([fiveTrue], 5, sizes)[0].kind).toBe('contradiction')
  })

  it('reads seven of nine copies just past the flood bar under another label as label noise', () => {
    // Nine newsletters among dogs, seven labelled cat and two flipped to dog, where the flood bar is 7.
    const copies = Array.from({ length: 9 }, (_, index) => ({ x: 10.5, label: index < 2 ? 1 : 0 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const analysis = analyseGroup(group, 7, context)
    expect(analysis.kind).toBe('contradiction')
    const groups = Array.from({ length: 116 }, (_, index) =>
      Int32Array.from({ length: index < 20 ? 3 : 2 }, (_, member) => 1000 + 3 * index + member),
    )
    const sizes = fitGroupSizes(groups)
    expect(floodSizeThreshold(groups, 5)).toBe(7)
    expect(withRelabelledFloods([analysis], 7, sizes)[0].kind).toBe('contradiction')
  })

  it('reads a large group whose labels hold no majority as label noise, not a flood', () => {
    // Thirteen identical short texts spread over six classes: a chance collision of uninformative content.
    const labels = [0, 1, 1, 1, 1, 1, 2, 2, 3, 3, 3, 4, 5]
    const copies = labels.map((label) => ({ x: 10.5, label }))
    const context = lineContext(copies)
    const codes = Int32Array.from(context.codes!, (code, row) => (row >= 40 ? labels[row - 40] : code))
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const scattered = analyseGroup(group, 5, { ...context, codes, classCount: 6 })
    expect(scattered.large).toBe(true)
    expect(scattered.kind).toBe('contradiction')
    for (const row of group) expect(memberFindingKind(scattered, row, codes)).not.toBe('flood')
    // The same group with most copies relabelled to one class is a flood again.
    const planted = Int32Array.from(codes, (code, row) => (row > 40 && row < 49 ? 4 : code))
    expect(analyseGroup(group, 5, { ...context, codes: planted, classCount: 6 }).kind).toBe('flood')
  })

  it('calls the one member a group and its surroundings reject a contradiction, not a copy of a flood', () => {
    // 19 copies labelled dog among dogs, one labelled cat: a relabelled copy, or the original of a flood.
    const copies = Array.from({ length: 20 }, (_, index) => ({ x: 10.5, label: index === 0 ? 0 : 1 }))
    const context = lineContext(copies)
    const group = Int32Array.from(copies.map((_, index) => 40 + index))
    const analysis = analyseGroup(group, 5, context)
    expect(analysis.kind).toBe('flood')
    expect(memberFindingKind(analysis, 40, context.codes)).toBe('contradiction')
    expect(memberFindingKind(analysis, 41, context.codes)).toBe('flood')
    // Copies labelled cat against one dog original among dogs stay a flood, every one of them.
    const floodCodes = Int32Array.from(context.codes!, (code, row) => (row === 40 ? 1 : row > 40 ? 0 : code))
    const flood = analyseGroup(group, 5, { ...context, codes: floodCodes })
    expect(flood.kind).toBe('flood')
    expect(flood.bestLabel).toBe(1)
    for (let row = 41; row < 60; row++) expect(memberFindingKind(flood, row, floodCodes)).toBe('flood')
  })

  it('measures an oversized group against the natural groups the same data hold', () => {
    // A thread of 31 copies among dogs, one relabelled cat, beside another thread of 20 dogs.
    const thread = Array.from({ length: 31 }, (_, index) => ({ x: 10.5, label: index === 0 ? 0 : 1 }))
    const other = Array.from({ length: 20 }, () => ({ x: 10.7, label: 1 }))
    const context = lineContext([...thread, ...other])
    const rows = (from: number, count: number) =>
      Int32Array.from({ length: count }, (_, index) => from + index)
    const analyses = [analyseGroup(rows(40, 31), 5, context), analyseGroup(rows(71, 20), 5, context)]
    expect(Array.from(ordinaryGroupSizes(analyses))).toEqual([20, 31])
    const [group] = analyses
    // Alone, 31 copies are far past the bar of 5; beside a natural thread of 20 they are not.
    expect(memberSuspicion(group, 42, context.codes)).toBeGreaterThan(0.5)
    expect(memberSuspicion(group, 42, context.codes, 20)).toBeLessThan(0.5)
    expect(memberSuspicion(group, 40, context.codes, 20)).toBeGreaterThan(0.5)
  })

  it('joins the pieces of one cloud of copies, and keeps groups a neighbourhood apart', () => {
    // Copies written with a count one apart: two pieces 0.2 apart, where each record's fifth neighbour lies 0.4 away.
    const pieces = [
      ...Array.from({ length: 12 }, () => ({ x: 10.5, label: 0 })),
      ...Array.from({ length: 12 }, () => ({ x: 10.7, label: 0 })),
      ...Array.from({ length: 12 }, () => ({ x: 13, label: 1 })),
    ]
    const context = lineContext(pieces)
    const rows = (from: number, count: number) =>
      Int32Array.from({ length: count }, (_, index) => from + index)
    const pair = Int32Array.of(0, 1)
    const reach = Float64Array.from({ length: context.rowCount }, () => 0.4 ** 2)
    const joined = joinFloodPieces(
      [pair, rows(40, 12), rows(52, 12), rows(64, 12)],
      5,
      context.features,
      reach,
    )
    expect(joined.map((group) => Array.from(group))).toEqual([
      [0, 1],
      Array.from(rows(40, 24)),
      Array.from(rows(64, 12)),
    ])
  })

  it('tells copies that conflict as often as label noise makes them from planted contradictions', () => {
    const pairs = (conflicting: number) =>
      Array.from(
        { length: 100 },
        (_, index) =>
          ({ labelCounts: Int32Array.from(index < conflicting ? [1, 1] : [2, 0]) }) as GroupAnalysis,
      )
    // At 5% noise a pair of copies disagrees with chance just under 10%: 8 of 100 is ordinary, 40 is not.
    const noisy = testContradictions(pairs(8), 0.05)
    expect(noisy.expected).toBeCloseTo(9.75)
    expect(noisy.pValue).toBe(1)
    const planted = testContradictions(pairs(40), 0.05)
    expect(planted.conflicting).toBe(40)
    expect(planted.pValue).toBeLessThan(1e-6)
    // A group with one labelled member cannot disagree and is not counted.
    expect(
      testContradictions([{ labelCounts: Int32Array.from([1, 0]) } as GroupAnalysis], 0.5).expected,
    ).toBe(0)
  })

  it('names how records resemble each other', () => {
    const context = explainContext(new Int32Array(0), 0)
    expect(describeLikeness(2, false, context)).toBe('near-identical copies (cosine ≥ 0.98)')
    expect(describeLikeness(4, false, context)).toBe('near-identical texts (≥ 75% of word pairs shared)')
    expect(describeLikeness(8, false, context)).toBe(
      'near-identical images (same average hash, pixel correlation ≥ 0.99)',
    )
    expect(describeLikeness(3, true, context)).toBe('identical copies')
  })
})
