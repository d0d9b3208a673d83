/**
 * poisonguard's library API: every CLI command is a thin shell over these functions.
 * @packageDocumentation
 */
export { applyAttack, attackIds, attackRegistry, getAttack } from './attacks/index.js'
export type { Attack, AttackResult } from './attacks/types.js'
export {
  type AdversaryOptions,
  type AdversaryPolicy,
  type AggregationModel,
  type AnnotationTable,
  AnnotationTableBuilder,
  type AnnotatorEntry,
  type AnnotatorReliability,
  aggregateCrowd,
  aggregationModels,
  buildCrowdReport,
  type CollusionEdge,
  type CollusionGroup,
  type CollusionOptions,
  type CrowdFinding,
  type CrowdInputWarning,
  type CrowdOptions,
  type CrowdReport,
  type CrowdResult,
  type EmOptions,
  findCollusion,
  findSuspiciousAnnotators,
  fitDawidSkene,
  fitGlad,
  fitMace,
  fitOneCoin,
  type GroupEntry,
  type ModelFit,
  majorityVotePosterior,
  measureReliability,
  type SimulatedAnnotator,
  type Suspicion,
  simulateCrowd,
  wilsonInterval,
} from './crowd/index.js'
export type { Dataset, DatasetOrigin, LabelColumn } from './data/dataset.js'
export type { FeatureMatrix, SparseMatrix } from './data/matrix.js'
export {
  builtinDetectors,
  type DetectorId,
  type DetectorName,
  type DetectorParamsById,
  detectorIds,
  getDetector,
  listDetectors,
  registerDetector,
  selectDetectors,
} from './detectors/registry.js'
export type { Detector, DetectorInput, DetectorResult, RunContext } from './detectors/types.js'
export type { Finding, FindingKind, RecordReport, Requirement, ScanReport, Severity } from './domain/index.js'
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
export { builtinDatasets, getBuiltinDataset, listBuiltinDatasets } from './io/builtin/index.js'
export type { DatasetFormat } from './io/formats/index.js'
export {
  type FromArraysOptions,
  type FromRecordsOptions,
  fromArrays,
  fromRecords,
  type LabelValues,
} from './io/in-memory.js'
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
export { cleanKeepMask, type RelabelPlan, relabelPlan, sourcesFlaggedAbove } from './scan/clean.js'
export { type ScanOptions, type ScanProgress, scan, scanDataset } from './scan/index.js'
export {
  type ConfiguredDetector,
  configureDetectors,
  type DetectorInputOptions,
  type DetectorOutcome,
  prepareDetectorInput,
  type RunDetectorsOptions,
  runDetectors,
} from './scan/pipeline.js'
export { createRng, type Rng } from './util/rng.js'
export { version } from './version.js'
export {
  type AnnotationColumns,
  type AttackBundle,
  type AttackFileOptions,
  type AttackMeta,
  attackFile,
  type CrowdFileOptions,
  type CrowdFileResult,
  crowdFile,
  ExitCode,
  exitCodeForError,
  exitCodeForFindings,
  exitCodeForScan,
  exitCodeForVerification,
  loadAnnotations,
  loadGoldLabels,
  type ManifestCheck,
  renderCrowdHtml,
  type ScanFileOptions,
  type ScanFileResult,
  type ScanOutputPaths,
  scanFile,
  type TriggeredTestPaths,
  type WrittenScanOutputs,
  writeScanOutputs,
} from './workflows/index.js'
