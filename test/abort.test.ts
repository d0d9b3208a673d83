import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  attackFile,
  createPortableBackend,
  PoisonguardError,
  runBenchmark,
  type ScanProgress,
  scan,
  scanFile,
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
})
