import { workerData } from 'node:worker_threads'
import type { MmdWorkerData, MmdWorkerReply } from './mmd-runner.js'

// The calling thread is blocked until the flag goes up, and it cannot hear of a worker that died: so the flag goes
// up after every outcome, a module that fails to load included (hence the imports inside the try), and the caller
// then runs a failed test itself, where a typed error surfaces unchanged.
const { reference, batch, job, done, port } = workerData as MmdWorkerData
Atomics.store(done, 1, 1)
Atomics.notify(done, 1)
let reply: MmdWorkerReply
try {
  const { mmdTest } = await import('../drift/mmd.js')
  const { createRng } = await import('../util/rng.js')
  reply = { result: mmdTest(reference, batch, { ...job, rng: createRng(job.seed) }) }
} catch {
  reply = { failed: true }
}
port.postMessage(reply)
port.close()
Atomics.store(done, 0, 1)
Atomics.notify(done, 0)
