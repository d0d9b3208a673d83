import { PoisonguardError } from '../errors.js'
import type { CsvRecord } from '../io/csv-record.js'
import { IssueList } from '../io/issues.js'
import type { RawRecord } from '../io/records.js'
import { digestBodyBinary } from './canonical.js'
import type { DigestOptions, RoleOptions } from './dataset-digest.js'
import {
  BODIES_PER_BATCH,
  type ColumnTotal,
  RecordEncoder,
  type RecordRoles,
  ROLE_ID,
  ROLE_LABEL,
  ROLE_SOURCE,
} from './encoder.js'
import { FirstRows, type RecordedIds } from './first-rows.js'
import type { LeafRecorder, RecordedLeaves, RecordSink, RecordTree } from './record-tree.js'
import {
  type RoleValue,
  RoleValues,
  roleKeyBytes,
  roleKeyText,
  roleValue,
  writeRoleKey,
} from './role-values.js'
import type { SidecarSpill, SidecarWriter } from './sidecar-writer.js'

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

/**
 * What a dataset's records add up to as they are digested one by one: ids checked, labels and sources counted, the
 * records put into a tree (or a recording of one) overall and per source, and handed on to a sidecar or callback.
 * CSV records wait for their digests in batches (`BODIES_PER_BATCH`): trees, sidecar and callback have every record
 * only after `flushDigests`.
 */
export class DigestState<Tree extends RecordSink<Tree>> {
  roles?: RecordRoles
  encoder?: RecordEncoder
  readonly merkle: Tree
  /** Per-source trees, kept once a second source appears; until then the one source's tree is `merkle`. */
  private readonly sources = new Map<RoleValue, Tree>()
  /** `sources` by each source value's index + 1 (`none` first), so a record finds its tree without hashing. */
  private readonly sourceTreeAt: (Tree | undefined)[] = []
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
  /**
   * Records read whose bodies wait in the encoder's slots for their digests: each one's source and label and, when
   * records are handed on, its id (`pendingIds`, slot `s` ending at `pendingIdEnds[s]`): the bytes an id was read
   * from may be reused before the batch is hashed.
   */
  private pendingCount = 0
  private readonly pendingSources: RoleValue[]
  private readonly pendingLabels: RoleValue[]
  private readonly pendingDigests: string[] = new Array(BODIES_PER_BATCH).fill('')
  private pendingIds = Buffer.alloc(4096)
  private readonly pendingIdEnds = new Int32Array(BODIES_PER_BATCH)

  constructor(
    private readonly path: string,
    private readonly options: DigestOptions,
    private readonly createTree: () => Tree,
    readonly sidecar?: SidecarWriter,
  ) {
    if (options.uniqueIds) this.seenIds = new FirstRows()
    if (options.source != null) this.fixedSource = roleValue(options.source)
    const { onRecord } = options
    this.onDigested =
      options.onDigested ??
      (onRecord &&
        ((record) => onRecord(record.id(), record.source.text, record.label.text, record.bodyDigest)))
    this.merkle = createTree()
    this.pendingSources = new Array(BODIES_PER_BATCH).fill(this.sourceValues.none)
    this.pendingLabels = new Array(BODIES_PER_BATCH).fill(this.labels.none)
  }

  add(record: RawRecord): void {
    const encoder = this.encoderFor(record.columns)
    // Records keep their order, should CSV records be waiting.
    this.flushDigests()
    const body = encoder.encode(record)
    if (this.admit(0, record.row, record.line)) this.fileRecord(0, digestBodyBinary(body))
  }

  addCsv(record: CsvRecord, columns: readonly string[], row: number): void {
    const encoder = this.encoderFor(columns)
    let slot = this.pendingCount
    if (!encoder.encodeCsv(record, columns, slot)) {
      // A long record goes to the first slot, the one that grows, once the records before it are filed.
      this.flushDigests()
      slot = 0
      encoder.encodeCsv(record, columns, slot)
    }
    if (!this.admit(slot, row, record.line)) return
    this.pendingCount = slot + 1
    if (this.pendingCount === BODIES_PER_BATCH) this.flushDigests()
  }

