import type { SpilledArray, SpillStore } from '../data/spill.js'
import type { NeighbourGraph } from '../linalg/backend.js'

/** A neighbour graph written to a spill store: `k` neighbours per row, its indices and distances apart. */
export interface SpilledGraph {
  readonly rows: number
  readonly k: number
  readonly indices: SpilledArray
  readonly distances: SpilledArray
}

/** Where the arrays read back are made: shared memory when worker threads read them, ordinary memory otherwise. */
export interface GraphAllocator {
  int32(length: number): Int32Array
  float32(length: number): Float32Array
}

/** Rows read per block when a graph is cut on its way back: 4,096 rows of 50 neighbours are 1.6 MiB a block. */
const blockRows = 4096

/** Bytes a graph of `rows` × `k` neighbours holds (indices and distances). */
export const graphBytes = (rows: number, k: number): number => rows * k * 8

/** Writes `graph` to `store`; the graph itself may then be dropped. */
export function spillGraph(store: SpillStore, graph: NeighbourGraph): SpilledGraph {
  return {
    rows: graph.rows,
    k: graph.k,
    indices: store.write(graph.indices),
    distances: store.write(graph.distances),
  }
}

/**
 * Reads a spilled graph back with its first `k` neighbours per row (`k` ≤ the spilled `k`): whole, straight into
 * the new arrays, or cut, a block of rows at a time through two buffers allocated once.
 */
export function readSpilledGraph(
  store: SpillStore,
  spilled: SpilledGraph,
  k: number,
  allocate: GraphAllocator,
): NeighbourGraph {
  const { rows } = spilled
  const indices = allocate.int32(rows * k)
  const distances = allocate.float32(rows * k)
  if (k === spilled.k) {
    store.read(spilled.indices, 0, indices)
    store.read(spilled.distances, 0, distances)
    return { rows, k, indices, distances }
  }
  const indexBlock = new Int32Array(blockRows * spilled.k)
  const distanceBlock = new Float32Array(blockRows * spilled.k)
  for (let first = 0; first < rows; first += blockRows) {
    const count = Math.min(blockRows, rows - first)
    const length = count * spilled.k
    const blockIndices = indexBlock.subarray(0, length)
    const blockDistances = distanceBlock.subarray(0, length)
    store.read(spilled.indices, first * spilled.k, blockIndices)
    store.read(spilled.distances, first * spilled.k, blockDistances)
    for (let row = 0; row < count; row++) {
      const from = row * spilled.k
      const to = (first + row) * k
      indices.set(blockIndices.subarray(from, from + k), to)
      distances.set(blockDistances.subarray(from, from + k), to)
    }
  }
  return { rows, k, indices, distances }
}
