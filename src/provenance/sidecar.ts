import { basename, dirname, join } from 'node:path'
import { PoisonguardError } from '../errors.js'
import { readTextChunks, statOrThrow } from '../io/files.js'
import { IssueList } from '../io/issues.js'
import { isBlankLine, LineTokenizer, type TextLine } from '../io/lines.js'
import { RecordTable } from './record-table.js'
import { SidecarRowReader } from './sidecar-rows.js'
import { SIDECAR_FORMAT } from './sidecar-writer.js'

/** No valid row is shorter: `["",null,null,"` + 64 hex digits + `"]`, so a file of n bytes holds at most n / 80 rows. */
const MIN_ROW_BYTES = 80

/** `data.manifest.json` → `data.manifest.records.jsonl`, beside the manifest. */
export function sidecarPathFor(manifestPath: string): string {
  const name = basename(manifestPath)
  const stem = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name
  return join(dirname(manifestPath), `${stem}.records.jsonl`)
}

/** Reads a sidecar back into a table; every malformed line is reported with its number. */
export async function readSidecar(path: string): Promise<{ table: RecordTable; sha256: string }> {
  const table = new RecordTable(Math.floor((await statOrThrow(path)).size / MIN_ROW_BYTES))
  const issues = new IssueList('PARSE_ERROR', 'the record digest file is damaged; recreate the manifest')
  const rows = new SidecarRowReader()
  let headerSeen = false
  const tokenizer = new LineTokenizer(path, 1 << 24, (line) => {
    if (isBlankLine(line)) return
    if (!headerSeen) {
      headerSeen = true
      checkHeader(line, path)
      return
    }
    if (rows.add(line, table)) return
    const row = parseRow(line)
    if (typeof row === 'string') {
      issues.add({ file: path, line: line.line }, row)
      if (issues.full) issues.throwIfAny()
      return
    }
    table.add(row[0], row[1], row[2], row[3])
  })
  const digest = await readTextChunks(path, (chunk) => tokenizer.push(chunk))
  tokenizer.finish()
  issues.throwIfAny()
  if (!headerSeen) throw PoisonguardError.at('EMPTY_FILE', { file: path }, 'the record digest file is empty')
  table.trim()
  return { table, sha256: digest.sha256 }
}

function checkHeader(line: TextLine, path: string): void {
  let header: { format?: unknown } | undefined
  try {
    header = JSON.parse(line.bytes.toString('utf8', line.start, line.contentEnd))
  } catch {
    header = undefined
  }
  if (header?.format !== SIDECAR_FORMAT) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path, line: 1 },
      `not a record digest file: the first line must name the format ${SIDECAR_FORMAT}`,
    )
  }
}

type Row = [string, string | null, string | null, Buffer]

const ROW_SHAPE = 'expected [id, source or null, label or null, 64 hex digits]'

/** A parsed row, or why it is not one. */
function parseRow(line: TextLine): Row | string {
  let value: unknown
  try {
    value = JSON.parse(line.bytes.toString('utf8', line.start, line.contentEnd))
  } catch (error) {
    return `not valid JSON: ${(error as Error).message}`
  }
  const nullableText = (item: unknown) => item === null || typeof item === 'string'
  if (
    !Array.isArray(value) ||
    value.length !== 4 ||
    typeof value[0] !== 'string' ||
    !nullableText(value[1]) ||
    !nullableText(value[2]) ||
    typeof value[3] !== 'string' ||
    value[3].length !== 64
  ) {
    return ROW_SHAPE
  }
  const digest = Buffer.from(value[3], 'hex')
  // Buffer stops at the first character that is not hex, so a short result means a bad digit.
  return digest.length === 32 ? [value[0], value[1], value[2], digest] : ROW_SHAPE
}