  /** Hashes the bodies of the records waiting for their digests and files the records, in order. */
  flushDigests(): void {
    const count = this.pendingCount
    if (count === 0) return
    this.pendingCount = 0
    this.encoder!.hashBodies(count, this.pendingDigests)
    for (let slot = 0; slot < count; slot++) this.fileRecord(slot, this.pendingDigests[slot])
  }

  private encoderFor(columns: readonly string[]): RecordEncoder {
    if (!this.encoder) {
      this.roles = resolveRoles(columns, this.options, this.path)
      this.encoder = new RecordEncoder(this.roles)
    }
    return this.encoder
  }

  /**
   * Checks and counts the record the encoder has just read, keeping in `slot` what it is filed with once its body is
   * hashed; false when it has no id, and so is left out.
   */
  private admit(slot: number, row: number, line: number | undefined): boolean {
    const { roleBytes, roleStarts, roleEnds } = this.encoder!
    const record = this.record
    if (this.roles!.id === null) {
      record.idBytes = this.rowId
      record.idStart = 0
      record.idEnd = this.rowId.write(String(row), 0, 'latin1')
    } else {
      if (roleStarts[ROLE_ID] < 0) {
        this.emptyIds.add({ file: this.path, line, row, column: this.roles!.id }, 'the id is empty')
        return false
      }
      record.idBytes = roleBytes[ROLE_ID]
      record.idStart = roleStarts[ROLE_ID]
      record.idEnd = roleEnds[ROLE_ID]
      this.checkUnique(record, row, line)
    }
    this.pendingSources[slot] =
      this.fixedSource ??
      this.sourceValues.lookup(roleBytes[ROLE_SOURCE], roleStarts[ROLE_SOURCE], roleEnds[ROLE_SOURCE])
    const label = this.labels.lookup(roleBytes[ROLE_LABEL], roleStarts[ROLE_LABEL], roleEnds[ROLE_LABEL])
    label.count++
    this.pendingLabels[slot] = label
    if (this.onDigested || this.sidecar) this.keepId(slot, record)
    return true
  }

  /** Copies the record's id into `slot` of `pendingIds`. */
  private keepId(slot: number, record: DigestedRecord): void {
    const { idBytes, idStart, idEnd } = record
    const start = slot === 0 ? 0 : this.pendingIdEnds[slot - 1]
    const end = start + idEnd - idStart
    if (end > this.pendingIds.length) {
      const grown = Buffer.alloc(Math.max(end, 2 * this.pendingIds.length))
      this.pendingIds.copy(grown, 0, 0, start)
      this.pendingIds = grown
    }
    const ids = this.pendingIds
    for (let offset = idStart; offset < idEnd; offset++) ids[start + offset - idStart] = idBytes[offset]
    this.pendingIdEnds[slot] = end
  }

  /** Trees the record waiting in `slot` and hands it on, with its body digest (latin1). */
  private fileRecord(slot: number, bodyDigest: string): void {
    const record = this.record
    const source = this.pendingSources[slot]
    const label = this.pendingLabels[slot]
    const digest = record.bodyDigest
    for (let index = 0; index < 32; index++) digest[index] = bodyDigest.charCodeAt(index)
    if (!this.options.skipRoots) this.addLeaf(digest, label.json, source)
    if (this.onDigested || this.sidecar) {
      record.idBytes = this.pendingIds
      record.idStart = slot === 0 ? 0 : this.pendingIdEnds[slot - 1]
      record.idEnd = this.pendingIdEnds[slot]
      record.source = source
      record.label = label
      this.sidecar?.add(record)
      this.onDigested?.(record)
    }
  }

  /** Each source's tree of leaves. */
  sourceTrees(): [string | null, Tree][] {
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
    // Values of the source column only: a source named for every record never gets here.
    let perSource = this.sourceTreeAt[source.index + 1]
    if (!perSource) {
      perSource = this.sources.get(source)
      if (!perSource) {
        perSource = this.createTree()
        this.sources.set(source, perSource)
      }
      this.sourceTreeAt[source.index + 1] = perSource
    }
    perSource.add(bodyDigest, labelJson)
  }

