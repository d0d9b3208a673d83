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
  type AggregationModel,
  type AnnotationTable,
  AnnotationTableBuilder,
  aggregateCrowd,
  aggregationModels,
  buildCrowdReport,
  type CrowdOptions,
  type CrowdReport,
  type CrowdResult,
  findCollusion,
  findSuspiciousAnnotators,
  fitDawidSkene,
  fitGlad,
  fitMace,
  fitOneCoin,
  type ModelFit,
  majorityVotePosterior,
  measureReliability,
  simulateCrowd,
} from './crowd/index.js'
export { type Dataset, type DatasetOrigin, encodeLabels, type LabelColumn } from './data/dataset.js'
export type { FeatureMatrix, SparseMatrix } from './data/matrix.js'
export {
  builtinDetectors,
  type DetectorId,
  detectorIds,
  getDetector,
  listDetectors,
  registerDetector,
  selectDetectors,
} from './detectors/registry.js'
export type { Detector, DetectorInput, DetectorResult, RunContext } from './detectors/types.js'
export type { Finding, FindingKind, RecordReport, Requirement, ScanReport, Severity } from './domain/index.js'
export { type ErrorCode, isPoisonguardError, PoisonguardError } from './errors.js'
export type { DistanceMetric, LinalgBackend, NeighbourGraph } from './linalg/backend.js'
export { createPortableBackend } from './linalg/portable.js'
export { jsonWriter } from './report/writers/json.js'
export { cleanKeepMask, type RelabelPlan, relabelPlan, sourcesFlaggedAbove } from './scan/clean.js'
export { type ScanOptions, type ScanProgress, scanDataset } from './scan/scan.js'
export { createRng, type Rng } from './util/rng.js'
export { version } from './version.js'
