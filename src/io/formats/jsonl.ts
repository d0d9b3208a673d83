import type { Dataset, InstructionPairs } from '../../data/dataset.js'
import { PoisonguardError } from '../../errors.js'
import { buildDataset } from '../columns.js'
import { detectContentKind, InstructionRecordReader } from '../content-kind.js'
import { readTextChunks } from '../files.js'
import { IssueList } from '../issues.js'
import { isBlankLine, LineTokenizer, type TextLine } from '../lines.js'
import { ObjectTableReader } from '../objects.js'
import { PieceWriter, REREAD_MAX_RECORD_BYTES, rewriteInput } from '../piece-writer.js'
import {
  categoryOf,
  createNumberFormatter,
  labelOf,
  type WrittenColumn,
  writeTableLines,
} from '../table-write.js'
import type {
  DatasetFormatAdapter,
  FormatLoadOptions,
  RawReadOptions,
  RawReadSummary,
  RawRecord,
  Relabel,
} from './types.js'

const SYNTAX_HINT = 'each line must hold one JSON object, e.g. {"id": 1, "label": "a"}'

/**
 * Loads JSON Lines in one streaming pass: each line is parsed and its fields go straight into the same typed
 * columns the CSV reader fills; no record is kept. Blank lines are skipped.
 */
async function loadJsonl(path: string, options: FormatLoadOptions): Promise<Dataset> {
  const syntaxIssues = new IssueList('PARSE_ERROR', SYNTAX_HINT)
  let pairs: InstructionRecordReader | undefined
  let table: ObjectTableReader | undefined
  const tokenizer = new LineTokenizer(path, options.maxLineBytes, (line) => {
    if (isBlankLine(line)) return
    const record = parseObjectLine(line, path, syntaxIssues)
    if (!record) {
      if (syntaxIssues.full) syntaxIssues.throwIfAny()
      return
    }
    if (!table) {
      // The first record tells fine-tuning pairs from a table.
      if (detectContentKind([record], options.kind) === 'instructions')
        pairs = new InstructionRecordReader(path)
      table = new ObjectTableReader(pairs ? { ...options, text: 'text' } : options, path)
    }
    table.add(pairs ? pairs.rewrite(record, table.rowCount, line.line) : record, line.line)
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  syntaxIssues.throwIfAny()
  if (!table) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'there are no records, only blank lines',
      'add records',
    )
  }
  const instructions = pairs?.finish()
  const dataset = buildDataset({
    origin: { path, format: 'jsonl', sha256: digest.sha256, byteCount: digest.byteCount },
    ...table.finish(),
  })
  return instructions ? { ...dataset, contentKind: 'instructions', instructions } : dataset
}

