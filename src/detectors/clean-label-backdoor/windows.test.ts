import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import {
  exceedancePValue,
  pixelGaps,
  ringContrasts,
  standsApart,
  tailPValue,
  windowGaps,
  windowSizes,
  windowSums,
} from './windows.js'

describe('windowSums', () => {
  it('gives each window’s sum over its pixels divided by its side, window after window', () => {
    const rng = createRng(3)
    const grid = { width: 5, height: 4 }
    const count = 3
    const rows = Float32Array.from({ length: count * 20 }, () => rng.normal())
    const size = 2
    const sums = windowSums(rows, count, grid, size)
    expect(sums).toHaveLength(4 * 3 * count)
    for (let y = 0; y + size <= grid.height; y++)
      for (let x = 0; x + size <= grid.width; x++)
        for (let row = 0; row < count; row++) {
          let sum = 0
          for (let dy = 0; dy < size; dy++)
            for (let dx = 0; dx < size; dx++) sum += rows[row * 20 + (y + dy) * 5 + x + dx]
          expect(sums[(y * 4 + x) * count + row]).toBeCloseTo(sum / size, 5)
        }
  })
})

describe('windowGaps', () => {
  it('finds the window a few rows share a raised square in, and no gap where rows vary alike', () => {
    const rng = createRng(5)
    const grid = { width: 12, height: 12 }
    const count = 100
    const rows = new Float32Array(count * 144)
    for (let row = 0; row < count; row++) {
      // Strokes of varying strength across the middle; the corner is blank.
      for (let pixel = 0; pixel < 144; pixel++)
        if (pixel % 12 > 2 && pixel % 12 < 8) rows[row * 144 + pixel] = rng.normal()
      if (row % 7 === 0) for (const pixel of [117, 118, 129, 130]) rows[row * 144 + pixel] = 3
    }
    const gaps = windowGaps(rows, count, grid, 2, 5, pixelGaps(rows, count, grid, 5))
    const widest = gaps.reduce((best, window) => (window.gap > best.gap ? window : best))
    expect([widest.x, widest.y]).toEqual([9, 9])
    expect(widest.beyond).toBe(15)
    expect(widest.gap).toBeCloseTo(6, 5)
    const middle = gaps.filter((window) => window.x >= 3 && window.x <= 6)
    expect(Math.max(...middle.map((window) => window.gap))).toBeLessThan(2)
  })
})

describe('ring windows', () => {
  /*
   * 100 rows of 12×12 pixels whose every pixel is raised by the row's own ground (from −2 to 2, as drawn shapes'
   * ground varies from image to image), with pixel noise; every seventh row carries a square of +1.5 over 2×2
   * pixels in the corner.
   */
  const grid = { width: 12, height: 12 }
  const count = 100
  const rng = createRng(9)
  const rows = new Float32Array(count * 144)
  for (let row = 0; row < count; row++) {
    const ground = -2 + 4 * rng.next()
    for (let pixel = 0; pixel < 144; pixel++) rows[row * 144 + pixel] = ground + 0.1 * rng.normal()
    if (row % 7 === 0) for (const pixel of [117, 118, 129, 130]) rows[row * 144 + pixel] += 1.5
  }
  const own = pixelGaps(rows, count, grid, 5)

  it('read a window against the pixels around it: a weighed contrast of unit length', () => {
    const flat = new Float32Array(144).fill(2)
    expect(Math.abs(ringContrasts(flat, 1, grid, 2)[0])).toBeLessThan(1e-9)
    const single = new Float32Array(144)
    single[13] = 1
    // The window at x 1, y 1 holds pixel 13; its 12 ring pixels balance its 4 at a third each.
    expect(ringContrasts(single, 1, grid, 2)[1 * 11 + 1]).toBeCloseTo(1 / Math.sqrt(4 + 12 / 9), 9)
  })

  it('set the square’s rows apart where the box sums are lost in the ground', () => {
    const widestOf = (kind: 'box' | 'ring') =>
      windowGaps(rows, count, grid, 2, 5, own, kind).reduce((best, window) =>
        window.gap * Math.sqrt(window.beyond) > best.gap * Math.sqrt(best.beyond) ? window : best,
      )
    const ring = widestOf('ring')
    expect([ring.x, ring.y, ring.beyond]).toEqual([9, 9, 15])
    expect(standsApart(ring)).toBe(true)
    const box = widestOf('box')
    expect(box.gap * Math.sqrt(box.beyond)).toBeLessThan((ring.gap * Math.sqrt(ring.beyond)) / 2)
  })
})

