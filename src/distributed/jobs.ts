import { z } from 'zod'
import { PoisonguardError } from '../errors.js'

/*
 * The jobs a distributed scan is split into. Each is a pure function of content-addressed blobs and a few numbers,
 * so any worker on any machine computes the same bytes the coordinator would have computed itself:
 * - `knn`: the neighbours of a block of query rows among all base rows, self excluded by row number, exactly as in
 *   the whole search (every backend ranks each query on its own, so a block gives the rows of the whole graph);
 * - `ivf`: the neighbours of the rows of a range of inverted lists of an approximate search, each list searched among
 *   its probed lists as in the whole search (the matrix and the index are blobs, so each is stored once per scan);
 * - `features`: the per-row step of the features for a block of rows (the texts' hashed term counts), whose fit over
 *   every row (the IDF) the coordinator makes from the blocks it joins in row order;
 * - `fold`: one cross-validation fold of the built-in model, trained from its own seed;
 * - `class`: one class's step of the class spectra, on that class's rows of the geometry alone, named by row number:
 *   their mean and scatter, then, once the coordinator summed every class's scatter into the other classes'
 *   covariance, the class's spectrum;
 * - `detector`: one built-in detector run on the scan's detector input (stored once, by digest) with its parameters
 *   and seed, the shared analyses it reads answered by the coordinator through the store.
 * The coordinator merges them into the one feature matrix, neighbour graph and set of out-of-fold probabilities a single
 * process computes and takes each detector's result as it is, so the fusion and the report that follow are the same.
 */

/** The BullMQ queue the analysis jobs (`features`, `knn`, `ivf`, `fold`, `class`) wait in (intake jobs wait in `intake`). */
export const scanQueueName = 'scan'

/**
 * The queue detector jobs wait in. A detector job may wait for an analysis the coordinator computes with analysis
 * jobs; each worker takes one job of each queue at a time, so detectors waiting on every worker never keep those
 * jobs from running.
 */
export const detectorQueueName = 'scan-detectors'

const digest = z.string().regex(/^[0-9a-f]{64}$/)
const runId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)

export const knnJobSchema = z.object({
  kind: z.literal('knn'),
  run: runId,
  base: digest,
  /** The query rows' blob; the base itself when absent. */
  queries: digest.optional(),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
  /** With `excludeSelf`: query row r is base row r + selfOffset. */
  selfOffset: z.number().int().nonnegative(),
  k: z.number().int().positive(),
  metric: z.enum(['cosine', 'euclidean']),
  excludeSelf: z.boolean(),
})

export const ivfJobSchema = z.object({
  kind: z.literal('ivf'),
  run: runId,
  /** The whole matrix searched. */
  matrix: digest,
  /** The index: rows grouped by list, where each list starts, and each list's nearest lists. */
  index: digest,
  firstList: z.number().int().nonnegative(),
  endList: z.number().int().positive(),
  k: z.number().int().positive(),
  metric: z.enum(['cosine', 'euclidean']),
  probes: z.number().int().positive(),
  /** Nearest lists kept per list in the index. */
  reach: z.number().int().nonnegative(),
})

const whole = z.number().int().nonnegative()

export const featuresJobSchema = z.object({
  kind: z.literal('features'),
  run: runId,
  /** What is computed for each row: the texts' sublinear term counts (`countTexts`). */
  step: z.literal('text-counts'),
  /** The block's texts. */
  rows: digest,
  /** The counting settings the coordinator resolved, the same for every block. */
  settings: z.object({
    hashBits: whole,
    bucketCount: whole,
    bucketMask: whole,
    maxChars: whole,
    wordBigrams: z.boolean(),
    charNgramMin: whole,
    charNgramMax: whole,
    maxCharNgramWordLength: whole,
    maxCharNgramTokens: whole,
    minDocumentFrequency: whole,
  }),
})

export const foldJobSchema = z.object({
  kind: z.literal('fold'),
  run: runId,
  /** The training matrix (dense or sparse). */
  x: digest,
  /** Labels, training rows and held-out rows of this fold. */
  fold: digest,
  classCount: z.number().int().positive(),
  seed: z.number().int(),
  train: z.record(z.string(), z.unknown()).optional(),
})

export const classJobSchema = z.object({
  kind: z.literal('class'),
  run: runId,
  /** The geometry, the blob the scan's neighbour jobs read: a worker that ran one holds it decoded already. */
  matrix: digest,
  /**
   * The class's row numbers in input order: a blob of them (an `Int32Array`), or the rows `start ≤ row < end` when
   * they are consecutive (a file sorted by class), which need nothing stored.
   */
  rows: z.union([digest, z.object({ start: whole, end: whole })]),
  /**
   * `scatter`: their mean and scatter; `spectrum`: the class's spectrum with `componentCount` directions, from the
   * result of the class's `scatter` job (`own`, a job id) and every class's scatter added up (`total`, one blob for
   * all classes, of `totalRows` rows).
   */
  step: z.discriminatedUnion('name', [
    z.object({ name: z.literal('scatter') }),
    z.object({
      name: z.literal('spectrum'),
      own: z.string().min(1),
      total: digest,
      totalRows: whole,
      componentCount: z.number().int().positive(),
    }),
  ]),
})

export const detectorJobSchema = z.object({
  kind: z.literal('detector'),
  run: runId,
  /** A built-in detector's id. */
  detector: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  /** The detector input without its shared analyses (`encodeDetectorInput`). */
  input: digest,
  /** The detector's parsed parameters. */
  params: digest,
  seed: z.number().int(),
})

export const scanJobSchema = z.discriminatedUnion('kind', [
  featuresJobSchema,
  knnJobSchema,
  ivfJobSchema,
  foldJobSchema,
  classJobSchema,
  detectorJobSchema,
])
export type FeaturesJob = z.infer<typeof featuresJobSchema>
export type KnnJob = z.infer<typeof knnJobSchema>
export type IvfJob = z.infer<typeof ivfJobSchema>
export type FoldJob = z.infer<typeof foldJobSchema>
export type ClassJob = z.infer<typeof classJobSchema>
export type DetectorJob = z.infer<typeof detectorJobSchema>
export type ScanJob = z.infer<typeof scanJobSchema>

/** Checks a job read from the queue; a job this version cannot read fails with the typed error and is not retried. */
export function parseScanJob(data: unknown, jobId: string): ScanJob {
  const parsed = scanJobSchema.safeParse(data)
  if (parsed.success) return parsed.data
  throw new PoisonguardError(
    'INVALID_VALUE',
    `scan job ${jobId} is not one this version of poisonguard can run: ${parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'job'}: ${issue.message}`)
      .join('; ')}`,
    { hint: 'run the same poisonguard version on the coordinator and every worker' },
  )
}

/** The queue a job of `kind` waits in. */
export function queueNameOf(kind: ScanJob['kind']): string {
  return kind === 'detector' ? detectorQueueName : scanQueueName
}

/**
 * A job's id: the run, the stage (one per feature step, neighbour search or cross-validation of the run) and the part. BullMQ
 * adds a job once per id and the store keeps one result per id, so a job queued or finished twice counts once.
 */
export function scanJobId(run: string, stage: number, part: number): string {
  return `${run}.${stage}.${part}`
}
