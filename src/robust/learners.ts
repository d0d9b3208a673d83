import { type FeatureMatrix, selectRows } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { createDesign } from '../models/design.js'
import { fitLogisticRegression, type LogisticModel, predictRows } from '../models/logistic-regression.js'
import { createRng } from '../util/rng.js'
import { fitKnn, type KnnModel, predictKnn } from './knn.js'

/** The built-in logistic regression as an ensemble member. */
export interface LogisticMember extends Omit<LogisticModel, 'iterations' | 'converged'> {
  readonly kind: 'logistic-regression'
}

/** One trained ensemble member: plain typed arrays, so it crosses threads and files unchanged. */
export type MemberModel = LogisticMember | KnnModel

/** Settings of a base learner; each learner reads its own. */
export interface LearnerOptions {
  /** L2 penalty of logistic regression; default 0.01 (small partitions need more than a full training set). */
  l2?: number
  /** SGD passes of logistic regression; default 10. */
  epochs?: number
  /** Neighbours of k-NN; default 1. */
  neighbours?: number
}

/** A base learner: trains on some rows of a matrix and predicts a class per row. */
export interface BaseLearner {
  readonly id: string
  readonly summary: string
  fit(
    x: FeatureMatrix,
    labels: Int32Array,
    rows: Int32Array,
    classCount: number,
    seed: number,
    options: LearnerOptions,
  ): MemberModel
}

function argmaxRows(probabilities: Float32Array, classCount: number): Int32Array {
  const out = new Int32Array(probabilities.length / classCount)
  for (let row = 0; row < out.length; row++) {
    let best = 0
    for (let c = 1; c < classCount; c++)
      if (probabilities[row * classCount + c] > probabilities[row * classCount + best]) best = c
    out[row] = best
  }
  return out
}

/** The built-in base learners by id. */
export const baseLearners = {
  logreg: {
    id: 'logreg',
    summary: 'multinomial logistic regression (SGD)',
    fit(x, labels, rows, classCount, seed, options) {
      // The partition alone is compacted for the solver, not the whole training set once per member.
      const subset = selectRows(x, rows)
      const subsetRows = Int32Array.from({ length: rows.length }, (_, row) => row)
      const subsetLabels = Int32Array.from(rows, (row) => labels[row])
      const model = fitLogisticRegression(createDesign(subset), subsetLabels, subsetRows, classCount, {
        l2: options.l2 ?? 0.01,
        epochs: options.epochs ?? 10,
        rng: createRng(seed),
      })
      return {
        kind: 'logistic-regression',
        weights: model.weights,
        bias: model.bias,
        cols: model.cols,
        classCount,
      }
    },
  },
  knn: {
    id: 'knn',
    summary: 'k-nearest neighbours in Euclidean distance',
    fit: (x, labels, rows, classCount, _seed, options) =>
      fitKnn(x, labels, rows, classCount, options.neighbours ?? 1),
  },
} as const satisfies Record<string, BaseLearner>

export type LearnerId = keyof typeof baseLearners

/** The learner of an id, or a typed error listing the valid ones. */
export function resolveLearner(id: string): BaseLearner {
  if (Object.hasOwn(baseLearners, id)) return baseLearners[id as LearnerId]
  throw new PoisonguardError('UNKNOWN_NAME', `unknown base learner "${id}"`, {
    hint: `use one of: ${Object.keys(baseLearners).join(', ')}`,
  })
}

function predictLogisticMember(model: LogisticMember, x: FeatureMatrix): Int32Array {
  const full = { ...model, iterations: 0, converged: true }
  const rows = Int32Array.from({ length: x.rows }, (_, row) => row)
  return argmaxRows(predictRows(full, createDesign(x), rows), model.classCount)
}

/** How each kind of member predicts; a new kind of model is one line here. */
const memberPredictors: {
  [Kind in MemberModel['kind']]: (model: Extract<MemberModel, { kind: Kind }>, x: FeatureMatrix) => Int32Array
} = { 'logistic-regression': predictLogisticMember, knn: predictKnn }

/** The class each member predicts for every row. */
export function predictMember(model: MemberModel, x: FeatureMatrix): Int32Array {
  if (x.cols !== model.cols) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `the model expects ${model.cols} feature columns, received ${x.cols}`,
      {
        hint: 'certify with data that has the columns the ensemble was trained on',
      },
    )
  }
  return (memberPredictors[model.kind] as (model: MemberModel, x: FeatureMatrix) => Int32Array)(model, x)
}
