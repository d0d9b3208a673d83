import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  attackFile,
  createManifest,
  createPortableBackend,
  diffProvenance,
  guard,
  loadDataset,
  PoisonguardError,
  runBenchmark,
  type ScanProgress,
  scan,
  scanFile,
  verifyDatasetAgainstManifest,
} from '../src/index.js'
import { builtinDatasets } from '../src/io/builtin/index.js'
import { mnistDataset } from './fixtures/datasets.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()
const backend = createPortableBackend()
const detectors = ['knn-label-consistency', 'label-issues', 'near-duplicates'] as const

/** The typed error a promise rejects with; any other outcome fails the test. */
async function rejection(promise: Promise<unknown>): Promise<PoisonguardError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(PoisonguardError)
  return error as PoisonguardError
}

describe('aborting a long call', () => {
  it('fails a scan at once with the typed ABORTED error when the signal is already aborted', async () => {
    const steps: string[] = []
    const controller = new AbortController()
    controller.abort(new Error('user pressed cancel'))
    const run = scan(mnistDataset(200), {
      backend,
      detectors,
      signal: controller.signal,
      onProgress: ({ step }) => steps.push(step),
    })
    const error = await rejection(run)
    expect(error.code).toBe('ABORTED')
    expect(error.message).toBe('the scan was aborted: user pressed cancel')
    expect(steps).toEqual([])
  })

  it('stops between detectors: none runs after the abort', async () => {
    const controller = new AbortController()
    const seen: ScanProgress[] = []
    const run = scan(mnistDataset(200), {
      backend,
      detectors,
      signal: controller.signal,
      onProgress: (progress) => {
        seen.push(progress)
        if (progress.step === 'label-issues' && progress.fractionDone === 1) controller.abort()
      },
    })
    expect((await rejection(run)).code).toBe('ABORTED')
    const steps = new Set(seen.map(({ step }) => step))
    // Detectors run in registry order: label-issues, then knn-label-consistency and near-duplicates.
    expect(steps.has('label-issues')).toBe(true)
    expect(steps.has('knn-label-consistency')).toBe(false)
    expect(steps.has('near-duplicates')).toBe(false)
  })

  it('stops cross-validation between folds, and a detector never reports the abort as its own failure', async () => {
    const controller = new AbortController()
    const modelProgress: number[] = []
    const run = scan(mnistDataset(200), {
      backend,
      detectors: ['label-issues'],
      signal: controller.signal,
      onProgress: ({ step, fractionDone }) => {
        if (step !== 'model') return
        modelProgress.push(fractionDone)
        if (fractionDone > 0) controller.abort()
      },
    })
    expect((await rejection(run)).code).toBe('ABORTED')
    expect(modelProgress).toEqual([0.2])
  })

  it('stops scanFile, attackFile and the benchmark, leaving no output behind', async () => {
    const data = temporary('digits.csv')
    await builtinDatasets.mnist.write(data, { limit: 100 })
    const signal = AbortSignal.abort()
    expect((await rejection(scanFile(data, { backend, signal }))).code).toBe('ABORTED')
    const out = temporary('poisoned.csv')
    const truth = temporary('truth.json')
    const attack = attackFile({ attack: 'label-flip', input: data, out, truth, signal })
    expect((await rejection(attack)).code).toBe('ABORTED')
    expect([out, truth].filter(existsSync)).toEqual([])
    const bench = runBenchmark({ quick: true, backend, signal })
    expect((await rejection(bench)).message).toBe('the benchmark was aborted: This operation was aborted')
  })

  it('stops loading, manifests, verification and diffs between chunks of the file', async () => {
    // About 1.5 MB of digits: more than one 1 MiB chunk, so an abort during the first one shows at the second.
    const data = temporary('chunks.csv')
    await builtinDatasets.mnist.write(data, { limit: 700 })
    const abortAfterFirstChunk = () => {
      const controller = new AbortController()
      const seen: number[] = []
      const onProgress = (fractionDone: number) => {
        seen.push(fractionDone)
        controller.abort()
      }
      return { signal: controller.signal, onProgress, seen }
    }
    const loading = abortAfterFirstChunk()
    const load = await rejection(loadDataset(data, loading))
    expect([load.code, load.message]).toEqual([
      'ABORTED',
      'loading the dataset was aborted: This operation was aborted',
    ])
    expect(loading.seen).toHaveLength(1)
    expect(loading.seen[0]).toBeLessThan(1)

    const manifest = temporary('chunks.manifest.json')
    const creating = abortAfterFirstChunk()
    expect((await rejection(createManifest(data, { out: manifest, ...creating }))).code).toBe('ABORTED')
    expect(creating.seen).toHaveLength(1)
    expect(existsSync(manifest)).toBe(false)

    await createManifest(data, { out: manifest })
    // A verification that stops is an error, not a failed verdict about the data.
    const verifying = abortAfterFirstChunk()
    expect((await rejection(verifyDatasetAgainstManifest(data, manifest, verifying))).code).toBe('ABORTED')
    expect(verifying.seen).toHaveLength(1)
    const diff = diffProvenance(manifest, data, { signal: AbortSignal.abort() })
    expect((await rejection(diff)).message).toBe('the diff was aborted: This operation was aborted')
  })

  it('stops the runtime guard before it loads the model', async () => {
    const inputs = { data: new Float32Array(4), rows: 2, cols: 2 }
    // Bytes that are no model at all: the abort is seen before anything tries to load them.
    const run = guard(inputs, { model: new Uint8Array(8), calibration: inputs, signal: AbortSignal.abort() })
    expect((await rejection(run)).message).toBe('the guard was aborted: This operation was aborted')
  })

  it('stops the runtime guard between blocks of overlays while it calibrates', async () => {
    const rows = 400
    const inputs = { data: Float32Array.from({ length: rows * 2 }, (_, index) => index % 7), rows, cols: 2 }
    const controller = new AbortController()
    let predictions = 0
    // A user's own two-class model, aborted by its caller while the guard calibrates.
    const model = {
      inputWidth: 2,
      classCount: 2,
      async predict(x: { rows: number }) {
        predictions++
        if (predictions === 3) controller.abort()
        return { data: new Float32Array(x.rows * 2).fill(0.5), rows: x.rows, cols: 2 }
      },
      async dispose() {},
    }
    const run = guard(inputs, { model, calibration: inputs, overlays: 50, signal: controller.signal })
    expect((await rejection(run)).message).toBe('the STRIP guard was aborted: This operation was aborted')
    // Calibration over 400 inputs takes five blocks of 81: the abort after the third stops the fourth.
    expect(predictions).toBe(3)
  })
})
