import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Dataset } from '../data/dataset.js'
import { loadDataset } from '../io/load.js'
import { writeFilteredDataset } from '../io/write.js'
import type { IntakeFormat, IntakeResult } from './intake.js'

/*
 * Stored batches and versions are bytes; the loaders and writers work on files. These helpers give them a private
 * temporary folder for the length of one call, as the intake pipeline does.
 */

async function inTemporaryFolder<T>(work: (folder: string) => Promise<T>): Promise<T> {
  const folder = await mkdtemp(join(tmpdir(), 'poisonguard-review-'))
  try {
    return await work(folder)
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

/** Loads stored bytes as a dataset of the given format, with the conventional columns. */
export function loadStoredDataset(format: IntakeFormat, bytes: Buffer): Promise<Dataset> {
  return inTemporaryFolder(async (folder) => {
    const path = join(folder, `data.${format}`)
    await writeFile(path, bytes, { mode: 0o600 })
    return loadDataset(path, { format })
  })
}

/**
 * A copy of stored bytes with the records whose keep[row] is 0 left out and the relabelled ones changed, every
 * other record byte for byte as it was (the same writer as `scan --export-clean` and `--relabel`).
 */
export function filterStoredDataset(
  format: IntakeFormat,
  bytes: Buffer,
  plan: (dataset: Dataset) => { keep: Uint8Array; relabel: ReadonlyMap<number, string> },
): Promise<{ data: Buffer; dataset: Dataset }> {
  return inTemporaryFolder(async (folder) => {
    const inputPath = join(folder, `input.${format}`)
    const outputPath = join(folder, `output.${format}`)
    await writeFile(inputPath, bytes, { mode: 0o600 })
    const dataset = await loadDataset(inputPath, { format })
    const { keep, relabel } = plan(dataset)
    await writeFilteredDataset(dataset, keep, outputPath, { relabel })
    return { data: await readFile(outputPath), dataset }
  })
}

/** The intake result a decided batch stores, or undefined while it is pending. */
export function storedResult(result: string | null): IntakeResult | undefined {
  if (result === null) return undefined
  const stored = JSON.parse(result) as IntakeResult
  // Results stored before the review app lack the drift columns, the detectors and each record's decision; the
  // records they list were the flagged or severe ones, so a reviewer may decide about each of them.
  return {
    ...stored,
    check: stored.check && { ...stored.check, columns: stored.check.columns ?? [] },
    scan: stored.scan && {
      ...stored.scan,
      detectors: stored.scan.detectors ?? [],
      records: stored.scan.records.map((record) => ({ ...record, flagged: record.flagged ?? true })),
    },
  }
}
