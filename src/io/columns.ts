import { canonicalId } from '../data/canonical-text.js'
import {
  countEmptyTexts,
  type Dataset,
  type DatasetOrigin,
  encodeLabels,
  isMostlyEmpty,
  type LabelColumn,
  type LoadDiagnostics,
  type MostlyEmptyColumn,
} from '../data/dataset.js'
import { type ErrorLocation, PoisonguardError } from '../errors.js'
import { describeLoadDiagnostics } from './diagnostics.js'
import { IssueList } from './issues.js'
import { finishNumericColumns } from './numeric-columns.js'
import type { NumericTable } from './numeric-table.js'

/** The column choices a caller can make; unset ones follow the `id`/`label`/`text`/`source` conventions. */
export interface ColumnOptions {
  id?: string
  label?: string | false
  text?: string
  source?: string
  features?: string[]
  /**
   * Most columns the file may have; default `DEFAULT_MAX_COLUMNS`, or `DEFAULT_MAX_DECLARED_COLUMNS` where a header
   * or schema declares them.
   */
  maxColumns?: number
}

/**
 * Columns a file may bring record by record (JSON Lines keys) unless the caller raises it: a 64×64 image, one column
 * per pixel. Sparse records that each bring new keys reach it quickly, and every new key costs every later record.
 */
export const DEFAULT_MAX_COLUMNS = 4096

/**
 * Columns a CSV header or a Parquet schema may declare unless the caller raises it: a 256×256 colour image, one
 * column per channel of each pixel. Declared columns cost what the file's own bytes hold, so only a header of
 * runaway size is refused; a 224×224 picture (50,176 grey or 150,528 colour columns) is read as it is.
 */
export const DEFAULT_MAX_DECLARED_COLUMNS = 2 ** 18

/** Which column plays which part; roles are column indexes or -1. */
export interface ColumnPlan {
  readonly names: readonly string[]
  readonly id: number
  readonly label: number
  readonly text: number
  readonly source: number
  /** Columns read as numbers: the chosen features, else every column without a role. */
  readonly candidates: readonly number[]
  readonly explicitFeatures: boolean
}

const ROLE_FLAGS = { id: '--id', label: '--label', text: '--text', source: '--source' } as const
type Role = keyof typeof ROLE_FLAGS
/** The per-record text roles, in a fixed order. */
export const ROLES: readonly Role[] = ['id', 'label', 'text', 'source']

/** Resolves the column conventions against the header; every requested column that is missing is reported at once. */
export function planColumns(names: readonly string[], options: ColumnOptions, file: string): ColumnPlan {
  checkColumnCount(names.length, options.maxColumns ?? DEFAULT_MAX_DECLARED_COLUMNS, file)
  const position = new Map(names.map((name, index) => [name, index]))
  const missing: { name: string; flag: string }[] = []
  const resolve = (role: Role, requested: string | false | undefined): number => {
    if (requested === false) return -1
    if (requested === undefined) return position.get(role) ?? -1
    const index = position.get(requested)
    if (index === undefined) missing.push({ name: requested, flag: ROLE_FLAGS[role] })
    return index ?? -1
  }
  const roles = {
    id: resolve('id', options.id),
    label: resolve('label', options.label),
    text: resolve('text', options.text),
    source: resolve('source', options.source),
  }
  let candidates: number[]
  if (options.features) {
    candidates = []
    for (const name of new Set(options.features)) {
      const index = position.get(name)
      if (index === undefined) missing.push({ name, flag: '--features' })
      else candidates.push(index)
    }
  } else {
    // Columns named like a role stay out of the features even when another column plays that role (or labels are
    // switched off), so an id or an ignored label never leaks into the geometry.
    const taken = new Set([...Object.values(roles), ...ROLES.map((role) => position.get(role) ?? -1)])
    candidates = names.map((_, index) => index).filter((index) => !taken.has(index))
  }
  if (missing.length > 0) throw missingColumns(missing, names, file)
  return { names, ...roles, candidates, explicitFeatures: options.features !== undefined }
}

