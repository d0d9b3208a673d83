import { countLabels, type Dataset } from '../data/dataset.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { type ColumnSummary, summarizeColumns } from './columns.js'
import { empiricalDistribution, moments, quantileOf } from './ecdf.js'
import type { DatasetSchema, FeatureRule } from './schema.js'
import { allDistinct, type RangeOptions, type TailRange, tailRange, widenedSpan } from './tail-reach.js'

export interface InferSchemaOptions {
  /** Name of the id column, when the ids came from one; default `id` unless the ids are row numbers. */
  idColumn?: string
  /** Name of the source column; default `source`. */
  sourceColumn?: string
  /** Column summaries already computed for the dataset's features (saves sorting them twice). */
  summaries?: readonly ColumnSummary[]
  /** Rows of the batches the ranges must hold; default the dataset's own row count. */
  batchRows?: number
  /** Chance that an honest batch passes any of the inferred ranges; default RANGE_FALSE_ALARM_RATE (0.01). */
  rangeFalseAlarmRate?: number
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
const MAX_LISTED_SOURCES = 1000
/**
 * Chance that an honest batch of the expected size passes any inferred range, shared out evenly over both sides
 * of every column: a table of 700 columns raises no more range findings than one of 7.
 */
export const RANGE_FALSE_ALARM_RATE = 0.01
/** Gap below 1, in mean spacings of a column's top values, within which a column of [0,1] is read as a share. */
const SHARE_GAP_SPACINGS = 1
/** Share of rows every value of a category list holds at least. */
const MIN_CATEGORY_SHARE = 0.01

/** Six significant digits: enough for a human-edited file, short enough to read. */
function round(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value
}

/** Rule for an observed null share: none seen means none allowed, else room for twice as many. */
function allowedNullRate(observed: number): number {
  return observed === 0 ? 0 : round(Math.min(1, 2 * observed + 0.01))
}

/**
 * Allowed range: as far as an honest batch reaches but for a small stated chance (`tailRange`), [0,1] for shares,
 * never below 0 for non-negative data, and whole numbers stay whole. A new batch's extremes often pass the old ones
 * (a log-normal column's by far), while sentinel values, unit mix-ups and planted outliers land beyond any tail.
 */
function allowedRange(
  observed: { min: number; max: number },
  reach: TailRange,
  integer: boolean,
): Pick<FeatureRule, 'min' | 'max' | 'softBounds'> {
  const constant = observed.min === observed.max
  // A column that never varied gives no sign of a natural bound.
  const nonNegative = observed.min >= 0 && !constant
  const share = nonNegative && observed.max <= 1
  // Not every column within [0,1] is a share: a share's values press against 1 (no wider gap below it than between
  // its top values), while a ratio that thins out like a power law, or a small positive amount, may pass 1.
  const pressed = 1 - observed.max <= SHARE_GAP_SPACINGS * reach.maxSpacing
  const shareCapped = share && pressed && !reach.heavyMax && !reach.thinSides.includes('max')
  let low = share ? 0 : reach.min
  let high = shareCapped ? 1 : reach.max
  if (nonNegative) low = Math.max(0, low)
  if (integer) {
    low = Math.floor(low)
    high = Math.ceil(high)
  }
  // A thin side's bound is soft even where it is 0 under non-negative data: a column that is 0 but in a few rows
  // says little of its sign. A read side keeps 0 as a hard floor: a negative amount among honest amounts is wrong.
  const softBounds = reach.thinSides
  return {
    min: roundOutward(low, -1),
    max: roundOutward(high, 1),
    ...(softBounds.length > 0 ? { softBounds } : {}),
  }
}

/** `round`, away from the inside of a range: a bound as tight as the data's own extreme must still hold it. */
function roundOutward(value: number, direction: 1 | -1): number {
  const rounded = round(value)
  if (direction * (rounded - value) >= 0) return rounded
  const step = 10 ** (Math.floor(Math.log10(Math.abs(value))) - 5)
  return round(rounded + direction * step)
}

interface FeatureContext {
  nullRate: number
  isImage: boolean
  range: RangeOptions
  /** The column never decreases down the reference's rows (a clock, ids handed out in order). */
  ascending: boolean
}

/**
 * Whether a whole-number column with few values is a list of categories, whose batches bring no value it does not
 * hold: only when every value is common. A value seen in a handful of rows says that values of its kind are drawn
 * now and then, so one that did not happen to be drawn yet will be (after Good and Turing, new rows hold unseen
 * values about as often as the sample's rows hold values seen once); a count whose top values are rare (a Poisson
 * count's 12) or a rare category reads its range from its tails instead.
 */
function isCategoryList(summary: ColumnSummary): boolean {
  const counts = summary.distinctCounts
  if (!summary.distinct || summary.distinct.length < 2 || !counts) return false
  return Math.min(...counts) >= MIN_CATEGORY_SHARE * summary.distribution.totalWeight
}

function inferFeature(name: string, summary: ColumnSummary, context: FeatureContext): FeatureRule {
  const { nullRate, isImage } = context
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
  if (!isImage && isCategoryList(summary))
    return { name, type: 'categorical', values: summary.distinct!, maxNullRate, observed }
  const type = summary.integer ? 'integer' : 'number'
  const grows = context.ascending || (summary.integer && allDistinct(distribution))
  const reach = tailRange(distribution, { ...context.range, grows })
  return { name, type, ...allowedRange({ min, max }, reach, summary.integer), maxNullRate, observed }
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
  // Pooled over pixels, the extremes are those of one shared scale, not of one column's tail; intensities within
  // [0,1] are bounded by what they are.
  const intensities = low >= 0 && high <= 1
  const span = intensities ? { min: 0, max: 1 } : widenedSpan(low, high)
  const reach = { ...span, heavyMax: false, maxSpacing: Number.POSITIVE_INFINITY, thinSides: [] }
  const range = allowedRange({ min: low, max: high }, reach, integer)
  for (const feature of features) Object.assign(feature, range, { type: integer ? 'integer' : 'number' })
}

function ascendingColumn(matrix: FeatureMatrix, col: number): boolean {
  const { data, rows, cols } = matrix
  for (let row = 1; row < rows; row++) if (data[row * cols + col] < data[(row - 1) * cols + col]) return false
  return rows > 1
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
  const range = {
    batchRows: options.batchRows ?? dataset.rowCount,
    falseAlarmRate:
      (options.rangeFalseAlarmRate ?? RANGE_FALSE_ALARM_RATE) /
      (2 * Math.max(1, dataset.featureNames.length)),
  }
  const featureRules = dataset.featureNames.map((name, col) =>
    inferFeature(name, summaries[col], {
      nullRate: (imputed?.get(name)?.cellCount ?? 0) / rows,
      isImage,
      range,
      ascending: features !== undefined && ascendingColumn(features, col),
    }),
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
