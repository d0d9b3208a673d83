/**
 * poisonguard's library API: every CLI command is a thin shell over these functions.
 * @packageDocumentation
 */
export { applyAttack, attackIds, attackRegistry, getAttack } from './attacks/index.js'
export type { Attack, AttackResult } from './attacks/types.js'
export type { Dataset, DatasetFormat, DatasetOrigin, LabelColumn } from './data/dataset.js'
export type { FeatureMatrix, SparseMatrix } from './data/matrix.js'
export { builtinDatasets, getBuiltinDataset, listBuiltinDatasets } from './datasets/index.js'
export { type DetectorId, detectorIds, detectorRegistry, selectDetectors } from './detectors/registry.js'
export type { Detector, DetectorInput, DetectorResult, RunContext } from './detectors/types.js'
export type { Finding, FindingKind, RecordReport, ScanReport, Severity } from './domain/index.js'
export {
  type CheckReport,
  checkBatch,
  inferSchema,
  parseSchema,
  renderCheckHtml,
} from './drift/index.js'
export { type ErrorCode, isPoisonguardError, PoisonguardError } from './errors.js'
export { runBenchmark } from './evaluation/bench.js'
export { renderBenchMarkdown } from './evaluation/bench-render.js'
export { areaUnderRoc, averagePrecision } from './evaluation/metrics.js'
export { hashFile, type LoadOptions, loadDataset, writeFilteredDataset } from './io/index.js'
export { writeDataset } from './io/write-dataset.js'
export type { DistanceMetric, LinalgBackend, NeighbourGraph } from './linalg/backend.js'
export { createDefaultBackend } from './linalg/default-backend.js'
export { createPortableBackend } from './linalg/portable.js'
export {
  createManifest,
  diffProvenance,
  generateKeyFiles,
  traceLineage,
  verifyDatasetAgainstManifest,
} from './provenance/index.js'
export { encodeGrayscalePng, type HtmlReportExtras, renderHtmlReport } from './report/html.js'
export { cleanKeepMask, sourcesFlaggedAbove } from './scan/clean.js'
export { type ScanOptions, type ScanProgress, scan, scanDataset } from './scan/index.js'
export { createRng, type Rng } from './util/rng.js'
export { version } from './version.js'
