import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourSearchReport } from '../../domain/report.js'
import { PoisonguardError } from '../../errors.js'
import type { DistanceMetric, LinalgBackend, NeighbourGraph } from '../backend.js'
import { searchNeighboursIvf } from './ivf.js'
import { measureNeighbourRecall } from './recall.js'

export const neighbourMethods = ['auto', 'exact', 'approximate'] as const
export type NeighbourMethod = (typeof neighbourMethods)[number]

/** How a neighbour graph is searched: exactly, or from an inverted-file index with its recall measured. */
export interface NeighbourSearchOptions {
  /** 'auto' (default) searches exactly below `approximateFrom` rows and approximately from there on. */
  method?: NeighbourMethod
  /** Row count from which 'auto' turns approximate; default 20,000. */
  approximateFrom?: number
  /** Rows whose exact neighbours check an approximate graph; default 1,000 (the check costs sample × rows). */
  recallSample?: number
  /**
   * Inverted lists each row is filed under (each list's rows are searched among the rows filed under it); more is
   * slower and closer to exact. Default: the fewest that find 97% of the exact 10 nearest neighbours of a separate
   * sample of 500 rows.
   */
  probes?: number
}

export const defaultApproximateFrom = 20_000
const defaultRecallSample = 1000
/** The recall reported is at 10 neighbours, the size most detectors read. */
const recallAt = 10

/** Checks search options at the public boundary; throws the typed error naming each bad field. */
export function checkNeighbourSearchOptions(options: NeighbourSearchOptions): void {
  const problems: string[] = []
  if (options.method !== undefined && !neighbourMethods.includes(options.method))
    problems.push(
      `neighbour method "${String(options.method)}" is unknown; use one of ${neighbourMethods.join(', ')}`,
    )
  for (const field of ['approximateFrom', 'recallSample', 'probes'] as const) {
    const value = options[field]
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      problems.push(`${field} must be a positive integer, got ${value}`)
  }
  if (problems.length > 0)
    throw new PoisonguardError('INVALID_ARGUMENT', `invalid neighbour search: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ message })),
    })
}

/**
 * The k-NN graph of a matrix with itself (own match left out): the backend's exact search for small inputs, an
 * inverted-file index above the threshold, whose recall against exact search on a sample comes with it.
 */
export async function searchNeighbourGraph(
  backend: LinalgBackend,
  matrix: FeatureMatrix,
  k: number,
  metric: DistanceMetric,
  options: NeighbourSearchOptions & { seed: number; onProgress?: (fractionDone: number) => void },
): Promise<{ graph: NeighbourGraph; summary: NeighbourSearchReport }> {
  const method = options.method ?? 'auto'
  const approximate =
    method === 'approximate' ||
    (method === 'auto' && matrix.rows >= (options.approximateFrom ?? defaultApproximateFrom))
  if (!approximate) {
    const graph = await backend.knn(matrix, matrix, k, {
      metric,
      excludeSelf: true,
      onProgress: options.onProgress,
    })
    return { graph, summary: { method: 'exact', k } }
  }
  const { graph, shape } = await searchNeighboursIvf(backend, matrix, k, metric, {
    probes: options.probes,
    seed: options.seed,
    onProgress: options.onProgress,
  })
  const measured = await measureNeighbourRecall(backend, matrix, metric, graph, {
    sample: options.recallSample ?? defaultRecallSample,
    at: recallAt,
    seed: options.seed + 1,
  })
  const summary: NeighbourSearchReport = {
    method: 'ivf',
    k,
    recall: Math.round(measured.recall * 10_000) / 10_000,
    recallAt: measured.at,
    recallSample: measured.sample,
    lists: shape.lists,
    probes: shape.probes,
  }
  return { graph, summary }
}
