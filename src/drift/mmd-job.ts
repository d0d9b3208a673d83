import type { FeatureMatrix } from '../data/matrix.js'
import { DEFAULT_MMD_ROWS_PER_SIDE, type MmdJob } from './mmd.js'

/** The false-discovery rate of a check unless told otherwise. */
export const DEFAULT_ALPHA = 0.01

/** What the MMD test of a check needs from one side. */
export interface MmdSide {
  readonly features?: FeatureMatrix
  readonly featureNames: readonly string[]
}

/** The settings of a check that decide its MMD test. */
export interface MmdCheckOptions {
  mmd?: boolean
  seed?: number
  permutations?: number
  mmdMaxRowsPerSide?: number
  mmdMaxDimensions?: number
  /** The check's false-discovery rate: the MMD's permutations stop once its p-value is clearly above it. */
  alpha?: number
}

/** An MMD test ready to run: both sides' shared features, aligned, and the job. */
export interface MmdInputs {
  reference: FeatureMatrix
  batch: FeatureMatrix
  job: MmdJob
}

/** Whether a check runs its text tests (whose permutations draw random numbers before the MMD does). */
export function checkRunsTextTests(
  referenceHasText: boolean,
  batchHasText: boolean,
  text?: boolean,
): boolean {
  return text !== false && referenceHasText && batchHasText
}

/** Features present on both sides as [name, reference column, batch column]. */
export function commonFeatures(reference: MmdSide, batch: MmdSide): [string, number, number][] {
  if (!reference.features || !batch.features) return []
  const position = new Map(batch.featureNames.map((name, col) => [name, col]))
  const common: [string, number, number][] = []
  reference.featureNames.forEach((name, col) => {
    const batchCol = position.get(name)
    if (batchCol !== undefined) common.push([name, col, batchCol])
  })
  return common
}

/** Columns of `matrix` in the given order (a view when they already are). */
function alignColumns(matrix: FeatureMatrix, columns: number[]): FeatureMatrix {
  if (columns.length === matrix.cols && columns.every((col, index) => col === index)) return matrix
  const data = new Float32Array(matrix.rows * columns.length)
  for (let row = 0; row < matrix.rows; row++)
    for (let index = 0; index < columns.length; index++)
      data[row * columns.length + index] = matrix.data[row * matrix.cols + columns[index]]
  return { data, rows: matrix.rows, cols: columns.length }
}

/** The MMD's two matrices: the features both sides share, in the same column order. */
export function mmdMatrices(
  reference: MmdSide,
  batch: MmdSide,
  common: [string, number, number][],
): [FeatureMatrix, FeatureMatrix] {
  return [
    alignColumns(
      reference.features!,
      common.map(([, col]) => col),
    ),
    alignColumns(
      batch.features!,
      common.map(([, , col]) => col),
    ),
  ]
}

export function mmdJob(options: MmdCheckOptions): MmdJob {
  return {
    seed: options.seed ?? 0,
    permutations: options.permutations ?? 200,
    maxRowsPerSide: options.mmdMaxRowsPerSide ?? DEFAULT_MMD_ROWS_PER_SIDE,
    maxDimensions: options.mmdMaxDimensions ?? 32,
    alpha: options.alpha ?? DEFAULT_ALPHA,
  }
}

/**
 * The MMD test of a comparison as inputs another thread can run with the same result: only when nothing else draws
 * random numbers before it (`randomBefore`, i.e. text tests on both sides), since the test then starts from a fresh
 * generator at the seed. Undefined when there is no such test: MMD switched off, or fewer than two shared features.
 */
export function mmdInputs(
  reference: MmdSide,
  batch: MmdSide,
  options: MmdCheckOptions,
  randomBefore: boolean,
): MmdInputs | undefined {
  if (options.mmd === false || randomBefore) return undefined
  const common = commonFeatures(reference, batch)
  if (common.length < 2) return undefined
  const [referenceMatrix, batchMatrix] = mmdMatrices(reference, batch, common)
  return { reference: referenceMatrix, batch: batchMatrix, job: mmdJob(options) }
}