describe('standsApart', () => {
  /** 100 rows of 6×6 pixels of 0 and 1, blank but for what `ink` sets. */
  function binaryRows(ink: (row: number, pixel: number) => boolean): Float32Array {
    return Float32Array.from({ length: 100 * 36 }, (_, at) => (ink(Math.floor(at / 36), at % 36) ? 1 : 0))
  }
  const grid = { width: 6, height: 6 }
  const widestOf = (rows: Float32Array) =>
    windowGaps(rows, 100, grid, 2, 5, pixelGaps(rows, 100, grid, 5)).reduce((best, window) =>
      window.gap > best.gap ? window : best,
    )

  it('finds no shift shared across pixels where each pixel of 0/1 strokes is inked on its own', () => {
    const rng = createRng(7)
    const inked = Array.from({ length: 100 }, () => Array.from({ length: 36 }, () => rng.next() < 0.3))
    const widest = widestOf(binaryRows((row, pixel) => inked[row][pixel]))
    expect(widest.gap).toBeGreaterThan(0)
    expect(widest.gap).toBeCloseTo(widest.pixelGap, 5)
    expect(standsApart(widest)).toBe(false)
  })

  it('finds no shift shared across pixels each inked in fewer records than the floor, in records of their own', () => {
    // Three rows each, fewer than the five a gap needs: the window's twelve risers stand apart by one pixel's step.
    const square = [0, 1, 6, 7]
    const rows = binaryRows((row, pixel) => square.indexOf(pixel) === Math.floor(row / 3))
    const corner = windowGaps(rows, 100, grid, 2, 5, pixelGaps(rows, 100, grid, 5))[0]
    expect([corner.x, corner.y, corner.beyond]).toEqual([0, 0, 12])
    expect(corner.gap).toBeCloseTo(0.5, 5)
    expect(corner.pixelGap).toBeCloseTo(0.5, 5)
    expect(standsApart(corner)).toBe(false)
  })

  it('finds no shift shared across pixels where one pixel rises in more than half the rows', () => {
    // Pixel 0 is up on rows 0–59, too many for the gap search, and pixel 1 below the centre on rows 0–29: the window
    // leaves rows 30–59 apart by pixel 0's step alone.
    const rows = binaryRows((row, pixel) => pixel === 0 && row < 60)
    for (let row = 0; row < 30; row++) rows[row * 36 + 1] = -1
    const corner = windowGaps(rows, 100, grid, 2, 5, pixelGaps(rows, 100, grid, 5))[0]
    expect([corner.x, corner.y, corner.beyond]).toEqual([0, 0, 30])
    expect(corner.gap).toBeCloseTo(0.5, 5)
    expect(corner.pixelGap).toBeCloseTo(0.5, 5)
    expect(standsApart(corner)).toBe(false)
  })

  it('finds the shift a square of 1s on every seventh row makes across its four pixels', () => {
    const rng = createRng(7)
    const inked = Array.from({ length: 100 }, () => Array.from({ length: 36 }, () => rng.next() < 0.05))
    const patch = [28, 29, 34, 35]
    const widest = widestOf(
      binaryRows((row, pixel) => inked[row][pixel] || (row % 7 === 0 && patch.includes(pixel))),
    )
    expect([widest.x, widest.y]).toEqual([4, 4])
    expect(widest.gap).toBeGreaterThanOrEqual(2 * widest.pixelGap)
    expect(standsApart(widest)).toBe(true)
  })
})

describe('the window tests', () => {
  it('scale window sides with the image and keep them inside it', () => {
    expect(windowSizes({ width: 28, height: 28 })).toEqual([2, 3])
    expect(windowSizes({ width: 32, height: 32 })).toEqual([2, 4])
    expect(windowSizes({ width: 64, height: 64 })).toEqual([5, 7])
    expect(windowSizes({ width: 2, height: 2 })).toEqual([2])
  })

  it('give a gap within the pooled null no evidence and one far beyond it a small p-value', () => {
    const pooled = Float64Array.from({ length: 2000 }, (_, index) => 3 * Math.exp(-index / 200))
    const top = pooled.subarray(0, 21)
    expect(tailPValue(1, top, pooled.length, 100)).toBe(1)
    expect(tailPValue(5, top, pooled.length, 100)).toBeLessThan(1e-3)
    expect(tailPValue(5, top, pooled.length, 100)).toBeGreaterThan(tailPValue(6, top, pooled.length, 100))
  })

  it('find a window no evidence when the other classes reach it as often', () => {
    expect(exceedancePValue(10, 100, 100, 1000)).toBeGreaterThan(0.3)
    expect(exceedancePValue(10, 100, 0, 1000)).toBeLessThan(1e-15)
  })
})
