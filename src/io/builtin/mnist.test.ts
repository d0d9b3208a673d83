import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadMnistArrays } from './mnist.js'

describe('loadMnistArrays', () => {
  const mnist = loadMnistArrays()

  it('loads every row of the per-digit data, 784 pixels each', () => {
    expect(mnist.rowCount).toBe(10_000)
    expect(mnist.pixels.length).toBe(10_000 * 784)
    expect(mnist.labels.length).toBe(10_000)
    expect([mnist.width, mnist.height]).toEqual([28, 28])
  })

  it('keeps the per-digit counts of the package', () => {
    const counts = new Array(10).fill(0)
    for (const label of mnist.labels) counts[label]++
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978])
  })

  it('holds pixels in [0,1] with ink on every image', () => {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (const value of mnist.pixels) {
      if (value < min) min = value
      if (value > max) max = value
    }
    expect(min).toBe(0)
    expect(max).toBe(1)
    for (let row = 0; row < mnist.rowCount; row += 997) {
      const ink = mnist.pixels.subarray(row * 784, (row + 1) * 784).reduce((sum, value) => sum + value, 0)
      expect(ink).toBeGreaterThan(10)
    }
  })

  it('interleaves classes in a fixed order', () => {
    expect(new Set(mnist.labels.subarray(0, 50)).size).toBeGreaterThanOrEqual(8)
    let sameAsNext = 0
    for (let row = 1; row < mnist.rowCount; row++)
      if (mnist.labels[row] === mnist.labels[row - 1]) sameAsNext++
    expect(sameAsNext).toBeLessThan(1_500)
    const again = loadMnistArrays()
    expect(again.labels).toEqual(mnist.labels)
    expect(again.pixels.subarray(0, 784 * 20)).toEqual(mnist.pixels.subarray(0, 784 * 20))
  })

  it('reads the pixels JSON.parse reads from the package, as 32-bit floats', () => {
    const manifest = createRequire(import.meta.url).resolve('mnist/package.json')
    const file = join(dirname(manifest), 'src', 'digits', '5.json')
    const { data } = JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }
    // Rows are compared by a position-weighted sum of their 32-bit pixels, as the loader shuffles them.
    const checksum = (pixels: ArrayLike<number>, row: number) => {
      let sum = 0
      for (let pixel = 0; pixel < 784; pixel++) sum += Math.fround(pixels[row * 784 + pixel]) * (pixel + 1)
      return sum
    }
    const expected = Array.from({ length: data.length / 784 }, (_, row) => checksum(data, row))
    const loaded: number[] = []
    mnist.labels.forEach((label, row) => {
      if (label === 5) loaded.push(checksum(mnist.pixels, row))
    })
    const ascending = (a: number, b: number) => a - b
    expect(loaded.sort(ascending)).toEqual(expected.sort(ascending))
  })
})
