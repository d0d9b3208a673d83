import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { LoneCells, standsApart } from './lone-pixels.js'

const shape = { width: 3, height: 3 }

/** Whether the middle of a 3×3 grey image (row-major values) stands apart. */
function middleStandsApart(values: number[]): boolean {
  return standsApart(Float32Array.from(values), 4, 1, 1, shape, 1)
}

describe('standsApart', () => {
  it('holds for a bright pixel on a noisy ground, not for the same value clipped within bright ink', () => {
    expect(middleStandsApart([38, 52, 41, 47, 255, 35, 44, 50, 39])).toBe(true)
    expect(middleStandsApart([241, 236, 255, 249, 255, 238, 244, 255, 232])).toBe(false)
  })

  it('does not hold on an edge between ground and ink, whose neighbours span both', () => {
    expect(middleStandsApart([40, 45, 200, 38, 255, 210, 42, 190, 205])).toBe(false)
  })

  it('weighs the channels of a colour pixel together', () => {
    // A dark ground whose red channel clips at 0: a stray of 30 in red alone leaves a box that varies more in green
    // and blue; white on the same ground stands apart in every channel.
    const ground = [0, 40, 60, 0, 55, 35, 2, 48, 52, 0, 38, 61]
    const around = (middle: number[]) => Float32Array.from([...ground, ...middle, ...ground])
    expect(standsApart(around([30, 47, 50]), 12, 1, 1, shape, 3)).toBe(false)
    expect(standsApart(around([255, 255, 255]), 12, 1, 1, shape, 3)).toBe(true)
  })
})

describe('LoneCells', () => {
  it('keeps exactly the pixels standing apart, grey and colour, whatever its shortcuts rule out first', () => {
    const rng = createRng(3)
    for (const channels of [1, 3]) {
      const grid = { width: 9, height: 7 }
      const cellCount = 40 * grid.width * grid.height
      // A few levels and coarse noise, so many pixels tie with a neighbour, lie outside a pair of them or stray.
      const data = Float32Array.from({ length: cellCount * channels }, () =>
        rng.next() < 0.05 ? 255 : 10 * rng.int(4) + rng.int(3),
      )
      const cells = new LoneCells(data, grid, channels)
      const expected: number[] = []
      for (let cell = 0; cell < cellCount; cell++) {
        const pixel = cell % (grid.width * grid.height)
        const x = pixel % grid.width
        const y = (pixel - x) / grid.width
        cells.test(cell, x, y)
        if (standsApart(data, cell * channels, x, y, grid, channels)) expected.push(cell)
      }
      expect(expected.length).toBeGreaterThan(50)
      expect(Array.from(cells.kept())).toEqual(expected)
    }
  })
})
