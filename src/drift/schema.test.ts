import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { isPoisonguardError, type PoisonguardError } from '../errors.js'
import { createRng } from '../util/rng.js'
import { parseSchema, validateSchemaObject } from './schema.js'
import { inferSchema } from './schema-infer.js'

function trusted() {
  const rng = createRng(1)
  const rows = 500
  const data = new Float32Array(rows * 4)
  for (let row = 0; row < rows; row++) {
    data[row * 4] = 20 + 10 * rng.next() // age-like, continuous
    data[row * 4 + 1] = rng.int(3) // a category 0..2
    data[row * 4 + 2] = rng.next() // a probability in [0,1]
    data[row * 4 + 3] = 100 + rng.int(50) // a count with many values
  }
  return inMemoryDataset({
    features: { data, rows, cols: 4 },
    featureNames: ['age', 'kind', 'score', 'visits'],
    labels: Array.from({ length: rows }, (_, row) => (row % 4 === 0 ? 'spam' : 'ham')),
    texts: Array.from({ length: rows }, (_, row) => 'x'.repeat(10 + (row % 90))),
    sources: Array.from({ length: rows }, (_, row) => (row % 2 ? 'alice' : 'bob')),
    ids: Array.from({ length: rows }, (_, row) => `id-${row}`),
    diagnostics: {
      imputed: new Map([
        ['age', { cellCount: 5, mean: 25.1 }],
        ['score', { cellCount: 1, mean: 0.5 }],
      ]),
    },
  })
}

function errorOf(run: () => unknown): PoisonguardError {
  try {
    run()
  } catch (error) {
    if (isPoisonguardError(error)) return error
    throw error
  }
  throw new Error('expected an error')
}

describe('schema inference', () => {
  const schema = inferSchema(trusted(), { sourceColumn: 'origin' })

  it('types each feature and widens observed ranges, keeping natural bounds', () => {
    const [age, kind, score, visits] = schema.features
    expect(age.type).toBe('number')
    // Observed about [20, 30], uniform: a light tail, so each side is widened by less than the span.
    expect(age.min).toBeLessThan(age.observed!.min)
    expect(age.min).toBeGreaterThan(10)
    expect(age.max).toBeGreaterThan(age.observed!.max)
    expect(age.max).toBeLessThan(40)
    expect(kind).toMatchObject({ type: 'categorical', values: [0, 1, 2] })
    expect(score).toMatchObject({ type: 'number', min: 0, max: 1 })
    expect(visits.type).toBe('integer')
    expect(Number.isInteger(visits.min)).toBe(true)
    expect(visits.observed?.quantiles.p50).toBeGreaterThanOrEqual(100)
  })

  it("reads null rates from the loader's imputed cells and allows a little more", () => {
    expect(schema.features[0].observed?.nullRate).toBe(0.01)
    expect(schema.features[0].maxNullRate).toBe(0.03)
    expect(schema.features[1].maxNullRate).toBe(0)
  })

  it('records labels with their prior, text lengths, sources, ids', () => {
    expect(schema.label).toEqual({
      column: 'label',
      classes: ['ham', 'spam'],
      prior: { ham: 0.75, spam: 0.25 },
      maxNullRate: 0,
    })
    expect(schema.text?.minLength).toBe(1)
    expect(schema.text?.observed?.lengthQuantiles.max).toBe(99)
    expect(schema.source).toEqual({ column: 'origin', values: ['alice', 'bob'], allowNew: true })
    expect(schema.id).toEqual({ column: 'id', unique: true })
  })

  it('gives image pixels one shared range and type', () => {
    const data = new Float32Array(10 * 64)
    for (let index = 0; index < data.length; index++) data[index] = index % 64 === 0 ? 0 : (index % 7) / 7
    const images = inferSchema(
      inMemoryDataset({ features: { data, rows: 10, cols: 64 }, imageShape: { width: 8, height: 8 } }),
    )
    expect(images.image).toEqual({ width: 8, height: 8 })
    expect(
      new Set(images.features.map((feature) => `${feature.type} ${feature.min} ${feature.max}`)),
    ).toEqual(new Set(['number 0 1']))
    expect(images.id).toBeUndefined()
  })

  it('keeps the channels of colour images through the validating parser', () => {
    const data = new Float32Array(4 * 192).map((_, index) => index % 256)
    const colour = inferSchema(
      inMemoryDataset({
        features: { data, rows: 4, cols: 192 },
        imageShape: { width: 8, height: 8, channels: 3 },
      }),
    )
    expect(colour.image).toEqual({ width: 8, height: 8, channels: 3 })
    expect(parseSchema(JSON.stringify(colour), 'schema.json').image).toEqual({
      width: 8,
      height: 8,
      channels: 3,
    })
  })

  it('survives a JSON round trip through the validating parser', () => {
    expect(parseSchema(JSON.stringify(schema), 'schema.json')).toEqual(schema)
  })
})

describe('schema parsing', () => {
  it('fills defaults for a minimal hand-written schema', () => {
    const parsed = validateSchemaObject({ version: 1, features: [{ name: 'x', type: 'number' }] })
    expect(parsed.features[0].maxNullRate).toBe(0)
    expect(parsed.allowExtraFeatures).toBe(false)
  })

  it('names the file and JSON path of every problem at once', () => {
    const error = errorOf(() =>
      parseSchema(
        JSON.stringify({
          version: 2,
          features: [
            { name: 'x', type: 'number', min: 'low' },
            { name: 'y', type: 'real', colour: 'red' },
          ],
        }),
        'rules.json',
      ),
    )
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(/^rules\.json, version: .* \(and \d+ more problems\)$/)
    const paths = error.issues.map((issue) => issue.path)
    expect(paths).toEqual(
      expect.arrayContaining(['version', 'features[0].min', 'features[1].type', 'features[1]']),
    )
    expect(error.issues.every((issue) => issue.file === 'rules.json')).toBe(true)
  })

  it('checks rules that need the whole schema', () => {
    const error = errorOf(() =>
      validateSchemaObject({
        version: 1,
        features: [
          { name: 'x', type: 'number', min: 5, max: 1 },
          { name: 'x', type: 'categorical' },
        ],
      }),
    )
    expect(error.issues.map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      'features[0]: min 5 is above max 1',
      'features[1].name: feature "x" is listed twice',
      'features[1].values: a categorical feature needs its list of allowed values',
    ])
  })

  it('explains invalid JSON and points to the fix', () => {
    const error = errorOf(() => parseSchema('{ "version": 1, // comment\n}', 'schema.json'))
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toContain('schema.json: the schema is not valid JSON')
    expect(error.hint).toContain('$comment')
  })
})
