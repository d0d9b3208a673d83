import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../data/matrix.js'
import { mmdTest } from '../drift/mmd.js'
import { createRng } from '../util/rng.js'
import { createWorkerMmdRunner } from './mmd-runner.js'

const workerUrl = new URL('../../test/fixtures/mmd-worker.mjs', import.meta.url)

function gaussian(rows: number, cols: number, seed: number, shift = 0): FeatureMatrix {
  const rng = createRng(seed)
  return { data: Float32Array.from({ length: rows * cols }, () => rng.normal() + shift), rows, cols }
}

describe('createWorkerMmdRunner', () => {
  const reference = gaussian(1500, 6, 1)
  const job = { seed: 7, permutations: 100, maxRowsPerSide: 1000, maxDimensions: 32 }

  it('gives on a worker thread the result of the test on this thread, shifted or not', () => {
    const runner = createWorkerMmdRunner({ workerUrl, threads: 2 })
    for (const batch of [gaussian(1200, 6, 2), gaussian(1200, 6, 3, 0.3)]) {
      const here = mmdTest(reference, batch, { ...job, rng: createRng(job.seed) })
      expect(runner.start(reference, batch, job)()).toEqual(here)
    }
  })

  it('runs the test here when the worker cannot start', () => {
    const batch = gaussian(800, 6, 4, 0.2)
    const missing = createWorkerMmdRunner({
      workerUrl: new URL('./missing-mmd-worker.mjs', workerUrl),
      threads: 2,
    })
    const here = mmdTest(reference, batch, { ...job, rng: createRng(job.seed) })
    expect(missing.start(reference, batch, job)()).toEqual(here)
  })
})
