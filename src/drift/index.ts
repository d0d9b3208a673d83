export { benjaminiHochberg } from '../stats/multiple-testing.js'
export { permutationPValue } from '../stats/permutation.js'
export { regularizedGammaP, regularizedGammaQ } from '../stats/special.js'
export { chiSquareSurvival, kolmogorovSurvival } from '../stats/tails.js'
export {
  type CategoricalComparison,
  type ChiSquareResult,
  chiSquareTest,
  compareCategories,
  jensenShannonDivergence,
} from './categorical.js'
export { type CheckOptions, checkBatch } from './check.js'
export { type ColumnSummary, summarizeColumn, summarizeColumns } from './columns.js'
export { type PsiResult, populationStabilityIndex, wasserstein1 } from './distances.js'
export { columnDistribution, type EmpiricalDistribution, empiricalDistribution, quantileOf } from './ecdf.js'
export { renderCheckHtml } from './html.js'
export { type KsOptions, type KsResult, ksTest } from './ks.js'
export { type MmdOptions, type MmdResult, mmdTest } from './mmd.js'
export { type DriftSample, type DriftTestOptions, runDriftTests } from './run-tests.js'
export { type DatasetSchema, type FeatureRule, parseSchema, validateSchemaObject } from './schema.js'
export { type InferSchemaOptions, inferSchema } from './schema-infer.js'
export { KllSketch } from './sketch.js'
export { tokenBurstTest, tokenDistributionTest } from './text-drift.js'
export { createVocabulary, type TokenizedCorpus, tokenizeTexts } from './tokens.js'
export type {
  CheckFinding,
  CheckReport,
  CheckSummary,
  DriftTarget,
  DriftTestKind,
  DriftTestResult,
} from './types.js'
export { checkColumns, validateRows } from './validate.js'
