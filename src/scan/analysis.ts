import { type Dataset, usableTexts } from '../data/dataset.js'
import {
  createMatrix,
  type FeatureMatrix,
  type SparseMatrix,
  selectRows,
  selectSparseRows,
} from '../data/matrix.js'
import {
  isShared,
  shareableFloat32,
  shareableInt32,
  sharedCopyOf,
  toShared,
  toSharedMatrix,
} from '../data/shared-memory.js'
import type { MemoryBudget, SpillRecord } from '../data/spill.js'
import {
  type ClassSpectra,
  type ClassSpectraSteps,
  measureClassSpectra,
  measureClassSpectraWith,
} from '../detectors/class-spectra.js'
import type { DetectorInput, SharedAnalysis } from '../detectors/types.js'
import type { NeighbourSearchReport } from '../domain/index.js'
import { type NeighbourSearchOptions, searchNeighbourGraph } from '../linalg/ann/search.js'
import type { LinalgBackend, NeighbourGraph } from '../linalg/backend.js'
import {
  crossValidatedProbabilitiesWith,
  type FoldExecutor,
  sequentialFoldExecutor,
} from '../models/cross-validation.js'
import { throwIfAborted } from '../util/abort.js'
import { createRng } from '../util/rng.js'
import type { ScanRepresentation } from './representation.js'
import {
  type GraphAllocator,
  graphBytes,
  readSpilledGraph,
  type SpilledGraph,
  spillGraph,
} from './spilled-graph.js'
import { matrixBytes, readSpilledMatrix, type SpilledMatrix, spillMatrix } from './spilled-matrix.js'

export interface AnalysisOptions {
  backend: LinalgBackend
  seed: number
  folds: number
  onProgress?: (step: 'neighbours' | 'model', fractionDone: number) => void
  signal?: AbortSignal
  /** Out-of-fold probabilities the caller brought, already checked; the built-in model is then never trained. */
  given?: FeatureMatrix
  /** The cross-validation, started before the geometry was ready (`startOutOfFold`). */
  started?: Promise<FeatureMatrix>
  /** Runs the cross-validation folds; default one after another on this thread. */
  executor?: FoldExecutor
  /** Exact or approximate neighbours, and from which row count; default exact below 20,000 rows. */
  neighbourSearch?: NeighbourSearchOptions
  /** Runs the class spectra's per-class steps elsewhere, with the same results; default on this thread. */
  classSpectra?: ClassSpectraSteps
  /** Keep the neighbour graph and the probabilities in shared memory, for worker threads to read without copies. */
  sharedMemory?: boolean
  /**
   * Past this budget the neighbour graph is spilled once searched, and read back for each detector asking; the
   * model's input once the model has trained on it.
   */
  memory?: MemoryBudget
}

/** A detector input whose shared analyses can say how they were computed, once they have been. */
export interface SharedDetectorInput extends DetectorInput {
  /** How the neighbour graph was searched; undefined while no detector has asked for it. */
  neighbourSearch(): Promise<NeighbourSearchReport | undefined>
  /**
   * Starts the analyses (the neighbour graph at the size it is shared at) and settles once they are done, failed or
   * not: a detector asking afterwards gets the result or the error.
   */
  prepareAnalyses(analyses: readonly SharedAnalysis[]): Promise<void>
  /** What went to the memory budget's spill store so far. */
  spilled(): readonly SpillRecord[]
  /** Why the spill store refused the graph (a full disk, say), if it did: the scan must not end as if it had not. */
  spillFailure(): unknown
}

/**
 * Neighbours the shared graph holds at the least: detectors ask for 10 to 50, and one graph of the largest size,
 * cut down for the others, costs far less than a second exact search when a larger request comes second.
 */
const sharedNeighbourCount = 50

/** Keeps the first `k` neighbours of a graph computed with more. */
export function truncateGraph(graph: NeighbourGraph, k: number, sharedMemory = false): NeighbourGraph {
  if (graph.k === k) return graph
  const indices = sharedMemory ? shareableInt32(graph.rows * k) : new Int32Array(graph.rows * k)
  const distances = sharedMemory ? shareableFloat32(graph.rows * k) : new Float32Array(graph.rows * k)
  for (let row = 0; row < graph.rows; row++) {
    indices.set(graph.indices.subarray(row * graph.k, row * graph.k + k), row * k)
    distances.set(graph.distances.subarray(row * graph.k, row * graph.k + k), row * k)
  }
  return { rows: graph.rows, k, indices, distances }
}

/** A searched graph, in memory or (past the memory budget) in its spill store. */
interface SearchedGraph {
  graph?: NeighbourGraph
  spilled?: SpilledGraph
  summary: NeighbourSearchReport
}

/**
 * Bytes of the loaded features and embeddings, counted twice when worker threads read a shared copy of them beside
 * the ordinary one.
 */
