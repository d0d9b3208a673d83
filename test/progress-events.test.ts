import { describe, expect, it } from 'vitest'
import { createPortableBackend, type ScanProgress, scanDataset } from '../src/index.js'
import { mnistDataset } from './fixtures/datasets.js'

describe('progress as events', () => {
  it('dispatches every progress report as a `progress` event on the given target, in the same order', async () => {
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
})
