import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { builtinDetectors } from '../detectors/registry.js'
import type { Detector, DetectorInput, DetectorResult } from '../detectors/types.js'
import { isPoisonguardError } from '../errors.js'
import type { SharedDetectorInput } from '../scan/analysis.js'
import type { DetectorExecutor } from '../scan/pipeline.js'
import { throwIfAborted } from '../util/abort.js'
import {
  type AnalysisRequest,
  analysisOf,
  askName,
  type DetectorJobOutcome,
  decodeValue,
  encodeAnalysis,
  encodeDetectorInput,
  encodeValue,
  parseAskName,
} from './detector-input.js'
import type { DetectorJob } from './jobs.js'
import type { AskAnswer, ScanStore } from './scan-store.js'

/** What the coordinator lends its detector executor: its run, store, uploads and job loop. */
export interface DetectorJobSender {
  readonly run: string
  readonly store: ScanStore
  /** How often the job loop polls; asks are looked for at most about this often. */
  readonly pollMs: number
  /** Stores a matrix once per object and content; resolves with its digest. */
  upload(matrix: FeatureMatrix | SparseMatrix): Promise<string>
  putBytes(bytes: Uint8Array): Promise<string>
  /** Queues one job as a stage of its own and resolves with its result, calling `onPoll` at each poll meanwhile. */
  runJob(data: DetectorJob, signal: AbortSignal | undefined, onPoll: () => void): Promise<Uint8Array>
}

const isBuiltin = (detector: Detector<unknown>) =>
  (builtinDetectors as Record<string, Detector<unknown>>)[detector.id] === detector

/**
 * Settles once a neighbour search under way is done, for a detector that may ask for the graph: all but those that
 * await nothing (`awaits: []`) - some ask for it as they go (outliers, trigger-mining) or beyond what they await
 * (targeted-flip). Their jobs sent earlier held a worker's detector slot for the whole search, polling the store.
 */
async function searchSettled(detector: Detector<unknown>, input: DetectorInput): Promise<void> {
  if (detector.awaits?.length === 0 || !('neighbourSearch' in input)) return
  await (input as SharedDetectorInput).neighbourSearch().catch(() => undefined)
}

/**
 * Runs each built-in detector as one job on the workers: the input is stored once per scan (its matrices by the digests
 * the other jobs use), and what the detector asks of the shared analyses the coordinator answers through the store -
 * those it awaits before the job is sent (the pipeline has them ready), the neighbour graph at the size asked for
 * once a job asks (the size is the detector's own parameter), at the next poll. Every job asking the same gets the one
 * answer. Detectors are pure and seeded, so a job's result is the one this process would compute; a detector that
 * failed on the worker (or whose job failed for good) runs here, where its own error surfaces as in one process.
 */
export function createDetectorJobExecutor(sender: DetectorJobSender): DetectorExecutor {
  const encoded = new WeakMap<DetectorInput, Promise<string>>()
  /** Inputs with jobs out, by digest: an ask names its input by digest. */
  const live = new Map<string, { readonly input: DetectorInput; jobs: number }>()
  const answering = new Map<string, Promise<void>>()
  let lookedAt = Number.NEGATIVE_INFINITY
  let looking = false

  const digestOf = (input: DetectorInput) => {
    let digest = encoded.get(input)
    if (!digest) {
      digest = encodeDetectorInput(input, sender.upload).then(sender.putBytes)
      encoded.set(input, digest)
    }
    return digest
  }

  /** Computes, stores and records one answer, once; a store that failed meanwhile is retried at a later ask. */
  const answer = (name: string, input: DetectorInput, request: AnalysisRequest): Promise<void> => {
    let answered = answering.get(name)
    if (!answered) {
      answered = analysisOf(input, request)
        .then(
          async (value): Promise<AskAnswer> => ({
            digest: await sender.putBytes(encodeAnalysis(request, value)),
          }),
          (error): AskAnswer => ({ failure: error instanceof Error ? error.message : String(error) }),
        )
        .then((reply) => sender.store.answerAsk(sender.run, name, reply))
      answered.catch(() => answering.delete(name))
      answering.set(name, answered)
    }
    return answered
  }

  /** Answers the asks of inputs with jobs out; called by every waiting job's poll, it looks once per poll period. */
  const lookForAsks = () => {
    const now = performance.now()
    if (looking || now - lookedAt < sender.pollMs / 2) return
    looking = true
    lookedAt = now
    sender.store
      .openAsks(sender.run)
      .then(async (names) => {
        for (const name of names) {
          const parsed = parseAskName(name)
          if (!parsed)
            await sender.store.answerAsk(sender.run, name, { failure: `no analysis is named ${name}` })
          const entry = parsed && live.get(parsed.input)
          if (entry) answer(name, entry.input, parsed.request).catch(() => {})
        }
      })
      // A store out of reach for a moment is asked again at the next poll.
      .catch(() => {})
      .finally(() => {
        looking = false
      })
  }

  const runAsJob = async (
    detector: Detector<unknown>,
    input: DetectorInput,
    params: unknown,
    seed: number,
    signal: AbortSignal | undefined,
  ): Promise<DetectorJobOutcome> => {
    await searchSettled(detector, input)
    throwIfAborted(signal, 'the scan')
    const digest = await digestOf(input)
    const entry = live.get(digest) ?? { input, jobs: 0 }
    entry.jobs++
    live.set(digest, entry)
    try {
      const prepared = (detector.awaits ?? []).filter((analysis) => analysis !== 'neighbours')
      await Promise.all(
        prepared.map((analysis) => answer(askName(digest, { analysis }), input, { analysis })),
      )
      const job: DetectorJob = {
        kind: 'detector',
        run: sender.run,
        detector: detector.id,
        input: digest,
        params: await sender.putBytes(encodeValue(params)),
        seed,
      }
      return decodeValue<DetectorJobOutcome>(await sender.runJob(job, signal, lookForAsks))
    } finally {
      if (--entry.jobs === 0) live.delete(digest)
    }
  }

  return {
    accepts: isBuiltin,
    async run(detector, input, params, context): Promise<DetectorResult> {
      try {
        const outcome = await runAsJob(detector, input, params, context.seed, context.signal)
        if ('result' in outcome) return outcome.result
      } catch (error) {
        // Parameters that cannot be cloned run here, as on a worker thread; so does a job the workers failed for good.
        if (isPoisonguardError(error) && error.code !== 'JOB_FAILED') throw error
      }
      return detector.run(input, params, context)
    },
  }
}
