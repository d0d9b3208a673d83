/** Dense row-major matrix of float32 values; `data.length === rows * cols`. */
export interface FeatureMatrix {
  readonly data: Float32Array
  readonly rows: number
  readonly cols: number
}

/** Compressed sparse row matrix: row `r` holds `indices[indptr[r]..indptr[r+1])` with `values` alongside. */
export interface SparseMatrix {
  readonly indptr: Int32Array
  readonly indices: Int32Array
  readonly values: Float32Array
  readonly rows: number
  readonly cols: number
}

export function createMatrix(rows: number, cols: number, data?: Float32Array): FeatureMatrix {
  const values = data ?? new Float32Array(rows * cols)
  if (values.length !== rows * cols) {
    throw new RangeError(`matrix data has ${values.length} values, expected ${rows} × ${cols}`)
  }
  return { data: values, rows, cols }
}

/** A view of one row; shares memory with the matrix. */
export function matrixRow(matrix: FeatureMatrix, row: number): Float32Array {
  return matrix.data.subarray(row * matrix.cols, (row + 1) * matrix.cols)
}

/** Copies the given rows, in the given order, into a new matrix. */
export function selectRows(matrix: FeatureMatrix, rows: ArrayLike<number>): FeatureMatrix {
  const out = new Float32Array(rows.length * matrix.cols)
  for (let i = 0; i < rows.length; i++) {
    out.set(matrixRow(matrix, rows[i]), i * matrix.cols)
  }
  return { data: out, rows: rows.length, cols: matrix.cols }
}

export function selectSparseRows(matrix: SparseMatrix, rows: ArrayLike<number>): SparseMatrix {
  let nonZeroCount = 0
  for (let i = 0; i < rows.length; i++) nonZeroCount += matrix.indptr[rows[i] + 1] - matrix.indptr[rows[i]]
  const indptr = new Int32Array(rows.length + 1)
  const indices = new Int32Array(nonZeroCount)
  const values = new Float32Array(nonZeroCount)
  let offset = 0
  for (let i = 0; i < rows.length; i++) {
    const start = matrix.indptr[rows[i]]
    const end = matrix.indptr[rows[i] + 1]
    indices.set(matrix.indices.subarray(start, end), offset)
    values.set(matrix.values.subarray(start, end), offset)
    offset += end - start
    indptr[i + 1] = offset
  }
  return { indptr, indices, values, rows: rows.length, cols: matrix.cols }
}

/**
 * The same rows with only the columns some row uses, renumbered in their order (so each row's indices stay sorted):
 * a model trained on it learns what it would on `matrix`, without a weight for every unused column.
 */
export function withUsedColumns(matrix: SparseMatrix): SparseMatrix {
  const renumbered = new Int32Array(matrix.cols).fill(-1)
  for (let entry = 0; entry < matrix.indptr[matrix.rows]; entry++) renumbered[matrix.indices[entry]] = 0
  let cols = 0
  for (let col = 0; col < matrix.cols; col++) if (renumbered[col] === 0) renumbered[col] = cols++
  const indices = Int32Array.from(
    matrix.indices.subarray(0, matrix.indptr[matrix.rows]),
    (col) => renumbered[col],
  )
  return { indptr: matrix.indptr, indices, values: matrix.values, rows: matrix.rows, cols }
}
