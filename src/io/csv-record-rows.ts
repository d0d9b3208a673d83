import { PoisonguardError } from '../errors.js'
import { type CsvRecord, fieldText } from './csv-record.js'
import { IssueList } from './issues.js'

// Kept apart from the dataset reader and the format adapter: the worker that digests part of a CSV for a manifest
// loads this module, and their column and table code was half of what it loaded before it could start.

/**
 * Takes a CSV's records as the tokenizer finds them: the first is the header, unless `columns` are given (for a
 * part of a file read from after its header); every other is numbered and checked to have the header's fields.
 */
export class CsvRecordRows {
  row = 0
  readonly shape = new IssueList('PARSE_ERROR', 'every record needs as many fields as the header')

  constructor(
    private readonly path: string,
    private readonly onRecord: (record: CsvRecord, columns: readonly string[], row: number) => void,
    public columns?: string[],
  ) {}

  read(record: CsvRecord): void {
    const { columns, path, shape } = this
    if (!columns) {
      this.columns = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      checkUniqueNames(this.columns, path)
      return
    }
    const row = ++this.row
    if (record.fieldCount !== columns.length) {
      shape.add(
        { file: path, line: record.line, row },
        `line ${record.line} has ${record.fieldCount} field${record.fieldCount === 1 ? '' : 's'}, header has ${columns.length}`,
      )
      if (shape.full) shape.throwIfAny()
      return
    }
    this.onRecord(record, columns, row)
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
