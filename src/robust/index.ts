export {
  type CertificationSummary,
  type CertifiedCurvePoint,
  type CertifiedPrediction,
  certifyFiniteAggregation,
  certifyPartitionVotes,
  summarizeCertificates,
} from './certificate.js'
export {
  type AggregationScheme,
  certifyEnsemble,
  certifyPredictions,
  type MemberExecutor,
  type PartitionEnsemble,
  type PartitionEnsembleOptions,
  predictEnsembleMembers,
  sequentialMemberExecutor,
  trainPartitionEnsemble,
} from './ensemble.js'
export { classifierFromEnsemble, type EnsembleClassifierOptions } from './ensemble-classifier.js'
export { baseLearners, type LearnerId, type LearnerOptions, type MemberModel } from './learners.js'
export { decodeMember, type EnsembleManifest, encodeEnsemble, encodeMember } from './onnx-ensemble.js'
export { decodeEnsembleGraph, encodeEnsembleGraph } from './onnx-single-graph.js'
export { hashRecordContent } from './partition.js'
export {
  compareSourceModels,
  type PerSourceOptions,
  type PerSourceReport,
  type SourceDisagreement,
} from './per-source.js'
export { type PgdOptions, pgdAttack } from './pgd.js'
export { type RobustLogisticOptions, trainRobustLogistic } from './robust-logistic.js'
export { type AdversarialMlpOptions, trainAdversarialMlp } from './robust-mlp.js'
