import { describe, expect, it } from 'vitest'
import { fitDawidSkene, fitOneCoin } from './dawid-skene.js'
import { SMOOTHING } from './em.js'
import { fitGlad, GLAD_ABILITY_MEAN, GLAD_LOG_INVERSE_DIFFICULTY_MEAN } from './glad.js'
import { fitMace } from './mace.js'
import { majorityVotePosterior } from './majority-vote.js'
import { type SimulatedAnnotator, simulateCrowd } from './simulate.js'
import type { AnnotationTable } from './types.js'

/*
 * Each model against a reference written straight from its paper's definitions: nested arrays, products of
 * probabilities, one formula per line, no shared code with the library. Same input, same start (the majority
 * vote), same number of iterations: the posteriors must agree.
 */
const annotators: SimulatedAnnotator[] = [
  { kind: 'honest', accuracy: 0.9 },
  { kind: 'honest', accuracy: 0.8 },
  { kind: 'honest', accuracy: 0.6 },
  { kind: 'spammer' },
  { kind: 'targeted', accuracy: 0.85, victim: 0, target: 2 },
  { kind: 'honest', accuracy: 0.7 },
]
const truth = Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 3)
const { table } = simulateCrowd(truth, 3, annotators, 3, 11)
const K = 3
const J = annotators.length
const I = truth.length

/** answers[i] = [annotator, label][] */
const answers: [number, number][][] = Array.from({ length: I }, () => [])
for (let a = 0; a < table.item.length; a++) answers[table.item[a]].push([table.annotator[a], table.label[a]])

function referenceMajorityVote(): number[][] {
  return answers.map((given) => {
    const votes = [0, 0, 0]
    for (const [, label] of given) votes[label]++
    const total = votes[0] + votes[1] + votes[2]
    return votes.map((count) => count / total)
  })
}

function normalise(row: number[]): number[] {
  const total = row.reduce((sum, value) => sum + value, 0)
  return row.map((value) => value / total)
}

/** Dawid & Skene 1979, eq. 2.3–2.5: π̂_jkl ∝ Σ_i T_ik n_ijl, p̂_k = Σ_i T_ik / I, T_ik ∝ p_k Π_j Π_l π_jkl^n_ijl. */
function referenceDawidSkene(iterations: number, oneCoin: boolean): number[][] {
  let T = referenceMajorityVote()
  for (let step = 0; step < iterations; step++) {
    const p = normalise([0, 1, 2].map((k) => SMOOTHING + T.reduce((sum, row) => sum + row[k], 0)))
    const pi: number[][][] = []
    for (let j = 0; j < J; j++) {
      const n = [0, 1, 2].map((k) =>
        [0, 1, 2].map((l) =>
          answers.reduce(
            (sum, given, i) =>
              sum + given.filter(([who, label]) => who === j && label === l).length * T[i][k],
            0,
          ),
        ),
      )
      if (oneCoin) {
        const total = n.flat().reduce((sum, value) => sum + value, 0)
        const right = n[0][0] + n[1][1] + n[2][2]
        const accuracy = (right + SMOOTHING) / (total + 2 * SMOOTHING)
        pi.push([0, 1, 2].map((k) => [0, 1, 2].map((l) => (k === l ? accuracy : (1 - accuracy) / 2))))
      } else {
        pi.push(n.map((row) => normalise(row.map((value) => value + SMOOTHING))))
      }
    }
    T = answers.map((given) =>
      normalise([0, 1, 2].map((k) => given.reduce((product, [j, l]) => product * pi[j][k][l], p[k]))),
    )
  }
  return T
}

/**
 * Hovy et al. 2013, MACE: P(answer l | true k) = θ_j [l = k] + (1 − θ_j) ξ_jl; uniform prior over k. M-step from
 * the expected "knew it" indicator: P(S = 0 | k, l) = θ [l = k] / P(l | k).
 */
function referenceMace(iterations: number): number[][] {
  let T = referenceMajorityVote()
  let theta = Array(J).fill(0.5)
  let xi = Array.from({ length: J }, () => [1 / 3, 1 / 3, 1 / 3])
  for (let step = 0; step < iterations; step++) {
    const knew = Array(J).fill(0)
    const total = Array(J).fill(0)
    const spam = Array.from({ length: J }, () => [0, 0, 0])
    answers.forEach((given, i) => {
      for (const [j, l] of given) {
        const known = (T[i][l] * theta[j]) / (theta[j] + (1 - theta[j]) * xi[j][l])
        knew[j] += known
        total[j] += 1
        spam[j][l] += 1 - known
      }
    })
    theta = knew.map((value, j) => (value + SMOOTHING) / (total[j] + 2 * SMOOTHING))
    xi = spam.map((row) => normalise(row.map((value) => value + SMOOTHING)))
    T = answers.map((given) =>
      normalise(
        [0, 1, 2].map((k) =>
          given.reduce(
            (product, [j, l]) => product * ((l === k ? theta[j] : 0) + (1 - theta[j]) * xi[j][l]),
            1,
          ),
        ),
      ),
    )
  }
  return T
}

