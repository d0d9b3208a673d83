import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { builtinDetectors } from '../detectors/registry.js'
import type { Detector, DetectorInput, DetectorResult, RunContext } from '../detectors/types.js'
import type { DetectorExecutor } from '../scan/pipeline.js'
import { throwIfAborted } from '../util/abort.js'
import { type FromWorker, type SentInput, type ToWorker, wireInput } from './detector-wire.js'

export interface WorkerDetectorExecutorOptions {
  /** Worker threads; default one more than the parallelism this machine offers (see `defaultThreads`). */
  threads?: number
  /** The worker's entry module; default the compiled `detector-worker.js` beside this file. */
  workerUrl?: URL
  /**
   * Inputs with fewer rows run their detectors on the calling thread; default 2,000. Each worker loads every
   * detector's code (about half a second of CPU), which small scans would spend for nothing.
   */
  minRows?: number
  /**
   * Send text inputs to the workers too; default false, as each worker tokenises the texts again (6,046 mails:
   * 1.7 s slower and 380 MiB more than on one thread).
   */
  texts?: boolean
}

/** A detector executor on worker threads, which start with the first input large enough; `close` ends them. */
export interface WorkerDetectorExecutor extends DetectorExecutor {
  /** Detectors whose result came from a worker so far (the others ran on this thread). */
  readonly completedOnWorkers: number
  close(): Promise<void>
}

interface Task {
  readonly id: number
  readonly detector: Detector<unknown>
  readonly input: DetectorInput
  readonly params: unknown
  readonly context: RunContext
  readonly settle: (result: Promise<DetectorResult>) => void
}

interface Lane {
  readonly worker: Worker
  readonly running: Map<number, Task>
  /** Tasks of this lane waiting for an analysis from this thread: the lane is idle while all of them wait. */
  waiting: number
  readonly inputs: Set<number>
}

interface InputEntry {
  readonly id: number
  readonly wire: SentInput
  /** Tasks of this input queued or running; at 0 the workers drop it. */
  tasks: number
}

/**
 * A few detectors carry most of the work (on MNIST two of ten took 4.7 of 6.4 CPU seconds), and a lane cannot hand a
 * started detector to another: with one lane per core both heavy ones landed on the same lane. One lane more than
 * the cores lets the operating system share the cores among them instead.
 */
const defaultThreads = () => availableParallelism() + 1

const runHere = (task: Task) => task.detector.run(task.input, task.params, task.context)

/**
 * Runs the built-in detectors of a scan on worker threads, the input's big arrays in shared memory and sent once
 * per worker; a detector there asks this thread for the shared analyses, so the neighbour graph and the
 * cross-validation are still computed once. A lane whose detectors all wait for an analysis takes the next one.
 * Detectors are pure and seeded, so each result equals running it here; a worker that cannot start or fails a
 * detector hands it back to this thread, where a typed error surfaces unchanged.
 */
