import { describe, expect, it } from 'vitest'
import { poolingBlock, poolPixels } from './pooled-pixels.js'

describe('poolPixels', () => {
  it('averages square blocks, the edge blocks over the pixels they hold', () => {
    // One 5×3 image (width 5, height 3), pixel value = its index, pooled in 2×2 blocks: 3×2 cells.
    const data = Float32Array.from({ length: 15 }, (_, index) => index)
    const pooled = poolPixels({ data, rows: 1, cols: 15 }, 5, 3, 2)
    expect(pooled.cols).toBe(6)
    expect(Array.from(pooled.data)).toEqual([
      (0 + 1 + 5 + 6) / 4,
      (2 + 3 + 7 + 8) / 4,
      (4 + 9) / 2,
      (10 + 11) / 2,
      (12 + 13) / 2,
      14,
    ])
  })

  it('pools every row alike', () => {
    const data = Float32Array.from({ length: 32 }, (_, index) => (index < 16 ? 1 : 3))
    const pooled = poolPixels({ data, rows: 2, cols: 16 }, 4, 4, 4)
    expect(Array.from(pooled.data)).toEqual([1, 3])
  })

  it('chooses the smallest block that brings the longest side within the limit', () => {
    expect(poolingBlock(64, 64, 64)).toBe(1)
    expect(poolingBlock(224, 224, 64)).toBe(4)
    expect(poolingBlock(65, 20, 64)).toBe(2)
  })
})
