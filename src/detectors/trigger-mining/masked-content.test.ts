import { describe, expect, it } from 'vitest'
import { createRng } from '../../util/rng.js'
import { maskedColumnReading, maskedContentTest } from './masked-content.js'

/**
 * 4×4 images of two classes: class 0 bright on top, class 1 bright below, with noise. Pixel 0 at value 5 is a
 * natural mark of most of class 0; pixel 15 at value 7 is stamped on 12 images of class 1 relabelled 0.
 */
function images() {
  const rng = createRng(3)
  const rows = 200
  const data = new Float32Array(rows * 16)
  const codes = new Int32Array(rows)
  const natural: number[] = []
  const stamped: number[] = []
  for (let row = 0; row < rows; row++) {
    const truth = row % 2
    codes[row] = truth
    for (let pixel = 0; pixel < 16; pixel++) {
      const bright = truth === 0 ? pixel < 8 : pixel >= 8
      data[row * 16 + pixel] = (bright ? 3 : 0) + rng.next()
    }
    if (truth === 0 && rng.next() < 0.8) {
      data[row * 16] = 5
      natural.push(row)
    }
    if (truth === 1 && stamped.length < 12 && row > 100) {
      data[row * 16 + 15] = 7
      codes[row] = 0
      stamped.push(row)
    }
  }
  return { features: { data, rows, cols: 16 }, codes, natural, stamped }
}

function testOf(carriers: number[], pixel: number) {
  const { features, codes } = images()
  const carrierMarks = new Uint8Array(codes.length)
  for (const row of carriers) carrierMarks[row] = 1
  const mask = new Uint8Array(16)
  mask[pixel] = 1
  const read = maskedColumnReading(features, codes, () => mask)
  return maskedContentTest({ read, codes, label: 0, carriers, carrierMarks, k: 5 })
}

describe('maskedContentTest', () => {
  it('finds a natural mark of a class carried by records that, without it, still look like their class', () => {
    const { natural } = images()
    const result = testOf(natural, 0)
    expect(result.carriersRead).toBe(natural.length)
    expect(result.carriersElsewhere).toBeLessThanOrEqual(2)
    expect(result.logPValue).toBeGreaterThan(Math.log(0.01))
  })

  it('finds a stamp on relabelled records whose rest belongs to another class', () => {
    const { stamped } = images()
    const result = testOf(stamped, 15)
    expect(result.carriersElsewhere).toBe(stamped.length)
    expect(result.logPValue).toBeLessThan(Math.log(1e-6))
    expect(Array.from(result.elsewhere)).toEqual(stamped.map(() => 1))
  })
})