export function createWorkerDetectorExecutor(
  options: WorkerDetectorExecutorOptions = {},
): WorkerDetectorExecutor {
  const threads = options.threads ?? defaultThreads()
  const workerUrl = options.workerUrl ?? new URL('./detector-worker.js', import.meta.url)
  const lanes: Lane[] = []
  const queue: Task[] = []
  const entries = new WeakMap<DetectorInput, InputEntry>()
  const live = new Map<number, { input: DetectorInput; entry: InputEntry }>()
  let taskCount = 0
  let completedOnWorkers = 0
  let inputCount = 0

  const post = (lane: Lane, message: ToWorker) => lane.worker.postMessage(message)

  const finish = (task: Task, result: Promise<DetectorResult>) => {
    const entry = entries.get(task.input)!
    if (--entry.tasks === 0) {
      live.delete(entry.id)
      for (const lane of lanes) {
        if (lane.inputs.delete(entry.id)) post(lane, { type: 'release', inputId: entry.id })
      }
    }
    task.settle(result)
  }

  const complete = (lane: Lane, taskId: number, result: (task: Task) => Promise<DetectorResult>) => {
    const task = lane.running.get(taskId)
    if (!task) return
    lane.running.delete(taskId)
    if (lane.running.size === 0) lane.worker.unref()
    finish(task, result(task))
    dispatch()
  }

  const answer = (lane: Lane, message: Extract<FromWorker, { type: 'ask' }>) => {
    const { input } = live.get(message.inputId)!
    const { requestId } = message
    const value = Promise.resolve().then((): Promise<unknown> => {
      if (message.analysis === 'neighbours') return input.neighbours(message.k!)
      if (message.analysis === 'outOfFoldProbabilities') return input.outOfFoldProbabilities()
      return input.classSpectra()
    })
    const reply = (message: ToWorker) => {
      try {
        post(lane, message)
      } catch {
        post(lane, { type: 'answer', requestId, failed: true })
      }
    }
    value.then(
      (result) => reply({ type: 'answer', requestId, value: result }),
      () => reply({ type: 'answer', requestId, failed: true }),
    )
  }

  const retire = (lane: Lane) => {
    if (!lanes.includes(lane)) return
    lanes.splice(lanes.indexOf(lane), 1)
    for (const taskId of [...lane.running.keys()]) complete(lane, taskId, runHere)
    dispatch()
  }

  const spawn = () => {
    const worker = new Worker(workerUrl)
    // Idle workers must not keep the process alive; a lane holds a reference while a task is out.
    worker.unref()
    const lane: Lane = { worker, running: new Map(), waiting: 0, inputs: new Set() }
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ask':
          answer(lane, message)
          break
        case 'waiting':
          lane.waiting += message.change
          dispatch()
          break
        case 'progress':
          lane.running.get(message.taskId)?.context.onProgress?.(message.fractionDone)
          break
        case 'done':
          completedOnWorkers++
          complete(lane, message.taskId, () => Promise.resolve(message.result))
          break
        case 'failed':
          complete(lane, message.taskId, runHere)
          break
      }
    })
    worker.on('error', () => retire(lane))
    worker.on('exit', () => retire(lane))
    lanes.push(lane)
  }

  const send = (lane: Lane, task: Task) => {
    const entry = entries.get(task.input)!
    const { id, detector, params, context } = task
    try {
      if (!lane.inputs.has(entry.id)) {
        post(lane, { type: 'input', inputId: entry.id, ...entry.wire })
        lane.inputs.add(entry.id)
      }
      post(lane, {
        type: 'run',
        taskId: id,
        inputId: entry.id,
        detectorId: detector.id,
        params,
        seed: context.seed,
      })
    } catch {
      // Parameters or data that cannot be cloned to a worker: run here.
      finish(task, runHere(task))
      return
    }
    lane.running.set(id, task)
    lane.worker.ref()
  }

  function dispatch() {
    // A lane whose first detectors report waiting early (while the others still load their code) would otherwise
    // take every detector; none holds more than its share of those out.
    const out = lanes.reduce((sum, lane) => sum + lane.running.size, queue.length)
    const share = Math.ceil(out / Math.max(lanes.length, 1))
    // The least-loaded lane first, so detectors spread over the workers.
    for (const lane of [...lanes].sort((a, b) => a.running.size - b.running.size)) {
      while (queue.length > 0 && lane.running.size === lane.waiting && lane.running.size < share) {
        send(lane, queue.shift()!)
      }
    }
    if (lanes.length === 0) for (const task of queue.splice(0)) finish(task, runHere(task))
  }

  const minRows = options.minRows ?? 2_000
  const texts = options.texts ?? false
  let started = false

  return {
    get completedOnWorkers() {
      return completedOnWorkers
    },
    accepts: (detector) => (builtinDetectors as Record<string, Detector<unknown>>)[detector.id] === detector,
    run(detector, input, params, context) {
      if (input.rowCount < minRows || (input.texts && !texts)) return detector.run(input, params, context)
      if (!started) {
        started = true
        for (let thread = 0; thread < threads; thread++) spawn()
      }
      let entry = entries.get(input)
      if (!entry) {
        entry = { id: inputCount++, wire: wireInput(input), tasks: 0 }
        entries.set(input, entry)
      }
      entry.tasks++
      live.set(entry.id, { input, entry })
      const { signal } = context
      return new Promise<DetectorResult>((resolve, reject) => {
        const onAbort = () => {
          const aborted = Promise.resolve().then(() => throwIfAborted(signal, 'the scan')) as Promise<never>
          const queued = queue.indexOf(task)
          if (queued < 0) return void aborted.catch(reject)
          queue.splice(queued, 1)
          finish(task, aborted)
        }
        const task: Task = {
          id: taskCount++,
          detector,
          input,
          params,
          context,
          settle: (result) => {
            signal?.removeEventListener('abort', onAbort)
            result.then(resolve, reject)
          },
        }
        signal?.addEventListener('abort', onAbort, { once: true })
        queue.push(task)
        dispatch()
      })
    },
    async close() {
      const closing = [...lanes]
      // Tasks still out finish on this thread.
      for (const lane of closing) retire(lane)
      await Promise.all(closing.map((lane) => lane.worker.terminate()))
    },
  }
}
