import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import type { ClassSpectra } from '../detectors/class-spectra.js'
import { getDetector } from '../detectors/registry.js'
import type { DetectorInput } from '../detectors/types.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import type { DetectorExecutor } from '../scan/pipeline.js'
import {
  type AnalysisRequest,
  askName,
  type DetectorJobOutcome,
  decodeAnalysis,
  decodeDetectorInput,
  decodeValue,
  encodeValue,
} from './detector-input.js'
import type { DetectorJob } from './jobs.js'
import type { ScanStore } from './scan-store.js'

/** What a worker lends its detector jobs. */
export interface DetectorJobResources {
  readonly store: ScanStore
  /** A blob's bytes, kept between jobs. */
  blob(digest: string): Promise<Uint8Array>
  /** The matrix in a blob, decoded once per kept blob. */
  matrix(digest: string): Promise<FeatureMatrix | SparseMatrix>
  /** Runs the detector, on a worker thread so this thread keeps renewing the job's lock. */
  readonly executor: DetectorExecutor
  /** How often a job waiting for the coordinator's answer looks for it, in milliseconds. */
  readonly askPollMs: number
}

/** Inputs kept between jobs: the detectors of one scan share one, and its copy on the worker thread. */
const keptInputs = 2

/**
 * A worker's runner of detector jobs: rebuilds the detector input from the store (once per scan, kept for the next
 * jobs), runs the built-in detector with the job's parameters and seed, and returns its result; a failing detector
 * is returned as a failure, which the coordinator reproduces by running it itself. The shared analyses the detector
 * asks for are asked of the coordinator through the store and read from the blob it answers with.
 */
export function createDetectorJobRunner(
  resources: DetectorJobResources,
): (job: DetectorJob) => Promise<Uint8Array> {
  const { store, blob } = resources
  const inputs = new Map<string, Promise<DetectorInput>>()
  const decoded = new WeakMap<Uint8Array, unknown>()

  const ask = async <T>(run: string, name: string, request: AnalysisRequest): Promise<T> => {
    let answer = await store.ask(run, name)
    while (!answer) {
      await new Promise((resolve) => setTimeout(resolve, resources.askPollMs))
      answer = await store.answerOf(run, name)
    }
    if ('failure' in answer) throw new Error(answer.failure)
    const bytes = await blob(answer.digest)
    if (!decoded.has(bytes)) decoded.set(bytes, decodeAnalysis(request, bytes))
    return decoded.get(bytes) as T
  }

  const revive = async (run: string, digest: string): Promise<DetectorInput> => {
    const wire = await decodeDetectorInput(await blob(digest), resources.matrix)
    const analysis = <T>(request: AnalysisRequest) => ask<T>(run, askName(digest, request), request)
    return {
      ...wire,
      neighbours: (k) => analysis<NeighbourGraph>({ analysis: 'neighbours', k }),
      outOfFoldProbabilities: () => analysis<FeatureMatrix>({ analysis: 'outOfFoldProbabilities' }),
      classSpectra: () => analysis<ClassSpectra>({ analysis: 'classSpectra' }),
    }
  }

  /** The input of a run, the most recent ones kept. */
  const inputOf = (run: string, digest: string) => {
    const key = `${run}/${digest}`
    let input = inputs.get(key)
    if (input) inputs.delete(key)
    else {
      input = revive(run, digest)
      input.catch(() => inputs.delete(key))
    }
    inputs.set(key, input)
    for (const old of inputs.keys()) if (inputs.size > keptInputs) inputs.delete(old)
    return input
  }

  return async (job) => {
    const detector = getDetector(job.detector)
    const input = await inputOf(job.run, job.input)
    const params = decodeValue<unknown>(await blob(job.params))
    let outcome: DetectorJobOutcome
    try {
      outcome = { result: await resources.executor.run(detector, input, params, { seed: job.seed }) }
    } catch (error) {
      outcome = { failure: error instanceof Error ? error.message : String(error) }
    }
    return encodeValue(outcome)
  }
}
