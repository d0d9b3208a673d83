import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { flipLabels, rankingOf } from '../../test/fixtures/poison.js'
import { shareableFloat32, shareableInt32 } from '../data/shared-memory.js'
import type { SpillStore } from '../data/spill.js'
import type { ScanReport } from '../domain/index.js'
import { createPortableBackend } from '../linalg/portable.js'
import { createWorkerDetectorExecutor } from '../parallel/detector-executor.js'
import { createSpillFile, type SpillFile, spillError } from '../store/spill-file.js'
import { createRng } from '../util/rng.js'
import { prepareDetectorInput } from './pipeline.js'
import { stageRepresentation } from './representation.js'
import { scanDataset } from './scan.js'
import { readSpilledGraph, spillGraph } from './spilled-graph.js'

let folder: string
let spill: SpillFile

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'spilled-graph-'))
  spill = createSpillFile({ directory: folder })
})

afterAll(() => {
  spill.close()
  rmSync(folder, { recursive: true, force: true })
})

describe('readSpilledGraph', () => {
  it('gives back the graph, whole or cut to its first neighbours, across blocks of rows', () => {
    // More rows than one block of the cut, and not a multiple of it.
    const rows = 9_001
    const k = 12
    const rng = createRng(4)
    const indices = Int32Array.from({ length: rows * k }, () => rng.int(rows))
    const distances = Float32Array.from({ length: rows * k }, () => rng.normal())
    const spilled = spillGraph(spill, { rows, k, indices, distances })
    const shared = { int32: shareableInt32, float32: shareableFloat32 }
    const whole = readSpilledGraph(spill, spilled, k, shared)
    expect(whole.indices).toEqual(indices)
    expect(whole.distances).toEqual(distances)
    const cut = readSpilledGraph(spill, spilled, 5, shared)
    expect(cut.k).toBe(5)
    for (const row of [0, 4_095, 4_096, 8_191, 8_192, rows - 1]) {
      expect(Array.from(cut.indices.subarray(row * 5, row * 5 + 5))).toEqual(
        Array.from(indices.subarray(row * k, row * k + 5)),
      )
      expect(Array.from(cut.distances.subarray(row * 5, row * 5 + 5))).toEqual(
        Array.from(distances.subarray(row * k, row * k + 5)),
      )
    }
  })
})

// The digits' pixels read as a table's columns, so the model trains on an input of its own (reshaped and
// standardised columns side by side), which spills too, beside the neighbour graph.
const flipped = flipLabels({ ...mnistDataset(500), imageShape: undefined }, 0.1, 7)
const backend = createPortableBackend()
const modelInput = (await stageRepresentation(flipped.dataset, {
  backend,
  seed: 5,
  geometryDimensions: 64,
}))!.modelInput

describe('a scan past its memory budget', () => {
  const spills = [
    { what: 'neighbour graph (50 per record)', bytes: 500 * 50 * 8 },
    { what: `model input (${modelInput.cols} columns)`, bytes: 500 * modelInput.cols * 4 },
  ]
  const spilledBytes = spills[0].bytes + spills[1].bytes
  const options = {
    backend,
    // Every detector of the neighbour graph: feature-collision reads all 50 neighbours, the others a cut of 10.
    detectors: [
      'label-issues',
      'knn-label-consistency',
      'feature-collision',
      'outliers',
      'near-duplicates',
    ] as const,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    seed: 5,
  }
  let inMemory: ScanReport
  let spilled: ScanReport

  beforeAll(async () => {
    inMemory = await scanDataset(flipped.dataset, options)
    const budget = createSpillFile({ directory: folder })
    try {
      spilled = await scanDataset(flipped.dataset, { ...options, memory: { maxBytes: 1, spill: budget } })
      expect(readdirSync(folder).length).toBeGreaterThan(0)
    } finally {
      budget.close()
    }
  }, 120_000)

  it("spills the neighbour graph, and the model's input once the model has trained, and says how much", () => {
    expect(inMemory.analyses?.memory).toBeUndefined()
    expect(spilled.analyses?.memory).toEqual({ maxBytes: 1, spilledBytes, spilled: spills })
  })

  it("fails with the spill store's typed error when the disk is full", async () => {
    const full: SpillStore = {
      bytesWritten: 0,
      location: '/scratch',
      write: (array) => {
        const cause = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
        throw spillError(cause, '/scratch', array.byteLength)
      },
      read: () => {},
    }
    const scanning = scanDataset(flipped.dataset, { ...options, memory: { maxBytes: 1, spill: full } })
    await expect(scanning).rejects.toThrow('no space left in /scratch for the 1 MiB the scan spills')
  }, 120_000)

  it('gives the same report with the detectors and folds on worker threads, reading the graph back there', async () => {
    const detectorExecutor = createWorkerDetectorExecutor({
      threads: 2,
      workerUrl: new URL('../../test/fixtures/detector-worker.mjs', import.meta.url),
      minRows: 0,
    })
    const budget = createSpillFile({ directory: folder })
    try {
      const threaded = await scanDataset(flipped.dataset, {
        ...options,
        executor: detectorExecutor,
        detectorExecutor,
        memory: { maxBytes: 1, spill: budget },
      })
      expect(detectorExecutor.completedOnWorkers).toBeGreaterThan(0)
      expect(threaded.analyses?.memory?.spilled).toEqual(spills)
      expect(threaded.records).toEqual(inMemory.records)
      expect(threaded.summary).toEqual(inMemory.summary)
    } finally {
      budget.close()
      await detectorExecutor.close()
    }
  }, 300_000)

  it('gives the report it gives in memory: suspicions, flags, findings and ranking', () => {
    expect(inMemory.summary.flagged).toBeGreaterThan(0)
    expect(spilled.records).toEqual(inMemory.records)
    expect(spilled.detectors).toEqual(
      inMemory.detectors.map((detector) => ({ ...detector, durationMs: expect.any(Number) })),
    )
    expect(spilled.summary).toEqual(inMemory.summary)
    expect(rankingOf(spilled, flipped.flipped)).toBe(rankingOf(inMemory, flipped.flipped))
  })
})

describe("the model's input past a memory budget", () => {
  const backend = createPortableBackend()
  const options = { backend, seed: 3, folds: 2, geometryDimensions: 16 }

  it('is spilled once the model has trained and read back as it was for a detector asking', async () => {
    const table = { ...mnistDataset(200), imageShape: undefined }
    const plain = await prepareDetectorInput(table, options)
    const budgeted = await prepareDetectorInput(table, { ...options, memory: { maxBytes: 1, spill } })
    expect(budgeted.spilled()).toEqual([])
    const probabilities = await budgeted.outOfFoldProbabilities()
    expect(budgeted.spilled().map((record) => record.what)).toEqual([
      `model input (${plain.modelFeatures!.cols} columns)`,
    ])
    expect(probabilities.data).toEqual((await plain.outOfFoldProbabilities()).data)
    expect(await budgeted.outOfFoldProbabilities()).toBe(probabilities)
    expect(budgeted.modelFeatures).toEqual(plain.modelFeatures)
  }, 60_000)

  it('stays when it is the loaded pixels themselves, as spilling it would free nothing', async () => {
    const digits = mnistDataset(200)
    const budgeted = await prepareDetectorInput(digits, { ...options, memory: { maxBytes: 1, spill } })
    await budgeted.outOfFoldProbabilities()
    expect(budgeted.spilled()).toEqual([])
    expect(budgeted.modelFeatures).toBe(digits.features)
  }, 60_000)
})
