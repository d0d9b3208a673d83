import { describe, expect, it } from 'vitest'
import { inMemoryDataset } from '../../test/fixtures/datasets.js'
import { type DatasetSchema, validateSchemaObject } from './schema.js'
import { checkColumns, validateRows } from './validate.js'

const schema: DatasetSchema = validateSchemaObject({
  version: 1,
  id: { column: 'id' },
  label: { column: 'label', classes: ['cat', 'dog'] },
  text: { column: 'text', minLength: 2, maxLength: 10 },
  source: { column: 'source', values: ['alice'], allowNew: false },
  features: [
    { name: 'x', type: 'number', min: 0, max: 1 },
    { name: 'n', type: 'integer', min: 0, max: 100 },
    { name: 'kind', type: 'categorical', values: [0, 1] },
    { name: 'gone', type: 'number', maxNullRate: 0 },
  ],
})

function batch() {
  return inMemoryDataset({
    ids: ['a', 'b', 'c', 'd', 'e'],
    features: {
      data: Float32Array.from([0.5, 3, 0, 9, 1, 1, 0.5, 0.5, 1, 0.2, 4, 2, -1, 5, 0]),
      rows: 5,
      cols: 3,
    },
    featureNames: ['x', 'n', 'kind'],
    labels: ['cat', 'cow', 'dog', '', 'cat'],
    texts: ['fine', 'also fine', 'way too long text', 'ok', ''],
    sources: ['alice', 'alice', 'alice', 'mallory', 'alice'],
    diagnostics: { textColumns: ['gone'] },
  })
}

describe('row validation', () => {
  const result = validateRows(schema, batch(), { referenceIds: new Set(['e']) })
  const explanations = (id: string) =>
    result.records.find((record) => record.id === id)?.findings.map((finding) => finding.explanation) ?? []

  it('explains every broken rule of a row, with its id and worst severity', () => {
    expect(explanations('a')).toEqual([])
    expect(explanations('b')).toEqual([
      'x = 9 is above the maximum 1',
      'label "cow" is not an allowed class (cat, dog)',
    ])
    expect(result.records.find((record) => record.id === 'b')?.severity).toBe('high')
    expect(explanations('c')).toEqual([
      'n = 0.5 is not a whole number',
      'the text has 17 characters, more than 10',
    ])
    expect(explanations('d')).toEqual([
      'kind = 2 is not one of the allowed values (0, 1)',
      'the label is empty',
      'source "mallory" is not a known source',
    ])
    expect(explanations('e')).toEqual([
      'x = -1 is below the minimum 0',
      'the text is empty',
      'id "e" is already in the reference',
    ])
    expect(result.violatingRows).toBe(4)
  })

  it('lists rows in input order, each row once, and counts rows per rule', () => {
    expect(result.records.map((record) => record.id)).toEqual(['b', 'c', 'd', 'e'])
    expect(result.records.every((record) => record.flagged)).toBe(true)
    const ranges = result.findings.find((finding) => finding.explanation.includes('outside [0, 1]'))
    expect(ranges).toMatchObject({ kind: 'schema', column: 'x', rowCount: 2, severity: 'medium' })
  })

  it('caps the listed rows but still counts them all', () => {
    const capped = validateRows(schema, batch(), { maxRecords: 1 })
    expect(capped.records).toHaveLength(1)
    expect(capped.violatingRows).toBe(4)
  })
})

describe('column validation', () => {
  it('reports missing, retyped and extra columns and missing roles as findings', () => {
    const noisy = inMemoryDataset({
      features: { data: new Float32Array(6), rows: 2, cols: 3 },
      featureNames: ['x', 'kind', 'extra'],
      imageShape: { width: 3, height: 1 },
      diagnostics: { textColumns: ['n'], imputed: new Map([['x', { cellCount: 1, mean: 0.5 }]]) },
    })
    const findings = checkColumns({ ...schema, image: { width: 28, height: 28 } }, noisy, {
      imputed: new Map(),
      textColumns: ['extra'],
      emptyColumns: [],
      skippedFiles: [],
      mostlyEmpty: [],
    })
    expect(findings.map((finding) => `${finding.severity}: ${finding.explanation}`)).toEqual([
      'high: column "n" changed type: numeric in the schema, text in the batch',
      'high: column "gone" is missing from the batch',
      'high: column "extra" changed type: text in the reference, numeric in the batch',
      'medium: column "x" has 50% empty cells; the schema allows 0%',
      'high: the label column "label" is missing from the batch',
      'high: the text column "text" is missing from the batch',
      'low: the source column "source" is missing, so sources cannot be compared',
      'high: images should be 28×28, the batch has 3×1',
    ])
  })

  it('reports a grey batch against a colour schema', () => {
    const grey = inMemoryDataset({
      features: { data: new Float32Array(128), rows: 2, cols: 64 },
      featureNames: Array.from({ length: 64 }, (_, pixel) => `pixel${pixel}`),
      imageShape: { width: 8, height: 8 },
    })
    const colourSchema = { ...schema, image: { width: 8, height: 8, channels: 3 as const } }
    const noDiagnostics = {
      imputed: new Map(),
      textColumns: [],
      emptyColumns: [],
      skippedFiles: [],
      mostlyEmpty: [],
    }
    const images = checkColumns(colourSchema, grey, noDiagnostics).filter((finding) =>
      finding.explanation.startsWith('images'),
    )
    expect(images.map((finding) => finding.explanation)).toEqual([
      'images should be 8×8 colour, the batch has 8×8',
    ])
  })

  it('accepts a batch that matches the schema', () => {
    const matching = inMemoryDataset({
      features: { data: new Float32Array(8), rows: 2, cols: 4 },
      featureNames: ['x', 'n', 'kind', 'gone'],
      labels: ['cat', 'dog'],
      texts: ['ab', 'cd'],
      sources: ['alice', 'alice'],
    })
    expect(checkColumns(schema, matching)).toEqual([])
  })
})
