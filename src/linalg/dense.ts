import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'

// Tiles sized so a block of `b` (PANEL_DEPTH × PANEL_WIDTH floats, 128 KiB) stays in L2 while ROW_BLOCK rows of
// `a` sweep over it.
const ROW_BLOCK = 32
const PANEL_DEPTH = 128
const PANEL_WIDTH = 256

/** Throws SHAPE_MISMATCH unless `a · b` is defined. */
export function checkMatmulShapes(a: FeatureMatrix, b: FeatureMatrix): void {
  if (a.cols !== b.rows) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `cannot multiply a ${a.rows}×${a.cols} matrix by a ${b.rows}×${b.cols} matrix: inner dimensions differ`,
    )
  }
}

/**
 * `sums[offset + col] += Σ_i f_i · b[depth + i][col]` over four rows of `b` from `bOffset`, for two rows of `a` at
 * once (factors `f` into `firstOffset`, `g` into `nextOffset`), each loaded value of `b` serving both.
 */
function addFourRowsTwice(
  sums: Float64Array,
  firstOffset: number,
  nextOffset: number,
  bData: Float32Array,
  bOffset: number,
  bCols: number,
  width: number,
  f0: number,
  f1: number,
  f2: number,
  f3: number,
  g0: number,
  g1: number,
  g2: number,
  g3: number,
): void {
  const b0 = bOffset
  const b1 = b0 + bCols
  const b2 = b1 + bCols
  const b3 = b2 + bCols
  for (let col = 0; col < width; col++) {
    const x0 = bData[b0 + col]
    const x1 = bData[b1 + col]
    const x2 = bData[b2 + col]
    const x3 = bData[b3 + col]
    sums[firstOffset + col] += f0 * x0 + f1 * x1 + f2 * x2 + f3 * x3
    sums[nextOffset + col] += g0 * x0 + g1 * x1 + g2 * x2 + g3 * x3
  }
}

function accumulatePanel(
  a: FeatureMatrix,
  b: FeatureMatrix,
  rowStart: number,
  rowEnd: number,
  depthStart: number,
  colStart: number,
  sums: Float64Array,
): void {
  const depthEnd = Math.min(depthStart + PANEL_DEPTH, a.cols)
  const width = Math.min(PANEL_WIDTH, b.cols - colStart)
  const aData = a.data
  const bData = b.data
  const bCols = b.cols
  const scratchOffset = ROW_BLOCK * PANEL_WIDTH
  for (let row = rowStart; row < rowEnd; row += 2) {
    const paired = row + 1 < rowEnd
    const sumOffset = (row - rowStart) * PANEL_WIDTH
    const nextSumOffset = sumOffset + PANEL_WIDTH
    const aOffset = row * a.cols
    // A lone last row pairs with zeros, which are skipped.
    const nextOffset = paired ? aOffset + a.cols : -1
    let depth = depthStart
    // Four rows of b per sweep: one load and store of each partial sum serves four multiply-adds; two rows of a
    // per sweep: each loaded value of b serves both.
    for (; depth + 4 <= depthEnd; depth += 4) {
      const f0 = aData[aOffset + depth]
      const f1 = aData[aOffset + depth + 1]
      const f2 = aData[aOffset + depth + 2]
      const f3 = aData[aOffset + depth + 3]
      const g0 = paired ? aData[nextOffset + depth] : 0
      const g1 = paired ? aData[nextOffset + depth + 1] : 0
      const g2 = paired ? aData[nextOffset + depth + 2] : 0
      const g3 = paired ? aData[nextOffset + depth + 3] : 0
      // Pixels and one-hot features are mostly zero; skipping all-zero runs is free speed.
      const useFirst = f0 !== 0 || f1 !== 0 || f2 !== 0 || f3 !== 0
      const useNext = g0 !== 0 || g1 !== 0 || g2 !== 0 || g3 !== 0
      const bOffset = depth * bCols + colStart
      // A row with an all-zero run adds nothing: its sums go to the scratch row instead, so they stay unchanged.
      if (useFirst || useNext) {
        const first = useFirst ? sumOffset : scratchOffset
        const next = useNext ? nextSumOffset : scratchOffset
        addFourRowsTwice(sums, first, next, bData, bOffset, bCols, width, f0, f1, f2, f3, g0, g1, g2, g3)
      }
    }
    for (; depth < depthEnd; depth++) {
      const bOffset = depth * bCols + colStart
      addOneRow(sums, sumOffset, bData, bOffset, width, aData[aOffset + depth])
      if (paired) addOneRow(sums, nextSumOffset, bData, bOffset, width, aData[nextOffset + depth])
    }
  }
}

function addOneRow(
  sums: Float64Array,
  sumOffset: number,
  bData: Float32Array,
  bOffset: number,
  width: number,
  factor: number,
): void {
  if (factor === 0) return
  for (let col = 0; col < width; col++) sums[sumOffset + col] += factor * bData[bOffset + col]
}

/** Blocked `a · b` in plain TypeScript, accumulating in double precision. */
export function multiplyDense(a: FeatureMatrix, b: FeatureMatrix): FeatureMatrix {
  checkMatmulShapes(a, b)
  const out = new Float32Array(a.rows * b.cols)
  // One row more than the block: the scratch row of `accumulatePanel`.
  const sums = new Float64Array((ROW_BLOCK + 1) * PANEL_WIDTH)
  for (let rowStart = 0; rowStart < a.rows; rowStart += ROW_BLOCK) {
    const rowEnd = Math.min(rowStart + ROW_BLOCK, a.rows)
    for (let colStart = 0; colStart < b.cols; colStart += PANEL_WIDTH) {
      sums.fill(0)
      for (let depthStart = 0; depthStart < a.cols; depthStart += PANEL_DEPTH) {
        accumulatePanel(a, b, rowStart, rowEnd, depthStart, colStart, sums)
      }
      const width = Math.min(PANEL_WIDTH, b.cols - colStart)
      for (let row = rowStart; row < rowEnd; row++) {
        const sumOffset = (row - rowStart) * PANEL_WIDTH
        for (let col = 0; col < width; col++) out[row * b.cols + colStart + col] = sums[sumOffset + col]
      }
    }
  }
  return { data: out, rows: a.rows, cols: b.cols }
}

/** A new matrix holding the transpose. */
export function transpose(matrix: FeatureMatrix): FeatureMatrix {
  const { data, rows, cols } = matrix
  const out = new Float32Array(rows * cols)
  const tile = 32
  for (let rowStart = 0; rowStart < rows; rowStart += tile) {
    const rowEnd = Math.min(rowStart + tile, rows)
    for (let colStart = 0; colStart < cols; colStart += tile) {
      const colEnd = Math.min(colStart + tile, cols)
      for (let row = rowStart; row < rowEnd; row++) {
        for (let col = colStart; col < colEnd; col++) out[col * rows + row] = data[row * cols + col]
      }
    }
  }
  return { data: out, rows: cols, cols: rows }
}
