import { workerData } from 'node:worker_threads'
import { mmdTest } from '../drift/mmd.js'
import { createRng } from '../util/rng.js'
import type { MmdWorkerData, MmdWorkerReply } from './mmd-runner.js'

// The waiting thread reads the reply once the flag is up, so the flag goes up after the reply is posted, even when
// the test failed (the caller then runs it itself, where a typed error surfaces unchanged).
const { reference, batch, job, done, port } = workerData as MmdWorkerData
let reply: MmdWorkerReply
try {
  reply = { result: mmdTest(reference, batch, { ...job, rng: createRng(job.seed) }) }
} catch {
  reply = { failed: true }
}
port.postMessage(reply)
port.close()
Atomics.store(done, 0, 1)
Atomics.notify(done, 0)
