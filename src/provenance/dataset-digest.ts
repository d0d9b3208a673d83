import { readFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { sortClassNames } from '../data/dataset.js'
import { statOrThrow } from '../io/files.js'
import { readCsvRecordBytes } from '../io/formats/csv.js'
import { detectFormat } from '../io/formats/index.js'
import { DEFAULT_MAX_LINE_BYTES } from '../io/load.js'
import { type RawRecordFile, type RawRecordFormat, readRawRecords } from '../io/records.js'
import { RECORD_ENCODING } from './canonical.js'
import { readCsvInParts } from './csv-parts.js'
import { compareSources } from './diff.js'
import { type DigestedRecord, DigestState, resolveRoles } from './digest-state.js'
import { createRecordTree, type RecordEncoding, type RecordTree } from './record-tree.js'
import type { SidecarWriter } from './sidecar-writer.js'
import type { ManifestPredicate } from './statement.js'

export { DigestedRecord } from './digest-state.js'

/** Below this size a CSV is read on one thread: starting a worker costs more than it saves. */
const PARALLEL_FROM_BYTES = 8 << 20

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
  /** Writes every record to this sidecar, in input order. */
  sidecar?: SidecarWriter
  /**
   * Threads a large CSV may be read on; default 2 when the machine has a core free for the second, else 1. With 1
   * everything runs on the calling thread, as it does for other formats; the digest is the same either way.
   */
  threads?: number
  /** The worker's entry module; default the compiled `digest-worker.js` beside this file. */
  workerUrl?: URL
  /** The size from which a CSV is read on more than one thread; default 8 MiB. */
  parallelFromBytes?: number
  /**
   * Bytes the calling thread hashes while the dataset is read (verification's check of the sidecar), so that on two
   * threads the worker takes a larger part.
   */
  hashedMeanwhile?: number
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
  /** Threads whose records were taken in: 2 when a large CSV's second part was read on a worker, else 1. */
  threads: number
}

/** Streams a dataset once: canonical record digests, Merkle roots (overall and per source), labels, schema. */
export async function digestDataset(path: string, options: DigestOptions = {}): Promise<DatasetDigest> {
  const encoding = options.encoding ?? RECORD_ENCODING
  const state = new DigestState(path, options, () => createRecordTree(encoding), options.sidecar)
  const file = await readRecords(path, state, options)
  state.flushDigests()
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
    threads: file.threads ?? 1,
  }
}

/**
 * Two threads when a core is free for the second. On a busy machine two threads got no more CPU than one, so the wall
 * time only grew, by 10–60% at a load of 7 per core, with 15% more CPU.
 */
function defaultThreads(): number {
  return coreFreeForWorker(availableParallelism(), loadavg()[0], runnableThreads()) ? 2 : 1
}

/**
 * Whether a second thread would get a core of its own: the last minute's load average leaves one, or else the
 * threads runnable right now (`runnable`, this one among them; undefined where unknown) do. The average alone also
 * counts work that has already ended — manifests created one after another on two threads lift a quiet two-core
 * machine's average towards 2, which would put every later one on one thread — while the count right now sees only
 * what still runs.
 */
export function coreFreeForWorker(cores: number, loadAverage: number, runnable: number | undefined): boolean {
  if (cores < 2) return false
  return loadAverage + 1 <= cores || (runnable !== undefined && runnable + 1 <= cores)
}

/** Threads runnable on the machine at this moment, this one included (Linux's `/proc/loadavg`), else undefined. */
function runnableThreads(): number | undefined {
  try {
    const running = Number.parseInt(readFileSync('/proc/loadavg', 'latin1').split(' ')[3], 10)
    return Number.isFinite(running) ? running : undefined
  } catch {
    return undefined
  }
}

/** CSV records go to the state as bytes (a large file's second half read on another thread), others as values. */
async function readRecords(
  path: string,
  state: DigestState<RecordTree>,
  options: DigestOptions,
): Promise<RawRecordFile & { threads?: number }> {
  const stats = await statOrThrow(path)
  const format = options.format ?? detectFormat(path, stats.isDirectory())
  const readOptions = {
    format: options.format,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
    onProgress: options.onProgress,
  }
  if (format !== 'csv') return readRawRecords(path, (record) => state.add(record), readOptions)
  const threads = options.threads ?? defaultThreads()
  // Records handed to a callback one by one must all pass through this thread.
  const perRecord = options.onRecord !== undefined || options.onDigested !== undefined
  if (
    threads > 1 &&
    !perRecord &&
    stats.isFile() &&
    stats.size >= (options.parallelFromBytes ?? PARALLEL_FROM_BYTES)
  ) {
    const summary = await readCsvInParts(path, stats.size, state, {
      ...readOptions,
      workerUrl: options.workerUrl ?? new URL('./digest-worker.js', import.meta.url),
      encoding: options.encoding ?? RECORD_ENCODING,
      uniqueIds: options.uniqueIds === true,
      source: options.source ?? null,
      hashedMeanwhile: options.hashedMeanwhile,
    })
    return { format, ...summary }
  }
  const summary = await readCsvRecordBytes(
    path,
    (record, columns, row) => state.addCsv(record, columns, row),
    readOptions,
  )
  return { format, ...summary }
}