function loadedArrayBytes(dataset: Dataset, sharedMemory: boolean): number {
  return [dataset.features, dataset.embeddings].reduce(
    (sum, matrix) =>
      !matrix ? sum : sum + (sharedMemory && !isShared(matrix.data) ? 2 : 1) * matrixBytes(matrix),
    0,
  )
}

/**
 * Whether the model's input is an array of its own rather than the loaded pixels or embeddings (or their shared
 * copy) or the geometry: only then does spilling it free anything.
 */
function ownsModelInput(dataset: Dataset, representation: ScanRepresentation): boolean {
  const { modelInput } = representation
  if ('indptr' in modelInput) return true
  return ![dataset.features, dataset.embeddings, representation.geometry].some(
    (matrix) =>
      matrix !== undefined &&
      (matrix.data.buffer === modelInput.data.buffer || sharedCopyOf(matrix.data) === modelInput.data),
  )
}

const ordinaryArrays: GraphAllocator = {
  int32: (length) => new Int32Array(length),
  float32: (length) => new Float32Array(length),
}
const sharedArrays: GraphAllocator = { int32: shareableInt32, float32: shareableFloat32 }

/**
 * The one place where analyses detectors share are cached: the neighbour graph, the out-of-fold probabilities and
 * the class spectra are each computed once per detector input, whichever detector asks first.
 */
export function withSharedAnalyses(
  dataset: Dataset,
  representation: ScanRepresentation | undefined,
  options: AnalysisOptions,
): SharedDetectorInput {
  let search: Promise<SearchedGraph> | undefined
  let graphK = 0
  /**
   * Each size asked for, cut once and handed to every detector asking: six detectors ask for 10 neighbours, and a
   * cut per request held six copies at once while they ran side by side (80 MiB each at a million rows).
   */
  let truncated = new Map<number, Promise<NeighbourGraph>>()
  const sharedMemory = options.sharedMemory === true
  const { memory } = options
  const spills: SpillRecord[] = []
  let spillFailure: unknown
  // Taken apart so that no closure holds the representation, and with it the model's input once spilled.
  const geometry = representation?.geometry
  const metric = representation?.metric
  /** The model's input until, past the budget, it is spilled: once the model has trained, no built-in reads it. */
  let modelInput = representation?.modelInput
  let spilledModelInput: SpilledMatrix | undefined
  const ownModelInputBytes =
    representation && ownsModelInput(dataset, representation) ? matrixBytes(representation.modelInput) : 0
  /** Bytes of the neighbour graph while it is held in memory whole. */
  let heldGraphBytes = 0
  const heldArrayBytes = () =>
    loadedArrayBytes(dataset, sharedMemory) +
    (geometry ? matrixBytes(geometry) : 0) +
    (modelInput ? ownModelInputBytes : 0) +
    heldGraphBytes
  /**
   * Whether the whole graph goes to the spill store: only feature-collision reads 50 neighbours, the rest ask for
   * 10, so past the budget the 50 are read back for that one detector instead of held to the end of the scan.
   */
  const spillsGraph = (rows: number, k: number) =>
    memory !== undefined && geometry !== undefined && heldArrayBytes() + graphBytes(rows, k) > memory.maxBytes
  /**
   * Past the budget, moves the model's input to the spill store once the model has trained on it: 512 MiB at a
   * million rows of a table, otherwise held for nothing while the detectors go on. A refusing store fails the scan
   * at its end, as a refused graph does.
   */
  const spillModelInput = () => {
    if (!memory || !modelInput || ownModelInputBytes === 0 || heldArrayBytes() <= memory.maxBytes) return
    try {
      spilledModelInput = spillMatrix(memory.spill, modelInput)
    } catch (error) {
      spillFailure ??= error
      return
    }
    const sparse = 'indptr' in modelInput ? 'sparse, ' : ''
    spills.push({ what: `model input (${sparse}${modelInput.cols} columns)`, bytes: ownModelInputBytes })
    modelInput = undefined
  }
  /** Searches the graph unless one of at least `k` neighbours is searched or under way. */
  const startSearch = (k: number): Promise<SearchedGraph> => {
    if (!geometry || !metric) throw new Error('neighbours need features')
    if (search && graphK >= k) return search
    throwIfAborted(options.signal, 'the scan')
    graphK = Math.max(k, Math.min(sharedNeighbourCount, dataset.rowCount - 1))
    const searched = searchNeighbourGraph(options.backend, geometry, graphK, metric, {
      ...options.neighbourSearch,
      seed: options.seed,
      onProgress: (fraction) => options.onProgress?.('neighbours', fraction),
    })
    search = searched.then(({ graph, summary }) => {
      if (memory && spillsGraph(graph.rows, graph.k)) {
        let spilled: SpilledGraph
        try {
          spilled = spillGraph(memory.spill, graph)
        } catch (error) {
          spillFailure = error
          throw error
        }
        spills.push({
          what: `neighbour graph (${graph.k} per record)`,
          bytes: graphBytes(graph.rows, graph.k),
        })
        return { spilled, summary }
      }
      heldGraphBytes = graphBytes(graph.rows, graph.k)
      if (!sharedMemory) return { graph, summary }
      const { indices, distances } = graph
      return { graph: { ...graph, indices: toShared(indices), distances: toShared(distances) }, summary }
    })
    truncated = new Map()
    return search
  }
  let probabilities: Promise<FeatureMatrix> | undefined
  let spectra: Promise<ClassSpectra> | undefined
  /** Runs `start` and settles when its promise does, whether it succeeds, fails or throws at once. */
  const settled = async (start: () => Promise<unknown>) => {
    try {
      await start()
    } catch {}
  }
  const input: SharedDetectorInput = {
    rowCount: dataset.rowCount,
    ids: dataset.ids,
    labels: dataset.labels,
    texts: usableTexts(dataset),
    dataset,
    features: geometry,
    // Read back whole for a detector that asks once it has spilled, and not kept: the built-ins never ask.
    get modelFeatures() {
      return modelInput ?? (spilledModelInput && readSpilledMatrix(memory!.spill, spilledModelInput))
    },
    neighbours(k) {
      const searching = startSearch(k)
      const cut = (searched: SearchedGraph) =>
        searched.spilled
          ? readSpilledGraph(memory!.spill, searched.spilled, k, sharedMemory ? sharedArrays : ordinaryArrays)
          : truncateGraph(searched.graph!, k, sharedMemory)
      // A spilled graph read back whole is not kept: it lives as long as the detector reading it.
      if (k === graphK && memory) return searching.then(cut)
      let graph = truncated.get(k)
      if (!graph) {
        graph = searching.then(cut)
        truncated.set(k, graph)
      }
      return graph
    },
    async neighbourSearch() {
      return search && (await search).summary
    },
    probabilitiesGiven: options.given !== undefined,
    outOfFoldProbabilities() {
      if (probabilities) return probabilities
      if (!modelInput || !dataset.labels)
        throw new Error('out-of-fold probabilities need labels and features')
      probabilities = (
        options.started ??
        (options.given ? Promise.resolve(options.given) : startOutOfFold(dataset, modelInput, options))
      ).then((outOfFold) => {
        spillModelInput()
        return outOfFold
      })
      return probabilities
    },
    classSpectra() {
      const labels = dataset.labels
      if (!geometry || !labels) throw new Error('class spectra need labels and features')
      // Measured on this thread once a neighbour search under way is done: more detectors wait for that.
      const searching = search
      const steps = options.classSpectra
      spectra ??= (searching ? settled(() => searching) : Promise.resolve()).then(() =>
        steps
          ? measureClassSpectraWith(geometry, labels.codes, labels.classes.length, steps)
          : measureClassSpectra(geometry, labels.codes, labels.classes.length),
      )
      return spectra
    },
    async prepareAnalyses(analyses) {
      const starting: Promise<void>[] = []
      if (analyses.includes('neighbours'))
        starting.push(settled(() => startSearch(Math.min(sharedNeighbourCount, dataset.rowCount - 1))))
      if (analyses.includes('outOfFoldProbabilities'))
        starting.push(settled(() => input.outOfFoldProbabilities()))
      if (analyses.includes('classSpectra')) starting.push(settled(() => input.classSpectra()))
      await Promise.all(starting)
    },
    spilled: () => spills,
    spillFailure: () => spillFailure,
  }
  return input
}

