/**
 * poisonguard's library API: every CLI command is a thin shell over these functions. It is the portable core
 * (`poisonguard/core`) plus what needs Node: loaders and writers, provenance, drift reports, the native backend,
 * the benchmark and the file workflows.
 * @packageDocumentation
 */
export * from './core.js'
export {
  type DistributedOptions,
  type DistributedScanResult,
  type JobCounts,
  type JobSplit,
  type ScanWorker,
  type ScanWorkerOptions,
  scanFileOnWorkers,
  startScanWorker,
  summariseJobs,
} from './distributed/index.js'
export {
  type CheckReport,
  checkBatch,
  inferSchema,
  parseSchema,
  renderCheckHtml,
} from './drift/index.js'
export { type BehaviourReport, compareBehaviour } from './evaluation/behaviour.js'
export { runBenchmark } from './evaluation/bench.js'
export { renderBenchMarkdown } from './evaluation/bench-render.js'
export { areaUnderRoc, averagePrecision } from './evaluation/metrics.js'
export { builtinDatasets, getBuiltinDataset, listBuiltinDatasets } from './io/builtin/index.js'
export type { DatasetFormat } from './io/formats/index.js'
export { hashFile, type LoadOptions, loadDataset, writeFilteredDataset } from './io/index.js'
export { writeDataset } from './io/write-dataset.js'
export { createDefaultBackend } from './linalg/default-backend.js'
export { type Classifier, classifierFromNetwork, predictedClasses } from './models/classifier.js'
export {
  type FoldExecutor,
  type FoldTask,
  fitFold,
  sequentialFoldExecutor,
} from './models/cross-validation.js'
export {
  type DenseLayer,
  type DenseNetwork,
  networkFromLogistic,
  predictNetwork,
} from './models/dense-network.js'
export { type MlpOptions, trainMlp } from './models/mlp.js'
export { loadOnnxClassifier, type OnnxClassifierOptions } from './models/onnx-classifier.js'
export { encodeNetworkModel, readExportedNetwork } from './models/onnx-export.js'
export { calibrateStrip, type StripGuard, type StripOptions } from './models/strip.js'
export { traceResponsibleRecords } from './models/trace.js'
export { standardTraining, type TrainingProcedure } from './models/train-network.js'
export { scanForTriggers, type TriggerScanOptions, type TriggerScanResult } from './models/trigger-scan.js'
export {
  createWorkerDetectorExecutor,
  type WorkerDetectorExecutor,
  type WorkerDetectorExecutorOptions,
} from './parallel/detector-executor.js'
export { createWorkerMemberExecutor, type WorkerMemberExecutor } from './parallel/member-executor.js'
export {
  createWorkerFoldExecutor,
  type WorkerFoldExecutor,
  type WorkerFoldExecutorOptions,
} from './parallel/worker-pool.js'
export {
  createManifest,
  diffProvenance,
  generateKeyFiles,
  traceLineage,
  verifyDatasetAgainstManifest,
} from './provenance/index.js'
export { encodeGrayscalePng, type HtmlReportExtras, renderHtmlReport } from './report/html.js'
export * from './robust/index.js'
export { scan } from './scan/index.js'
export {
  type ConfiguredDetector,
  configureDetectors,
  type DetectorInputOptions,
  type DetectorOutcome,
  prepareDetectorInput,
  type RunDetectorsOptions,
  runDetectors,
} from './scan/pipeline.js'
export {
  type CertifyFileOptions,
  type CertifyReport,
  type CertifyResult,
  certifyFile,
  writeCertifyOutputs,
} from './workflows/certify-file.js'
export { ensembleFolderOutput, loadEnsembleFolder } from './workflows/ensemble-folder.js'
export { type EvaluateModelOptions, evaluateModel } from './workflows/evaluate-model.js'
export { type GuardOptions, type GuardResult, guard } from './workflows/guard.js'
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
export {
  type RobustMode,
  type RobustTrainOptions,
  type RobustTrainResult,
  robustModes,
  robustTrainFile,
  robustTrainingProcedure,
  robustTrainOutput,
} from './workflows/robust-train.js'
export { type ScanModelTriggersOptions, scanModelTriggers } from './workflows/scan-model-triggers.js'
export { type TraceModelOptions, type TraceModelResult, traceModel } from './workflows/trace-model.js'
export { type TrainModelOptions, trainModel } from './workflows/train-model.js'