  /** Whether none of `ids` is among the ids seen so far (true when ids are not checked). */
  sharesNoIds(ids: RecordedIds): boolean {
    return !this.seenIds || this.seenIds.sharesNone(ids)
  }

  /** The ids seen so far, when they are checked for uniqueness. */
  seenIdList(): RecordedIds | undefined {
    return this.seenIds?.recorded()
  }

  /**
   * Takes in the records of the rest of the dataset, digested elsewhere from the same header (`partDigest`), as if
   * they had been read here after the records so far — all but their trees, to which the caller appends the part's
   * recordings (`partTrees`); its sidecar rows are read back from `spill`. The caller has made sure that the ids do
   * not repeat.
   */
  addPart(part: PartDigest, columns: readonly string[], spill: SidecarSpill | undefined): void {
    this.encoderFor(columns).addTotals(part.columnTotals)
    for (const { text, count } of part.labels) this.valueOf(this.labels, text).count += count
    if (spill) this.sidecar?.addRowsFrom(spill, part.sidecarBytes)
  }

  /**
   * The trees the part's recordings (`partRecordings`) go to — the whole tree first, then one for each source of the
   * part, undefined where a recording is not added — made ready as `addLeaf` would have made them one record at a
   * time. After this each recording can be appended to its tree, in any order.
   */
  partTrees(this: DigestState<RecordTree>, part: PartDigest): (RecordTree | undefined)[] {
    if (part.merkle.count === 0) return []
    const values = part.sources.map(({ text }) => this.fixedSource ?? this.valueOf(this.sourceValues, text))
    if (this.sources.size === 0) {
      const only = values.length === 1 ? values[0] : undefined
      this.firstSource ??= only
      if (only !== undefined && only === this.firstSource) return [this.merkle]
      if (this.firstSource !== undefined) this.sources.set(this.firstSource, this.merkle.clone())
    }
    return [
      this.merkle,
      ...values.map((value) => {
        let perSource = this.sources.get(value)
        if (!perSource) {
          perSource = this.createTree()
          this.sources.set(value, perSource)
        }
        return perSource
      }),
    ]
  }

  private valueOf(values: RoleValues, text: string | null): RoleValue {
    if (text === null) return values.none
    const key = Buffer.alloc(roleKeyBytes(text))
    return values.lookup(key, 0, writeRoleKey(key, text))
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

/**
 * The records of a part of a dataset digested on their own (see `DigestState.addPart`): the schema's totals, the
 * label counts, the records as recorded for the trees overall and per source, the ids, and the sidecar's rows (in a
 * file).
 */
export interface PartDigest {
  readonly recordCount: number
  readonly columnTotals: ColumnTotal[]
  readonly labels: { readonly text: string | null; readonly count: number }[]
  readonly merkle: RecordedLeaves
  readonly sources: { readonly text: string | null; readonly leaves: RecordedLeaves }[]
  readonly ids?: RecordedIds
  /** Bytes of sidecar rows written to the part's `SidecarSpill`. */
  readonly sidecarBytes: number
}

/** A part's recordings in the order of `DigestState.partTrees`: the whole tree's, then each source's. */
export function partRecordings(part: PartDigest): RecordedLeaves[] {
  return [part.merkle, ...part.sources.map(({ leaves }) => leaves)]
}

/**
 * Leaf hashes of the whole blocks of a part's recordings (`hashBlocks`), in the order of `partRecordings`, each for
 * the open block given in `open`; undefined where a recording was not hashed.
 */
export interface PartBlocks {
  readonly open: readonly number[]
  readonly leaves: readonly (Uint8Array | undefined)[]
}

/** What a state that recorded its trees has digested, to hand over to another thread. */
export function partDigest(state: DigestState<LeafRecorder>, recordCount: number): PartDigest {
  state.flushDigests()
  return {
    recordCount,
    columnTotals: state.encoder?.columnTotals() ?? [],
    labels: [state.labels.none, ...state.labels.values].map(({ text, count }) => ({ text, count })),
    merkle: state.merkle.recorded(),
    sources: state.sourceTrees().map(([text, recorder]) => ({ text, leaves: recorder.recorded() })),
    ids: state.seenIdList(),
    sidecarBytes: state.sidecar?.finish().byteCount ?? 0,
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
