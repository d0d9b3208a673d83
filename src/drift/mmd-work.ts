/* The MMD's kernel work in chunks over plain arrays, so that another thread can take some of the chunks. */
import { gramChunk } from './mmd-gram.js'
import { withinChunk } from './mmd-kernel.js'

/** Rows of the Gram matrix's packed lower triangle, computed from the pooled rows (see `gramMatrix`). */
export interface GramWork {
  kind: 'gram'
  chunks: number
  data: Float64Array
  dimensions: number
  rows: number
  /** Each row's squared norm. */
  norms: Float64Array
  /** −1 / 2σ² of the base bandwidth. */
  scale: number
  gram: Float32Array
}

/** Within-sums of member lists (see `withinSums`), a band of rows per chunk. */
export interface WithinWork {
  kind: 'within'
  chunks: number
  gram: Float32Array
  rows: number
  /** The lists one after another, each `memberCount` rows long and sorted. */
  members: Int32Array
  memberCount: number
  /** Each member row's Σ K_ij over the members before it in its list, per scale: `rowSums[member * 4 + scale]`. */
  rowSums: Float64Array
}

export type MmdWork = GramWork | WithinWork

/**
 * Where the MMD's kernel work runs. Every chunk gives the same numbers on any thread (each is summed in a fixed
 * order), so the test's result does not depend on which thread did which chunk.
 */
export interface WorkShare {
  /** Memory for the work's arrays; shared memory when other threads take chunks. */
  allocate(bytes: number): ArrayBufferLike
  /** Does every chunk of `work` once, some perhaps on other threads, and returns when all are done. */
  run(work: MmdWork): void
}

/** Does one chunk of `work`. */
export function doChunk(work: MmdWork, chunk: number): void {
  if (work.kind === 'gram') gramChunk(work, chunk)
  else withinChunk(work, chunk)
}

/** All the work on the calling thread. */
export const localWorkShare: WorkShare = {
  allocate: (bytes) => new ArrayBuffer(bytes),
  run(work) {
    for (let chunk = 0; chunk < work.chunks; chunk++) doChunk(work, chunk)
  },
}

/**
 * Takes chunks of `work` one at a time until none is left, and returns how many it took: `claims[0]` is the next
 * chunk to take, `claims[1 + chunk]` goes up once that chunk is done (announced to a thread waiting on it).
 */
export function takeChunks(work: MmdWork, claims: Int32Array): number {
  let taken = 0
  for (let chunk = Atomics.add(claims, 0, 1); chunk < work.chunks; chunk = Atomics.add(claims, 0, 1)) {
    doChunk(work, chunk)
    taken++
    Atomics.store(claims, 1 + chunk, 1)
    Atomics.notify(claims, 1 + chunk)
  }
  return taken
}
