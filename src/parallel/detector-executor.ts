import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { type Dataset, usableTexts } from '../data/dataset.js'
import { builtinDetectors } from '../detectors/registry.js'
import type { Detector, DetectorInput, DetectorResult, RunContext } from '../detectors/types.js'
import { countTexts, type TextCounter, type TextCounts } from '../features/text.js'
import { textBlocks } from '../features/text-blocks.js'
import { type FoldExecutor, type FoldTask, fitFold } from '../models/cross-validation.js'
import type { DetectorExecutor } from '../scan/pipeline.js'
import { throwIfAborted } from '../util/abort.js'
import { type FromWorker, packStrings, type SentInput, type ToWorker, wireInput } from './detector-wire.js'
import { defaultDetectorWorkerUrl, takePrestartedWorker, workerEntryExists } from './prestart.js'
import { type SharedCopies, shared, sharedMatrix } from './task-pool.js'

export interface WorkerDetectorExecutorOptions {
  /** Worker threads; default the parallelism this machine offers (see `defaultThreads`). */
  threads?: number
  /**
   * The worker's entry module; default the compiled `detector-worker.js` beside this file. Workers of it started by
   * `prestartDetectorWorkers` are taken first.
   */
  workerUrl?: URL
  /**
   * Inputs with fewer rows run their detectors on the calling thread; default 2,000. Each worker loads every
   * detector's code (about half a second of CPU), which small scans would spend for nothing.
   */
  minRows?: number
  /**
   * Workers started with the executor, so they load the folds' code while the caller still reads its data (the
   * detectors' code follows once `prepare` announces a large enough dataset); default 0, every worker starting
   * when first needed.
   */
  eagerWorkers?: number
  /**
   * The eager workers load the detectors' code at once too, rather than once `prepare` announces a large enough
   * dataset: for a caller that expects one and would leave them idle while it reads it. Default false.
   */
  warmEagerly?: boolean
  /**
   * Send text inputs to the workers too; default false, as each worker holds the texts again (6,046 mails: 150 MiB
   * more), for a shorter scan where the workers would otherwise idle (`scanFile` sends them).
   */
  texts?: boolean
}

/**
 * A detector and cross-validation fold executor on worker threads, which start with the first folds, the first
 * input large enough or a dataset announced by `prepare`; `close` ends them.
 */
export interface WorkerDetectorExecutor extends DetectorExecutor, FoldExecutor {
  /**
   * Counts the texts' terms in blocks, one on each worker and one on this thread, with the counts this thread alone
   * would give (`featurizeTextWith`); fewer texts than `minRows` are counted here in one block.
   */
  readonly countTexts: TextCounter
  /** Detectors whose result came from a worker so far (the others ran on this thread). */
  readonly completedOnWorkers: number
  /** Worker threads running now (started, and not ended by `finish` or `close`). */
  readonly workerCount: number
  close(): Promise<void>
}

interface Task {
  readonly id: number
  /** The detector's input, which the lane must hold before it runs; none for a fold. */
  readonly input?: DetectorInput
  readonly context?: RunContext
  /** Starts the task (`taskId`) on a worker that holds its input (`inputId`). */
  readonly message: (taskId: number, inputId: number) => ToWorker
  /** Runs the task on this thread: when no worker is available, or the worker failed it. */
  readonly runHere: () => Promise<unknown>
  readonly settle: (result: Promise<unknown>) => void
}

interface Lane {
  readonly worker: Worker
  /** Lanes in the order they were started. */
  readonly index: number
  readonly running: Map<number, Task>
  /** Tasks of this lane waiting for an analysis from this thread: the lane is idle while all of them wait. */
  waiting: number
  /** Tasks waiting, by the request whose answer they wait for. */
  readonly waiters: Map<number, number>
  /** Requests answered: a task reporting that it waits for one of these is already on its way again. */
  readonly answered: Set<number>
  readonly inputs: Set<number>
}

