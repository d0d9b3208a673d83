/** Crowdsourced labels: aggregation models, annotator reliability, adversaries and colluding groups. */
export { type AdversaryOptions, findSuspiciousAnnotators, type Suspicion } from './adversaries.js'
export {
  type AdversaryPolicy,
  aggregateCrowd,
  type CrowdOptions,
  type CrowdResult,
  modelFitters,
} from './aggregate.js'
export {
  type CollusionEdge,
  type CollusionGroup,
  type CollusionOptions,
  type CollusionSignal,
  findCollusion,
} from './collusion.js'
export { fitDawidSkene, fitOneCoin, fullConfusion, oneCoinConfusion } from './dawid-skene.js'
export { type CrowdEvidenceInput, crowdEvidence } from './evidence.js'
export { fitGlad } from './glad.js'
export { fitMace } from './mace.js'
export { majorityVotePosterior } from './majority-vote.js'
export { type CombinedView, combineWithModelView, type ModelView } from './model-view.js'
export {
  type AnnotatorReliability,
  goldAgreement,
  measureReliability,
  wilsonInterval,
} from './reliability.js'
export {
  type AnnotatorEntry,
  annotatorEntries,
  buildCrowdReport,
  type CrowdFinding,
  type CrowdReport,
  type CrowdReportContext,
  describeSuspicion,
  type GroupEntry,
  groupEntries,
  LOW_CONFIDENCE,
} from './report.js'
export {
  accuracyOf,
  type SimulatedAnnotator,
  type SimulatedCrowd,
  simulateCrowd,
  spreadAccuracies,
} from './simulate.js'
export {
  AnnotationTableBuilder,
  alignGold,
  type CrowdInputWarning,
  describeInputWarning,
} from './table-builder.js'
export {
  type AggregationModel,
  type AnnotationTable,
  aggregationModels,
  type Consensus,
  type EmOptions,
  type ModelFit,
} from './types.js'
