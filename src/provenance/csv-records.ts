import { PoisonguardError } from '../errors.js'
import { type CsvRecord, CsvTokenizer, fieldText } from '../io/csv-parser.js'
import { checkUniqueNames } from '../io/csv-table.js'
import { readTextChunks } from '../io/files.js'
import type { RawReadOptions, RawReadSummary } from '../io/formats/types.js'
import { IssueList } from '../io/issues.js'

/**
 * Streams a CSV file's records as byte ranges, with the same checks and errors as the CSV adapter's raw reader
 * (`readRawRecords`), which would turn every cell into a string first. Provenance reads records by the million
 * and copies most cells from these bytes into the record body without ever making that string.
 */
export async function readCsvRecordBytes(
  path: string,
  onRecord: (record: CsvRecord, columns: readonly string[], row: number) => void,
  options: RawReadOptions,
): Promise<RawReadSummary> {
  let columns: string[] | undefined
  let row = 0
  const shape = new IssueList('PARSE_ERROR', 'every record needs as many fields as the header')
  const tokenizer = new CsvTokenizer(path, options.maxLineBytes, (record) => {
    if (!columns) {
      columns = Array.from({ length: record.fieldCount }, (_, field) => fieldText(record, field))
      checkUniqueNames(columns, path)
      return
    }
    row++
    if (record.fieldCount !== columns.length) {
      shape.add(
        { file: path, line: record.line, row },
        `line ${record.line} has ${record.fieldCount} field${record.fieldCount === 1 ? '' : 's'}, header has ${columns.length}`,
      )
      if (shape.full) shape.throwIfAny()
      return
    }
    onRecord(record, columns, row)
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  shape.throwIfAny()
  if (!columns) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the file has no header row')
  return { sha256: digest.sha256, byteCount: digest.byteCount, recordCount: row }
}
