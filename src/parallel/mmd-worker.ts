import { workerData } from 'node:worker_threads'
import type { Dataset } from '../data/dataset.js'
import type { MmdInputs } from '../drift/mmd-job.js'
import type { WorkShare } from '../drift/mmd-work.js'
import { FLAG } from './mmd-flags.js'
import type {
  MmdJobMessage,
  MmdWorkerData,
  MmdWorkerReply,
  MmdWorkOffer,
  ReferenceReply,
} from './mmd-runner.js'

// The calling thread is blocked until the flag goes up, and it cannot hear of a worker that died: so the flag goes
// up after every outcome, a module that fails to load included (hence the imports inside the try), and the caller
// then runs a failed test itself, where a typed error surfaces unchanged.
const { flags, port, load } = workerData as MmdWorkerData
Atomics.store(flags, FLAG.started, 1)
Atomics.notify(flags, FLAG.started)
// Loaded while the reference is read and the job is on its way, so the test starts as soon as it can.
const mmdCode = Promise.all([
  import('../drift/mmd.js'),
  import('../drift/mmd-job.js'),
  import('../util/rng.js'),
  import('../drift/mmd-work.js'),
])
mmdCode.catch(() => undefined)

/** The reference's feature matrix in shared memory, so the MMD request can hand it back without a copy. */
function withSharedFeatures(dataset: Dataset): Dataset {
  if (!dataset.features) return dataset
  const { data, rows, cols } = dataset.features
  const shared = new Float32Array(new SharedArrayBuffer(data.byteLength))
  shared.set(data)
  return { ...dataset, features: { data: shared, rows, cols } }
}

// The reference is read here while the calling thread reads the batch; a failure is only reported, since the
// calling thread then reads the file itself and so raises the loader's own typed error.
let reference: Dataset | undefined
if (load) {
  try {
    const { loadDataset } = await import('../io/load.js')
    reference = withSharedFeatures(await loadDataset(load.path, load.options))
    const { postedDataset } = await import('./mmd-runner.js')
    const columns = await import('../drift/columns.js')
    const { features } = reference
    const sortHere =
      load.sortColumns &&
      features &&
      features.rows <= (load.sortColumns.sketchAboveRows ?? columns.DEFAULT_SKETCH_ABOVE_ROWS)
    const sort = sortHere ? columns.createSharedColumnSort(features) : undefined
    // Posted inside the try: a dataset that cannot be copied to another thread is a failure like any other.
    port.postMessage(postedDataset(reference, sort))
    // The columns are sorted here while the calling thread takes the reference in and then joins in; the MMD comes
    // after, since the check needs the sorts first, and the calling thread can take the MMD's kernels in chunks.
    if (sort) columns.sortClaimedColumns(features!, sort)
  } catch {
    port.postMessage({ failed: true } satisfies ReferenceReply)
  }
}

/** Tells the calling thread, should it be waiting for the answer, that a message came. */
function announce(): void {
  Atomics.add(flags, FLAG.posted, 1)
  Atomics.notify(flags, FLAG.posted)
}

/**
 * The test's kernel work, offered to the calling thread, which takes chunks of it once it is done with its own
 * tests and waits for this answer; until then this thread does every chunk. A chunk the calling thread took and
 * has not finished is waited for about as long as a chunk takes here, then done here as well (with the same
 * numbers): on a busy machine the system may pause that thread, and the test must not wait on it.
 */
function sharedWithCaller({ doChunk, takeChunks }: typeof import('../drift/mmd-work.js')): WorkShare {
  return {
    allocate: (bytes) => new SharedArrayBuffer(bytes),
    run(work) {
      const offer: MmdWorkOffer = {
        work,
        claims: new Int32Array(new SharedArrayBuffer(4 * (1 + work.chunks))),
      }
      port.postMessage(offer)
      announce()
      const { claims } = offer
      const started = performance.now()
      const taken = takeChunks(work, claims)
      const chunkMs = (performance.now() - started) / Math.max(taken, 1)
      for (let chunk = 0; chunk < work.chunks; chunk++) {
        if (Atomics.load(claims, 1 + chunk) === 1) continue
        Atomics.wait(claims, 1 + chunk, 0, chunkMs)
        if (Atomics.load(claims, 1 + chunk) === 0) doChunk(work, chunk)
      }
    },
  }
}

const message = await new Promise<MmdJobMessage>((resolve) => {
  port.once('message', resolve)
})
if (message !== 'cancel') {
  let reply: MmdWorkerReply
  try {
    const [{ mmdTest }, { checkRunsTextTests, mmdInputs }, { createRng }, chunks] = await mmdCode
    let inputs: MmdInputs | undefined
    if ('job' in message) inputs = message
    else if (reference) {
      // The batch came before the check decided on its MMD test; it is decided here by the same rule.
      const { batch, batchHasText, options } = message
      const textTests = checkRunsTextTests(reference.texts !== undefined, batchHasText, options.text)
      inputs = mmdInputs(reference, batch, options, textTests)
    }
    reply = inputs
      ? {
          result: mmdTest(inputs.reference, inputs.batch, {
            ...inputs.job,
            rng: createRng(inputs.job.seed),
            share: sharedWithCaller(chunks),
          }),
        }
      : { failed: true }
  } catch {
    reply = { failed: true }
  }
  port.postMessage(reply)
}
port.close()
Atomics.store(flags, FLAG.finished, 1)
announce()
