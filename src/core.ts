/**
 * poisonguard's portable core (`poisonguard/core`): detectors, attacks, fusion, crowd label aggregation and the
 * report contract over data already in memory. Nothing in its import graph touches Node built-ins, the file system
 * or native packages, so it bundles for a browser, a web worker or an edge runtime; the main entry adds loaders,
 * writers, provenance and the native backend.
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
export { type Dataset, type DatasetOrigin, encodeLabels, type LabelColumn } from './data/dataset.js'
export type { FeatureMatrix, SparseMatrix } from './data/matrix.js'
export {
  builtinDetectors,
  type DetectorId,
  type DetectorName,
  type DetectorParamsById,
  detectorIds,
  getDetector,
  type InfoOf,
  listDetectors,
  type ParamsOf,
  parseDetectorNames,
  type RegisteredDetectors,
  registerDetector,
  selectDetectors,
} from './detectors/registry.js'
export {
  type Detector,
  type DetectorInfo,
  type DetectorInput,
  type DetectorResult,
  defineDetector,
  type RunContext,
} from './detectors/types.js'
export type {
  Finding,
  FindingKind,
  NeighbourSearchReport,
  RecordReport,
  Requirement,
  ScanReport,
  Severity,
} from './domain/index.js'
export { type ErrorCode, isPoisonguardError, PoisonguardError } from './errors.js'
export {
  type FromArraysOptions,
  type FromRecordsOptions,
  fromArrays,
  fromRecords,
  type LabelValues,
} from './io/in-memory.js'
export type { NeighbourMethod, NeighbourSearchOptions } from './linalg/ann/search.js'
export type { DistanceMetric, LinalgBackend, NeighbourGraph } from './linalg/backend.js'
export { createPortableBackend } from './linalg/portable.js'
export {
  type FoldExecutor,
  type FoldTask,
  fitFold,
  sequentialFoldExecutor,
} from './models/cross-validation.js'
export { jsonWriter } from './report/writers/json.js'
export { cleanKeepMask, type RelabelPlan, relabelPlan, sourcesFlaggedAbove } from './scan/clean.js'
export { detectorReport, type TypedDetectorReport } from './scan/detector-report.js'
export { type ScanOptions, type ScanProgress, scanDataset } from './scan/scan.js'
export type { ProgressOptions } from './util/progress.js'
export { createRng, type Rng } from './util/rng.js'
export { version } from './version.js'
