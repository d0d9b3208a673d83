import { PoisonguardError } from '../errors.js'
import { CodedColumnReader } from './coded-column.js'
import { type ColumnOptions, type ColumnPlan, planColumns, ROLES, type RoleValues } from './columns.js'
import { BufferViews, type PlainFieldReader, plainFieldEnd } from './csv-parser.js'
import { type CsvRecord, fieldText, QUOTED } from './csv-record.js'
import { checkUniqueNames } from './csv-record-rows.js'
import { IssueList } from './issues.js'
import { decimalScan, parseNumberBytes, scanDecimal } from './numbers.js'
import { NumericTable } from './numeric-table.js'

const COMMA = 44
const LF = 10
const CR = 13
const ZERO = 48

/** How an unquoted candidate field read: a plain number (already stored), empty, or text for the slow path. */
const PLAIN_NUMBER = 0
const EMPTY = 1
const SLOW = 2
/** NaN from a constant: reading `Number.NaN` first on a rare path makes V8 recompile the parse loop. */
const NOT_A_NUMBER = Number.NaN

/** A role column: texts, or for labels and sources, which have few distinct values, codes. */
interface RoleField {
  readonly field: number
  readonly values?: string[]
  readonly coded?: CodedColumnReader
}

/**
 * Reads CSV records into the column plan, a numeric table of the candidate features, and the role columns. Plain
 * numbers are parsed while the tokenizer looks for the end of their field and stored straight into the table's
 * block; only empty cells, quoted cells and what is not a plain decimal are handled one by one once the record is
 * whole.
 */
export class CsvDatasetReader implements PlainFieldReader {
  plan?: ColumnPlan
  table = new NumericTable([], false, '')
  readonly roles: RoleValues = {}
  readonly shapeIssues = new IssueList('PARSE_ERROR', 'every record needs as many fields as the header')
  private lineNumbers = new Int32Array(1024)
  private headerCount = 0
  private candidateOf = new Int32Array(0)
  private roleFields: RoleField[] = []
  private readonly coded: { label?: CodedColumnReader; source?: CodedColumnReader } = {}
  /** How each unquoted candidate field of the record being read parsed. */
  private fieldStatus = new Uint8Array(0)
  /** Non-zero when the record being read has an unquoted candidate field that is not a plain number. */
  private exceptionalCells = 0
  private readonly views = new BufferViews()
  /** The table's current block and the offset there of the row being read. */
  private values: Float32Array = new Float32Array(0)
  private rowOffset = 0
  /** Records with as many fields as the header, and per column the cells among them handled one by one. */
  private wholeRows = 0
  private handledCells = new Int32Array(0)

  constructor(
    private readonly file: string,
    private readonly options: ColumnOptions,
  ) {}

  read(record: CsvRecord): void {
    if (this.plan) this.readRecord(record)
    else this.readHeader(record)
  }

  readPlainField(bytes: Buffer, start: number, field: number): number {
    // A record cut by a chunk boundary is read again from its start; what its cut field looked like is forgotten.
    if (field === 0) this.exceptionalCells = 0
    const column = field < this.headerCount ? this.candidateOf[field] : -1
    if (column < 0) return plainFieldEnd(bytes, this.views.of(bytes), start)
    const limit = bytes.length
    // Single digits dominate many datasets (pixels, counts, one-hot columns); skip the call for them.
    // Reads stay inside the buffer: one read past its end makes V8 recompile the parse loop.
    const digit = start < limit ? bytes[start] - ZERO : -1
    const next = start + 1 < limit ? bytes[start + 1] : COMMA
    if (digit >= 0 && digit <= 9 && (next === COMMA || next === LF || next === CR)) {
      this.values[this.rowOffset + column] = digit
      this.fieldStatus[field] = PLAIN_NUMBER
      return start + 1
    }
    const value = scanDecimal(bytes, start, limit)
    let end = decimalScan.end
    const after = end < limit ? bytes[end] : COMMA
    let status = PLAIN_NUMBER
    if (after !== COMMA && after !== LF && after !== CR) {
      end = plainFieldEnd(bytes, this.views.of(bytes), end)
      status = SLOW
    } else if (end === start) status = EMPTY
    else if (Number.isNaN(value)) status = SLOW
    // Counted on every field rather than flagged on the rare ones: a store the optimiser has not seen yet would
    // throw away the compiled parse loop the first time an empty or text cell comes up.
    this.exceptionalCells += status
    this.values[this.rowOffset + column] = status === PLAIN_NUMBER ? value : NOT_A_NUMBER
    this.fieldStatus[field] = status
    return end
  }

