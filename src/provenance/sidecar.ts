import { createHash, type Hash } from 'node:crypto'
import { closeSync, openSync, writeSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { PoisonguardError } from '../errors.js'
import { readTextChunks } from '../io/files.js'
import { IssueList } from '../io/issues.js'
import { isBlankLine, LineTokenizer, type TextLine } from '../io/lines.js'
import { RecordTable } from './record-table.js'
import { SIDECAR_FORMAT } from './statement.js'

const FIELDS = ['id', 'source', 'label', 'bodySha256'] as const
const FLUSH_BYTES = 1 << 20

/** `data.manifest.json` → `data.manifest.records.jsonl`, beside the manifest. */
export function sidecarPathFor(manifestPath: string): string {
  const name = basename(manifestPath)
  const stem = name.endsWith('.json') ? name.slice(0, -'.json'.length) : name
  return join(dirname(manifestPath), `${stem}.records.jsonl`)
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1')

/**
 * Writes the record-digest sidecar: a JSON header line, then one JSON array per record
 * `[id, source, label, bodySha256]` in input order, hashing the bytes as they are written. Lines go straight into
 * one reused buffer (a million records would otherwise make a million strings for the garbage collector).
 */
export class SidecarWriter {
  private readonly descriptor: number
  private readonly hash: Hash = createHash('sha256')
  private buffer = Buffer.alloc(FLUSH_BYTES + 4096)
  private length = 0
  byteCount = 0

  constructor(path: string) {
    this.descriptor = openSync(path, 'wx', 0o644)
    this.writeText(`${JSON.stringify({ format: SIDECAR_FORMAT, fields: FIELDS })}\n`)
  }

  /** Appends one record. */
  add(id: string, source: string | null, label: string | null, bodyDigest: Uint8Array): void {
    // Nearly every id, source and label is short plain ASCII, written byte by byte without a JSON string.
    const plainBytes = 2 * (id.length + (source?.length ?? 0) + (label?.length ?? 0)) + 80
    if (this.length + plainBytes > this.buffer.length) this.flush()
    let at = this.writePlainFields(id, source, label)
    if (at < 0) {
      this.writeText(`[${JSON.stringify(id)},${jsonOrNull(source)},${jsonOrNull(label)}`)
      if (this.length + 70 > this.buffer.length) this.flush()
      at = this.length
    }
    const buffer = this.buffer
    buffer[at++] = 0x2c // ,
    buffer[at++] = 0x22 // "
    for (let index = 0; index < 32; index++) {
      const byte = bodyDigest[index]
      buffer[at++] = HEX_DIGITS[byte >> 4]
      buffer[at++] = HEX_DIGITS[byte & 15]
    }
    buffer[at++] = 0x22
    buffer[at++] = 0x5d // ]
    buffer[at++] = 0x0a // \n
    this.length = at
    if (at >= FLUSH_BYTES) this.flush()
  }

  /** Writes `[id,source,label` from `length` and returns the end, or -1 when one of them needs escaping. */
  private writePlainFields(id: string, source: string | null, label: string | null): number {
    const buffer = this.buffer
    let at = writePlainJson(buffer, this.length + 1, id)
    if (at < 0) return -1
    buffer[this.length] = 0x5b // [
    buffer[at++] = 0x2c
    at = writePlainJson(buffer, at, source)
    if (at < 0) return -1
    buffer[at++] = 0x2c
    return writePlainJson(buffer, at, label)
  }

  /** Flushes and closes the file; returns its SHA-256 and size. */
  finish(): { sha256: string; byteCount: number } {
    this.flush()
    closeSync(this.descriptor)
    return { sha256: this.hash.digest('hex'), byteCount: this.byteCount }
  }

  /** Closes the file after a failure, without a digest. */
  abort(): void {
    closeSync(this.descriptor)
  }

  private writeText(text: string): void {
    // A UTF-16 unit never takes more than 3 UTF-8 bytes.
    const needed = 3 * text.length
    if (this.length + needed > this.buffer.length) {
      this.flush()
      if (needed > this.buffer.length) this.buffer = Buffer.alloc(needed)
    }
    this.length += this.buffer.write(text, this.length, 'utf8')
  }

  private flush(): void {
    if (this.length === 0) return
    const bytes = this.buffer.subarray(0, this.length)
    this.hash.update(bytes)
    let offset = 0
    while (offset < bytes.length) offset += writeSync(this.descriptor, bytes, offset)
    this.byteCount += bytes.length
    this.length = 0
  }
}

/**
 * Writes `text` as a JSON string (or `null`) at `at` when it is printable ASCII without quotes or backslashes and
 * returns the end, or -1 when it needs JSON escaping or UTF-8 encoding (the bytes written so far are then scrap).
 */
function writePlainJson(buffer: Buffer, at: number, text: string | null): number {
  if (text === null) {
    buffer[at] = 0x6e // n
    buffer[at + 1] = 0x75 // u
    buffer[at + 2] = 0x6c // l
    buffer[at + 3] = 0x6c
    return at + 4
  }
  buffer[at++] = 0x22
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return -1
    buffer[at++] = code
  }
  buffer[at++] = 0x22
  return at
}

function jsonOrNull(text: string | null): string {
  return text === null ? 'null' : JSON.stringify(text)
}

/** Reads a sidecar back into a table; every malformed line is reported with its number. */
export async function readSidecar(path: string): Promise<{ table: RecordTable; sha256: string }> {
  const table = new RecordTable()
  const issues = new IssueList('PARSE_ERROR', 'the record digest file is damaged; recreate the manifest')
  let headerSeen = false
  const tokenizer = new LineTokenizer(path, 1 << 24, (line) => {
    if (isBlankLine(line)) return
    if (!headerSeen) {
      headerSeen = true
      checkHeader(line, path)
      return
    }
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
