import { beforeAll, describe, expect, it } from 'vitest'
import {
  attackFile,
  createManifest,
  createPortableBackend,
  diffProvenance,
  loadDataset,
  type ScanProgress,
  scanDataset,
} from '../src/index.js'
import { builtinDatasets } from '../src/io/builtin/index.js'
import { mnistDataset } from './fixtures/datasets.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

/** Progress options that record both ways of listening: the callback's arguments and the events' details. */
function recordProgress<Args extends unknown[]>() {
  const called: Args[] = []
  const dispatched: unknown[] = []
  const progressEvents = new EventTarget()
  progressEvents.addEventListener('progress', (event) => {
    expect(event).toBeInstanceOf(CustomEvent)
    dispatched.push((event as CustomEvent).detail)
  })
  const onProgress = (...args: Args) => void called.push(args)
  return { called, dispatched, options: { onProgress, progressEvents } }
}

function expectNeverGoingBack(fractions: readonly number[]): void {
  for (let index = 1; index < fractions.length; index++)
    expect(fractions[index]).toBeGreaterThanOrEqual(fractions[index - 1])
  expect(fractions.at(-1)).toBe(1)
}

/** Each event carries the callback's share done, in the order the callback saw them. */
function expectSameFractions(progress: { called: [number][]; dispatched: unknown[] }): number[] {
  const fractions = progress.called.map(([fractionDone]) => fractionDone)
  expect(fractions.length).toBeGreaterThan(0)
  expect(progress.dispatched).toEqual(fractions.map((fractionDone) => ({ fractionDone })))
  expectNeverGoingBack(fractions)
  return fractions
}

describe('progress as events', () => {
  const data = temporary('mnist.csv')
  const writing = recordProgress<[number]>()

  beforeAll(async () => {
    // More rows than one chunk of a read and than one report of the writer, so progress has steps between 0 and 1.
    await builtinDatasets.mnist.write(data, { limit: 1500, ...writing.options })
  })

  it('dispatches every progress report of a scan as a `progress` event on the given target, in the same order', async () => {
    const called: ScanProgress[] = []
    const dispatched: ScanProgress[] = []
    const progressEvents = new EventTarget()
    progressEvents.addEventListener('progress', (event) => {
      expect(event).toBeInstanceOf(CustomEvent)
      dispatched.push((event as CustomEvent<ScanProgress>).detail)
    })
    await scanDataset(mnistDataset(200), {
      backend: createPortableBackend(),
      detectors: ['knn-label-consistency'],
      onProgress: (progress) => called.push(progress),
      progressEvents,
    })
    expect(dispatched).toEqual(called)
    expect(new Set(dispatched.map(({ step }) => step))).toEqual(
      new Set(['features', 'neighbours', 'knn-label-consistency']),
    )
    expect(dispatched.at(-1)).toEqual({ step: 'knn-label-consistency', fractionDone: 1 })
  })

  it('reports writing a built-in dataset as events, with shares between 0 and 1', () => {
    const fractions = expectSameFractions(writing)
    expect(fractions.filter((fraction) => fraction > 0 && fraction < 1).length).toBeGreaterThan(1)
  })

  it('reports a load as events, alongside the callback, the shares never going back', async () => {
    const progress = recordProgress<[number]>()
    const dataset = await loadDataset(data, progress.options)
    expect(dataset.rowCount).toBe(1500)
    const fractions = expectSameFractions(progress)
    expect(fractions.filter((fraction) => fraction < 1).length).toBeGreaterThan(1)
  })

  it('reports creating a manifest as events, alongside the callback, the shares never going back', async () => {
    const progress = recordProgress<[number]>()
    const created = await createManifest(data, { out: temporary('mnist.manifest.json'), ...progress.options })
    expect(created.statement.predicate.records.count).toBe(1500)
    const fractions = expectSameFractions(progress)
    expect(fractions.filter((fraction) => fraction < 1).length).toBeGreaterThan(1)
  })

  it('reports the steps of an attack, then a diff of its output, as events in order', async () => {
    const attacking = recordProgress<[string, number]>()
    const bundle = await attackFile({
      attack: 'label-flip',
      input: data,
      params: { rate: 0.1 },
      out: temporary('flipped.csv'),
      truth: temporary('flipped-truth.json'),
      ...attacking.options,
    })
    expect(attacking.dispatched).toEqual(
      attacking.called.map(([step, fractionDone]) => ({ step, fractionDone })),
    )
    const steps = attacking.called.map(([step]) => step)
    expect(steps.filter((step, index) => step !== steps[index - 1])).toEqual([
      'loading',
      'poisoning',
      'writing',
    ])
    for (const name of ['loading', 'poisoning', 'writing']) {
      const fractions = attacking.called.filter(([step]) => step === name).map(([, fraction]) => fraction)
      expect(fractions[0]).toBe(0)
      expectNeverGoingBack(fractions)
    }

    const diffing = recordProgress<[number]>()
    const diff = await diffProvenance(data, bundle.meta.output.path, diffing.options)
    expect(diff.records.changed.length).toBe(bundle.run.poisonedRows.length)
    const fractions = expectSameFractions(diffing)
    expect(fractions).toContain(0.5)
  })
})
