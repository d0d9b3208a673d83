/**
 * Worker-thread entry of `createWorkerFoldExecutor`: trains each fold it is sent and posts back the held-out
 * probabilities. A failure is reported by id only; the pool then runs that fold on its own thread, where the
 * typed error surfaces unchanged.
 */
import { parentPort } from 'node:worker_threads'
import { type FoldTask, fitFold } from '../models/cross-validation.js'

const port = parentPort
if (port) {
  port.on('message', (message: { id: number; task: FoldTask }) => {
    try {
      const probabilities = fitFold(message.task)
      port.postMessage({ id: message.id, probabilities }, [probabilities.buffer as ArrayBuffer])
    } catch {
      port.postMessage({ id: message.id, failed: true })
    }
  })
}
