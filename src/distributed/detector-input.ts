import { deserialize, serialize } from 'node:v8'
import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { mayReadModelInput } from '../detectors/label-issues/index.js'
import type { DetectorInput, DetectorResult, SharedAnalysis } from '../detectors/types.js'
import { PoisonguardError } from '../errors.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import type { WireInput } from '../parallel/detector-wire.js'
import { pack, packMatrix, unpack, unpackMatrix } from './codec.js'

/*
 * What a detector job moves through the store besides matrices: the detector input without its shared analyses, the
 * analyses it asks for, its parameters and its result. They are written with the structured clone a worker thread's
 * message uses (`node:v8`), so a detector on a worker process reads exactly what a detector on a worker thread of the
 * coordinator would: typed arrays, maps, `undefined` entries and NaN survive, and an array two fields share stays one.
 * Coordinator and workers run the same poisonguard on the same Node major, as for every job.
 */

/** A matrix of the input stored as a blob of its own and named by digest: the geometry and the model's input are the
 * blobs the neighbour and fold jobs read already, so a scan stores them once. */
interface StoredMatrix {
  readonly storedMatrix: string
}

type Upload = (matrix: FeatureMatrix | SparseMatrix) => Promise<string>
type ReadMatrix = (digest: string) => Promise<FeatureMatrix | SparseMatrix>

/** A value as bytes, by structured clone. */
export function encodeValue(value: unknown): Buffer {
  return serialize(value)
}

/** The value `encodeValue` wrote. */
export function decodeValue<T>(bytes: Uint8Array): T {
  try {
    return deserialize(bytes) as T
  } catch (error) {
    throw new PoisonguardError(
      'PARSE_ERROR',
      `a stored detector payload is damaged: ${(error as Error).message}`,
      {
        hint: 'run the scan again, with the same poisonguard and Node versions on the coordinator and every worker',
        cause: error,
      },
    )
  }
}

const stored = async (matrix: FeatureMatrix | SparseMatrix | undefined, upload: Upload) =>
  matrix && ({ storedMatrix: await upload(matrix) } satisfies StoredMatrix)

/**
 * The input as a worker thread of the coordinator would be sent it (`wireInput`), its matrices uploaded apart. The
 * model's input goes only where `label-issues` may read it, and is not read back from the spill store otherwise.
 */
export async function encodeDetectorInput(input: DetectorInput, upload: Upload): Promise<Buffer> {
  const { labels, dataset } = input
  const modelInput =
    labels && mayReadModelInput(input.rowCount, labels.classes.length) ? input.modelFeatures : undefined
  const [features, modelFeatures, datasetFeatures, embeddings] = await Promise.all([
    stored(input.features, upload),
    stored(modelInput, upload),
    stored(dataset.features, upload),
    stored(dataset.embeddings, upload),
  ])
  return encodeValue({
    rowCount: input.rowCount,
    ids: input.ids,
    labels,
    texts: input.texts,
    dataset: { ...dataset, features: datasetFeatures, embeddings },
    features,
    modelFeatures,
    probabilitiesGiven: input.probabilitiesGiven,
  })
}

/** The input `encodeDetectorInput` wrote, its matrices read by digest. */
export async function decodeDetectorInput(bytes: Uint8Array, readMatrix: ReadMatrix): Promise<WireInput> {
  const skeleton = decodeValue<Record<string, unknown> & { dataset: Record<string, unknown> }>(bytes)
  const read = async (slot: unknown) =>
    slot === undefined ? undefined : readMatrix((slot as StoredMatrix).storedMatrix)
  const [features, modelFeatures, datasetFeatures, embeddings] = await Promise.all([
    read(skeleton.features),
    read(skeleton.modelFeatures),
    read(skeleton.dataset.features),
    read(skeleton.dataset.embeddings),
  ])
  return {
    ...skeleton,
    dataset: { ...skeleton.dataset, features: datasetFeatures, embeddings },
    features,
    modelFeatures,
  } as unknown as WireInput
}

/** An analysis a detector asks for, with the neighbour count for `neighbours`. */
export interface AnalysisRequest {
  readonly analysis: SharedAnalysis
  readonly k?: number
}

const analyses: readonly SharedAnalysis[] = ['neighbours', 'outOfFoldProbabilities', 'classSpectra']

/** The name of an ask in the store: the input's digest, the analysis and, for neighbours, how many. */
export function askName(input: string, { analysis, k }: AnalysisRequest): string {
  return analysis === 'neighbours' ? `${input}:${analysis}:${k}` : `${input}:${analysis}`
}

/** The input's digest and the analysis an ask names; undefined for a name `askName` cannot have written. */
export function parseAskName(name: string): { input: string; request: AnalysisRequest } | undefined {
  const [input, analysis, count, ...rest] = name.split(':')
  if (rest.length > 0 || !analyses.includes(analysis as SharedAnalysis)) return undefined
  if (analysis !== 'neighbours')
    return count === undefined ? { input, request: { analysis } as AnalysisRequest } : undefined
  const k = Number(count)
  return Number.isInteger(k) && k > 0 ? { input, request: { analysis: 'neighbours', k } } : undefined
}

/**
 * An analysis as stored: the neighbour graph and the model's probabilities as packed arrays, which a worker reads
 * straight into shared memory and hands its detector thread without a copy (at a million rows the 50-neighbour graph
 * is 400 MB, cloned again for each detector asking); the class spectra by structured clone.
 */
export function encodeAnalysis({ analysis }: AnalysisRequest, value: unknown): Buffer {
  if (analysis === 'outOfFoldProbabilities') return packMatrix(value as FeatureMatrix)
  if (analysis !== 'neighbours') return encodeValue(value)
  const { rows, k, indices, distances } = value as NeighbourGraph
  return pack({ meta: { rows, k }, arrays: { indices, distances } })
}

/** The analysis `encodeAnalysis` stored, its arrays in shared memory. */
export function decodeAnalysis({ analysis }: AnalysisRequest, bytes: Uint8Array): unknown {
  if (analysis === 'outOfFoldProbabilities') return unpackMatrix(bytes, 'shared')
  if (analysis !== 'neighbours') return decodeValue(bytes)
  const { meta, arrays } = unpack(bytes, 'shared')
  return { ...(meta as { rows: number; k: number }), indices: arrays.indices, distances: arrays.distances }
}

/** Computes (or takes, once computed) the analysis a request names, on the coordinator's input. */
export function analysisOf(input: DetectorInput, { analysis, k }: AnalysisRequest): Promise<unknown> {
  // Inside a promise: an input without labels or features throws at once rather than rejecting.
  return Promise.resolve().then((): Promise<unknown> => {
    if (analysis === 'neighbours') return input.neighbours(k!)
    if (analysis === 'outOfFoldProbabilities') return input.outOfFoldProbabilities()
    return input.classSpectra()
  })
}

/** A detector job's result: the detector's, or a failure the coordinator reproduces by running the detector itself. */
export type DetectorJobOutcome = { readonly result: DetectorResult } | { readonly failure: string }
