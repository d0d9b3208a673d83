import { describe, expect, it } from 'vitest'
import { mnistArrays } from '../../../test/fixtures/datasets.js'
import { createRng, shuffledIndices } from '../../util/rng.js'
import { type Linker, linkImageHashes } from './links.js'
import { averageHashes } from './perceptual-hash.js'
import { collectGroups, createUnionFind } from './union-find.js'

/*
 * Image links on a bucket that grows with the data: noisy copies of one digit share its average hash but are not
 * near copies of each other (pixel correlation about 0.94), and a flood of near-exact copies of the digit is
 * scattered among them, dozens of unrelated rows apart.
 */

const side = 28
const cols = side * side

function noisyCopies(source: Float32Array, count: number, noise: number, seed: number): Float32Array {
  const rng = createRng(seed)
  const copies = new Float32Array(count * cols)
  for (let copy = 0; copy < count; copy++)
    for (let pixel = 0; pixel < cols; pixel++)
      copies[copy * cols + pixel] = Math.min(1, Math.max(0, source[pixel] + noise * rng.normal()))
  return copies
}

function scatteredFlood(unrelatedCount: number, floodCount: number) {
  const { pixels } = mnistArrays()
  const digit = pixels.subarray(0, cols)
  const unrelated = noisyCopies(digit, unrelatedCount, 0.1, 1)
  const flood = noisyCopies(digit, floodCount, 0.005, 2)
  const rows = unrelatedCount + floodCount
  const order = shuffledIndices(rows, createRng(3))
  const data = new Float32Array(rows * cols)
  const floodRows: number[] = []
  order.forEach((source, row) => {
    if (source < unrelatedCount) data.set(unrelated.subarray(source * cols, (source + 1) * cols), row * cols)
    else {
      data.set(
        flood.subarray((source - unrelatedCount) * cols, (source - unrelatedCount + 1) * cols),
        row * cols,
      )
      floodRows.push(row)
    }
  })
  return { pixels: { data, rows, cols }, floodRows }
}

function link(pixels: { data: Float32Array; rows: number; cols: number }) {
  const linker: Linker = {
    sets: createUnionFind(pixels.rows),
    evidence: new Uint8Array(pixels.rows),
    pairsCompared: 0,
  }
  linkImageHashes(linker, pixels, { width: side, height: side }, 0.99)
  return { groups: collectGroups(linker.sets), pairsPerRow: linker.pairsCompared / pixels.rows }
}

describe('linkImageHashes', () => {
  it('links a flood scattered through a large bucket of unrelated rows into one group, at bounded cost', () => {
    const { pixels, floodRows } = scatteredFlood(3_000, 30)
    const hashes = averageHashes(pixels, side, side)
    const key = (row: number) => `${hashes[row * 2]}:${hashes[row * 2 + 1]}`
    const floodKey = key(floodRows[0])
    const inBucket = floodRows.filter((row) => key(row) === floodKey)
    const bucketSize = Array.from({ length: pixels.rows }, (_, row) => key(row)).filter(
      (found) => found === floodKey,
    ).length
    // The flood is spread thinly: on average many more unrelated rows than any window of recent rows between copies.
    expect(bucketSize / inBucket.length).toBeGreaterThan(30)

    const { groups, pairsPerRow } = link(pixels)
    const floodGroup = groups.find((group) => group.includes(inBucket[0]))
    expect(floodGroup && [...floodGroup].sort((a, b) => a - b)).toEqual(inBucket)
    // Everything else stays apart: noisy copies are not near copies.
    expect(groups.filter((group) => group !== floodGroup)).toEqual([])
    expect(pairsPerRow).toBeLessThanOrEqual(20)
  })

  it('compares each row with a number of sets that does not grow with its bucket', () => {
    const { pixels: small } = scatteredFlood(1_000, 0)
    const { pixels: large } = scatteredFlood(4_000, 0)
    const smallWork = link(small).pairsPerRow
    const largeWork = link(large).pairsPerRow
    expect(largeWork).toBeLessThan(1.2 * smallWork)
  })
})
