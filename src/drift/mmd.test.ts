import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import { mmdTest } from './mmd.js'
import { doChunk, type WorkShare } from './mmd-work.js'

function gaussian(rows: number, cols: number, seed: number, shift = 0): FeatureMatrix {
  const rng = createRng(seed)
  const data = Float32Array.from(
    { length: rows * cols },
    (_, index) => rng.normal() + (index % cols === 0 ? shift : 0),
  )
  return { data, rows, cols }
}

describe('MMD two-sample test', () => {
  it('matches the unbiased MMD² computed by definition on a tiny example', () => {
    const reference: FeatureMatrix = { data: Float32Array.from([0, 1, 3]), rows: 3, cols: 1 }
    const batch: FeatureMatrix = { data: Float32Array.from([0.5, 4]), rows: 2, cols: 1 }
    const result = mmdTest(reference, batch, { rng: createRng(1), permutations: 50 })
    // Standardise with the pooled mean and deviation, then apply the definition with the reported bandwidth.
    const pooled = [0, 1, 3, 0.5, 4]
    const mean = pooled.reduce((sum, value) => sum + value, 0) / 5
    const std = Math.sqrt(pooled.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 5)
    const z = pooled.map((value) => (value - mean) / std)
    const kernel = (a: number, b: number) => Math.exp(-((z[a] - z[b]) ** 2) / (2 * result.bandwidths[0] ** 2))
    let xx = 0
    let yy = 0
    let xy = 0
    for (const a of [0, 1, 2]) for (const b of [0, 1, 2]) if (a !== b) xx += kernel(a, b)
    yy = 2 * kernel(3, 4)
    for (const a of [0, 1, 2]) for (const b of [3, 4]) xy += kernel(a, b)
    expect(result.statistic).toBeCloseTo(xx / 6 + yy / 2 - (2 * xy) / 6, 6)
  })

  it('does not alarm for samples of one distribution and detects a mean shift', () => {
    const reference = gaussian(1500, 8, 1)
    const same = mmdTest(reference, gaussian(800, 8, 2), { rng: createRng(3) })
    const shifted = mmdTest(reference, gaussian(800, 8, 4, 0.4), { rng: createRng(5), maxRowsPerSide: 1000 })
    expect(same.pValue).toBeGreaterThan(0.01)
    expect(Math.abs(same.statistic)).toBeLessThan(0.01)
    expect(shifted.pValue).toBeLessThan(1e-3)
    // A shift this clear is decided on the first round's 500 rows per side.
    expect(shifted.rounds).toEqual([500])
    expect([shifted.referenceRows, shifted.batchRows]).toEqual([500, 500])
    const full = mmdTest(reference, gaussian(800, 8, 4, 0.4), {
      rng: createRng(5),
      maxRowsPerSide: 1000,
      adaptive: false,
    })
    expect(full.pValue).toBeLessThan(1e-3)
    expect([full.referenceRows, full.batchRows, ...full.rounds]).toEqual([1000, 800, 1000])
  })

  it('takes more rows while the first round is undecided', () => {
    // A shift too small for 500 rows per side to call either way, which 2,000 rows per side see (whether the first
    // round's draw leaves it undecided depends on the seed; this one does).
    const reference = gaussian(3000, 4, 21)
    const result = mmdTest(reference, gaussian(3000, 4, 22, 0.12), { rng: createRng(22), permutations: 100 })
    expect(result.rounds).toEqual([500, 2000])
    expect(result.referenceRows).toBe(2000)
    expect(result.pValue).toBeLessThan(0.01)
  })

  it("draws each round's samples independently of how many permutations ran before", () => {
    const reference = gaussian(3000, 4, 21)
    const batch = gaussian(3000, 4, 22, 0.12)
    const runs = [24, 200].map((permutations) => {
      const rng = createRng(22)
      const result = mmdTest(reference, batch, { rng, permutations })
      return { result, after: rng.next() }
    })
    const [few, many] = runs
    expect(few.result.rounds).toEqual([500, 2000])
    expect(many.result.rounds).toEqual([500, 2000])
    expect(many.result.permutations).toBeGreaterThan(few.result.permutations)
    // The last round sampled the same rows, so its observed statistics agree to the bit.
    expect(many.result.statistics).toEqual(few.result.statistics)
    // The caller's generator moved on by the same amount, however many permutations ran.
    expect(many.after).toBe(few.after)
  })

  it('takes more rows exactly when the first round, with all its permutations, would be undecided', () => {
    // The first round alone (500 rows per side, no later round) draws the same rows and permutations, so its
    // full p-value says whether the adaptive test had to go on. Permutations of the first round are counted.
    let firstRoundPermutations = 0
    let fewerThanFull = 0
    let continued = 0
    for (const [index, shift] of [0, 0.1, 0.14, 0.3].entries()) {
      for (const seed of [1, 2, 3]) {
        const reference = gaussian(1200, 4, 40 + 10 * index + seed)
        const batch = gaussian(1200, 4, 90 + 10 * index + seed, shift)
        const counting: WorkShare = {
          allocate: (bytes) => new ArrayBuffer(bytes),
          run(work) {
            // Round one pools 1,000 rows; its first batch also carries the observed split.
            if (work.kind === 'within' && work.rows === 1000)
              firstRoundPermutations += work.members.length / 500
            for (let chunk = 0; chunk < work.chunks; chunk++) doChunk(work, chunk)
          },
        }
        firstRoundPermutations = -1
        const adaptive = mmdTest(reference, batch, {
          rng: createRng(seed),
          maxRowsPerSide: 1000,
          share: counting,
        })
        const alone = mmdTest(reference, batch, {
          rng: createRng(seed),
          maxRowsPerSide: 500,
          adaptive: false,
        })
        const undecided = alone.exceedances > 0 && alone.pValue <= 0.5
        expect(adaptive.rounds.length > 1).toBe(undecided)
        expect(firstRoundPermutations).toBeLessThanOrEqual(alone.permutations)
        if (undecided) continued++
        if (firstRoundPermutations < alone.permutations) fewerThanFull++
      }
    }
    // Some cases went on to a second round, and some first rounds stopped before the permutations it would run alone.
    expect(continued).toBeGreaterThan(0)
    expect(fewerThanFull).toBeGreaterThan(0)
  })

  it('given α, stops permuting once the p-value is clearly above it, and never cuts short a significant test', () => {
    const alpha = 0.01
    let shortened = 0
    let significant = 0
    for (const [trial, shift] of [0, 0, 0, 0, 0.1, 0.2, 0.3, 0.5, 0.8].entries()) {
      const reference = gaussian(400, 3, 300 + trial)
      const batch = gaussian(400, 3, 400 + trial, shift)
      const options = { permutations: 200, adaptive: false }
      const full = mmdTest(reference, batch, { ...options, rng: createRng(trial) })
      const judged = mmdTest(reference, batch, { ...options, rng: createRng(trial), alpha })
      if (full.pValue <= alpha) {
        significant++
        expect(judged).toEqual(full)
      } else expect(judged.pValue).toBeGreaterThan(alpha)
      expect(judged.permutations).toBeLessThanOrEqual(full.permutations)
      if (judged.permutations < full.permutations) shortened++
    }
    expect([shortened, significant].every((count) => count > 0)).toBe(true)
  })

  it('projects wide data and still detects a change of correlation that no single column shows', () => {
    const rng = createRng(6)
    const rows = 1000
    const cols = 64
    const independent = gaussian(rows, cols, 7)
    const correlated = new Float32Array(rows * cols)
    for (let row = 0; row < rows; row++) {
      const shared = rng.normal()
      for (let col = 0; col < cols; col++)
        correlated[row * cols + col] = Math.SQRT1_2 * shared + Math.SQRT1_2 * rng.normal()
    }
    const result = mmdTest(
      independent,
      { data: correlated, rows, cols },
      { rng: createRng(8), maxDimensions: 16 },
    )
    expect(result.projected).toBe(true)
    expect(result.dimensions).toBe(16)
    expect(result.pValue).toBeLessThan(1e-3)
  })

  it('gives p-values that are roughly uniform under no shift', () => {
    let small = 0
    const trials = 40
    for (let trial = 0; trial < trials; trial++) {
      const result = mmdTest(gaussian(150, 3, 100 + trial), gaussian(150, 3, 200 + trial), {
        rng: createRng(trial),
        permutations: 99,
      })
      if (result.pValue <= 0.2) small++
    }
    expect(small).toBeGreaterThanOrEqual(2)
    expect(small).toBeLessThanOrEqual(16)
  })

  it('gives the same result to the last bit whatever order the kernel work is done in', () => {
    // As when another thread takes some of the chunks: last chunk first, then every other one.
    const scrambled: WorkShare = {
      allocate: (bytes) => new SharedArrayBuffer(bytes),
      run(work) {
        const order = Array.from({ length: work.chunks }, (_, chunk) => work.chunks - 1 - chunk)
        for (const chunk of [
          ...order.filter((_, index) => index % 2 === 0),
          ...order.filter((_, index) => index % 2),
        ])
          doChunk(work, chunk)
      },
    }
    const reference = gaussian(900, 5, 30)
    const batch = gaussian(700, 5, 31, 0.1)
    const options = { permutations: 60, adaptive: false }
    const here = mmdTest(reference, batch, { ...options, rng: createRng(32) })
    expect(mmdTest(reference, batch, { ...options, rng: createRng(32), share: scrambled })).toEqual(here)
  })

  it('is deterministic for a seed and ignores constant columns', () => {
    const reference = gaussian(300, 3, 10)
    const batch = gaussian(300, 3, 11, 0.3)
    const first = mmdTest(reference, batch, { rng: createRng(12), permutations: 50 })
    const second = mmdTest(reference, batch, { rng: createRng(12), permutations: 50 })
    expect(second).toEqual(first)
    const constant: FeatureMatrix = { data: new Float32Array(10), rows: 10, cols: 1 }
    expect(mmdTest(constant, constant, { rng: createRng(1) }).pValue).toBe(1)
  })
})
