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
import { RecordEncoder, type RecordRoles } from './encoder.js'
import { FirstRows } from './first-rows.js'
import { createRecordTree, type RecordEncoding, type RecordTree } from './record-tree.js'
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
  const labelNames = sortClassNames(state.labelCounts.keys())
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
      counts: Object.fromEntries(labelNames.map((name) => [name, state.labelCounts.get(name)!])),
      unlabelled: state.unlabelled,
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
  private readonly sources = new Map<string | null, RecordTree>()
  private firstSource: string | null = null
  readonly labelCounts = new Map<string, number>()
  unlabelled = 0
  readonly emptyIds = new IssueList(
    'INVALID_VALUE',
    'give every record an id, or choose another id column with --id',
  )
  readonly duplicateIds = new IssueList(
    'DUPLICATE_ID',
    'ids must be unique; fix the duplicates or choose --id',
  )
  private readonly seenIds?: FirstRows
  private readonly bodyDigest = Buffer.alloc(32)
  private readonly encoding: RecordEncoding

  constructor(
    private readonly path: string,
    private readonly options: DigestOptions,
  ) {
    if (options.uniqueIds) this.seenIds = new FirstRows()
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

  /** Counts, checks and trees the record the encoder has just digested. */
  private addDigest(bodyDigest: string, row: number, line: number | undefined): void {
    const encoder = this.encoder!
    const id = this.roles!.id === null ? String(row) : encoder.id
    if (id === null) {
      this.emptyIds.add({ file: this.path, line, row, column: this.roles!.id! }, 'the id is empty')
      return
    }
    this.checkUnique(id, row, line)
    const source = this.options.source ?? encoder.source
    const label = encoder.label
    if (!this.options.skipRoots)
      this.addLeaf(bodyDigest, label === null ? 'null' : JSON.stringify(label), source)
    if (label === null) this.unlabelled++
    else this.labelCounts.set(label, (this.labelCounts.get(label) ?? 0) + 1)
    const onRecord = this.options.onRecord
    if (onRecord) {
      this.bodyDigest.write(bodyDigest, 0, 'latin1')
      onRecord(id, source, label, this.bodyDigest)
    }
  }

  /** Each source's tree of leaves. */
  sourceTrees(): Iterable<[string | null, RecordTree]> {
    if (this.sources.size > 0) return this.sources.entries()
    return this.merkle.count > 0 ? [[this.firstSource, this.merkle]] : []
  }

  private addLeaf(bodyDigest: string, labelJson: string, source: string | null): void {
    if (this.sources.size === 0) {
      // Most datasets have one source (or none): its tree is the whole tree, so it is not built twice.
      if (this.merkle.count === 0) this.firstSource = source
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

  private checkUnique(id: string, row: number, line: number | undefined): void {
    const seen = this.seenIds
    if (!seen) return
    const first = seen.firstRow(id, row)
    if (first >= 0) {
      this.duplicateIds.add(
        { file: this.path, line, row, column: this.roles!.id ?? undefined },
        `id ${JSON.stringify(id)} is on rows ${first} and ${row}`,
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
