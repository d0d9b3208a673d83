import type { FeatureMatrix } from '../data/matrix.js'

/** Side of the square block of pixels whose mean stands for it, so that no side exceeds `maxSide` pixels. */
export function poolingBlock(width: number, height: number, maxSide: number): number {
  return Math.ceil(Math.max(width, height) / maxSide)
}

/**
 * Each image of one value per pixel (`width × height` columns, row by row) as the means of its `block × block`
 * squares; blocks at the right and bottom edges average the pixels they hold.
 */
export function poolPixels(
  pixels: FeatureMatrix,
  width: number,
  height: number,
  block: number,
): FeatureMatrix {
  if (pixels.cols !== width * height)
    throw new Error(`poolPixels: ${pixels.cols} columns are no ${width}×${height} image`)
  const pooledWidth = Math.ceil(width / block)
  const pooledHeight = Math.ceil(height / block)
  const cols = pooledWidth * pooledHeight
  const cellOf = new Int32Array(width * height)
  const cellSizes = new Float32Array(cols)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell = Math.floor(y / block) * pooledWidth + Math.floor(x / block)
      cellOf[y * width + x] = cell
      cellSizes[cell]++
    }
  const { rows, data } = pixels
  const out = new Float32Array(rows * cols)
  const sums = new Float64Array(cols)
  for (let row = 0; row < rows; row++) {
    sums.fill(0)
    const offset = row * pixels.cols
    for (let pixel = 0; pixel < pixels.cols; pixel++) sums[cellOf[pixel]] += data[offset + pixel]
    for (let cell = 0; cell < cols; cell++) out[row * cols + cell] = sums[cell] / cellSizes[cell]
  }
  return { data: out, rows, cols }
}