function rows(posterior: Float64Array): number[][] {
  return Array.from({ length: posterior.length / K }, (_, i) =>
    Array.from(posterior.subarray(i * K, i * K + K)),
  )
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++)
    for (let k = 0; k < K; k++) expect(actual[i][k]).toBeCloseTo(expected[i][k], 9)
}

describe('aggregation models against references from their papers', () => {
  it('majority vote: vote shares', () => {
    expectClose(rows(majorityVotePosterior(table)), referenceMajorityVote())
  })

  it('Dawid–Skene with full confusion matrices', () => {
    for (const iterations of [1, 5, 30])
      expectClose(
        rows(fitDawidSkene(table, { tolerance: 0, maxIterations: iterations }).posterior),
        referenceDawidSkene(iterations, false),
      )
  })

  it('one-coin Dawid–Skene', () => {
    for (const iterations of [1, 5, 30])
      expectClose(
        rows(fitOneCoin(table, { tolerance: 0, maxIterations: iterations }).posterior),
        referenceDawidSkene(iterations, true),
      )
  })

  it('MACE', () => {
    for (const iterations of [1, 5, 30])
      expectClose(
        rows(fitMace(table, { tolerance: 0, maxIterations: iterations }).posterior),
        referenceMace(iterations),
      )
  })

  it('GLAD stops at a stationary point of its objective, with posteriors from its own parameters', () => {
    const fit = fitGlad(table, { tolerance: 1e-10, maxIterations: 2000 })
    const alpha = Array.from(fit.annotatorParameter ?? [])
    const beta = Array.from(fit.itemParameter ?? [])
    const sigma = (x: number) => 1 / (1 + Math.exp(-x))
    const T = rows(fit.posterior)
    const p = normalise([0, 1, 2].map((k) => SMOOTHING + T.reduce((sum, row) => sum + row[k], 0)))
    // Whitehill et al. 2009, eq. 2 and the E-step: P(Z_i = k | answers) ∝ p_k Π_j P(l_ij | k, α_j, β_i).
    const expected = answers.map((given, i) =>
      normalise(
        [0, 1, 2].map((k) =>
          given.reduce((product, [j, l]) => {
            const right = sigma(alpha[j] * beta[i])
            return product * (l === k ? right : (1 - right) / 2)
          }, p[k]),
        ),
      ),
    )
    expectClose(T, expected)
    // ∂Q/∂α_j = Σ_i (T_i,l − σ(α_j β_i)) β_i − (α_j − μ_α); ∂Q/∂b_i the same with α_j β_i, b = log β.
    const gradAlpha = Array(J)
      .fill(0)
      .map((_, j) => -(alpha[j] - GLAD_ABILITY_MEAN))
    const gradB = beta.map((value) => -(Math.log(value) - GLAD_LOG_INVERSE_DIFFICULTY_MEAN))
    answers.forEach((given, i) => {
      for (const [j, l] of given) {
        const residual = T[i][l] - sigma(alpha[j] * beta[i])
        gradAlpha[j] += residual * beta[i]
        gradB[i] += residual * alpha[j] * beta[i]
      }
    })
    for (const gradient of [...gradAlpha, ...gradB]) expect(Math.abs(gradient)).toBeLessThan(1e-4)
  })

  it('fixes gold items to their class and leaves the rest to the model', () => {
    const gold = new Int32Array(I).fill(-1)
    gold[0] = 2
    const fit = fitDawidSkene(table, { gold })
    expect(Array.from(fit.posterior.subarray(0, 3))).toEqual([0, 0, 1])
    expect(fit.label[0]).toBe(2)
  })

  it('leaves an excluded annotator out of the consensus', () => {
    const weight = new Float64Array(J).fill(1)
    weight[3] = 0
    const without: AnnotationTable = { ...table }
    const keep = Array.from(table.item.keys()).filter((a) => table.annotator[a] !== 3)
    const pick = (column: Int32Array) => Int32Array.from(keep, (a) => column[a])
    const reduced = {
      ...without,
      item: pick(table.item),
      annotator: pick(table.annotator),
      label: pick(table.label),
    }
    const options = { tolerance: 0, maxIterations: 10 }
    const weighted = fitDawidSkene(table, { ...options, annotatorWeight: weight })
    const dropped = fitDawidSkene(reduced, options)
    // Weight 0 must be the same as leaving the answers out.
    expectClose(rows(weighted.posterior), rows(dropped.posterior))
  })
})