/** Every column costs a float per record; a sparse file whose records each bring new keys would exhaust memory. */
function checkColumnCount(columnCount: number, maxColumns: number, file: string): void {
  if (columnCount <= maxColumns) return
  throw PoisonguardError.at(
    'INVALID_VALUE',
    { file },
    `the file has ${columnCount} columns, more than the limit of ${maxColumns}`,
    'raise the limit with --max-columns (the maxColumns load option) if the columns are real, or choose fewer keys',
  )
}

function missingColumns(missing: { name: string; flag: string }[], names: readonly string[], file: string) {
  const shown =
    names.length > 20 ? `${names.slice(0, 20).join(', ')}, … (${names.length} columns)` : names.join(', ')
  const issues = missing.map(({ name, flag }) => {
    const close = names.find((candidate) => candidate.toLowerCase() === name.toLowerCase())
    const suggestion = close === undefined ? '' : `; did you mean "${close}"?`
    return { file, column: name, message: `there is no column "${name}" (asked for by ${flag})${suggestion}` }
  })
  return new PoisonguardError(
    'MISSING_COLUMN',
    `${file}: ${issues.map((issue) => issue.message).join('; ')}. The columns are: ${shown}`,
    { issues, hint: 'name an existing column, or pass label: false (--no-label) to load without labels' },
  )
}

/** A column kept as one code per record into its distinct values (in order of first appearance). */
export interface CodedColumn {
  readonly values: readonly string[]
  readonly codes: Int32Array
}

/** Per-record text columns, as read; `undefined` when the column is absent. */
export interface RoleValues {
  id?: string[]
  label?: string[] | CodedColumn
  text?: string[]
  source?: string[] | CodedColumn
}

/** Everything a tabular loader gathered, turned into a Dataset by `buildDataset`. */
export interface TableParts {
  readonly origin: DatasetOrigin
  readonly plan: ColumnPlan
  readonly table: NumericTable
  readonly roles: RoleValues
  /** Physical line of each record, for messages; absent for formats without lines. */
  readonly lines?: Int32Array
}

/** Applies the column conventions: ids, labels, texts, sources, and the imputed float32 feature matrix. */
export function buildDataset(parts: TableParts): Dataset {
  const { origin, plan, table, roles } = parts
  const rowCount = table.rowCount
  if (rowCount === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: origin.path },
      'there are no records, only a header',
      'add at least one record',
    )
  }
  // A text dataset is read through its texts; its other text columns stay out, as they always have.
  const features = finishNumericColumns(table, roles.text === undefined)
  const { imputed, textColumns, emptyColumns, categoricalColumns } = features
  const mostlyEmpty = mostlyEmptyColumns(parts, imputed)
  const diagnostics: LoadDiagnostics = {
    imputed,
    textColumns,
    emptyColumns,
    skippedFiles: [],
    mostlyEmpty,
    ...(features.notColourImage ? { notColourImage: features.notColourImage } : {}),
    // Absent rather than empty, so a numbers-only file loads to the same dataset as before.
    ...(categoricalColumns.length > 0 ? { categoricalColumns } : {}),
  }
  const column = plan.names[plan.id]
  const where = (row: number) => ({ file: origin.path, line: parts.lines?.[row], row: row + 1, column })
  const ids = roles.id ? checkIds(roles.id, where) : rowNumbers(rowCount)
  const name = (index: number) => plan.names[index]
  return {
    origin,
    rowCount,
    ids,
    labels: roles.label ? labelColumn(name(plan.label), roles.label) : undefined,
    texts: roles.text,
    textColumn: roles.text ? name(plan.text) : undefined,
    sources: roles.source && recordTexts(roles.source),
    features: features.matrix,
    featureNames: features.names,
    imageShape: features.imageShape,
    diagnostics,
    warnings: describeLoadDiagnostics(diagnostics),
  }
}