interface InputEntry {
  readonly id: number
  readonly wire: SentInput
  /** Tasks of this input queued or running; at 0 the workers drop it. */
  tasks: number
}

/**
 * One lane per core. A few detectors carry most of the work and a lane cannot hand a started detector to another, so
 * one lane more than the cores once kept the two heavy ones of MNIST off the same lane; now the detectors that await
 * no shared analysis start first and the rest once what they await is ready, the heavy ones land apart anyway, and
 * the extra worker only cost CPU (MNIST: 4.93 against 4.83 CPU seconds, means of 4 interleaved runs).
 */
const defaultThreads = () => availableParallelism()

const runHere = (task: Task) => task.runHere()

/** A fold as sent to a worker: its training data in shared memory, copied once for all folds of one call. */
const shareFold = (task: FoldTask, copies: SharedCopies): FoldTask => ({
  ...task,
  x: sharedMatrix(task.x, copies),
  labels: shared(task.labels, copies),
})

/**
 * Runs the built-in detectors of a scan and its cross-validation folds on the same worker threads, the input's big
 * arrays in shared memory and sent once per worker; a detector there asks this thread for the shared analyses, so
 * the neighbour graph and the cross-validation are still computed once. Folds go ahead of queued detectors (three
 * detectors wait for them), and a lane whose detectors all wait for an analysis takes the next task. One set of
 * workers loads the code once and serves both. Detectors and folds are pure and seeded, so each result equals
 * running it here; a worker that cannot start or fails a task hands it back to this thread, where a typed error
 * surfaces unchanged.
 */
