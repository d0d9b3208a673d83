import type { ErrorLocation } from '../errors.js'
import { type ColumnOptions, type ColumnPlan, planColumns, ROLES, type RoleValues } from './columns.js'
import { NumericTable } from './numeric-table.js'

/** Rows already parsed into objects (JSON Lines, Parquet), with the column order to use. */
export interface ObjectRows {
  readonly records: readonly Record<string, unknown>[]
  readonly names: readonly string[]
  /** Physical line of each record, when the format has lines. */
  readonly lines?: Int32Array
}

/** Column plan, numeric table and role strings of object rows; nested values in used columns are reported. */
export function tableFromObjects(
  rows: ObjectRows,
  options: ColumnOptions,
  file: string,
): { plan: ColumnPlan; table: NumericTable; roles: RoleValues } {
  const plan = planColumns(rows.names, options, file)
  const candidateNames = plan.candidates.map((index) => rows.names[index])
  const table = new NumericTable(candidateNames, plan.explicitFeatures, file)
  const roles: RoleValues = {}
  const roleColumns = ROLES.filter((role) => plan[role] >= 0).map((role) => {
    const values: string[] = []
    roles[role] = values
    return { name: rows.names[plan[role]], values }
  })
  const nested = (row: number, column: string): void => {
    const location: ErrorLocation = { file, line: rows.lines?.[row], row: row + 1, column }
    table.issues.add(
      location,
      'nested objects and arrays are not supported; use scalar values (flatten the field)',
    )
  }
  rows.records.forEach((record, row) => {
    table.addRow()
    const line = rows.lines?.[row]
    candidateNames.forEach((name, column) => {
      const value = scalar(ownValue(record, name))
      if (value === NESTED) nested(row, name)
      else if (typeof value === 'number' || typeof value === 'bigint')
        table.setNumber(row, column, Number(value), line)
      else if (typeof value === 'string') table.setText(row, column, value, line)
      else table.setMissing(row, column)
    })
    for (const { name, values } of roleColumns) {
      const value = scalar(ownValue(record, name))
      if (value === NESTED) nested(row, name)
      values.push(value === NESTED || value === undefined ? '' : String(value))
    }
  })
  return { plan, table, roles }
}

const NESTED = Symbol('nested')

/** A record's own field; a key such as `toString` that the record lacks must not be read from its prototype. */
function ownValue(record: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined
}

/** Reduces a cell to a number, a string, `undefined` (empty) or NESTED; bigints stay exact for ids. */
function scalar(value: unknown): number | bigint | string | undefined | typeof NESTED {
  if (value === null || value === undefined) return undefined
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return value
  if (typeof value === 'boolean') return String(value)
  if (value instanceof Date) return value.toISOString()
  return NESTED
}

/** Column names in order of first appearance across all records. */
export function unionOfKeys(records: readonly Record<string, unknown>[]): string[] {
  const names = new Set<string>()
  for (const record of records) for (const key in record) names.add(key)
  return [...names]
}
