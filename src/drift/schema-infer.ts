import { countLabels, type Dataset } from '../data/dataset.js'
import { type ColumnSummary, summarizeColumns } from './columns.js'
import { empiricalDistribution, moments, quantileOf } from './ecdf.js'
import type { DatasetSchema, FeatureRule } from './schema.js'

export interface InferSchemaOptions {
  /** Name of the id column, when the ids came from one; default `id` unless the ids are row numbers. */
  idColumn?: string
  /** Name of the source column; default `source`. */
  sourceColumn?: string
  /** Column summaries already computed for the dataset's features (saves sorting them twice). */
  summaries?: readonly ColumnSummary[]
}

const QUANTILES: [string, number][] = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
]
/**
 * Share of the observed span added on each side of a range. A new batch's extremes often pass the old ones (a
 * normal sample of 1,000 reaches past 3σ), while sentinel values, unit mix-ups and planted outliers land far out.
 */
const RANGE_MARGIN = 0.5
const MAX_LISTED_SOURCES = 1000

/** Six significant digits: enough for a human-edited file, short enough to read. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value
}

/** Rule for an observed null share: none seen means none allowed, else room for twice as many. */
function allowedNullRate(observed: number): number {
  return observed === 0 ? 0 : round(Math.min(1, 2 * observed + 0.01))
}

/**
 * Allowed range: values in [0,1] keep those natural bounds, otherwise the observed range widened by half its span
 * on each side (never below 0 for non-negative data), and whole numbers stay whole.
 */
function allowedRange(min: number, max: number, integer: boolean): { min: number; max: number } {
  if (min >= 0 && max <= 1) return { min: 0, max: 1 }
  const margin = (max - min) * RANGE_MARGIN || Math.abs(min) * RANGE_MARGIN
  let low = min - margin
  let high = max + margin
  if (min >= 0) low = Math.max(0, low)
  if (integer) {
    low = Math.floor(low)
    high = Math.ceil(high)
  }
  return { min: round(low), max: round(high) }
}

function inferFeature(name: string, summary: ColumnSummary, nullRate: number, isImage: boolean): FeatureRule {
  const distribution = summary.distribution
  const min = distribution.values[0] ?? 0
  const max = distribution.values[distribution.values.length - 1] ?? 0
  const { mean, std } = moments(distribution)
  const observed = {
    min: round(min),
    max: round(max),
    mean: round(mean),
    std: round(std),
    nullRate: round(nullRate),
    quantiles: Object.fromEntries(QUANTILES.map(([key, p]) => [key, round(quantileOf(distribution, p))])),
  }
  const maxNullRate = allowedNullRate(nullRate)
  const categorical = !isImage && summary.distinct !== undefined && summary.distinct.length >= 2
  if (categorical) return { name, type: 'categorical', values: summary.distinct!, maxNullRate, observed }
  const type = summary.integer ? 'integer' : 'number'
  return { name, type, ...allowedRange(min, max, summary.integer), maxNullRate, observed }
}

/**
 * Pixels of one image share one type and range, so a digit touching a border pixel that was blank in every
 * reference image is no violation.
 */
function shareImageRange(features: FeatureRule[]): void {
  let low = Number.POSITIVE_INFINITY
  let high = Number.NEGATIVE_INFINITY
  for (const feature of features) {
    low = Math.min(low, feature.observed?.min ?? 0)
    high = Math.max(high, feature.observed?.max ?? 0)
  }
  const integer = features.every((feature) => feature.type === 'integer')
  const range = allowedRange(low, high, integer)
  for (const feature of features) Object.assign(feature, range, { type: integer ? 'integer' : 'number' })
}

function rowNumberIds(ids: readonly string[]): boolean {
  return ids.every((id, row) => id === String(row + 1))
}

function textRule(dataset: Dataset): DatasetSchema['text'] {
  if (!dataset.texts || !dataset.textColumn) return undefined
  const lengths = dataset.texts.map((text) => text?.length ?? 0)
  const empty = lengths.filter((length) => length === 0).length
  const distribution = empiricalDistribution(lengths)
  const longest = distribution.values[distribution.values.length - 1] ?? 0
  const nullRate = empty / Math.max(dataset.rowCount, 1)
  return {
    column: dataset.textColumn,
    minLength: empty > 0 ? 0 : 1,
    maxLength: Math.max(1000, 2 * longest),
    maxNullRate: allowedNullRate(nullRate),
    observed: {
      nullRate: round(nullRate),
      lengthQuantiles: Object.fromEntries([
        ...QUANTILES.map(([key, p]) => [key, quantileOf(distribution, p)]),
        ['max', longest],
      ]),
    },
  }
}

/** Infers the rules a trusted dataset follows: columns, types, ranges, classes and their prior, null rates, sizes. */
export function inferSchema(dataset: Dataset, options: InferSchemaOptions = {}): DatasetSchema {
  const features = dataset.features
  const summaries = options.summaries ?? (features ? summarizeColumns(features) : [])
  const imputed = dataset.diagnostics?.imputed
  const rows = Math.max(dataset.rowCount, 1)
  const isImage = dataset.imageShape !== undefined
  const featureRules = dataset.featureNames.map((name, col) =>
    inferFeature(name, summaries[col], (imputed?.get(name)?.cellCount ?? 0) / rows, isImage),
  )
  if (isImage && featureRules.length > 0) shareImageRange(featureRules)
  const schema: DatasetSchema = {
    $comment:
      'Inferred by poisonguard schema infer; edit the rules (min, max, values, classes, maxNullRate).',
    version: 1,
    inferredFrom: { path: dataset.origin.path, rows: dataset.rowCount, sha256: dataset.origin.sha256 },
    features: featureRules,
    allowExtraFeatures: false,
  }
  if (options.idColumn || !rowNumberIds(dataset.ids))
    schema.id = { column: options.idColumn ?? 'id', unique: true }
  if (dataset.labels) {
    const counts = countLabels(dataset.labels)
    const labelled = Object.values(counts).reduce((sum, count) => sum + count, 0)
    const unlabelled = dataset.rowCount - labelled
    schema.label = {
      column: dataset.labels.name,
      classes: [...dataset.labels.classes],
      prior: Object.fromEntries(
        Object.entries(counts).map(([name, count]) => [name, round(count / Math.max(labelled, 1))]),
      ),
      maxNullRate: allowedNullRate(unlabelled / rows),
    }
  }
  schema.text = textRule(dataset)
  if (dataset.sources) {
    const values = [...new Set(dataset.sources)].sort()
    schema.source = {
      column: options.sourceColumn ?? 'source',
      ...(values.length <= MAX_LISTED_SOURCES ? { values } : {}),
      allowNew: true,
    }
  }
  if (dataset.imageShape) schema.image = { ...dataset.imageShape }
  if (!schema.text) delete schema.text
  return schema
}