export function createWorkerDetectorExecutor(
  options: WorkerDetectorExecutorOptions = {},
): WorkerDetectorExecutor {
  const workerUrl = options.workerUrl ?? defaultDetectorWorkerUrl
  const threads = workerEntryExists(workerUrl) ? (options.threads ?? defaultThreads()) : 0
  const lanes: Lane[] = []
  const queue: Task[] = []
  const entries = new WeakMap<DetectorInput, InputEntry>()
  const live = new Map<number, { input: DetectorInput; entry: InputEntry }>()
  let taskCount = 0
  let completedOnWorkers = 0
  let inputCount = 0

  const post = (lane: Lane, message: ToWorker) => lane.worker.postMessage(message)

  const finish = (task: Task, result: Promise<unknown>) => {
    if (!task.input) return task.settle(result)
    const entry = entries.get(task.input)!
    if (--entry.tasks === 0) {
      live.delete(entry.id)
      for (const lane of lanes) {
        if (lane.inputs.delete(entry.id)) post(lane, { type: 'release', inputId: entry.id })
      }
    }
    task.settle(result)
  }

  const complete = (lane: Lane, taskId: number, result: (task: Task) => Promise<unknown>) => {
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
      // The tasks waiting for this answer resume as soon as the worker reads it: the lane is busy again, and a task
      // handed to it now would wait behind them.
      lane.answered.add(requestId)
      lane.waiting -= lane.waiters.get(requestId) ?? 0
      lane.waiters.delete(requestId)
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
    const worker = takePrestartedWorker(workerUrl) ?? new Worker(workerUrl)
    // Idle workers must not keep the process alive; a lane holds a reference while a task is out.
    worker.unref()
    const lane: Lane = {
      worker,
      index: spawned,
      running: new Map(),
      waiting: 0,
      waiters: new Map(),
      answered: new Set(),
      inputs: new Set(),
    }
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'ask':
          answer(lane, message)
          break
        case 'waiting':
          if (lane.answered.has(message.requestId)) break
          lane.waiters.set(message.requestId, (lane.waiters.get(message.requestId) ?? 0) + 1)
          lane.waiting++
          dispatch()
          break
        case 'progress':
          lane.running.get(message.taskId)?.context?.onProgress?.(message.fractionDone)
          break
        case 'done':
          if (lane.running.get(message.taskId)?.input) completedOnWorkers++
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
    return lane
  }

  const send = (lane: Lane, task: Task) => {
    const entry = task.input && entries.get(task.input)!
    try {
      if (entry && !lane.inputs.has(entry.id)) {
        post(lane, { type: 'input', inputId: entry.id, ...entry.wire })
        lane.inputs.add(entry.id)
      }
      post(lane, task.message(task.id, entry?.id ?? -1))
    } catch {
      // Parameters or data that cannot be cloned to a worker: run here.
      finish(task, runHere(task))
      return
    }
    lane.running.set(task.id, task)
    lane.worker.ref()
  }

  // Folds go to one lane per core: on the extra lane they would compete with the geometry this thread computes
  // meanwhile, which every detector waits for, and train the model's code into one more worker.
  const foldLanes = Math.min(threads, availableParallelism())
  const takesFolds = (lane: Lane) => lane.index < foldLanes || !lanes.some((other) => other.index < foldLanes)

  function dispatch() {
    // A lane whose first detectors report waiting early (while the others still load their code) would otherwise
    // take every detector; none holds more than its share of those out.
    const out = lanes.reduce((sum, lane) => sum + lane.running.size, queue.length)
    const share = Math.ceil(out / Math.max(lanes.length, 1))
    // The least-loaded lane first, so detectors spread over the workers.
    for (const lane of [...lanes].sort((a, b) => a.running.size - b.running.size)) {
      while (lane.running.size === lane.waiting && lane.running.size < share) {
        const next = queue.findIndex((task) => task.input !== undefined || takesFolds(lane))
        if (next < 0) break
        send(lane, queue.splice(next, 1)[0])
      }
    }
    if (lanes.length === 0) for (const task of queue.splice(0)) finish(task, runHere(task))
  }

  const minRows = options.minRows ?? 2_000
  const texts = options.texts ?? false
  let spawned = 0
  let warmed = false
  /** Workers `finish` ended, which `close` still waits for. */
  const ending: Promise<number>[] = []

  // Folds alone keep one worker per core; detectors get any extra lane too. A worker that died is not replaced.
  const start = (count: number) => {
    for (; spawned < count; spawned++) {
      const lane = spawn()
      if (warmed) post(lane, { type: 'warm' })
    }
  }
  start(Math.min(threads, options.eagerWorkers ?? 0))
  if (options.warmEagerly && lanes.length > 0) {
    warmed = true
    for (const lane of lanes) post(lane, { type: 'warm' })
  }
  const warm = () => {
    start(threads)
    if (warmed) return
    warmed = true
    for (const lane of lanes) post(lane, { type: 'warm' })
  }
  const onWorkers = (rowCount: number, hasTexts: boolean) => rowCount >= minRows && (!hasTexts || texts)

  /** Queues a task (a fold ahead of every detector) and settles with its result, or with the abort. */
  const enqueue = <T>(
    work: Omit<Task, 'id' | 'settle'>,
    signal: AbortSignal | undefined,
    what: string,
    first: boolean,
  ) =>
    new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const aborted = Promise.resolve().then(() => throwIfAborted(signal, what)) as Promise<never>
        const queued = queue.indexOf(task)
        if (queued < 0) return void aborted.catch(reject)
        queue.splice(queued, 1)
        finish(task, aborted)
      }
      const settle: Task['settle'] = (result) => {
        signal?.removeEventListener('abort', onAbort)
        result.then((value) => resolve(value as T), reject)
      }
      const task: Task = { ...work, id: taskCount++, settle }
      signal?.addEventListener('abort', onAbort, { once: true })
      const at = first ? queue.findIndex((queued) => queued.input !== undefined) : -1
      queue.splice(at < 0 ? queue.length : at, 0, task)
      dispatch()
    })

  return {
    get completedOnWorkers() {
      return completedOnWorkers
    },
    get workerCount() {
      return lanes.length
    },
    accepts: (detector) => (builtinDetectors as Record<string, Detector<unknown>>)[detector.id] === detector,
    prepare(dataset: Dataset) {
      if (onWorkers(dataset.rowCount, usableTexts(dataset) !== undefined)) warm()
      else if (dataset.labels) start(Math.min(threads, availableParallelism()))
    },
    run(detector, input, params, context) {
      if (!onWorkers(input.rowCount, input.texts !== undefined)) return detector.run(input, params, context)
      warm()
      let entry = entries.get(input)
      if (!entry) {
        entry = { id: inputCount++, wire: wireInput(input), tasks: 0 }
        entries.set(input, entry)
      }
      entry.tasks++
      live.set(entry.id, { input, entry })
      return enqueue<DetectorResult>(
        {
          input,
          context,
          message: (taskId, inputId) => ({
            type: 'run',
            taskId,
            inputId,
            detectorId: detector.id,
            params,
            seed: context.seed,
          }),
          runHere: () => detector.run(input, params, context),
        },
        context.signal,
        'the scan',
        false,
      )
    },
    async fitFolds(tasks, { onFoldDone, signal, callerHelps } = {}) {
      throwIfAborted(signal, 'cross-validation')
      start(Math.min(threads, availableParallelism()))
      const copies: SharedCopies = new Map()
      const trainers = new Set<Task['runHere']>()
      const folds = tasks.map(async (task) => {
        const trainHere = async () => fitFold(task)
        trainers.add(trainHere)
        const result = await enqueue<Float32Array>(
          {
            message: (taskId) => ({ type: 'fold', taskId, task: shareFold(task, copies) }),
            runHere: trainHere,
          },
          signal,
          'cross-validation',
          true,
        )
        onFoldDone?.()
        return result
      })
      // Each turn of this thread's event loop takes one fold no worker has taken yet, then lets the rest run.
      const help = () => {
        const next = queue.findIndex((queued) => trainers.has(queued.runHere))
        if (next < 0) return
        const [fold] = queue.splice(next, 1)
        finish(fold, runHere(fold))
        setImmediate(help)
      }
      if (callerHelps) setImmediate(help)
      return Promise.all(folds)
    },
    async countTexts(texts, settings) {
      const workerBlocks = texts.length < minRows ? 0 : Math.min(threads, availableParallelism())
      if (workerBlocks === 0) return [countTexts(texts, settings)]
      start(workerBlocks)
      const { work } = textBlocks(texts, settings.maxChars, Number.POSITIVE_INFINITY)
      const { ends } = textBlocks(texts, settings.maxChars, Math.ceil(work / (workerBlocks + 1)))
      // The blocks after the first leave for the workers, which idle while this thread prepares the scan's input.
      const sent = ends.slice(1).map((end, index) => {
        const block = texts.slice(ends[index], end)
        return enqueue<TextCounts>(
          {
            message: (taskId) => ({ type: 'count', taskId, texts: packStrings(block), settings }),
            runHere: async () => countTexts(block, settings),
          },
          undefined,
          'the text features',
          true,
        )
      })
      const here = countTexts(texts.slice(0, ends[0]), settings)
      return [here, ...(await Promise.all(sent))]
    },
    finish() {
      // Only when nothing is queued or out: a fold still training (its result no detector reads) would otherwise
      // be run again on this thread.
      if (queue.length > 0 || lanes.some((lane) => lane.running.size > 0)) return
      // Ending a scan's two workers took 0.76–0.80 s of a 68 s MNIST scan at load average 21, which the scan waited
      // for after fusing.
      for (const lane of lanes.splice(0)) ending.push(lane.worker.terminate())
      spawned = 0
      warmed = false
    },
    async close() {
      const closing = [...lanes]
      // Tasks still out finish on this thread.
      for (const lane of closing) retire(lane)
      await Promise.all([...closing.map((lane) => lane.worker.terminate()), ...ending.splice(0)])
    },
  }
}