/** The built-in model's out-of-fold probabilities on `modelInput`, for the labelled records of `dataset`. */
export async function startOutOfFold(
  dataset: Dataset,
  modelInput: FeatureMatrix | SparseMatrix,
  options: Omit<AnalysisOptions, 'given' | 'started'>,
): Promise<FeatureMatrix> {
  const labels = dataset.labels!
  const labelledRows: number[] = []
  labels.codes.forEach((code, row) => {
    if (code >= 0) labelledRows.push(row)
  })
  const allLabelled = labelledRows.length === dataset.rowCount
  const x = allLabelled
    ? modelInput
    : 'indptr' in modelInput
      ? selectSparseRows(modelInput, labelledRows)
      : selectRows(modelInput, labelledRows)
  const y = allLabelled ? labels.codes : Int32Array.from(labelledRows, (row) => labels.codes[row])
  const classCount = labels.classes.length
  const executor = options.executor ?? sequentialFoldExecutor
  const outOfFold = await crossValidatedProbabilitiesWith(executor, x, y, classCount, {
    folds: options.folds,
    rng: createRng(options.seed),
    onProgress: (fraction: number) => options.onProgress?.('model', fraction),
    signal: options.signal,
  })
  // Read by label-issues and targeted-flip, each on a worker thread of its own.
  const share = (matrix: FeatureMatrix) => (options.sharedMemory ? toSharedMatrix(matrix) : matrix)
  if (allLabelled) return share(outOfFold)
  const full = createMatrix(dataset.rowCount, classCount)
  labelledRows.forEach((row, position) => {
    full.data.set(
      outOfFold.data.subarray(position * classCount, (position + 1) * classCount),
      row * classCount,
    )
  })
  return share(full)
}
