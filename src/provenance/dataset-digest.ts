import { sortClassNames } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import type { CsvRecord } from '../io/csv-parser.js'
import { statOrThrow } from '../io/files.js'
import { readCsvRecordBytes } from '../io/formats/csv.js'
import { detectFormat } from '../io/formats/index.js'
import { IssueList } from '../io/issues.js'
import { DEFAULT_MAX_LINE_BYTES } from '../io/load.js'
import { type RawRecord, type RawRecordFile, type RawRecordFormat, readRawRecords } from '../io/records.js'
import { digestBodyBinary, RECORD_ENCODING } from './canonical.js'
import { compareSources } from './diff.js'
import { RecordEncoder, type RecordRoles, ROLE_ID, ROLE_LABEL, ROLE_SOURCE } from './encoder.js'
import { FirstRows } from './first-rows.js'
import { createRecordTree, type RecordEncoding, type RecordTree } from './record-tree.js'
import { type RoleValue, RoleValues, roleKeyText, roleValue } from './role-values.js'
import type { ManifestPredicate } from './statement.js'

/** Which columns identify, label and attribute records; `undefined` follows the conventions, null means none. */
export interface RoleOptions {
  /** Id column; default `id` when present, else the 1-based record number. */
  id?: string | null
  /** Label column; default `label` when present. */
  label?: string | null
  /** Column naming each record's source; default `source` when present. */
  sourceColumn?: string | null
  /** One source for every record (a vendor, a crawl); wins over a source column. */
  source?: string | null
}

/** Options of `digestDataset`. */
export interface DigestOptions extends RoleOptions {
  format?: RawRecordFormat
  maxLineBytes?: number
  /** Refuse repeated ids (creating a manifest); verification instead reports them as findings. */
  uniqueIds?: boolean
  /** Only stream records to `onRecord`: no Merkle roots (they come out empty), for a second, matching pass. */
  skipRoots?: boolean
  /** Which encoding's Merkle roots to compute: a manifest's own when verifying against it; default the newest. */
  encoding?: RecordEncoding
  onProgress?: (fractionDone: number) => void
  /** Receives every record's id, source, label and body digest in input order; the digest's buffer is reused. */
  onRecord?: (id: string, source: string | null, label: string | null, bodyDigest: Buffer) => void
  /**
   * `onRecord` without a string per record, for writing records out by the million: the id as bytes, the label and
   * source as shared values. The record object and its buffers are reused.
   */
  onDigested?: (record: DigestedRecord) => void
}

/** One record as `digestDataset` digested it; valid only until the next record. */
export class DigestedRecord {
  /** The id's canonical text as a key (UTF-8 unless it has a lone surrogate, see `writeRoleKey`). */
  idBytes: Buffer = Buffer.alloc(0)
  idStart = 0
  idEnd = 0
  source: RoleValue = roleValue(null)
  label: RoleValue = roleValue(null)
  /** SHA-256 of the canonical body. */
  readonly bodyDigest = Buffer.alloc(32)

  /** The id as text. */
  id(): string {
    return roleKeyText(this.idBytes, this.idStart, this.idEnd)
  }
}

/** The resolved role columns of a digest. */
export interface DatasetRoles {
  idColumn: string | null
  labelColumn: string | null
  sourceColumn: string | null
  source: string | null
}

/** Everything a manifest states about a dataset's contents, computed in one streaming pass. */
export interface DatasetDigest {
  path: string
  format: RawRecordFormat
  sha256: string
  byteCount: number
  recordCount: number
  roles: DatasetRoles
  merkleRoot: string
  sources: ManifestPredicate['sources']
  labels: ManifestPredicate['labels']
  schema: ManifestPredicate['schema']
}

