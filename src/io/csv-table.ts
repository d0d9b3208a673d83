import { PoisonguardError } from '../errors.js'
import { type ColumnOptions, type ColumnPlan, planColumns, ROLES, type RoleValues } from './columns.js'
import { type CsvRecord, fieldText, QUOTED } from './csv-parser.js'
import { IssueList } from './issues.js'
import { parseNumberBytes } from './numbers.js'
import { NumericTable } from './numeric-table.js'

/** Reads CSV records into the column plan, a numeric table of the candidate features, and the role columns. */
export class CsvDatasetReader {
  plan?: ColumnPlan
  table = new NumericTable([], false, '')
  readonly roles: RoleValues = {}
  readonly lines: number[] = []
  readonly shapeIssues = new IssueList('PARSE_ERROR', 'every record needs as many fields as the header')
  private headerCount = 0
  private candidateOf = new Int32Array(0)
  private roleFields: { field: number; values: string[] }[] = []

  constructor(
    private readonly file: string,
    private readonly options: ColumnOptions,
  ) {}

  read(record: CsvRecord): void {
    if (this.plan) this.readRecord(record)
    else this.readHeader(record)
  }

  private readHeader(record: CsvRecord): void {
    const names = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
    checkSeparator(names, this.file)
    checkUniqueNames(names, this.file)
    const plan = planColumns(names, this.options, this.file)
    this.plan = plan
    this.headerCount = names.length
    this.candidateOf = new Int32Array(names.length).fill(-1)
    plan.candidates.forEach((field, column) => {
      this.candidateOf[field] = column
    })
    const candidateNames = plan.candidates.map((field) => names[field])
    this.table = new NumericTable(candidateNames, plan.explicitFeatures, this.file)
    for (const role of ROLES) {
      if (plan[role] < 0) continue
      const values: string[] = []
      this.roles[role] = values
      this.roleFields.push({ field: plan[role], values })
    }
  }

  private readRecord(record: CsvRecord): void {
    const table = this.table
    const row = table.rowCount
    const offset = table.addRow()
    this.lines.push(record.line)
    const fieldCount = record.fieldCount
    if (fieldCount !== this.headerCount) {
      this.shapeIssues.add(
        { file: this.file, line: record.line, row: row + 1 },
        `line ${record.line} has ${fieldCount} field${fieldCount === 1 ? '' : 's'}, header has ${this.headerCount}`,
      )
      if (this.shapeIssues.full) this.shapeIssues.throwIfAny()
      for (const role of this.roleFields) role.values.push('')
      return
    }
    const { bytes, fieldStarts, fieldEnds, fieldFlags } = record
    const values = table.values
    const missing = table.missing
    const numberCounts = table.numberCounts
    const candidateOf = this.candidateOf
    for (let field = 0; field < fieldCount; field++) {
      const column = candidateOf[field]
      if (column < 0) continue
      const start = fieldStarts[field]
      const end = fieldEnds[field]
      if (start === end) {
        values[offset + column] = Number.NaN
        missing[column]++
        continue
      }
      const flags = fieldFlags[field]
      let value = Number.NaN
      if (flags === 0) {
        // Single digits dominate many datasets (pixels, counts, one-hot columns); skip the call for them.
        const digit = bytes[start] - 48
        value = end - start === 1 && digit >= 0 && digit <= 9 ? digit : parseNumberBytes(bytes, start, end)
      } else if (flags === QUOTED) value = parseNumberBytes(bytes, start + 1, end - 1)
      if (Number.isNaN(value)) table.setText(row, column, fieldText(record, field), record.line)
      else {
        values[offset + column] = value
        numberCounts[column]++
      }
    }
    for (const role of this.roleFields) role.values.push(fieldText(record, role.field))
  }
}

function checkSeparator(names: string[], file: string): void {
  if (names.length !== 1) return
  const separator = [';', '\t', '|'].find((candidate) => names[0].includes(candidate))
  if (separator) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file, line: 1 },
      `the header looks separated by ${JSON.stringify(separator)}, but only comma-separated files are read`,
      'convert the file to comma-separated values',
    )
  }
}

/** Every column name of a CSV header must be unique, or a column could not be named. */
export function checkUniqueNames(names: readonly string[], file: string): void {
  const firstIndex = new Map<string, number>()
  names.forEach((name, index) => {
    const seen = firstIndex.get(name)
    if (seen !== undefined) {
      throw PoisonguardError.at(
        'PARSE_ERROR',
        { file, line: 1, column: name },
        `column name "${name}" appears twice in the header (columns ${seen + 1} and ${index + 1})`,
        'give every column a unique name',
      )
    }
    firstIndex.set(name, index)
  })
}
