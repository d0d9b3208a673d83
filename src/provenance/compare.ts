import { extname } from 'node:path'
import { PoisonguardError } from '../errors.js'
import { hashFile } from '../io/hash.js'
import type { RawRecordFormat } from '../io/records.js'
import { progressCheckingAbort, throwIfAborted } from '../util/abort.js'
import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { type DatasetRoles, digestDataset, type RoleOptions } from './dataset-digest.js'
import { diffRecordTables, type RecordDiff, RecordMatcher } from './diff.js'
import { type ManifestFile, readManifestFile, sidecarPathOf } from './manifest-file.js'
import { RecordTable } from './record-table.js'
import { readSidecar } from './sidecar.js'

/** One side of a diff: a manifest (its record digests) or a dataset file. */
export interface DiffSide {
  path: string
  kind: 'manifest' | 'dataset'
  recordCount: number
  roles: DatasetRoles
}

/** Result of `diffProvenance`. */
export interface ProvenanceDiff {
  old: DiffSide
  new: DiffSide
  records: RecordDiff
  warnings: string[]
}

/** Options of `diffProvenance`: role columns and reading limits for dataset sides. */
export interface DiffOptions extends RoleOptions, ProgressOptions {
  format?: RawRecordFormat
  maxLineBytes?: number
  /** Checked between chunks of each dataset side; an abort fails with the typed `ABORTED` error. */
  signal?: AbortSignal
  /** Called with the share done, in [0,1]: the old side is the first half, the new side the second. */
  onProgress?: (fractionDone: number) => void
}

const during = 'the diff'

/** A `.json` input is a manifest; anything else a dataset. */
export function isManifestPath(path: string): boolean {
  return extname(path).toLowerCase() === '.json'
}

/**
 * Record-level diff of two dataset versions, each given as a manifest or a dataset file. Dataset sides use the
 * explicit role options, else the other side's manifest roles, else the column conventions.
 */
export async function diffProvenance(
  oldPath: string,
  newPath: string,
  options: DiffOptions = {},
): Promise<ProvenanceDiff> {
  throwIfAborted(options.signal, during)
  const onProgress = progressReporter(options, fractionDetail)
  const half = (start: number) => onProgress && ((fraction: number) => onProgress(start + fraction / 2))
  const oldManifest = isManifestPath(oldPath) ? await readManifestFile(oldPath) : undefined
  const newManifest = isManifestPath(newPath) ? await readManifestFile(newPath) : undefined
  const template = rolesFromManifest(oldManifest ?? newManifest)
  const roleOptions = { ...template, ...definedRoles(options) }
  const oldSide = oldManifest
    ? await manifestTable(oldManifest)
    : await datasetTable(oldPath, { ...options, ...roleOptions, onProgress: half(0) })
  onProgress?.(0.5)
  let newSide: { side: DiffSide; table?: RecordTable }
  let records: RecordDiff
  if (newManifest) {
    newSide = await manifestTable(newManifest)
    records = diffRecordTables(oldSide.table, newSide.table!)
  } else {
    const matcher = new RecordMatcher(oldSide.table)
    newSide = await datasetTable(
      newPath,
      { ...options, ...roleOptions, onProgress: half(0.5) },
      (id, source, label, body) => matcher.push(id, source, label, body),
    )
    records = matcher.finish()
  }
  onProgress?.(1)
  const warnings: string[] = []
  if (oldSide.side.roles.labelColumn !== newSide.side.roles.labelColumn) {
    warnings.push(
      `the label columns differ (${JSON.stringify(oldSide.side.roles.labelColumn)} and ${JSON.stringify(newSide.side.roles.labelColumn)}), so every record shows as changed; pass --label to use the same column`,
    )
  }
  return { old: oldSide.side, new: newSide.side, records, warnings }
}

function rolesFromManifest(manifest: ManifestFile | undefined): RoleOptions {
  if (!manifest) return {}
  const dataset = manifest.statement.predicate.dataset
  return {
    id: dataset.idColumn,
    label: dataset.labelColumn,
    sourceColumn: dataset.sourceColumn,
    source: dataset.source,
  }
}

function definedRoles(options: RoleOptions): RoleOptions {
  const roles: RoleOptions = {}
  if (options.id !== undefined) roles.id = options.id
  if (options.label !== undefined) roles.label = options.label
  if (options.sourceColumn !== undefined) {
    roles.sourceColumn = options.sourceColumn
    roles.source = null
  }
  if (options.source !== undefined) roles.source = options.source
  return roles
}

/** The manifest's record digests, refused when they no longer match the digest the manifest states. */
async function manifestTable(manifest: ManifestFile): Promise<{ side: DiffSide; table: RecordTable }> {
  const path = sidecarPathOf(manifest)
  const expected = manifest.statement.predicate.records.digests.digest.sha256
  const actual = await hashFile(path)
  if (actual !== expected) {
    throw PoisonguardError.at(
      'PARSE_ERROR',
      { file: path },
      `the record digest file was altered: its sha256 is ${actual}, the manifest ${manifest.path} says ${expected}`,
      'recreate the manifest, or verify the dataset against it with `poisonguard manifest verify`',
    )
  }
  const { table } = await readSidecar(path)
  const dataset = manifest.statement.predicate.dataset
  const roles = {
    idColumn: dataset.idColumn,
    labelColumn: dataset.labelColumn,
    sourceColumn: dataset.sourceColumn,
    source: dataset.source,
  }
  return { side: { path: manifest.path, kind: 'manifest', recordCount: table.count, roles }, table }
}

async function datasetTable(
  path: string,
  options: DiffOptions,
  onRecord?: (id: string, source: string | null, label: string | null, body: Buffer) => void,
): Promise<{ side: DiffSide; table: RecordTable }> {
  const table = new RecordTable()
  const digest = await digestDataset(path, {
    ...options,
    uniqueIds: onRecord === undefined,
    onProgress: progressCheckingAbort(options.signal, during, options.onProgress),
    onRecord: onRecord ?? ((id, source, label, body) => table.add(id, source, label, body)),
  })
  return { side: { path, kind: 'dataset', recordCount: digest.recordCount, roles: digest.roles }, table }
}
