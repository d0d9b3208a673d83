import type { FeatureMatrix } from '../data/matrix.js'
import { PoisonguardError } from '../errors.js'
import { createRng, type Rng } from '../util/rng.js'
import { softmaxInPlace } from './design.js'
import { type BinEdges, binMatrix, fitBinEdges } from './feature-bins.js'
import { ForestBuilder, leafValue, type TreeGrowthSettings, type TreeNodes } from './tree-growth.js'

export interface BoostingOptions {
  readonly classCount: number
  /** Most rounds of boosting (one tree per class each); fewer when `validationRows` stop it early. */
  readonly rounds: number
  /** Scale of every tree's leaves; default 0.1. */
  readonly learningRate?: number
  /** Leaves per tree, grown best first; default 16. */
  readonly maxLeaves?: number
  /** Penalty on leaf values; default 1. */
  readonly l2?: number
  /** Fewest training rows in a leaf; default 10. */
  readonly minLeafRows?: number
  /** Bins per column; default 255. */
  readonly maxBins?: number
  /**
   * Rows scored but not trained on: boosting stops once their log-loss has not improved for `patience` rounds,
   * and the model keeps the rounds up to its best.
   */
  readonly validationRows?: Int32Array
  /** Rounds without improvement on `validationRows` before stopping; default 10. */
  readonly patience?: number
  /** Share of the training rows each round's trees are grown on, drawn anew every round; default 1. */
  readonly rowShare?: number
  /** Source of the rows drawn when `rowShare` is below 1. */
  readonly rng?: Rng
}

/**
 * Multiclass gradient-boosted trees: `roots[round * treesPerRound + tree]` adds to the logit of class `tree`, or
 * with two classes (one tree a round) to the second class's.
 */
export interface BoostedTreesModel {
  readonly cols: number
  readonly classCount: number
  readonly treesPerRound: number
  readonly bins: BinEdges
  readonly baseScores: Float64Array
  readonly nodes: TreeNodes
  readonly roots: Int32Array
  readonly rounds: number
}

/**
 * Trees grown each round: one per class, but one in all for two classes, whose logits matter only by their
 * difference (the binary logistic loss: half the work of two mirrored trees).
 */
export function treesPerRound(classCount: number): number {
  return classCount === 2 ? 1 : classCount
}

/** The class whose logit tree `tree` of a round adds to. */
function classOfTree(tree: number, classCount: number): number {
  return classCount === 2 ? 1 : tree
}

const defaults = { learningRate: 0.1, maxLeaves: 16, l2: 1, minLeafRows: 10, maxBins: 255, patience: 10 }

/** Log of each class's share of the training rows, smoothed so an absent class keeps a finite score. */
function priorScores(labels: Int32Array, rows: Int32Array, classCount: number): Float64Array {
  const counts = new Float64Array(classCount).fill(1)
  for (let position = 0; position < rows.length; position++) counts[labels[rows[position]]]++
  return counts.map((count) => Math.log(count / (rows.length + classCount)))
}

/** Mean log-loss of `rows` whose logits sit at `scores[row * classCount ..]`. */
function meanLogLoss(scores: Float64Array, labels: Int32Array, rows: Int32Array, classCount: number): number {
  const logits = new Float64Array(classCount)
  let total = 0
  for (const row of rows) {
    logits.set(scores.subarray(row * classCount, (row + 1) * classCount))
    softmaxInPlace(logits, classCount)
    total -= Math.log(Math.max(logits[labels[row]], 1e-15))
  }
  return total / Math.max(rows.length, 1)
}

/** Sets each training row's gradient and hessian of the softmax loss for `target`, from its probabilities. */
function fillGradients(
  probabilities: Float64Array,
  labels: Int32Array,
  trainRows: Int32Array,
  classCount: number,
  target: number,
  gradients: Float64Array,
  hessians: Float64Array,
) {
  for (const row of trainRows) {
    const probability = probabilities[row * classCount + target]
    gradients[row] = probability - (labels[row] === target ? 1 : 0)
    hessians[row] = Math.max(probability * (1 - probability), 1e-6)
  }
}

/**
 * The state of one boosting run: every row's logits (training rows updated from their leaves, the rest by
 * walking each new tree), the forest so far, and the buffers each round reuses.
 */
class Booster {
  readonly scores: Float64Array
  readonly roots: Int32Array
  readonly builder: ForestBuilder
  private readonly probabilities: Float64Array
  private readonly gradients: Float64Array
  private readonly hessians: Float64Array
  private readonly sample: Int32Array
  /** The drawn rows, reordered by each tree as it splits them. */
  private readonly order: Int32Array
  private readonly walked: Int32Array
  private readonly classCount: number
  private readonly perRound: number

  constructor(
    private readonly codes: Uint16Array,
    private readonly bins: BinEdges,
    private readonly labels: Int32Array,
    private readonly trainRows: Int32Array,
    private readonly settings: TreeGrowthSettings,
    baseScores: Float64Array,
    rounds: number,
  ) {
    const rowCount = labels.length
    this.classCount = baseScores.length
    this.perRound = treesPerRound(this.classCount)
    this.scores = new Float64Array(rowCount * this.classCount)
    for (let row = 0; row < rowCount; row++) this.scores.set(baseScores, row * this.classCount)
    this.probabilities = new Float64Array(rowCount * this.classCount)
    this.gradients = new Float64Array(rowCount)
    this.hessians = new Float64Array(rowCount)
    this.sample = new Int32Array(trainRows.length)
    this.order = new Int32Array(trainRows.length)
    this.walked = new Int32Array(rowCount)
    this.roots = new Int32Array(rounds * this.perRound)
    const binCount = bins.offsets[bins.offsets.length - 1]
    this.builder = new ForestBuilder(rounds * this.perRound * (2 * settings.maxLeaves - 1), binCount)
  }

