import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { createRng, type Rng } from '../util/rng.js'
import { inferSchema } from './schema-infer.js'
import { validateRows } from './validate.js'

const REFERENCE_ROWS = 2000
const BATCH_ROWS = 1000
const DRAWS = 100

/** Honest column shapes a user's table holds: each draws one value from the same distribution every call. */
const SHAPES: Record<string, (rng: Rng) => number> = {
  'log-normal amount, exp(1.5 x)·1000': (rng) => Math.exp(1.5 * 1.5 * rng.normal()) * 1000,
  'Pareto, tail index 1': (rng) => 1 / (1 - rng.next()),
  'Student t, 3 degrees of freedom': (rng) =>
    rng.normal() / Math.sqrt((rng.normal() ** 2 + rng.normal() ** 2 + rng.normal() ** 2) / 3),
  'heavy-tailed count': (rng) => Math.floor(Math.exp(1.2 * Math.abs(rng.normal()) + 0.3 * rng.normal())),
  'Poisson count, mean 3': (rng) => poisson(rng, 3),
  'zero but in one row of 400': (rng) => (rng.next() < 0.0025 ? Math.round(255 * rng.next()) : 0),
  'share in [0,1]': (rng) => rng.next() ** 2,
  normal: (rng) => 50 + 10 * rng.normal(),
}

function poisson(rng: Rng, mean: number): number {
  let count = 0
  let product = rng.next()
  while (product > Math.exp(-mean)) {
    product *= rng.next()
    count++
  }
  return count
}

function column(draw: (rng: Rng) => number, rows: number, rng: Rng) {
  const data = Float32Array.from({ length: rows }, () => draw(rng))
  return inMemoryDataset({ features: { data, rows, cols: 1 }, featureNames: ['value'] })
}

/** Share of honest batches that break the inferred schema at medium severity or worse. */
function falseAlarmShare(draw: (rng: Rng) => number, seed: number): number {
  const rng = createRng(seed)
  let alarms = 0
  for (let trial = 0; trial < DRAWS; trial++) {
    const schema = inferSchema(column(draw, REFERENCE_ROWS, rng), { batchRows: BATCH_ROWS })
    const { findings } = validateRows(schema, column(draw, BATCH_ROWS, rng))
    if (findings.some((finding) => finding.severity !== 'low')) alarms++
  }
  return alarms / DRAWS
}

describe('inferred ranges on honest batches', () => {
  // The rate asked for is 1% per batch; 100 draws of a 1% event exceed 4 with a chance of about 0.3%.
  for (const [name, draw] of Object.entries(SHAPES))
    it(`${name}: at most 4 of ${DRAWS} honest batches of ${BATCH_ROWS} rows pass the range`, () => {
      expect(falseAlarmShare(draw, 11)).toBeLessThanOrEqual(0.04)
    })

  it('lets ids handed out in order continue past the reference', () => {
    const data = Float32Array.from({ length: REFERENCE_ROWS + BATCH_ROWS }, (_, row) => 5000 + row)
    const reference = inMemoryDataset({
      features: { data: data.subarray(0, REFERENCE_ROWS), rows: REFERENCE_ROWS, cols: 1 },
      featureNames: ['order_id'],
    })
    const batch = inMemoryDataset({
      features: { data: data.subarray(REFERENCE_ROWS), rows: BATCH_ROWS, cols: 1 },
      featureNames: ['order_id'],
    })
    const schema = inferSchema(reference, { batchRows: BATCH_ROWS })
    expect(validateRows(schema, batch).findings).toEqual([])
  })

  it('reports values in a column that was constant as low findings, not alarms', () => {
    const reference = column(() => 0, REFERENCE_ROWS, createRng(1))
    const batch = column((rng) => (rng.next() < 0.001 ? 128 : 0), BATCH_ROWS, createRng(2))
    const schema = inferSchema(reference, { batchRows: BATCH_ROWS })
    const { findings } = validateRows(schema, batch)
    expect(findings.length).toBeGreaterThan(0)
    expect(findings.every((finding) => finding.severity === 'low')).toBe(true)
  })
})

describe('inferred ranges keep real violations', () => {
  const amount = SHAPES['log-normal amount, exp(1.5 x)·1000']
  const reference = column(amount, REFERENCE_ROWS, createRng(3))
  const schema = inferSchema(reference, { batchRows: BATCH_ROWS })
  const rule = schema.features[0]
  const observedMax = rule.observed!.max

  function mediumFindings(planted: number) {
    const batch = column(amount, BATCH_ROWS, createRng(4))
    batch.features!.data[17] = planted
    return validateRows(schema, batch).findings.filter((finding) => finding.severity === 'medium')
  }

  it('keeps 0 as the floor of positive amounts', () => {
    expect(rule.min).toBe(0)
    expect(mediumFindings(-5)).toHaveLength(1)
  })

  it('finds a value orders of magnitude past the tail', () => {
    // The column spans about eight orders of magnitude; its bound adds less than six to its maximum.
    expect(rule.max).toBeLessThan(1e6 * observedMax)
    expect(mediumFindings(1e6 * observedMax)).toHaveLength(1)
  })

  it('keeps a category list of common values and finds a new one', () => {
    const data = Float32Array.from({ length: REFERENCE_ROWS }, (_, row) => 1 + (row % 5))
    const likert = inMemoryDataset({
      features: { data, rows: REFERENCE_ROWS, cols: 1 },
      featureNames: ['answer'],
    })
    const likertSchema = inferSchema(likert, { batchRows: BATCH_ROWS })
    expect(likertSchema.features[0]).toMatchObject({ type: 'categorical', values: [1, 2, 3, 4, 5] })
    const batch = inMemoryDataset({
      features: { data: Float32Array.from([1, 2, 6, 3]), rows: 4, cols: 1 },
      featureNames: ['answer'],
    })
    expect(validateRows(likertSchema, batch).findings.map((finding) => finding.severity)).toEqual(['medium'])
  })
})