/** Parses one line as a JSON object, or records why it is not one. */
function parseObjectLine(
  line: TextLine,
  file: string,
  issues: IssueList,
): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(line.bytes.toString('utf8', contentStart(line), line.contentEnd))
  } catch (error) {
    issues.add({ file, line: line.line }, `not valid JSON: ${(error as Error).message}`)
    return undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`
    issues.add({ file, line: line.line }, `expected a JSON object, found ${found}`)
    return undefined
  }
  return value as Record<string, unknown>
}

/** Where a line's JSON starts: after the UTF-8 byte order mark that some editors put at the start of a file. */
function contentStart({ bytes, start, line }: TextLine): number {
  const bom = line === 1 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf
  return bom ? start + 3 : start
}

/** Every line's object, keys in the order the line gives them; blank lines are skipped. */
async function readJsonlRecords(
  path: string,
  onRecord: (record: RawRecord) => void,
  options: RawReadOptions,
): Promise<RawReadSummary> {
  let row = 0
  const syntax = new IssueList('PARSE_ERROR', SYNTAX_HINT)
  const tokenizer = new LineTokenizer(path, options.maxLineBytes, (line) => {
    if (isBlankLine(line)) return
    const object = parseObjectLine(line, path, syntax)
    if (!object) {
      if (syntax.full) syntax.throwIfAny()
      return
    }
    row++
    onRecord({ columns: Object.keys(object), values: Object.values(object), row, line: line.line })
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  syntax.throwIfAny()
  return { sha256: digest.sha256, byteCount: digest.byteCount, recordCount: row }
}

/** Streams the input again and copies the kept lines as they were; relabelled lines are re-serialised. */
async function writeFilteredJsonl(dataset: Dataset, keep: Uint8Array, tempPath: string, relabel?: Relabel) {
  let row = 0
  const writer = await PieceWriter.open(tempPath)
  const tokenizer = new LineTokenizer(dataset.origin.path, REREAD_MAX_RECORD_BYTES, (line) => {
    if (isBlankLine(line)) return
    if (row < keep.length && keep[row] === 1) {
      const label = relabel?.get(row)
      const raw = line.bytes.subarray(line.start, line.end)
      writer.add(label === undefined || !dataset.labels ? raw : relabelLine(line, dataset.labels.name, label))
    }
    row++
  })
  await rewriteInput(dataset, tokenizer, writer, () => row)
}

function relabelLine(line: TextLine, labelName: string, label: string): Buffer {
  const { bytes } = line
  const record = JSON.parse(bytes.toString('utf8', contentStart(line), line.contentEnd)) as Record<
    string,
    unknown
  >
  const numeric =
    typeof record[labelName] === 'number' && label.trim() !== '' && Number.isFinite(Number(label))
  record[labelName] = numeric ? Number(label) : label
  const hasCarriageReturn = line.contentEnd > line.start && bytes[line.contentEnd - 1] === 13
  const terminator = line.end > line.contentEnd ? (hasCarriageReturn ? '\r\n' : '\n') : ''
  return Buffer.from(`${JSON.stringify(record)}${terminator}`)
}

/** A label as JSON: a number when the class name is a number's canonical spelling, else a string. */
function jsonLabel(name: string): string {
  return name.trim() !== '' && String(Number(name)) === name ? name : JSON.stringify(name)
}

/** A fine-tuning pair's fields as the input spelled them, so the written copy reads back as pairs. */
function pairFields(pairs: InstructionPairs, row: number): string {
  const prompt = JSON.stringify(pairs.prompts[row])
  const response = JSON.stringify(pairs.responses[row])
  switch (pairs.layout ?? 'prompt-response') {
    case 'prompt-response':
      return `,"prompt":${prompt},"response":${response}`
    case 'instruction-output':
      return `,"instruction":${prompt},"output":${response}`
    case 'messages':
      return `,"messages":[{"role":"user","content":${prompt}},{"role":"assistant","content":${response}}]`
  }
}

function* jsonLines(dataset: Dataset, columns: readonly WrittenColumn[]): Generator<string> {
  const format = createNumberFormatter()
  const cols = dataset.features?.cols ?? 0
  const data = dataset.features?.data
  const keys = columns.map(({ name }) => `,${JSON.stringify(name)}:`)
  const pairs = dataset.contentKind === 'instructions' ? dataset.instructions : undefined
  for (let row = 0; row < dataset.rowCount; row++) {
    let line = `{"id":${JSON.stringify(dataset.ids[row])}`
    if (dataset.labels) {
      const label = labelOf(dataset, row)
      line += `,"label":${label === '' ? 'null' : jsonLabel(label)}`
    }
    if (pairs) line += pairFields(pairs, row)
    else if (dataset.texts) line += `,"text":${JSON.stringify(dataset.texts[row])}`
    if (dataset.sources) line += `,"source":${JSON.stringify(dataset.sources[row])}`
    columns.forEach((column, at) => {
      if (column.kind === 'number') line += keys[at] + format(data![row * cols + column.col])
      else {
        const value = categoryOf(dataset, column, row)
        line += keys[at] + (value === '' ? 'null' : JSON.stringify(value))
      }
    })
    yield `${line}}`
  }
}

/** JSON Lines: one object of scalar fields per line. */
export const jsonlFormat = {
  extensions: ['.jsonl', '.ndjson'],
  load: loadJsonl,
  readRawRecords: readJsonlRecords,
  writeFiltered: writeFilteredJsonl,
  write: (dataset: Dataset, tempPath: string) => writeTableLines(dataset, tempPath, jsonLines),
} satisfies DatasetFormatAdapter
