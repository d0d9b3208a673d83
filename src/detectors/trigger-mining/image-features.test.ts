import { describe, expect, it } from 'vitest'
import { createMatrix } from '../../data/matrix.js'
import { extractImageFeatures } from './image-features.js'
import { windowBuckets, windowSide } from './image-windows.js'
import { formatPixelLevel, pixelLevels, pixelScaleOf, quantisePixels } from './pixel-levels.js'

const shape = { width: 12, height: 12 }

/** Blank 12×12 images with a 3×3 square of `value` at the given top-left corners (one image per corner). */
function imagesWithSquares(corners: [number, number][], value = 1) {
  const data = new Float32Array(corners.length * 144)
  corners.forEach(([x, y], image) => {
    for (let dy = 0; dy < 3; dy++)
      for (let dx = 0; dx < 3; dx++) data[image * 144 + (y + dy) * 12 + x + dx] = value
  })
  return createMatrix(corners.length, 144, data)
}

function bucketsOf(levels: Uint8Array, image: number): Map<number, [number, number]> {
  const found = new Map<number, [number, number]>()
  windowBuckets(levels, image * 144, shape, 0, (bucket, x, y) => {
    if (!found.has(bucket)) found.set(bucket, [x, y])
  })
  return found
}

describe('image features', () => {
  it('quantises pixels in [0,1] to 256 grey levels', () => {
    expect(Array.from(quantisePixels(createMatrix(1, 4, Float32Array.from([0, 0.25, 0.5, 1]))))).toEqual([
      0, 64, 128, 255,
    ])
  })

  it('spreads any other range over its own minimum and maximum, and names levels in its units', () => {
    const floats = Float32Array.from([-0.5, 0, 0.75, 2])
    expect(Array.from(quantisePixels(createMatrix(1, 4, floats)))).toEqual([0, 51, 128, 255])
    expect(formatPixelLevel(255, pixelScaleOf(floats))).toBe('2')
    const counts = Float32Array.from([0, 3, 16, 7])
    expect(Array.from(quantisePixels(createMatrix(1, 4, counts)))).toEqual([0, 3, 16, 7])
    expect(formatPixelLevel(16, pixelScaleOf(counts))).toBe('16')
    const bytes = Float32Array.from([0, 255, 128])
    expect(formatPixelLevel(255, pixelScaleOf(bytes))).toBe('255')
    expect(formatPixelLevel(128, pixelScaleOf(Float32Array.from([0, 0.5, 1])))).toBe('0.5')
  })

  it('names the levels of pixels read from image files as the files hold them', () => {
    const loaded = { ...pixelScaleOf(Float32Array.from([0, 0.5, 1])), fileScale: 255 }
    expect(formatPixelLevel(255, loaded)).toBe('255')
    expect(formatPixelLevel(128, loaded)).toBe('128')
    // A resized image holds values between the files' own; they are named as the nearest a file could hold.
    const resized = { ...pixelScaleOf(Float32Array.from([0, 0.5])), fileScale: 255 }
    expect(formatPixelLevel(255, resized)).toBe('128')
  })

  it('gives a patch the same window buckets wherever it sits, and background none', () => {
    const levels = quantisePixels(
      imagesWithSquares([
        [2, 2],
        [7, 5],
      ]),
    )
    const first = bucketsOf(levels, 0)
    const second = bucketsOf(levels, 1)
    expect(first.size).toBeGreaterThan(10)
    expect([...first.keys()].sort()).toEqual([...second.keys()].sort())
    const inside = [...first.entries()]
      .filter(([, [x, y]]) => x === 2 && y === 2)
      .map(([bucket]) => windowSide(bucket))
    expect(inside.sort()).toEqual([2, 3])
    expect(bucketsOf(new Uint8Array(144), 0).size).toBe(0)
  })

  it('keeps only features carried by between minRows and maxCarriers records', () => {
    const corners: [number, number][] = [
      [1, 1],
      [1, 1],
      [1, 1],
      [4, 4],
      [7, 7],
      [7, 7],
    ]
    const { incidence } = extractImageFeatures(imagesWithSquares(corners), shape, 2, 2)
    // Only the square at (7, 7) is held by exactly two images; its windows look like every other square's.
    // The images hold the integers 0 and 1, so level 1 is the value 1.
    expect(incidence.carrierCounts[(7 + 7 * 12) * pixelLevels + 1]).toBe(2)
    expect(incidence.carrierCounts[(1 + 12) * pixelLevels + 1]).toBe(0)
    expect(incidence.carrierCounts[(4 + 4 * 12) * pixelLevels + 1]).toBe(0)
    expect(Array.from(incidence.indptr)).toEqual([0, 0, 0, 0, 0, 9, 18])
  })

  it('marks the pixel values records hold with the same value on a neighbouring pixel', () => {
    const data = new Float32Array(4 * 144)
    data.set(
      imagesWithSquares([
        [7, 7],
        [7, 7],
      ]).data,
    )
    // A pixel of the same value in two more images, with no neighbour holding it.
    data[2 * 144 + 3 * 12 + 3] = 1
    data[3 * 144 + 3 * 12 + 3] = 1
    const { focus } = extractImageFeatures(createMatrix(4, 144, data), shape, 2, 2)
    const valueAt = (x: number, y: number) => (x + y * 12) * pixelLevels + 1
    for (let y = 7; y < 10; y++) for (let x = 7; x < 10; x++) expect(focus?.[valueAt(x, y)]).toBe(1)
    expect(focus?.[valueAt(3, 3)]).toBe(0)
  })
})
