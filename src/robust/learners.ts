import { type FeatureMatrix, selectRows } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { predictedClasses } from '../models/classifier.js'
import { type DenseNetwork, networkFromLogistic, predictNetwork } from '../models/dense-network.js'
import { createDesign } from '../models/design.js'
import { fitLogisticRegression } from '../models/logistic-regression.js'
import { trainMlp } from '../models/mlp.js'
import { createRng } from '../util/rng.js'
import { fitKnn, type KnnModel, predictKnn } from './knn.js'

/** A built-in network (logistic regression or MLP) as an ensemble member. */
export interface NetworkMember {
  readonly kind: 'network'
  readonly network: DenseNetwork
}

/** One trained ensemble member: plain typed arrays, so it crosses threads and files unchanged. */
export type MemberModel = NetworkMember | KnnModel

/** Settings of a base learner; each learner reads its own. */
export interface LearnerOptions {
  /** L2 penalty of logistic regression and the MLP; default 0.01 for logreg (small partitions need more), 1e-4 for the MLP. */
  l2?: number
  /** Passes over the data; default 10. */
  epochs?: number
  /** Hidden units of the MLP; default 64. */
  hiddenUnits?: number
  /** Neighbours of k-NN; default 1. */
  neighbours?: number
}

/** A base learner: trains on some rows of a matrix. */
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

/** The rows a member trains on, copied: the partition alone is compacted or batched, not the whole set per member. */
function partitionData(x: FeatureMatrix, labels: Int32Array, rows: Int32Array) {
  return { subset: selectRows(x, rows), subsetLabels: Int32Array.from(rows, (row) => labels[row]) }
}

/** The built-in base learners by id. */
export const baseLearners = {
  logreg: {
    id: 'logreg',
    summary: 'multinomial logistic regression (SGD)',
    fit(x, labels, rows, classCount, seed, options) {
      const { subset, subsetLabels } = partitionData(x, labels, rows)
      const all = Int32Array.from({ length: rows.length }, (_, row) => row)
      const model = fitLogisticRegression(createDesign(subset), subsetLabels, all, classCount, {
        l2: options.l2 ?? 0.01,
        epochs: options.epochs ?? 10,
        rng: createRng(seed),
      })
      return { kind: 'network', network: networkFromLogistic(model) }
    },
  },
  mlp: {
    id: 'mlp',
    summary: 'one-hidden-layer ReLU network (Adam)',
    fit(x, labels, rows, classCount, seed, options) {
      const { subset, subsetLabels } = partitionData(x, labels, rows)
      // Unset settings are left out rather than passed as undefined, which would override the MLP's defaults.
      const network = trainMlp(subset, subsetLabels, {
        classCount,
        seed,
        epochs: options.epochs ?? 10,
        batchSize: 32,
        ...(options.hiddenUnits === undefined ? {} : { hiddenUnits: options.hiddenUnits }),
        ...(options.l2 === undefined ? {} : { l2: options.l2 }),
      })
      return { kind: 'network', network }
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

/** How each kind of member predicts; a new kind of model is one line here. */
const memberPredictors: {
  [Kind in MemberModel['kind']]: (model: Extract<MemberModel, { kind: Kind }>, x: FeatureMatrix) => Int32Array
} = {
  network: (model, x) => predictedClasses(predictNetwork(model.network, x)),
  knn: predictKnn,
}

/** Input width of a member. */
export function memberInputWidth(model: MemberModel): number {
  return model.kind === 'knn' ? model.cols : model.network.layers[0].inCols
}

/** The class each member predicts for every row. */
export function predictMember(model: MemberModel, x: FeatureMatrix): Int32Array {
  const width = memberInputWidth(model)
  if (x.cols !== width) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `the model expects ${width} feature columns, received ${x.cols}`,
      {
        hint: 'certify with data that has the columns the ensemble was trained on',
      },
    )
  }
  return (memberPredictors[model.kind] as (model: MemberModel, x: FeatureMatrix) => Int32Array)(model, x)
}
