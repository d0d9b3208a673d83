import type { FeatureMatrix } from '../../data/matrix.js'

/** Side of the low-frequency block of DCT coefficients that makes the 64-bit hash. */
/** Cells per side of the grid whose mean brightness makes the 64-bit hash. */
const gridSide = 8

/**
 * 64-bit average hash of every grayscale image (row-major pixels of `width × height`, both at least 8): the
 * image averaged down to an 8×8 grid, one bit per cell brighter than the grid's mean; two 32-bit words per image.
 * Noise, slight blur and global brightness or contrast changes leave the hash (nearly) unchanged.
 * @see Zauner. Implementation and Benchmarking of Perceptual Image Hash Functions. 2010 (aHash).
 */
export function averageHashes(pixels: FeatureMatrix, width: number, height: number): Uint32Array {
  const pixelsPerCell = new Float64Array(gridSide * gridSide)
  // Runs of consecutive pixels in one cell: each run's sum is carried in a local and stored once, where adding every
  // pixel into the cells array waited on the store of the pixel before. Each cell still adds its pixels in order.
  const runEnds: number[] = []
  const runCells: number[] = []
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const cell = Math.floor((y * gridSide) / height) * gridSide + Math.floor((x * gridSide) / width)
      pixelsPerCell[cell]++
      if (runCells.length > 0 && runCells[runCells.length - 1] === cell) runEnds[runEnds.length - 1]++
      else {
        runCells.push(cell)
        runEnds.push(y * width + x + 1)
      }
    }
  }
  const hashes = new Uint32Array(pixels.rows * 2)
  const cells = new Float64Array(gridSide * gridSide)
  const { data } = pixels
  for (let image = 0; image < pixels.rows; image++) {
    cells.fill(0)
    const offset = image * pixels.cols
    for (let run = 0, pixel = offset; run < runCells.length; run++) {
      let sum = cells[runCells[run]]
      for (const end = offset + runEnds[run]; pixel < end; pixel++) sum += data[pixel]
      cells[runCells[run]] = sum
    }
    let mean = 0
    for (let cell = 0; cell < cells.length; cell++) {
      cells[cell] /= pixelsPerCell[cell]
      mean += cells[cell] / cells.length
    }
    let high = 0
    let low = 0
    for (let bit = 0; bit < 32; bit++) {
      if (cells[bit] > mean) high |= 1 << bit
      if (cells[bit + 32] > mean) low |= 1 << bit
    }
    hashes[image * 2] = high >>> 0
    hashes[image * 2 + 1] = low >>> 0
  }
  return hashes
}

function popCount(word: number): number {
  let bits = word - ((word >>> 1) & 0x55555555)
  bits = (bits & 0x33333333) + ((bits >>> 2) & 0x33333333)
  return (Math.imul((bits + (bits >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff
}

/** Number of differing bits between the 64-bit hashes of two images. */
export function hammingDistance(hashes: Uint32Array, first: number, second: number): number {
  return (
    popCount((hashes[first * 2] ^ hashes[second * 2]) >>> 0) +
    popCount((hashes[first * 2 + 1] ^ hashes[second * 2 + 1]) >>> 0)
  )
}
