import type { ErrorLocation } from '../errors.js'
import { CodedColumnReader } from './coded-column.js'
import {
  type ColumnOptions,
  type ColumnPlan,
  DEFAULT_MAX_COLUMNS,
  DEFAULT_MAX_DECLARED_COLUMNS,
  planColumns,
  ROLES,
  type RoleValues,
} from './columns.js'
import { NumericTable } from './numeric-table.js'

/** One key of the records: its value in the record being read, and the parts it plays. */
interface Key {
  readonly name: string
  value: unknown
  /** The row whose record holds the key, so a value left from an earlier record is never read. */
  row: number
}

/** A role's values: text per record (ids, texts) or codes into few distinct values (labels, sources). */
interface RoleColumn {
  readonly key: Key
  readonly values?: string[]
  readonly coded?: CodedColumnReader
}

/**
 * Reads parsed records (JSON Lines, Parquet, objects in memory) one at a time into the numeric table and role
 * columns the CSV reader builds, so no record is kept. Columns are the keys in order of first appearance; a key
 * first seen late is empty in the records before it. A key's part (a role, a feature candidate) follows from its
 * name alone, as in `planColumns`, which checks the finished list of names.
 */
export class ObjectTableReader {
  readonly table: NumericTable
  private readonly keys = new Map<string, Key>()
  private readonly names: string[] = []
  /** Keys read as numbers, in table column order. */
  private readonly candidates: Key[] = []
  /** Per role in `ROLES` order, the key's name, or undefined when the role is switched off. */
  private readonly roleNames: (string | undefined)[]
  private readonly roleColumns: { role: (typeof ROLES)[number]; column: RoleColumn }[] = []
  /** With `--features`, the keys of the features; else undefined and every key without a role is a candidate. */
  private readonly featureKeys?: Map<string, Key>
  private readonly maxColumns: number
  /** Keys known before any record (a Parquet schema), so records' other keys are ignored. */
  private readonly fixed: boolean
  private lineNumbers?: Int32Array

  constructor(
    private readonly options: ColumnOptions,
    private readonly file: string,
    /** Keys known before any record (a Parquet schema); records' other keys are ignored. */
    fixedNames?: readonly string[],
  ) {
    this.roleNames = ROLES.map((role) => {
      const requested = options[role]
      return requested === false ? undefined : (requested ?? role)
    })
    this.maxColumns = options.maxColumns ?? (fixedNames ? DEFAULT_MAX_DECLARED_COLUMNS : DEFAULT_MAX_COLUMNS)
    const features = options.features && [...new Set(options.features)]
    this.table = new NumericTable(features ?? [], features !== undefined, file)
    if (features) {
      // Their table columns follow `--features`, whatever order the keys appear in.
      this.featureKeys = new Map(features.map((name) => [name, newKey(name)]))
      this.candidates.push(...this.featureKeys.values())
    }
    this.fixed = fixedNames !== undefined
    if (fixedNames) for (const name of fixedNames) if (!this.keys.has(name)) this.addKey(name)
  }

  get rowCount(): number {
    return this.table.rowCount
  }

  /** Adds a record; `line` is where it starts in a text file. Nested values in used keys are reported. */
  add(record: Record<string, unknown>, line?: number): void {
    const row = this.table.rowCount
    for (const name in record) {
      let key = this.keys.get(name)
      if (!key) {
        if (this.fixed) continue
        key = this.addKey(name)
      }
      // A key the record inherits is listed but has no value, as `planColumns` and the CSV reader see it.
      if (!Object.hasOwn(record, name)) continue
      key.value = record[name]
      key.row = row
    }
    const table = this.table
    table.addRow()
    if (line !== undefined) this.addLine(row, line)
    const candidates = this.candidates
    for (let column = 0; column < candidates.length; column++) {
      const key = candidates[column]
      if (key.row !== row) {
        table.setMissing(row, column)
        continue
      }
      const value = scalar(key.value)
      if (value === NESTED) this.nested(row, line, key.name)
      else if (typeof value === 'number' || typeof value === 'bigint')
        table.setNumber(row, column, Number(value), line)
      else if (typeof value === 'string') table.setText(row, column, value, line)
      else table.setMissing(row, column)
    }
    for (const { column } of this.roleColumns) {
      const { key } = column
      const value = key.row === row ? scalar(key.value) : undefined
      if (value === NESTED) this.nested(row, line, key.name)
      const text = value === NESTED || value === undefined ? '' : String(value)
      if (column.coded) column.coded.addText(text)
      else column.values!.push(text)
    }
  }

  /** The column plan of every key seen (failing as `planColumns` does), the table, the roles and the lines. */
  finish(): { plan: ColumnPlan; table: NumericTable; roles: RoleValues; lines?: Int32Array } {
    const plan = planColumns(this.names, { ...this.options, maxColumns: this.maxColumns }, this.file)
    const roles: RoleValues = {}
    for (const { role, column } of this.roleColumns) {
      if (role === 'label' || role === 'source') roles[role] = column.coded!.finish()
      else roles[role] = column.values
    }
    const lines = this.lineNumbers?.slice(0, this.table.rowCount)
    return { plan, table: this.table, roles, lines }
  }

  private addKey(name: string): Key {
    const key = this.featureKeys?.get(name) ?? newKey(name)
    this.keys.set(name, key)
    this.names.push(name)
    // Past the limit only names are kept, so `finish` can say how many there are before it refuses them.
    if (this.names.length > this.maxColumns) return key
    const rows = this.table.rowCount
    ROLES.forEach((role, index) => {
      if (this.roleNames[index] !== name) return
      // The records before the key's first one are empty in it.
      if (role === 'label' || role === 'source') {
        const coded = new CodedColumnReader()
        for (let row = 0; row < rows; row++) coded.addText('')
        this.roleColumns.push({ role, column: { key, coded } })
      } else this.roleColumns.push({ role, column: { key, values: new Array<string>(rows).fill('') } })
    })
    // Role columns keep their `ROLES` order whatever order their keys appear in, like the CSV reader's.
    this.roleColumns.sort((a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role))
    if (!this.featureKeys && !this.roleNames.includes(name) && !(ROLES as readonly string[]).includes(name)) {
      this.table.addColumn(name)
      this.candidates.push(key)
    }
    return key
  }

  private nested(row: number, line: number | undefined, column: string): void {
    const location: ErrorLocation = { file: this.file, line, row: row + 1, column }
    this.table.issues.add(
      location,
      'nested objects and arrays are not supported; use scalar values (flatten the field)',
    )
  }

  private addLine(row: number, line: number): void {
    let lines = this.lineNumbers ?? new Int32Array(1024)
    if (row === lines.length) {
      const grown = new Int32Array(row * 2)
      grown.set(lines)
      lines = grown
    }
    lines[row] = line
    this.lineNumbers = lines
  }
}

/** Column plan, numeric table and role strings of records already in memory. */
export function tableFromObjects(
  records: readonly Record<string, unknown>[],
  options: ColumnOptions,
  file: string,
): { plan: ColumnPlan; table: NumericTable; roles: RoleValues } {
  const reader = new ObjectTableReader(options, file)
  for (const record of records) reader.add(record)
  return reader.finish()
}

function newKey(name: string): Key {
  return { name, value: undefined, row: -1 }
}

const NESTED = Symbol('nested')

/** Reduces a cell to a number, a string, `undefined` (empty) or NESTED; bigints stay exact for ids. */
function scalar(value: unknown): number | bigint | string | undefined | typeof NESTED {
  if (value === null || value === undefined) return undefined
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString()
  return NESTED
}