/** The text, label and feature columns with more empty cells than values. */
function mostlyEmptyColumns(
  { plan, roles, table }: TableParts,
  imputed: LoadDiagnostics['imputed'],
): MostlyEmptyColumn[] {
  const rowCount = table.rowCount
  const found: MostlyEmptyColumn[] = []
  const check = (name: string, role: MostlyEmptyColumn['role'], emptyCount: number) => {
    if (isMostlyEmpty(emptyCount, rowCount)) found.push({ name, role, emptyCount })
  }
  if (roles.label) check(plan.names[plan.label], 'label', countEmpty(roles.label))
  if (roles.text) check(plan.names[plan.text], 'text', countEmptyTexts(roles.text))
  for (const [name, { cellCount }] of imputed) check(name, 'feature', cellCount)
  return found
}

/** The labels of a coded column are encoded once per distinct value, then looked up per record. */
function labelColumn(name: string, column: string[] | CodedColumn): LabelColumn {
  if (Array.isArray(column)) return encodeLabels(name, column)
  const distinct = encodeLabels(name, column.values)
  const codes = new Int32Array(column.codes.length)
  for (let row = 0; row < codes.length; row++) codes[row] = distinct.codes[column.codes[row]]
  return { name, classes: distinct.classes, codes }
}

function recordTexts(column: string[] | CodedColumn): string[] {
  if (Array.isArray(column)) return column
  const { values, codes } = column
  const texts = new Array<string>(codes.length)
  for (let row = 0; row < codes.length; row++) texts[row] = values[codes[row]]
  return texts
}

function countEmpty(column: string[] | CodedColumn): number {
  if (Array.isArray(column)) return countEmptyTexts(column)
  const empty = Int32Array.from(column.values, (value) => countEmptyTexts([value]))
  let count = 0
  for (let row = 0; row < column.codes.length; row++) count += empty[column.codes[row]]
  return count
}

function rowNumbers(rowCount: number): string[] {
  return Array.from({ length: rowCount }, (_, row) => String(row + 1))
}

function duplicateIdMessage(first: string, again: string, firstRow: number, row: number): string {
  const rows = `rows ${firstRow + 1} and ${row + 1}`
  if (first === again) return `id ${JSON.stringify(again)} is on ${rows}`
  return `ids ${JSON.stringify(first)} and ${JSON.stringify(again)} are the same number, on ${rows}`
}

/** The first row of each canonical id (empty ids left out). */
function firstRows(ids: readonly string[]): Map<string, number> {
  const rows = new Map<string, number>()
  ids.forEach((id, row) => {
    const key = canonicalId(id)
    if (id !== '' && !rows.has(key)) rows.set(key, row)
  })
  return rows
}

/**
 * Fails, listing every empty and repeated id with `where` it sits, unless the ids are unique; numerals that are the
 * same number (`7`, `7.0`) are the same id.
 */
export function checkIds(ids: string[], where: (row: number) => ErrorLocation): string[] {
  const empty = new IssueList(
    'INVALID_VALUE',
    'give every record an id, or choose another id column with --id',
  )
  const duplicates = new IssueList(
    'DUPLICATE_ID',
    'ids must be unique; fix the duplicates or drop the id column',
  )
  // One hash operation per id; rows are looked up only once a repeat shows up.
  const keys = new Set<string>()
  let firstRow: Map<string, number> | undefined
  for (let row = 0; row < ids.length; row++) {
    const id = ids[row]
    if (id === '') {
      empty.add(where(row), 'the id is empty')
      continue
    }
    // One rule with provenance: `7` and `7.0` name the same record there, so they must not be two here.
    const key = canonicalId(id)
    const known = keys.size
    if (keys.add(key).size > known) continue
    firstRow ??= firstRows(ids)
    const seen = firstRow.get(key)!
    duplicates.add(where(row), duplicateIdMessage(ids[seen], id, seen, row))
  }
  empty.throwIfAny()
  duplicates.throwIfAny()
  return ids
}
