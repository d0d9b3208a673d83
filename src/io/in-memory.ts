import { type Dataset, type DatasetOrigin, encodeLabels } from '../data/dataset.js'
import { channelCount, type ImageShape } from '../data/image-shape.js'
import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { buildDataset, type ColumnOptions, checkIds } from './columns.js'
import { IssueList } from './issues.js'
import { tableFromObjects } from './objects.js'

/*
 * Datasets from values already in memory, for library users: the same column conventions, validation and typed
 * errors as the file loaders, without a file. No Node module here, so a browser build can ship it.
 */

/** Options of `fromRecords`: which key plays which part, as for the loaders, and a name for messages. */
export interface FromRecordsOptions extends ColumnOptions {
  /** Names the data in messages and in the report's `dataset.path`; default `records`. */
  name?: string
}

function memoryOrigin(name: string, format: string): DatasetOrigin {
  return { path: name, format, sha256: 'in-memory', byteCount: 0 }
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)
}

/**
 * Builds a dataset from plain objects, one per record: keys `id`, `label`, `text`, `source` by convention (or as
 * named in `options`), numeric keys as features. A bad row fails with a typed error naming the row and key.
 */
export function fromRecords(rows: readonly unknown[], options: FromRecordsOptions = {}): Dataset {
  const name = options.name ?? 'records'
  if (!Array.isArray(rows)) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `${name}: expected an array of objects, received ${typeof rows}`,
    )
  }
  const notObjects = new IssueList(
    'INVALID_VALUE',
    'give every record as a plain object, e.g. { label: "a", x: 1 }',
  )
  rows.forEach((row, index) => {
    if (!isPlainRecord(row))
      notObjects.add({ file: name, row: index + 1 }, `expected an object, found ${describe(row)}`)
  })
  notObjects.throwIfAny()
  const records = rows as readonly Record<string, unknown>[]
  const { plan, table, roles } = tableFromObjects(records, options, name)
  return buildDataset({ origin: memoryOrigin(name, 'records'), plan, table, roles })
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return ArrayBuffer.isView(value) ? 'a typed array' : `a ${typeof value}`
}

/** Options of `fromArrays`: what else each row carries, all aligned with the matrix rows. */
export interface FromArraysOptions {
  /** Unique record ids; default the row numbers from 1. */
  ids?: readonly string[]
  sources?: readonly string[]
  texts?: readonly string[]
  /** One name per column; default `f0`, `f1`, …. */
  featureNames?: readonly string[]
  /**
   * Set when each row is an image of this size, so detectors read pixels and reports draw them; `channels: 3` for
   * colour, its pixels interleaved (see `ImageShape`).
   */
  imageShape?: ImageShape
  /** Names the data in messages and in the report's `dataset.path`; default `arrays`. */
  name?: string
}

/** Label values of `fromArrays`: class names or numbers; `null`, `undefined` or '' mark an unlabelled row. */
export type LabelValues = readonly (string | number | null | undefined)[]

/** Copies rows of numbers into a row-major float32 matrix, listing every ragged row and non-finite cell. */
function packRows(rows: readonly (readonly number[])[], name: string): FeatureMatrix {
  const cols = rows[0]?.length ?? 0
  const data = new Float32Array(rows.length * cols)
  const issues = new IssueList('SHAPE_MISMATCH', 'give every row the same number of finite numbers')
  rows.forEach((row, index) => {
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
      issues.add({ file: name, row: index + 1 }, `expected an array of numbers, found ${describe(row)}`)
    } else if (row.length !== cols) {
      issues.add(
        { file: name, row: index + 1 },
        `expected ${cols} values (as row 1 has), found ${row.length}`,
      )
    } else data.set(row, index * cols)
  })
  issues.throwIfAny()
  return { data, rows: rows.length, cols }
}

function checkMatrix(matrix: FeatureMatrix, name: string): void {
  const { data, rows, cols } = matrix
  if (
    !(data instanceof Float32Array) ||
    !Number.isInteger(rows) ||
    !Number.isInteger(cols) ||
    data.length !== rows * cols
  ) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `${name}: expected a Float32Array of rows × cols = ${rows} × ${cols} values, found ${data?.length ?? 'none'}`,
      { hint: 'pass { data, rows, cols } with data.length === rows * cols, or an array of rows' },
    )
  }
  const issues = new IssueList('INVALID_VALUE', 'replace NaN and infinite values before building the dataset')
  for (let index = 0; index < data.length; index++) {
    if (!Number.isFinite(data[index]))
      issues.add(
        { file: name, row: Math.floor(index / cols) + 1, column: `f${index % cols}` },
        `${data[index]} is not a finite number`,
      )
  }
  issues.throwIfAny()
}

/** Fails unless a per-row array has one entry per row. */
function checkAligned(
  name: string,
  what: string,
  values: readonly unknown[] | undefined,
  rowCount: number,
): void {
  if (values !== undefined && values.length !== rowCount) {
    throw PoisonguardError.at(
      'SHAPE_MISMATCH',
      { file: name, path: what },
      `expected one entry per row (${rowCount}), found ${values.length}`,
      `give ${what} exactly as many entries as the matrix has rows`,
    )
  }
}

function checkImageShape(name: string, shape: ImageShape, cols: number): void {
  const values = shape.width * shape.height * channelCount(shape)
  if (values !== cols)
    throw PoisonguardError.at(
      'SHAPE_MISMATCH',
      { file: name, path: 'imageShape' },
      `an image of ${shape.width}×${shape.height} pixels of ${channelCount(shape)} channel(s) has ${values} values, the rows have ${cols}`,
      'give the image shape of the rows: width × height × channels values a row, colour interleaved per pixel',
    )
}

/**
 * Builds a dataset from a feature matrix (rows of numbers, or a row-major `Float32Array` with its shape) and one
 * label per row; no label column when `labels` is omitted.
 */
export function fromArrays(
  matrix: readonly (readonly number[])[] | FeatureMatrix,
  labels?: LabelValues,
  options: FromArraysOptions = {},
): Dataset {
  const name = options.name ?? 'arrays'
  const features = Array.isArray(matrix) ? packRows(matrix, name) : (matrix as FeatureMatrix)
  checkMatrix(features, name)
  const rowCount = features.rows
  if (rowCount === 0)
    throw PoisonguardError.at('EMPTY_FILE', { file: name }, 'there are no rows', 'give at least one row')
  const aligned = { labels, ids: options.ids, sources: options.sources, texts: options.texts }
  for (const [what, values] of Object.entries(aligned)) checkAligned(name, what, values, rowCount)
  checkAligned(name, 'featureNames', options.featureNames, features.cols)
  if (options.imageShape) checkImageShape(name, options.imageShape, features.cols)
  const ids = options.ids
    ? checkIds([...options.ids], (row) => ({ file: name, row: row + 1, path: 'ids' }))
    : Array.from({ length: rowCount }, (_, row) => String(row + 1))
  return {
    origin: memoryOrigin(name, 'arrays'),
    rowCount,
    ids,
    labels: labels
      ? encodeLabels(
          'label',
          labels.map((value) => (value == null ? undefined : String(value))),
        )
      : undefined,
    texts: options.texts ? [...options.texts] : undefined,
    textColumn: options.texts ? 'text' : undefined,
    sources: options.sources ? [...options.sources] : undefined,
    features,
    featureNames: options.featureNames
      ? [...options.featureNames]
      : Array.from({ length: features.cols }, (_, col) => `f${col}`),
    imageShape: options.imageShape,
    warnings: [],
  }
}