/** Streams a dataset once: canonical record digests, Merkle roots (overall and per source), labels, schema. */
export async function digestDataset(path: string, options: DigestOptions = {}): Promise<DatasetDigest> {
  const state = new DigestState(path, options)
  const file = await readRecords(path, state, options)
  state.emptyIds.throwIfAny()
  state.duplicateIds.throwIfAny()
  const roles = state.roles ?? resolveRoles([], options, path)
  const labelCounts = new Map(state.labels.values.map((value) => [value.text!, value.count]))
  const labelNames = sortClassNames(labelCounts.keys())
  return {
    path,
    format: file.format,
    sha256: file.sha256,
    byteCount: file.byteCount,
    recordCount: file.recordCount,
    roles: {
      idColumn: roles.id,
      labelColumn: roles.label,
      sourceColumn: options.source != null ? null : roles.source,
      source: options.source ?? null,
    },
    merkleRoot: state.merkle.root().toString('hex'),
    sources: [...state.sourceTrees()]
      .sort(([a], [b]) => compareSources(a, b))
      .map(([name, builder]) => ({ name, count: builder.count, merkleRoot: builder.root().toString('hex') })),
    labels: {
      counts: Object.fromEntries(labelNames.map((name) => [name, labelCounts.get(name)!])),
      unlabelled: state.labels.none.count,
    },
    schema: state.encoder?.schema(file.recordCount) ?? [],
  }
}

/** CSV records go to the state as bytes, every other format's as values. */
async function readRecords(path: string, state: DigestState, options: DigestOptions): Promise<RawRecordFile> {
  const format = options.format ?? detectFormat(path, (await statOrThrow(path)).isDirectory())
  const readOptions = {
    format: options.format,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    onProgress: options.onProgress,
  }
  if (format !== 'csv') return readRawRecords(path, (record) => state.add(record), readOptions)
  const summary = await readCsvRecordBytes(
    path,
    (record, columns, row) => state.addCsv(record, columns, row),
    readOptions,
  )
  return { format, ...summary }
}

class DigestState {
  roles?: RecordRoles
  encoder?: RecordEncoder
  readonly merkle: RecordTree
  /** Per-source trees, kept once a second source appears; until then the one source's tree is `merkle`. */
  private readonly sources = new Map<RoleValue, RecordTree>()
  private firstSource?: RoleValue
  readonly labels = new RoleValues()
  private readonly sourceValues = new RoleValues()
  /** The one source named for every record, if any. */
  private readonly fixedSource?: RoleValue
  readonly emptyIds = new IssueList(
    'INVALID_VALUE',
    'give every record an id, or choose another id column with --id',
  )
  readonly duplicateIds = new IssueList(
    'DUPLICATE_ID',
    'ids must be unique; fix the duplicates or choose --id',
  )
  private readonly seenIds?: FirstRows
  private readonly record = new DigestedRecord()
  /** The record number as text, the id of records without an id column. */
  private readonly rowId = Buffer.alloc(24)
  private readonly onDigested?: (record: DigestedRecord) => void
  private readonly encoding: RecordEncoding

  constructor(
    private readonly path: string,
    private readonly options: DigestOptions,
  ) {
    if (options.uniqueIds) this.seenIds = new FirstRows()
    if (options.source != null) this.fixedSource = roleValue(options.source)
    const { onRecord } = options
    this.onDigested =
      options.onDigested ??
      (onRecord &&
        ((record) => onRecord(record.id(), record.source.text, record.label.text, record.bodyDigest)))
    this.encoding = options.encoding ?? RECORD_ENCODING
    this.merkle = createRecordTree(this.encoding)
  }

  add(record: RawRecord): void {
    const encoder = this.encoderFor(record.columns)
    this.addDigest(digestBodyBinary(encoder.encode(record)), record.row, record.line)
  }

  addCsv(record: CsvRecord, columns: readonly string[], row: number): void {
    const encoder = this.encoderFor(columns)
    this.addDigest(encoder.digestCsv(record, columns), row, record.line)
  }

  private encoderFor(columns: readonly string[]): RecordEncoder {
    if (!this.encoder) {
      this.roles = resolveRoles(columns, this.options, this.path)
      this.encoder = new RecordEncoder(this.roles)
    }
    return this.encoder
  }

