import type { FeatureMatrix, SparseMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { createRng, type Rng } from '../util/rng.js'
import { createDesign, type Design, softmaxInPlace } from './design.js'
import { minimizeLbfgs } from './lbfgs.js'
import { minimizeSoftmaxSgd } from './sgd.js'
import { createSoftmaxObjective, type SoftmaxProblem } from './softmax-objective.js'

export interface LogisticRegressionOptions {
  /** Number of classes; default the largest label + 1. Pass it when a class may be missing from `labels`. */
  classCount?: number
  /** Penalty `l2 / 2 · ‖W‖²` added to the mean cross-entropy; default 1e-4. */
  l2?: number
  /** Per-class weights (length `classCount`), or 'balanced' for weights inversely proportional to class size. */
  classWeights?: ArrayLike<number> | 'balanced'
  /**
   * 'sgd' (default): `epochs` stochastic passes with a decaying step, the most accuracy per second.
   * 'lbfgs': full-batch L-BFGS to `tolerance`, slower but the exact minimiser (best calibrated probabilities).
   */
  solver?: 'sgd' | 'lbfgs'
  /** Passes over the data of the 'sgd' solver; default 3, more on fewer than 667 rows of a sparse design (see `defaultEpochs`). */
  epochs?: number
  /** Rows per update of the 'sgd' solver; default 8. */
  batchRows?: number
  /** First step of the 'sgd' solver in units of `1 / mean ‖x‖²`; default 2. */
  initialStep?: number
  /** Random source of the 'sgd' solver (row order); default seeded with 1. */
  rng?: Rng
  /** Iteration cap of the 'lbfgs' solver; default 100. */
  maxIterations?: number
  /** Relative decrease of the objective below which 'lbfgs' stops; default 1e-6. */
  tolerance?: number
}

/** A trained multinomial logistic regression; `weights[feature * classCount + class]`. */
export interface LogisticModel {
  readonly weights: Float32Array
  readonly bias: Float32Array
  readonly cols: number
  readonly classCount: number
  /** Epochs ('sgd') or iterations ('lbfgs') run, and whether 'lbfgs' reached its tolerance. */
  readonly iterations: number
  readonly converged: boolean
}

const DEFAULT_L2 = 1e-4
const DEFAULT_EPOCHS = 3
/**
 * Row visits the 'sgd' solver makes at least by default on a design where a weight is moved by few rows: one whose
 * used columns each hold a value in under a tenth of the rows, as hashed terms do. Three passes fit thousands of rows,
 * but three passes over the 145 training rows of a fold of 182 speeches were 435 steps, far from a fit: their flipped
 * labels ranked at 0.38 out of fold, 0.59 after 14 passes (2,030 visits), 0.60 after 100. Where most rows move most
 * weights (tables, their kernel features, pixels), the early stop stays: it is part of what keeps 300 rows of a table
 * from fitting a tenth of them flipped into one class.
 */
const MIN_ROW_VISITS = 2_000
const SPARSE_DENSITY = 0.1

function defaultEpochs(rowCount: number, design: Design): number {
  if (rowCount * DEFAULT_EPOCHS >= MIN_ROW_VISITS || design.density() >= SPARSE_DENSITY) return DEFAULT_EPOCHS
  return Math.ceil(MIN_ROW_VISITS / Math.max(rowCount, 1))
}
const DEFAULT_INITIAL_STEP = 2
const DEFAULT_MAX_ITERATIONS = 100
const DEFAULT_TOLERANCE = 1e-6

/** Collects every problem with the training inputs and throws them together; returns the class count. */
export function validateTrainingInputs(
  x: FeatureMatrix | SparseMatrix,
  labels: Int32Array,
  options: LogisticRegressionOptions,
): number {
  let maxLabel = -1
  let badLabels = 0
  for (let row = 0; row < labels.length; row++) {
    if (labels[row] > maxLabel) maxLabel = labels[row]
    if (labels[row] < 0 || labels[row] >= (options.classCount ?? Number.POSITIVE_INFINITY)) badLabels++
  }
  const classCount = options.classCount ?? Math.max(1, maxLabel + 1)
  const issues: string[] = []
  if (labels.length !== x.rows) issues.push(`${labels.length} labels for ${x.rows} rows`)
  if (!Number.isInteger(classCount) || classCount < 1) issues.push(`classCount ${classCount} (expected ≥ 1)`)
  if (badLabels > 0) issues.push(`${badLabels} labels outside 0..${classCount - 1}`)
  if (options.l2 !== undefined && !(options.l2 >= 0)) issues.push(`l2 ${options.l2} (expected ≥ 0)`)
  const weights = options.classWeights
  if (weights && weights !== 'balanced') {
    if (weights.length !== classCount)
      issues.push(`${weights.length} class weights for ${classCount} classes`)
    for (let c = 0; c < weights.length; c++)
      if (!(weights[c] >= 0)) issues.push(`class weight ${c} is ${weights[c]}`)
  }
  if (issues.length > 0) {
    throw new PoisonguardError('INVALID_ARGUMENT', `cannot train logistic regression: ${issues.join('; ')}`, {
      issues: issues.map((message) => ({ message })),
      hint: 'drop unlabelled rows (code -1) before training and pass one label per row',
    })
  }
  return classCount
}

function resolveRowWeights(
  labels: Int32Array,
  rows: Int32Array,
  classCount: number,
  options: LogisticRegressionOptions,
) {
  const perClass = new Float64Array(classCount).fill(1)
  if (options.classWeights === 'balanced') {
    const counts = new Float64Array(classCount)
    for (let position = 0; position < rows.length; position++) counts[labels[rows[position]]]++
    for (let c = 0; c < classCount; c++)
      perClass[c] = counts[c] > 0 ? rows.length / (classCount * counts[c]) : 0
  } else if (options.classWeights) {
    perClass.set(Array.from(options.classWeights))
  }
  return Float64Array.from(labels, (label) => perClass[label])
}

/** Expands packed solver parameters to one weight column per class (symmetric around 0 in the binary case). */
function unpackModel(point: Float64Array, cols: number, classCount: number, parameterClasses: number) {
  const weights = new Float32Array(cols * classCount)
  const bias = new Float32Array(classCount)
  if (parameterClasses === classCount) {
    weights.set(point.subarray(0, cols * classCount))
    bias.set(point.subarray(cols * classCount))
    return { weights, bias }
  }
  for (let j = 0; j < cols; j++) {
    weights[2 * j] = -0.5 * point[j]
    weights[2 * j + 1] = 0.5 * point[j]
  }
  bias[0] = -0.5 * point[cols]
  bias[1] = 0.5 * point[cols]
  return { weights, bias }
}

/**
 * Trains on the given rows of a design; trusts its input (see `validateTrainingInputs`). Cross-validation uses
 * it to train on folds without copying them.
 */
export function fitLogisticRegression(
  design: Design,
  labels: Int32Array,
  rows: Int32Array,
  classCount: number,
  options: LogisticRegressionOptions,
): LogisticModel {
  // Binary problems train one logit difference: half the work. Halving the penalty and doubling the SGD step make
  // it the same model and the same updates as the symmetric two-class softmax.
  const binary = classCount === 2
  const parameterClasses = binary ? 1 : classCount
  const problem: SoftmaxProblem = {
    design,
    labels,
    rows,
    classCount,
    parameterClasses,
    rowWeights: resolveRowWeights(labels, rows, classCount, options),
    l2: (options.l2 ?? DEFAULT_L2) * (binary ? 0.5 : 1),
  }
  let point: Float64Array
  let iterations = options.epochs ?? defaultEpochs(rows.length, design)
  let converged = true
  if ((options.solver ?? 'sgd') === 'sgd') {
    const initialStep = (options.initialStep ?? DEFAULT_INITIAL_STEP) * (binary ? 2 : 1)
    point = minimizeSoftmaxSgd(problem, {
      epochs: iterations,
      rng: options.rng ?? createRng(1),
      initialStep,
      batchRows: options.batchRows,
    })
  } else {
    const start = new Float64Array((design.cols + 1) * parameterClasses)
    const result = minimizeLbfgs(createSoftmaxObjective(problem), start, {
      maxIterations: options.maxIterations ?? DEFAULT_MAX_ITERATIONS,
      tolerance: options.tolerance ?? DEFAULT_TOLERANCE,
    })
    ;({ point, iterations, converged } = result)
  }
  const { weights, bias } = unpackModel(point, design.cols, classCount, parameterClasses)
  return { weights, bias, cols: design.cols, classCount, iterations, converged }
}

function allRows(rowCount: number): Int32Array {
  return Int32Array.from({ length: rowCount }, (_, row) => row)
}

/**
 * Trains multinomial (softmax) logistic regression with an L2 penalty on dense or sparse features; labels are
 * class codes in `0..classCount-1`.
 */
export function trainLogisticRegression(
  x: FeatureMatrix | SparseMatrix,
  labels: Int32Array,
  options: LogisticRegressionOptions = {},
): LogisticModel {
  const classCount = validateTrainingInputs(x, labels, options)
  return fitLogisticRegression(createDesign(x), labels, allRows(x.rows), classCount, options)
}

/** Rows per block of prediction: enough for the blocked products, small enough to stay in cache. */
const predictionBlockRows = 64

/** Class probabilities of the given rows, packed in their order (rows.length × classCount). */
export function predictRows(model: LogisticModel, design: Design, rows: Int32Array): Float32Array {
  const { classCount } = model
  const out = new Float32Array(rows.length * classCount)
  const logits = new Float64Array(predictionBlockRows * classCount)
  // The kernels see one array type only, so they stay monomorphic (and fast) across training and prediction.
  const weights = Float64Array.from(model.weights)
  for (let start = 0; start < rows.length; start += predictionBlockRows) {
    const block = rows.subarray(start, start + predictionBlockRows)
    design.blockLogits(block, weights, classCount, logits)
    for (let t = 0; t < block.length; t++) {
      for (let c = 0; c < classCount; c++) logits[t * classCount + c] += model.bias[c]
      softmaxInPlace(logits, classCount, t * classCount)
    }
    out.set(logits.subarray(0, block.length * classCount), start * classCount)
  }
  return out
}

/** Class probabilities of every row (rows × classCount, each row sums to 1). */
export function predictProbabilities(model: LogisticModel, x: FeatureMatrix | SparseMatrix): FeatureMatrix {
  if (x.cols !== model.cols) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `the model expects ${model.cols} feature columns, received ${x.cols}`,
    )
  }
  const out = predictRows(model, createDesign(x), allRows(x.rows))
  return { data: out, rows: x.rows, cols: model.classCount }
}
