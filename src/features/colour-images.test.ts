import { describe, expect, it } from 'vitest'
import { distanceFromGround } from './colour-images.js'

const shape = { width: 4, height: 4, channels: 3 } as const

/** A 4×4 image on a ground of `ground`, with the pixels in `figure` set to `ink`. */
function image(ground: number[], ink: number[], figure: number[]): Float32Array {
  return Float32Array.from({ length: 48 }, (_, col) => {
    const pixel = Math.floor(col / 3)
    return (figure.includes(pixel) ? ink : ground)[col % 3]
  })
}

describe('distanceFromGround', () => {
  it('reads the ground as zero and a figure by its colour distance from it, whatever the palette', () => {
    const figure = [5, 6, 9]
    const data = new Float32Array(96)
    data.set(image([200, 40, 10], [20, 40, 250], figure))
    data.set(image([0, 0, 0], [180, 0, 240], figure), 48)
    const { rows, cols, data: out } = distanceFromGround({ data, rows: 2, cols: 48 }, shape)
    expect([rows, cols]).toEqual([2, 16])
    for (let pixel = 0; pixel < 16; pixel++) {
      const expected = figure.includes(pixel) ? 300 : 0
      expect(out[pixel]).toBeCloseTo(expected, 3)
      expect(out[16 + pixel]).toBeCloseTo(expected, 3)
    }
  })

  it('keeps a grey pattern added to the ground at √3 times its size on any tint', () => {
    const pattern = [3, -3, 6, 0]
    const data = Float32Array.from(image([90, 150, 30], [0, 0, 0], []), (value, col) => {
      const pixel = Math.floor(col / 3)
      return pixel < 4 ? value + pattern[pixel] : value
    })
    const out = distanceFromGround({ data, rows: 1, cols: 48 }, shape).data
    for (const [pixel, added] of pattern.entries())
      expect(out[pixel]).toBeCloseTo(Math.sqrt(3) * Math.abs(added), 4)
    expect(Array.from(out.subarray(4))).toEqual(new Array(12).fill(0))
  })
})
