import { type Design, softmaxInPlace } from './design.js'
import type { Objective } from './lbfgs.js'

/**
 * Parameters are packed as `[W (cols × parameterClasses, feature-major), b (parameterClasses)]`; the bias is not
 * penalised. With two classes only class 1 has parameters (`parameterClasses` 1) and class 0's logit is fixed at 0:
 * the same model as the symmetric softmax at half the cost.
 */
export interface SoftmaxProblem {
  readonly design: Design
  readonly labels: Int32Array
  /** The rows to train on (all rows, or the training folds), as indices into the design and the labels. */
  readonly rows: Int32Array
  readonly classCount: number
  readonly parameterClasses: number
  /** Weight of each row of the design (class weight of its label). */
  readonly rowWeights: Float64Array
  readonly l2: number
}

/** Rows per block of the full-batch objective: enough for the blocked products, small enough to stay in cache. */
const objectiveBlockRows = 64

/**
 * Class probabilities (rows × classCount) of a block from its parameter logits (rows × parameterClasses), with
 * `bias` added and the logits multiplied by `scale` first; class 0's logit is 0 when only the others have parameters.
 */
export function blockProbabilities(
  problem: SoftmaxProblem,
  rowCount: number,
  logits: Float64Array,
  scale: number,
  bias: Float64Array,
  probabilities: Float64Array,
): void {
  const { classCount, parameterClasses } = problem
  const skipped = classCount - parameterClasses
  for (let t = 0; t < rowCount; t++) {
    const out = t * classCount
    for (let c = 0; c < skipped; c++) probabilities[out + c] = 0
    for (let c = 0; c < parameterClasses; c++)
      probabilities[out + skipped + c] = logits[t * parameterClasses + c] * scale + bias[c]
    softmaxInPlace(probabilities, classCount, out)
  }
}

/**
 * Weighted mean cross-entropy plus `l2 / 2 · ‖W‖²`, with its gradient: the convex objective of multinomial
 * logistic regression, evaluated a block of rows at a time.
 */
export function createSoftmaxObjective(problem: SoftmaxProblem): Objective {
  const { design, labels, rows, classCount, parameterClasses, rowWeights, l2 } = problem
  const weightCount = design.cols * parameterClasses
  const skipped = classCount - parameterClasses
  let totalWeight = 0
  for (let position = 0; position < rows.length; position++) totalWeight += rowWeights[rows[position]]
  const logits = new Float64Array(objectiveBlockRows * parameterClasses)
  const probabilities = new Float64Array(objectiveBlockRows * classCount)
  return (params, gradient) => {
    gradient.fill(0)
    const weights = params.subarray(0, weightCount)
    const bias = params.subarray(weightCount)
    let loss = 0
    for (let start = 0; start < rows.length; start += objectiveBlockRows) {
      const block = rows.subarray(start, start + objectiveBlockRows)
      design.blockLogits(block, weights, parameterClasses, logits)
      blockProbabilities(problem, block.length, logits, 1, bias, probabilities)
      for (let t = 0; t < block.length; t++) {
        const row = block[t]
        const label = labels[row]
        const rowWeight = rowWeights[row] / totalWeight
        loss -= rowWeight * Math.log(Math.max(probabilities[t * classCount + label], 1e-300))
        probabilities[t * classCount + label] -= 1
        // The residuals of the parameter classes, weighted, overwrite the block's logits.
        for (let c = 0; c < parameterClasses; c++) {
          const residual = rowWeight * probabilities[t * classCount + skipped + c]
          logits[t * parameterClasses + c] = residual
          gradient[weightCount + c] += residual
        }
      }
      design.addBlockOuter(block, logits, parameterClasses, gradient)
    }
    let squaredNorm = 0
    for (let i = 0; i < weightCount; i++) {
      squaredNorm += params[i] * params[i]
      gradient[i] += l2 * params[i]
    }
    return loss + 0.5 * l2 * squaredNorm
  }
}
