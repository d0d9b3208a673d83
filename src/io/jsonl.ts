import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { buildDataset } from './columns.js'
import type { TextLoadOptions } from './csv.js'
import { readTextChunks } from './files.js'
import { IssueList } from './issues.js'
import { isBlankLine, LineTokenizer, type TextLine } from './lines.js'
import { tableFromObjects, unionOfKeys } from './objects.js'

/** Loads JSON Lines: one object of scalar fields per line; blank lines are skipped. */
export async function loadJsonl(path: string, options: TextLoadOptions): Promise<Dataset> {
  const records: Record<string, unknown>[] = []
  const lines: number[] = []
  const syntaxIssues = new IssueList(
    'PARSE_ERROR',
    'each line must hold one JSON object, e.g. {"id": 1, "label": "a"}',
  )
  const tokenizer = new LineTokenizer(path, options.maxLineBytes, (line) => {
    if (isBlankLine(line)) return
    const record = parseObjectLine(line, path, syntaxIssues)
    if (record) {
      records.push(record)
      lines.push(line.line)
    } else if (syntaxIssues.full) syntaxIssues.throwIfAny()
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk), options.onProgress)
  tokenizer.finish()
  syntaxIssues.throwIfAny()
  if (records.length === 0) {
    throw PoisonguardError.at(
      'EMPTY_FILE',
      { file: path },
      'there are no records, only blank lines',
      'add records',
    )
  }
  const lineNumbers = Int32Array.from(lines)
  const { plan, table, roles } = tableFromObjects(
    { records, names: unionOfKeys(records), lines: lineNumbers },
    options,
    path,
  )
  return buildDataset({
    origin: { path, format: 'jsonl', sha256: digest.sha256, byteCount: digest.byteCount },
    plan,
    table,
    roles,
    lines: lineNumbers,
  })
}

/** Parses one line as a JSON object, or records why it is not one. */
export function parseObjectLine(
  line: TextLine,
  file: string,
  issues: IssueList,
): Record<string, unknown> | undefined {
  let value: unknown
  try {
    value = JSON.parse(line.bytes.toString('utf8', line.start, line.contentEnd))
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
