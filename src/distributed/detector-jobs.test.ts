import { describe, expect, it } from 'vitest'
import { mnistDataset } from '../../test/fixtures/datasets.js'
import { flipLabels } from '../../test/fixtures/poison.js'
import { builtinDetectors } from '../detectors/registry.js'
import type { Detector } from '../detectors/types.js'
import { createPortableBackend } from '../linalg/portable.js'
import { configureDetectors, prepareDetectorInput } from '../scan/pipeline.js'
import { digestOf, packMatrix, unpackMatrix } from './codec.js'
import {
  askName,
  decodeDetectorInput,
  encodeDetectorInput,
  encodeValue,
  parseAskName,
} from './detector-input.js'
import { createDetectorJobRunner } from './run-detector-job.js'
import type { AskAnswer, ScanStore } from './scan-store.js'
import { createDetectorJobExecutor } from './send-detectors.js'

/*
 * A detector job's round trip in one process: the coordinator's executor stores the input, queues the job and
 * answers the asks; the worker's runner rebuilds the input and runs the detector. The store is a map and the queue
 * a direct call, so what is checked is the encoding and the ask protocol, not PostgreSQL or Redis (the CLI tests
 * do those).
 */

function memoryStore() {
  const blobs = new Map<string, Uint8Array>()
  const asks = new Map<string, AskAnswer | undefined>()
  const store = {
    async ask(run: string, ask: string) {
      const key = `${run}/${ask}`
      if (!asks.has(key)) asks.set(key, undefined)
      return asks.get(key)
    },
    async answerOf(run: string, ask: string) {
      return asks.get(`${run}/${ask}`)
    },
    async openAsks(run: string) {
      return [...asks]
        .filter(([key, answer]) => key.startsWith(`${run}/`) && !answer)
        .map(([key]) => key.slice(run.length + 1))
    },
    async answerAsk(run: string, ask: string, answer: AskAnswer) {
      asks.set(`${run}/${ask}`, asks.get(`${run}/${ask}`) ?? answer)
    },
  } as Partial<ScanStore> as ScanStore
  const putBytes = async (bytes: Uint8Array) => {
    const digest = digestOf(bytes)
    blobs.set(digest, bytes)
    return digest
  }
  const blob = async (digest: string) => blobs.get(digest)!
  return { store, asks, putBytes, blob }
}

const backend = createPortableBackend()

async function digitsInput() {
  const { dataset } = flipLabels(mnistDataset(400), 0.05, 3)
  return prepareDetectorInput(dataset, { backend, seed: 2 })
}

describe('detector jobs', () => {
  it('rebuilds the input a worker thread would be sent, its matrices stored apart', async () => {
    const input = await digitsInput()
    const { putBytes, blob } = memoryStore()
    const upload = (matrix: Parameters<typeof packMatrix>[0]) => putBytes(packMatrix(matrix))
    const bytes = await encodeDetectorInput(input, upload)
    const revived = await decodeDetectorInput(bytes, async (digest) => unpackMatrix(await blob(digest)))
    expect(revived.ids).toEqual(input.ids)
    expect(revived.labels).toEqual(input.labels)
    expect(revived.features).toEqual(input.features)
    expect(revived.dataset.features).toEqual(input.dataset.features)
    expect(revived.dataset.imageShape).toEqual(input.dataset.imageShape)
    // The geometry travels as a blob of its own, not inside the input's bytes.
    expect(bytes.byteLength).toBeLessThan(input.features!.data.byteLength)
  })

  it('names asks so that only names it wrote are read back', () => {
    const digest = 'a'.repeat(64)
    for (const request of [
      { analysis: 'neighbours', k: 10 },
      { analysis: 'outOfFoldProbabilities' },
      { analysis: 'classSpectra' },
    ] as const)
      expect(parseAskName(askName(digest, request))).toEqual({ input: digest, request })
    for (const name of [
      `${digest}:neighbours:0`,
      `${digest}:neighbours`,
      `${digest}:weights`,
      `${digest}:classSpectra:3`,
    ])
      expect(parseAskName(name)).toBeUndefined()
  })

  it("gives each detector's own result, the analyses it asks for answered through the store", async () => {
    const input = await digitsInput()
    const { store, asks, putBytes, blob } = memoryStore()
    const runJob = createDetectorJobRunner({
      store,
      blob,
      matrix: async (digest) => unpackMatrix(await blob(digest)),
      executor: {
        accepts: () => true,
        run: (detector, input, params, context) => detector.run(input, params, context),
      },
      askPollMs: 1,
    })
    const executor = createDetectorJobExecutor({
      run: 'run-1',
      store,
      pollMs: 2,
      putBytes,
      upload: (matrix) => putBytes(packMatrix(matrix)),
      async runJob(job, _signal, onPoll) {
        let done = false
        const result = runJob(job).finally(() => {
          done = true
        })
        while (!done) {
          await new Promise((resolve) => setTimeout(resolve, 2))
          onPoll()
        }
        return result
      },
    })
    const ids = ['targeted-flip', 'outliers', 'spectral-signature', 'knn-label-consistency'] as const
    const configured = configureDetectors(ids.map((id) => builtinDetectors[id] as Detector<unknown>))
    for (const { detector, params } of configured) {
      expect(executor.accepts(detector)).toBe(true)
      const context = { seed: 2 }
      await input.prepareAnalyses(detector.awaits ?? [])
      const here = await detector.run(input, params, context)
      const there = await executor.run(detector, input, params, context)
      expect(there).toEqual(here)
    }
    // Every analysis was answered once, by name: outliers, knn-label-consistency and targeted-flip ask for the same
    // ten neighbours.
    const names = [...asks.keys()].map((key) => parseAskName(key.slice('run-1/'.length))?.request)
    expect(names).toEqual(
      expect.arrayContaining([
        { analysis: 'outOfFoldProbabilities' },
        { analysis: 'classSpectra' },
        { analysis: 'neighbours', k: 10 },
      ]),
    )
    expect(names).toHaveLength(3)
    expect(executor.accepts({ ...builtinDetectors.outliers } as Detector<unknown>)).toBe(false)
  })

  it('sends a detector that may ask for the neighbour graph once the search under way is done', async () => {
    const input = await digitsInput()
    let finishSearch = () => {}
    const searching = new Promise<undefined>((resolve) => {
      finishSearch = () => resolve(undefined)
    })
    const { store, putBytes } = memoryStore()
    const sent: string[] = []
    const executor = createDetectorJobExecutor({
      run: 'run-1',
      store,
      pollMs: 2,
      putBytes,
      upload: (matrix) => putBytes(packMatrix(matrix)),
      async runJob(job) {
        sent.push(job.detector)
        return encodeValue({ result: job.detector })
      },
    })
    const gated = { ...input, neighbourSearch: () => searching }
    const run = (id: 'outliers' | 'clean-label-backdoor') =>
      executor.run(builtinDetectors[id] as Detector<unknown>, gated, {}, { seed: 0 })
    const outliers = run('outliers')
    // Clean-label-backdoor awaits no analysis and asks for none: its job goes at once.
    expect(await run('clean-label-backdoor')).toBe('clean-label-backdoor')
    expect(sent).toEqual(['clean-label-backdoor'])
    finishSearch()
    expect(await outliers).toBe('outliers')
    expect(sent).toEqual(['clean-label-backdoor', 'outliers'])
  })
})
