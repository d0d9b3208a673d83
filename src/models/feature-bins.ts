import type { FeatureMatrix } from '../data/matrix.js'

/**
 * Each column's bins, learned from training rows: a value goes to the first bin whose upper edge it does not
 * exceed, and past the last edge to one more bin.
 */
export interface BinEdges {
  /** Upper edges of each column's bins but the last, strictly increasing. */
  readonly edges: readonly Float64Array[]
  /** Offset of each column's first bin among all columns' bins, with the total bin count last (cols + 1). */
  readonly offsets: Int32Array
}

/**
 * Edges of at most `maxBins` bins per column from the values of `rows`: halfway between neighbouring distinct
 * values when a column has few of them (integer pixels, counts, one-hot codes), else at its quantiles, so every
 * bin holds about as many training rows.
 */
export function fitBinEdges(matrix: FeatureMatrix, rows: Int32Array, maxBins: number): BinEdges {
  const { data, cols } = matrix
  const values = new Float64Array(rows.length)
  const edges: Float64Array[] = []
  const offsets = new Int32Array(cols + 1)
  for (let col = 0; col < cols; col++) {
    for (let position = 0; position < rows.length; position++)
      values[position] = data[rows[position] * cols + col]
    values.sort()
    const distinct: number[] = []
    for (let position = 0; position < values.length; position++)
      if (position === 0 || values[position] !== values[position - 1]) distinct.push(values[position])
    const columnEdges: number[] = []
    if (distinct.length <= maxBins) {
      for (let k = 1; k < distinct.length; k++) columnEdges.push((distinct[k - 1] + distinct[k]) / 2)
    } else {
      for (let bin = 1; bin < maxBins; bin++) {
        const edge = values[Math.floor((bin * values.length) / maxBins) - 1]
        if (edge < values[values.length - 1] && edge !== columnEdges[columnEdges.length - 1])
          columnEdges.push(edge)
      }
    }
    edges.push(Float64Array.from(columnEdges))
    offsets[col + 1] = offsets[col] + columnEdges.length + 1
  }
  return { edges, offsets }
}

/**
 * Every value's bin among all columns' bins (its column's offset plus its bin there), one index per value straight
 * into a histogram over every column; column-major (`codes[col * rows + row]`), as a tree's split reads a column's
 * codes for many rows at once.
 */
export function binMatrix(matrix: FeatureMatrix, bins: BinEdges): Uint16Array {
  const { data, rows, cols } = matrix
  const codes = new Uint16Array(rows * cols)
  for (let col = 0; col < cols; col++) {
    const edges = bins.edges[col]
    for (let row = 0; row < rows; row++) {
      const value = data[row * cols + col]
      // The first edge the value does not exceed, by bisection.
      let low = 0
      let high = edges.length
      while (low < high) {
        const middle = (low + high) >> 1
        if (value > edges[middle]) low = middle + 1
        else high = middle
      }
      codes[col * rows + row] = bins.offsets[col] + low
    }
  }
  return codes
}
