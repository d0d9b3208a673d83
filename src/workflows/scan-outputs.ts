import type { Dataset } from '../data/dataset.js'
import type { ScanReport } from '../domain/index.js'
import { isFormulaCell } from '../io/formula-cells.js'
import { writeFilteredDataset } from '../io/index.js'
import { writeLines } from '../io/lines-writer.js'
import { type OutputFile, writeOutputsAtomically } from '../io/transaction.js'
import type { ScanReportFormat } from '../report/writers/index.js'
import { jsonReportLines } from '../report/writers/json.js'
import { cleanKeepMask, type RelabelPlan, relabelPlan } from '../scan/clean.js'

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
  /** CSV copies: prefix every cell a spreadsheet would run as a formula with `'`. */
  excelSafe?: boolean
}

/** What the dataset copies hold, for a summary. */
export interface WrittenScanOutputs {
  /** Records the clean copy dropped. */
  cleanDropped?: number
  /**
   * Labels the relabelled copy changed and records it dropped; `formulaLabels` of the dropped records were to get a
   * label a spreadsheet would run as a formula, which is never copied onto another record.
   */
  relabelled?: { changed: number; dropped: number; formulaLabels: number }
}

/** Takes out of the plan every new label that is a formula cell; those records are dropped like other flagged ones. */
function withholdFormulaLabels({ keep, relabel }: RelabelPlan): number {
  let withheld = 0
  for (const [row, label] of relabel) {
    if (!isFormulaCell(label)) continue
    relabel.delete(row)
    keep[row] = 0
    withheld++
  }
  return withheld
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
  // The HTML and SARIF writers (the page's views, preact, the detectors' own descriptions) load only when asked
  // for: a JSON-only scan loaded them at start-up, about 30 ms of the scan's thread before it read its file.
  const render = async (format: ScanReportFormat) =>
    (await import('../report/writers/index.js')).scanReportWriters[format].render(report, { dataset })
  // Written line by line: a million records would make one string of hundreds of megabytes.
  const writeReport = (path: string) => writeLines(path, jsonReportLines(report))
  if (paths.report) outputs.push({ path: paths.report, flag: '--out', write: writeReport })
  if (paths.html) outputs.push({ path: paths.html, flag: '--html', contents: await render('html') })
  if (paths.sarif) outputs.push({ path: paths.sarif, flag: '--sarif', contents: await render('sarif') })
  if (paths.exportClean) {
    const keep = cleanKeepMask(report, clean)
    const write = (path: string) => writeFilteredDataset(dataset, keep, path, { excelSafe: paths.excelSafe })
    outputs.push({ path: paths.exportClean, flag: '--export-clean', write })
    written.cleanDropped = droppedCount(keep)
  }
  if (paths.relabel) {
    const plan = relabelPlan(report, clean)
    const formulaLabels = withholdFormulaLabels(plan)
    const { keep, relabel } = plan
    outputs.push({
      path: paths.relabel,
      flag: '--relabel',
      write: (path) => writeFilteredDataset(dataset, keep, path, { relabel, excelSafe: paths.excelSafe }),
    })
    written.relabelled = { changed: relabel.size, dropped: droppedCount(keep), formulaLabels }
  }
  await writeOutputsAtomically(outputs, { inputs: [dataset.origin.path, ...(paths.inputs ?? [])] })
  return written
}
