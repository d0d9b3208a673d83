import type { Dataset } from '../data/dataset.js'
import type { ScanReport } from '../domain/index.js'
import { writeFilteredDataset } from '../io/index.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import { type ScanReportFormat, scanReportWriters } from '../report/writers/index.js'
import { cleanKeepMask, relabelPlan } from '../scan/clean.js'

/** Where to write what a scan produced; every path is optional. */
export interface ScanOutputPaths {
  /** The JSON report. */
  report?: string
  /** A self-contained HTML report. */
  html?: string
  /** SARIF 2.1.0 for code-scanning UIs: one result per flagged record. */
  sarif?: string
  /** The input minus flagged records, in the input's format. */
  exportClean?: string
  /** The input with flagged label flips relabelled and every other flagged record dropped. */
  relabel?: string
  /** With `exportClean` or `relabel`: also drop every record of a source whose flagged share exceeds this (0–1). */
  dropSourcesAbove?: number
  /** Files the scan read besides the dataset (embeddings, manifest, key): no output may replace one of them. */
  inputs?: readonly (string | undefined)[]
}

/** What the dataset copies hold, for a summary. */
export interface WrittenScanOutputs {
  /** Records the clean copy dropped. */
  cleanDropped?: number
  /** Labels the relabelled copy changed and records it dropped. */
  relabelled?: { changed: number; dropped: number }
}

function droppedCount(keep: Uint8Array): number {
  return keep.reduce((sum, kept) => sum + (kept ? 0 : 1), 0)
}

/**
 * Writes the report (JSON, HTML, SARIF) and the cleaned or relabelled copies of the scanned dataset, all or none: a failure
 * leaves no output behind.
 */
export async function writeScanOutputs(
  dataset: Dataset,
  report: ScanReport,
  paths: ScanOutputPaths,
): Promise<WrittenScanOutputs> {
  const clean = { dropSourcesAbove: paths.dropSourcesAbove }
  const outputs: OutputFile[] = []
  const written: WrittenScanOutputs = {}
  const render = (format: ScanReportFormat) => scanReportWriters[format].render(report, { dataset })
  if (paths.report) outputs.push({ path: paths.report, flag: '--out', contents: render('json') })
  if (paths.html) outputs.push({ path: paths.html, flag: '--html', contents: render('html') })
  if (paths.sarif) outputs.push({ path: paths.sarif, flag: '--sarif', contents: render('sarif') })
  if (paths.exportClean) {
    const keep = cleanKeepMask(report, clean)
    const write = (path: string) => writeFilteredDataset(dataset, keep, path)
    outputs.push({ path: paths.exportClean, flag: '--export-clean', write })
    written.cleanDropped = droppedCount(keep)
  }
  if (paths.relabel) {
    const { keep, relabel } = relabelPlan(report, clean)
    outputs.push({
      path: paths.relabel,
      flag: '--relabel',
      write: (path) => writeFilteredDataset(dataset, keep, path, { relabel }),
    })
    written.relabelled = { changed: relabel.size, dropped: droppedCount(keep) }
  }
  await writeOutputsAtomically(outputs, { inputs: [dataset.origin.path, ...(paths.inputs ?? [])] })
  return written
}
