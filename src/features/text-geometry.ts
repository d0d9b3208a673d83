import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import type { LinalgBackend } from '../linalg/backend.js'
import { multiplyDense, transpose } from '../linalg/dense.js'
import { centeredOperator, type LinearOperator, randomizedSvd } from '../linalg/svd.js'
import type { Rng } from '../util/rng.js'

/** Hashed buckets folded into this many dense columns for geometry; collisions barely move cosine neighbours. */
export const foldedTextColumns = 1024

/**
 * Up to this many rows (128 MiB dense at 1,024 columns) the whole folded matrix is made once and kept. The whole
 * folded matrix of a million texts would be 4 GiB, most of it zeros, so larger inputs are folded anew for every
 * product, `foldedBlockRows` at a time.
 */
export const wholeFoldRows = 32_768

/** 4 MiB blocks: the folded rows are still in cache when the product reads them (32,768-row blocks cost a third more). */
export const foldedBlockRows = 1_024

export interface TextGeometryOptions {
  rng: Rng
  backend?: LinalgBackend
  /** Rows folded at a time; default all of them up to `wholeFoldRows`, else `foldedBlockRows`. */
  blockRows?: number
}

/**
 * The folded matrix one block of rows at a time, in one reused buffer: a fresh block per product would cost page
 * faults and leave blocks for the collector. A matrix of one block is folded once and kept.
 */
class FoldedBlocks {
  private readonly buffer: Float32Array
  private folded = -1

  constructor(
    private readonly matrix: SparseMatrix,
    readonly width: number,
    readonly blockRows: number,
  ) {
    this.buffer = new Float32Array(Math.min(blockRows, matrix.rows) * width)
  }

  /** Rows `[first, first + blockRows)` with hashed buckets folded onto `width` columns (bucket modulo width). */
  block(first: number): FeatureMatrix {
    const { matrix, width, buffer } = this
    const count = Math.min(this.blockRows, matrix.rows - first)
    const data = buffer.subarray(0, count * width)
    if (this.folded !== first) {
      this.clear()
      for (let row = 0; row < count; row++) {
        const source = first + row
        for (let entry = matrix.indptr[source]; entry < matrix.indptr[source + 1]; entry++) {
          data[row * width + (matrix.indices[entry] & (width - 1))] += matrix.values[entry]
        }
      }
      this.folded = first
    }
    return { data, rows: count, cols: width }
  }

  /** Zeroes the entries the folded block set: a tenth of the block's cells for short texts, not all of them. */
  private clear(): void {
    const { matrix, width, buffer } = this
    if (this.folded < 0) return
    const count = Math.min(this.blockRows, matrix.rows - this.folded)
    for (let row = 0; row < count; row++) {
      const source = this.folded + row
      for (let entry = matrix.indptr[source]; entry < matrix.indptr[source + 1]; entry++) {
        buffer[row * width + (matrix.indices[entry] & (width - 1))] = 0
      }
    }
  }

  async forEach(visit: (block: FeatureMatrix, first: number) => Promise<void> | void): Promise<void> {
    for (let first = 0; first < this.matrix.rows; first += this.blockRows)
      await visit(this.block(first), first)
  }
}

/** The folded matrix as an operator; its dense products still run on the backend's kernel, block by block. */
function foldedOperator(folded: FoldedBlocks, rows: number, backend?: LinalgBackend): LinearOperator {
  const product = async (a: FeatureMatrix, b: FeatureMatrix) =>
    backend ? backend.matmul(a, b) : multiplyDense(a, b)
  return {
    rows,
    cols: folded.width,
    async multiply(b) {
      const out = new Float32Array(rows * b.cols)
      await folded.forEach(async (block, first) => out.set((await product(block, b)).data, first * b.cols))
      return { data: out, rows, cols: b.cols }
    },
    async multiplyTransposed(b) {
      const sums = new Float64Array(folded.width * b.cols)
      await folded.forEach(async (block, first) => {
        const part = {
          data: b.data.subarray(first * b.cols, (first + block.rows) * b.cols),
          rows: block.rows,
          cols: b.cols,
        }
        // (bᵀ A)ᵀ only transposes the thin factors, never the block.
        const blockProduct = transpose(await product(transpose(part), block))
        for (let i = 0; i < sums.length; i++) sums[i] += blockProduct.data[i]
      })
      return { data: Float32Array.from(sums), rows: folded.width, cols: b.cols }
    },
  }
}

/** Column means of the folded matrix, summed in double precision row by row as over the dense matrix. */
async function foldedColumnMeans(folded: FoldedBlocks, rows: number): Promise<Float32Array> {
  const { width } = folded
  const sums = new Float64Array(width)
  await folded.forEach((block) => {
    for (let row = 0; row < block.rows; row++) {
      for (let col = 0; col < width; col++) sums[col] += block.data[row * width + col]
    }
  })
  return Float32Array.from(sums, (sum) => sum / Math.max(rows, 1))
}

/**
 * Coordinates of each text along the leading principal components of its TF-IDF buckets folded onto
 * `foldedTextColumns` columns (rows × components). The folding happens one block of rows at a time, so memory
 * grows with the non-zeros and the components, not with rows × 1,024.
 */
export async function projectFoldedText(
  matrix: SparseMatrix,
  components: number,
  options: TextGeometryOptions,
): Promise<FeatureMatrix> {
  const blockRows = options.blockRows ?? (matrix.rows <= wholeFoldRows ? matrix.rows : foldedBlockRows)
  const folded = new FoldedBlocks(matrix, foldedTextColumns, blockRows)
  const mean = await foldedColumnMeans(folded, matrix.rows)
  const op = centeredOperator(foldedOperator(folded, matrix.rows, options.backend), mean)
  const { u, singularValues } = await randomizedSvd(op, components, {
    rng: options.rng,
    backend: options.backend,
  })
  for (let row = 0; row < u.rows; row++) {
    for (let col = 0; col < components; col++) u.data[row * components + col] *= singularValues[col]
  }
  return u
}
