import type { FeatureMatrix } from '../../data/matrix.js'

/** Rows grouped by list: list `l` holds `rows[starts[l] .. starts[l+1])`, in ascending row order. */
export interface InvertedLists {
  readonly rows: Int32Array
  readonly starts: Int32Array
}

/** The rows of each of `lists` lists, from the list of every row. */
export function invertAssignment(assignment: Int32Array, lists: number): InvertedLists {
  const starts = new Int32Array(lists + 1)
  for (const list of assignment) starts[list + 1]++
  for (let list = 0; list < lists; list++) starts[list + 1] += starts[list]
  const fill = starts.slice(0, lists)
  const rows = new Int32Array(assignment.length)
  assignment.forEach((list, row) => {
    rows[fill[list]++] = row
  })
  return { rows, starts }
}

/** The given rows copied into one block; a plain loop, since a subarray per row costs more than its copy. */
export function gatherRows(matrix: FeatureMatrix, rows: Int32Array): FeatureMatrix {
  const { cols } = matrix
  const source = matrix.data
  const data = new Float32Array(rows.length * cols)
  for (let position = 0; position < rows.length; position++) {
    const from = rows[position] * cols
    const to = position * cols
    for (let col = 0; col < cols; col++) data[to + col] = source[from + col]
  }
  return { data, rows: rows.length, cols }
}
