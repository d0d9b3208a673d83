/**
 * Worker-thread entry of `createWorkerDetectorExecutor`: trains the cross-validation folds and runs the built-in
 * detectors it is sent on the input it was sent once per scan, asking the scan's thread for the shared analyses
 * (each once per input), and posts back each result. A failure is reported by task id only; the scan's thread then
 * runs that task itself, where the typed error surfaces unchanged. The detectors' code is loaded when first needed
 * (or warmed), so a worker that only trains folds never pays for it.
 */
import { parentPort } from 'node:worker_threads'
import type { DetectorInput, SharedAnalysis } from '../detectors/types.js'
import { fitFold } from '../models/cross-validation.js'
import {
  type FromWorker,
  receiveInput,
  type ToWorker,
  unpackStrings,
  type WireInput,
} from './detector-wire.js'

const port = parentPort
if (port) {
  const post = (message: FromWorker) => port.postMessage(message)
  const inputs = new Map<number, DetectorInput>()
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let requests = 0
  let registry: Promise<typeof import('../detectors/registry.js')> | undefined
  const loadDetectors = () => {
    registry ??= import('../detectors/registry.js')
    return registry
  }

  const revive = (inputId: number, wire: WireInput): DetectorInput => {
    const requested = new Map<string, { requestId: number; answer: Promise<unknown> }>()
    const settled = new Set<string>()
    /**
     * Neighbour graphs are kept only while a detector holds them: a graph the scan's thread spilled past its memory
     * budget is read back for the detector asking, and a copy cached here for the rest of the scan would undo that.
     */
    const heldGraphs = new Map<string, WeakRef<object>>()
    const ask = <T>(analysis: SharedAnalysis, k?: number): Promise<T> => {
      const key = `${analysis}:${k ?? ''}`
      const held = heldGraphs.get(key)?.deref()
      if (held) return Promise.resolve(held as T)
      let request = requested.get(key)
      if (!request) {
        const requestId = requests++
        const answer = new Promise((resolve, reject) => pending.set(requestId, { resolve, reject }))
        request = { requestId, answer }
        answer.then(
          (value) => {
            settled.add(key)
            if (analysis !== 'neighbours' || typeof value !== 'object' || value === null) return
            heldGraphs.set(key, new WeakRef(value))
            requested.delete(key)
            settled.delete(key)
          },
          () => settled.add(key),
        )
        requested.set(key, request)
        post({ type: 'ask', requestId, inputId, analysis, k })
      }
      if (!settled.has(key)) post({ type: 'waiting', requestId: request.requestId })
      return request.answer as Promise<T>
    }
    return {
      ...wire,
      neighbours: (k) => ask('neighbours', k),
      outOfFoldProbabilities: () => ask('outOfFoldProbabilities'),
      classSpectra: () => ask('classSpectra'),
    }
  }

  const run = async (message: Extract<ToWorker, { type: 'run' }>) => {
    const { taskId } = message
    try {
      const input = inputs.get(message.inputId)
      if (!input) throw new Error(`no input ${message.inputId}`)
      const onProgress = (fractionDone: number) => post({ type: 'progress', taskId, fractionDone })
      const detector = (await loadDetectors()).getDetector(message.detectorId)
      const result = await detector.run(input, message.params, { seed: message.seed, onProgress })
      post({ type: 'done', taskId, result })
    } catch {
      post({ type: 'failed', taskId })
    }
  }

  const fold = (message: Extract<ToWorker, { type: 'fold' }>) => {
    const { taskId } = message
    try {
      const result = fitFold(message.task)
      port.postMessage({ type: 'done', taskId, result } satisfies FromWorker, [result.buffer as ArrayBuffer])
    } catch {
      post({ type: 'failed', taskId })
    }
  }

  /** The counting's code loads with the first block: a worker of a scan without texts never needs it. */
  const count = async (message: Extract<ToWorker, { type: 'count' }>) => {
    const { taskId } = message
    try {
      const { countTexts } = await import('../features/text.js')
      const result = countTexts(unpackStrings(message.texts), message.settings)
      const buffers = [result.indptr.buffer, result.indices.buffer, result.values.buffer] as ArrayBuffer[]
      port.postMessage({ type: 'done', taskId, result } satisfies FromWorker, buffers)
    } catch {
      post({ type: 'failed', taskId })
    }
  }

  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'warm':
        // A failed load surfaces where a detector needs the code: that detector then runs on the scan's thread.
        loadDetectors().catch(() => {})
        break
      case 'fold':
        fold(message)
        break
      case 'count':
        void count(message)
        break
      case 'input':
        inputs.set(message.inputId, revive(message.inputId, receiveInput(message)))
        break
      case 'release':
        inputs.delete(message.inputId)
        break
      case 'answer': {
        const waiting = pending.get(message.requestId)
        pending.delete(message.requestId)
        if (message.failed) waiting?.reject(new Error('the shared analysis failed'))
        else waiting?.resolve(message.value)
        break
      }
      case 'run':
        void run(message)
        break
    }
  })
}
