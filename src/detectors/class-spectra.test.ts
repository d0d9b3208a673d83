import { describe, expect, it } from 'vitest'
import { pooledMnist } from '../../test/fixtures/datasets.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { createRng } from '../util/rng.js'
import {
  type ClassSpectra,
  type ClassSpectraSteps,
  classSpectrumValues,
  meanAndScatter,
  measureClassSpectra,
  measureClassSpectraWith,
  projectRows,
} from './class-spectra.js'

const width = 6
const perClass = 400

/** Three isotropic classes; class 2 also carries a +10 shift along (1,1,0,…)/√2 in `shiftedShare` of its rows. */
function threeClasses(shiftedShare: number): {
  features: FeatureMatrix
  codes: Int32Array
  shifted: Uint8Array
} {
  const rng = createRng(3)
  const rows = 3 * perClass
  const data = new Float32Array(rows * width)
  const codes = new Int32Array(rows)
  const shifted = new Uint8Array(rows)
  for (let row = 0; row < rows; row++) {
    const code = row % 3
    codes[row] = code
    for (let col = 0; col < width; col++)
      data[row * width + col] = rng.normal() * (col + 1) + (col === code ? 5 : 0)
    if (code === 2 && rng.next() < shiftedShare) {
      shifted[row] = 1
      data[row * width] += 10 / Math.SQRT2
      data[row * width + 1] += 10 / Math.SQRT2
    }
  }
  return { features: { data, rows, cols: width }, codes, shifted }
}

function variance(values: Float64Array): number {
  let mean = 0
  for (const value of values) mean += value / values.length
  let sum = 0
  for (const value of values) sum += (value - mean) ** 2
  return sum / values.length
}

describe('measureClassSpectra', () => {
  it('finds the direction in which one class varies far more than the others', () => {
    const { features, codes } = threeClasses(0.3)
    const spectra = measureClassSpectra(features, codes, 3, { componentCount: 3 })
    const [first, second, third] = spectra.classes.map((spectrum) => spectrum!.relativeVariances[0])
    expect(first).toBeLessThan(2)
    expect(second).toBeLessThan(2)
    expect(third).toBeGreaterThan(5)
    // The shift lives in the first two columns, so the top direction of class 2 loads on them.
    const directions = spectra.classes[2]!.directions
    const loadings = Array.from({ length: width }, (_, col) => Math.abs(directions[col * 3]))
    expect(loadings[0] + loadings[1]).toBeGreaterThan(0.9 * loadings.reduce((sum, value) => sum + value, 0))
  })

  it('scales every direction to unit variance in the other classes', () => {
    const { features, codes } = threeClasses(0.3)
    const spectra = measureClassSpectra(features, codes, 3, { componentCount: 3 })
    const spectrum = spectra.classes[1]!
    for (let component = 0; component < 3; component++) {
      // The pooled within-class variance of classes 0 and 2 is 1: each class's own variance averages to 1.
      const own = [0, 2].map((code) => {
        const rows = Array.from(codes.keys()).filter((row) => codes[row] === code)
        return variance(projectRows(features, spectrum, component, 3, rows))
      })
      expect((own[0] + own[1]) / 2).toBeCloseTo(1, 1)
    }
  })

  it('reports coordinates that match a projection of the class rows and relative variances that match them', () => {
    const { features, codes } = threeClasses(0.2)
    const spectra = measureClassSpectra(features, codes, 3, { componentCount: 2 })
    const spectrum = spectra.classes[2]!
    const projected = projectRows(features, spectrum, 0, 2, spectrum.rows)
    for (let position = 0; position < spectrum.rows.length; position++)
      expect(spectrum.coordinates[position * 2]).toBeCloseTo(projected[position], 6)
    expect(variance(projected)).toBeCloseTo(spectrum.relativeVariances[0], 3)
  })

  it('leaves out classes that are too small and unlabelled rows', () => {
    const { features, codes } = threeClasses(0)
    const sparse = Int32Array.from(codes, (code, row) => (code === 1 && row > 20 ? -1 : code))
    const spectra = measureClassSpectra(features, sparse, 3)
    expect(spectra.classes[1]).toBeUndefined()
    expect(spectra.classes[0]!.rows).toHaveLength(perClass)
    expect(spectra.componentCount).toBe(width)
  })

  it('stays finite on constant features', () => {
    const rows = 60
    const features = { data: new Float32Array(rows * 4).fill(2), rows, cols: 4 }
    const codes = Int32Array.from({ length: rows }, (_, row) => row % 2)
    const spectra = measureClassSpectra(features, codes, 2)
    for (const spectrum of spectra.classes) {
      expect(Array.from(spectrum!.relativeVariances).every(Number.isFinite)).toBe(true)
      expect(Array.from(spectrum!.coordinates).every(Number.isFinite)).toBe(true)
    }
  })
})

/** The steps as a distributed scan's workers run them: each class on its own, from its row numbers. */
const perClassSteps: ClassSpectraSteps = {
  scatters: async (features, rows) => rows.map((classRows) => meanAndScatter(features, classRows)),
  spectra: async (features, tasks, componentCount) =>
    tasks.map((task) => classSpectrumValues(features, task.rows, task.own, task.total, componentCount)),
}

/** Every array of every class's spectrum as bytes, so equal means equal to the bit. */
function bits(spectra: ClassSpectra) {
  return spectra.classes.map(
    (spectrum) =>
      spectrum && {
        code: spectrum.code,
        rows: Buffer.from(spectrum.rows.buffer).toString('hex'),
        arrays: [spectrum.relativeVariances, spectrum.directions, spectrum.coordinates, spectrum.mean].map(
          (values) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
        ),
      },
  )
}

describe('measureClassSpectraWith', () => {
  it("gives the spectra of one pass, bit for bit, from steps that each read one class's rows alone", async () => {
    const digits = pooledMnist()
    // One class left unlabelled, one too small to measure, and rows without a label.
    const codes = Int32Array.from(digits.labels, (label, row) => {
      const code = Number(label)
      return code === 3 ? -1 : code === 5 && row % 500 !== 0 ? -1 : row % 17 === 0 ? -1 : code
    })
    const whole = measureClassSpectra(digits.features, codes, 10)
    const split = await measureClassSpectraWith(digits.features, codes, 10, perClassSteps)
    expect(whole.classes[3]).toBeUndefined()
    expect(whole.classes[5]).toBeUndefined()
    expect(whole.classes.filter((spectrum) => spectrum !== undefined).length).toBe(8)
    expect(bits(split)).toEqual(bits(whole))
    expect(split.featureCount).toBe(whole.featureCount)
    expect(split.componentCount).toBe(whole.componentCount)
  })
})