  /** Counts, checks and trees the record the encoder has just digested (the digest as a latin1 string). */
  private addDigest(bodyDigest: string, row: number, line: number | undefined): void {
    const { roleBytes, roleStarts, roleEnds } = this.encoder!
    const record = this.record
    if (this.roles!.id === null) {
      record.idBytes = this.rowId
      record.idStart = 0
      record.idEnd = this.rowId.write(String(row), 0, 'latin1')
    } else {
      if (roleStarts[ROLE_ID] < 0) {
        this.emptyIds.add({ file: this.path, line, row, column: this.roles!.id }, 'the id is empty')
        return
      }
      record.idBytes = roleBytes[ROLE_ID]
      record.idStart = roleStarts[ROLE_ID]
      record.idEnd = roleEnds[ROLE_ID]
      this.checkUnique(record, row, line)
    }
    const source =
      this.fixedSource ??
      this.sourceValues.lookup(roleBytes[ROLE_SOURCE], roleStarts[ROLE_SOURCE], roleEnds[ROLE_SOURCE])
    const label = this.labels.lookup(roleBytes[ROLE_LABEL], roleStarts[ROLE_LABEL], roleEnds[ROLE_LABEL])
    label.count++
    const digest = record.bodyDigest
    for (let index = 0; index < 32; index++) digest[index] = bodyDigest.charCodeAt(index)
    if (!this.options.skipRoots) this.addLeaf(digest, label.json, source)
    if (this.onDigested) {
      record.source = source
      record.label = label
      this.onDigested(record)
    }
  }

  /** Each source's tree of leaves. */
  sourceTrees(): [string | null, RecordTree][] {
    if (this.sources.size > 0) return [...this.sources].map(([source, tree]) => [source.text, tree])
    return this.firstSource ? [[this.firstSource.text, this.merkle]] : []
  }

  private addLeaf(bodyDigest: Uint8Array, labelJson: Uint8Array, source: RoleValue): void {
    if (this.sources.size === 0) {
      // Most datasets have one source (or none): its tree is the whole tree, so it is not built twice.
      this.firstSource ??= source
      if (source === this.firstSource) {
        this.merkle.add(bodyDigest, labelJson)
        return
      }
      this.sources.set(this.firstSource, this.merkle.clone())
    }
    this.merkle.add(bodyDigest, labelJson)
    let perSource = this.sources.get(source)
    if (!perSource) {
      perSource = createRecordTree(this.encoding)
      this.sources.set(source, perSource)
    }
    perSource.add(bodyDigest, labelJson)
  }

  private checkUnique(record: DigestedRecord, row: number, line: number | undefined): void {
    const seen = this.seenIds
    if (!seen) return
    const first = seen.firstRow(record.idBytes, record.idStart, record.idEnd, row)
    if (first >= 0) {
      this.duplicateIds.add(
        { file: this.path, line, row, column: this.roles!.id ?? undefined },
        `id ${JSON.stringify(record.id())} is on rows ${first} and ${row}`,
      )
      if (this.duplicateIds.full) this.duplicateIds.throwIfAny()
    }
  }
}

/** Resolves role columns against the first record's columns; every missing explicit column is reported at once. */
export function resolveRoles(columns: readonly string[], options: RoleOptions, file: string): RecordRoles {
  const present = new Set(columns)
  const missing: string[] = []
  const resolve = (
    requested: string | null | undefined,
    conventional: string,
    flag: string,
  ): string | null => {
    if (requested === null) return null
    if (requested === undefined) return present.has(conventional) ? conventional : null
    if (columns.length > 0 && !present.has(requested))
      missing.push(`there is no column "${requested}" (${flag})`)
    return requested
  }
  const roles = {
    id: resolve(options.id, 'id', '--id'),
    label: resolve(options.label, 'label', '--label'),
    source: options.source != null ? null : resolve(options.sourceColumn, 'source', '--source-column'),
  }
  if (missing.length > 0) {
    throw new PoisonguardError(
      'MISSING_COLUMN',
      `${file}: ${missing.join('; ')}. The columns are: ${columns.join(', ')}`,
      {
        hint: 'name an existing column',
      },
    )
  }
  return roles
}
