import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import type { SpilledArray, SpillStore } from '../data/spill.js'

/** A dense or sparse matrix written to a spill store: its shape, and where each of its arrays lies. */
export type SpilledMatrix =
  | { readonly rows: number; readonly cols: number; readonly data: SpilledArray }
  | {
      readonly rows: number
      readonly cols: number
      readonly indptr: SpilledArray
      readonly indices: SpilledArray
      readonly values: SpilledArray
    }

/** Bytes the arrays of a dense or sparse matrix hold. */
export const matrixBytes = (matrix: FeatureMatrix | SparseMatrix): number =>
  'indptr' in matrix
    ? matrix.indptr.byteLength + matrix.indices.byteLength + matrix.values.byteLength
    : matrix.data.byteLength

/** Writes `matrix` to `store`; the matrix itself may then be dropped. */
export function spillMatrix(store: SpillStore, matrix: FeatureMatrix | SparseMatrix): SpilledMatrix {
  const { rows, cols } = matrix
  if (!('indptr' in matrix)) return { rows, cols, data: store.write(matrix.data) }
  return {
    rows,
    cols,
    indptr: store.write(matrix.indptr),
    indices: store.write(matrix.indices),
    values: store.write(matrix.values),
  }
}

const readInt32 = (store: SpillStore, spilled: SpilledArray) => {
  const array = new Int32Array(spilled.length)
  store.read(spilled, 0, array)
  return array
}

const readFloat32 = (store: SpillStore, spilled: SpilledArray) => {
  const array = new Float32Array(spilled.length)
  store.read(spilled, 0, array)
  return array
}

/** Reads a spilled matrix back whole, into new arrays in ordinary memory. */
export function readSpilledMatrix(store: SpillStore, spilled: SpilledMatrix): FeatureMatrix | SparseMatrix {
  const { rows, cols } = spilled
  if ('data' in spilled) return { rows, cols, data: readFloat32(store, spilled.data) }
  return {
    rows,
    cols,
    indptr: readInt32(store, spilled.indptr),
    indices: readInt32(store, spilled.indices),
    values: readFloat32(store, spilled.values),
  }
}