  /** Grows one round's trees on a draw of `rowShare` of the training rows; `scored` rows get their logits too. */
  growRound(round: number, rowShare: number, rng: Rng, scored: Int32Array | undefined): void {
    const { classCount, scores, probabilities, trainRows } = this
    for (const row of trainRows) {
      probabilities.set(scores.subarray(row * classCount, (row + 1) * classCount), row * classCount)
      softmaxInPlace(probabilities, classCount, row * classCount)
    }
    let sampleCount = 0
    let walkedCount = 0
    for (const row of trainRows) {
      if (rowShare >= 1 || rng.next() < rowShare) this.sample[sampleCount++] = row
      else this.walked[walkedCount++] = row
    }
    if (scored) for (const row of scored) this.walked[walkedCount++] = row
    const cols = this.bins.edges.length
    const input = {
      codes: this.codes,
      cols,
      offsets: this.bins.offsets,
      gradients: this.gradients,
      hessians: this.hessians,
    }
    for (let tree = 0; tree < this.perRound; tree++) {
      const target = classOfTree(tree, classCount)
      fillGradients(probabilities, this.labels, trainRows, classCount, target, this.gradients, this.hessians)
      const grown = this.order.subarray(0, sampleCount)
      grown.set(this.sample.subarray(0, sampleCount))
      const root = this.builder.grow(input, grown, this.settings, (start, end, value) => {
        for (let position = start; position < end; position++)
          scores[grown[position] * classCount + target] += value
      })
      this.roots[round * this.perRound + tree] = root
      for (let position = 0; position < walkedCount; position++) {
        const row = this.walked[position]
        scores[row * classCount + target] += leafValue(this.builder.nodes, root, this.codes, row * cols)
      }
    }
  }
}

/**
 * Trains multiclass gradient-boosted trees on `trainRows` of `matrix` (softmax loss, one tree per class a round,
 * leaves by Newton steps); trusts its input.
 * @see Friedman. Greedy Function Approximation: A Gradient Boosting Machine. Annals of Statistics 29, 2001.
 * @see Ke et al. LightGBM: A Highly Efficient Gradient Boosting Decision Tree. NeurIPS 2017.
 */
export function fitBoostedTrees(
  matrix: FeatureMatrix,
  labels: Int32Array,
  trainRows: Int32Array,
  options: BoostingOptions,
): BoostedTreesModel {
  const { classCount, rounds } = options
  const settings: TreeGrowthSettings = {
    maxLeaves: options.maxLeaves ?? defaults.maxLeaves,
    l2: options.l2 ?? defaults.l2,
    minLeafRows: options.minLeafRows ?? defaults.minLeafRows,
    shrinkage: options.learningRate ?? defaults.learningRate,
  }
  const bins = fitBinEdges(matrix, trainRows, options.maxBins ?? defaults.maxBins)
  const baseScores = priorScores(labels, trainRows, classCount)
  const booster = new Booster(binMatrix(matrix, bins), bins, labels, trainRows, settings, baseScores, rounds)
  const validation = options.validationRows
  const rng = options.rng ?? createRng(1)
  let bestLoss = Number.POSITIVE_INFINITY
  let kept = rounds
  for (let round = 0; round < rounds; round++) {
    booster.growRound(round, options.rowShare ?? 1, rng, validation)
    if (!validation) continue
    const loss = meanLogLoss(booster.scores, labels, validation, classCount)
    if (loss < bestLoss) {
      bestLoss = loss
      kept = round + 1
    } else if (round + 1 - kept >= (options.patience ?? defaults.patience)) break
  }
  const perRound = treesPerRound(classCount)
  return {
    cols: matrix.cols,
    classCount,
    treesPerRound: perRound,
    bins,
    baseScores,
    nodes: booster.builder.nodes,
    roots: booster.roots.slice(0, kept * perRound),
    rounds: kept,
  }
}

/** Class probabilities of the given rows of binned codes, packed in their order (rows.length × classCount). */
export function predictBinnedRows(
  model: BoostedTreesModel,
  codes: Uint16Array,
  rows: Int32Array,
): Float32Array {
  const { classCount, cols, treesPerRound: perRound } = model
  const out = new Float32Array(rows.length * classCount)
  const logits = new Float64Array(classCount)
  for (let position = 0; position < rows.length; position++) {
    logits.set(model.baseScores)
    for (let round = 0; round < model.rounds; round++)
      for (let tree = 0; tree < perRound; tree++)
        logits[classOfTree(tree, classCount)] += leafValue(
          model.nodes,
          model.roots[round * perRound + tree],
          codes,
          rows[position] * cols,
        )
    softmaxInPlace(logits, classCount)
    for (let target = 0; target < classCount; target++) out[position * classCount + target] = logits[target]
  }
  return out
}

/** Class probabilities of every row (rows × classCount, each row sums to 1). */
export function predictBoostedTrees(model: BoostedTreesModel, x: FeatureMatrix): FeatureMatrix {
  if (x.cols !== model.cols) {
    throw new PoisonguardError(
      'SHAPE_MISMATCH',
      `the model expects ${model.cols} feature columns, received ${x.cols}`,
    )
  }
  const rows = Int32Array.from({ length: x.rows }, (_, row) => row)
  return {
    data: predictBinnedRows(model, binMatrix(x, model.bins), rows),
    rows: x.rows,
    cols: model.classCount,
  }
}
