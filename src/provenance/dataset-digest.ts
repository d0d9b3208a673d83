import { sortClassNames } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { IssueList } from '../io/issues.js'
import { type RawRecord, type RawRecordFormat, readRawRecords } from '../io/records.js'
import { fnv1a, mixHash } from '../util/hashing.js'
import { digestBodyInto, recordLeafBinary } from './canonical.js'
import { compareSources } from './diff.js'
import { RecordEncoder, type RecordRoles } from './encoder.js'
import { MerkleBuilder } from './merkle.js'
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
  const file = await readRawRecords(path, (record) => state.add(record), {
    format: options.format,
    maxLineBytes: options.maxLineBytes,
    onProgress: options.onProgress,
  })
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

class DigestState {
  roles?: RecordRoles
  encoder?: RecordEncoder
  readonly merkle = new MerkleBuilder()
  /** Per-source trees, kept once a second source appears; until then the one source's tree is `merkle`. */
  private readonly sources = new Map<string | null, MerkleBuilder>()
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

  constructor(
    private readonly path: string,
    private readonly options: DigestOptions,
  ) {
    if (options.uniqueIds) this.seenIds = new FirstRows()
  }

  add(record: RawRecord): void {
    if (!this.encoder) {
      this.roles = resolveRoles(record.columns, this.options, this.path)
      this.encoder = new RecordEncoder(this.roles)
    }
    const encoder = this.encoder
    const bodyDigest = this.bodyDigest
    digestBodyInto(encoder.encode(record), bodyDigest)
    const id = this.roles!.id === null ? String(record.row) : encoder.id
    if (id === null) {
      this.emptyIds.add(
        { file: this.path, line: record.line, row: record.row, column: this.roles!.id! },
        'the id is empty',
      )
      return
    }
    this.checkUnique(id, record)
    const source = this.options.source ?? encoder.source
    const label = encoder.label
    if (!this.options.skipRoots) this.addLeaf(recordLeafBinary(bodyDigest, label), source)
    if (label === null) this.unlabelled++
    else this.labelCounts.set(label, (this.labelCounts.get(label) ?? 0) + 1)
    this.options.onRecord?.(id, source, label, bodyDigest)
  }

  /** Each source's tree of leaves. */
  sourceTrees(): Iterable<[string | null, MerkleBuilder]> {
    if (this.sources.size > 0) return this.sources.entries()
    return this.merkle.count > 0 ? [[this.firstSource, this.merkle]] : []
  }

  private addLeaf(leaf: string, source: string | null): void {
    if (this.sources.size === 0) {
      // Most datasets have one source (or none): its tree is the whole tree, so it is not built twice.
      if (this.merkle.count === 0) this.firstSource = source
      if (source === this.firstSource) {
        this.merkle.pushBinary(leaf)
        return
      }
      this.sources.set(this.firstSource, this.merkle.clone())
    }
    this.merkle.pushBinary(leaf)
    let perSource = this.sources.get(source)
    if (!perSource) {
      perSource = new MerkleBuilder()
      this.sources.set(source, perSource)
    }
    perSource.pushBinary(leaf)
  }

  private checkUnique(id: string, record: RawRecord): void {
    const seen = this.seenIds
    if (!seen) return
    const first = seen.firstRow(id, record.row)
    if (first >= 0) {
      this.duplicateIds.add(
        { file: this.path, line: record.line, row: record.row, column: this.roles!.id ?? undefined },
        `id ${JSON.stringify(id)} is on rows ${first} and ${record.row}`,
      )
      if (this.duplicateIds.full) this.duplicateIds.throwIfAny()
    }
  }
}

/**
 * The row each id first appeared on: an open-addressing table of positions into a list of the ids, which for a
 * million ids takes half the time of a Map and no entry object per id.
 */
class FirstRows {
  private readonly ids: string[] = []
  private readonly rows: number[] = []
  /** Position + 1 of an id in `ids`, 0 for an empty slot; `hashes` holds each slot's id hash. */
  private slots = new Int32Array(1024)
  private hashes = new Uint32Array(1024)

  /** The row `id` appeared on before, or -1 when it is new (it is then recorded as appearing on `row`). */
  firstRow(id: string, row: number): number {
    if (2 * (this.ids.length + 1) > this.slots.length) this.grow()
    const hash = fnv1a(id)
    const mask = this.slots.length - 1
    let slot = mixHash(hash) & mask
    for (let entry = this.slots[slot]; entry !== 0; entry = this.slots[slot]) {
      if (this.hashes[slot] === hash && this.ids[entry - 1] === id) return this.rows[entry - 1]
      slot = (slot + 1) & mask
    }
    this.ids.push(id)
    this.rows.push(row)
    this.slots[slot] = this.ids.length
    this.hashes[slot] = hash
    return -1
  }

  private grow(): void {
    const { slots, hashes } = this
    this.slots = new Int32Array(2 * slots.length)
    this.hashes = new Uint32Array(2 * slots.length)
    const mask = this.slots.length - 1
    for (let old = 0; old < slots.length; old++) {
      if (slots[old] === 0) continue
      let slot = mixHash(hashes[old]) & mask
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask
      this.slots[slot] = slots[old]
      this.hashes[slot] = hashes[old]
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