  /** Completes the counts and the role columns and returns the physical line of every record. */
  finish(): Int32Array {
    const { numberCounts } = this.table
    for (let column = 0; column < numberCounts.length; column++)
      numberCounts[column] += this.wholeRows - this.handledCells[column]
    const { label, source } = this.coded
    if (label) this.roles.label = label.finish()
    if (source) this.roles.source = source.finish()
    return this.lineNumbers.slice(0, this.table.rowCount)
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
    this.fieldStatus = new Uint8Array(names.length)
    this.handledCells = new Int32Array(plan.candidates.length)
    const candidateNames = plan.candidates.map((field) => names[field])
    this.table = new NumericTable(candidateNames, plan.explicitFeatures, this.file)
    for (const role of ROLES) {
      if (plan[role] < 0) continue
      if (role === 'label' || role === 'source') {
        const coded = new CodedColumnReader()
        this.coded[role] = coded
        this.roleFields.push({ field: plan[role], coded })
        continue
      }
      const values: string[] = []
      this.roles[role] = values
      this.roleFields.push({ field: plan[role], values })
    }
    this.startRow()
  }

  private readRecord(record: CsvRecord): void {
    const row = this.table.rowCount
    this.table.addRow()
    this.addLine(record.line)
    const exceptional = this.exceptionalCells > 0
    this.exceptionalCells = 0
    const fieldCount = record.fieldCount
    if (fieldCount !== this.headerCount) {
      this.shapeIssues.add(
        { file: this.file, line: record.line, row: row + 1 },
        `line ${record.line} has ${fieldCount} field${fieldCount === 1 ? '' : 's'}, header has ${this.headerCount}`,
      )
      if (this.shapeIssues.full) this.shapeIssues.throwIfAny()
      for (const { values, coded } of this.roleFields) {
        values?.push('')
        coded?.addText('')
      }
      this.startRow()
      return
    }
    this.wholeRows++
    if (exceptional || record.quotedFieldCount > 0) this.readCellsOneByOne(record)
    for (const { field, values, coded } of this.roleFields) {
      if (coded) coded.add(record, field)
      else values!.push(fieldText(record, field))
    }
    this.startRow()
  }

  /** The empty, quoted and not-plain-number cells of the current row, in column order. */
  private readCellsOneByOne(record: CsvRecord): void {
    const table = this.table
    const row = table.rowCount - 1
    const { bytes, fieldStarts, fieldEnds, fieldFlags } = record
    for (let field = 0; field < record.fieldCount; field++) {
      const column = this.candidateOf[field]
      if (column < 0) continue
      const flags = fieldFlags[field]
      const status = this.fieldStatus[field]
      if (flags === 0 && status === PLAIN_NUMBER) continue
      this.handledCells[column]++
      if (flags === 0 && status === EMPTY) {
        table.missing[column]++
        continue
      }
      const value =
        flags === QUOTED ? parseNumberBytes(bytes, fieldStarts[field] + 1, fieldEnds[field] - 1) : Number.NaN
      if (Number.isNaN(value)) table.setText(row, column, fieldText(record, field), record.line)
      else {
        this.values[this.rowOffset + column] = value
        table.numberCounts[column]++
      }
    }
  }

  private startRow(): void {
    this.rowOffset = this.table.nextRowOffset()
    this.values = this.table.values
  }

  private addLine(line: number): void {
    const row = this.table.rowCount - 1
    if (row === this.lineNumbers.length) {
      const grown = new Int32Array(this.lineNumbers.length * 2)
      grown.set(this.lineNumbers)
      this.lineNumbers = grown
    }
    this.lineNumbers[row] = line
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
