import { z } from 'zod'
import type { FeatureMatrix } from '../../data/matrix.js'
import { type DetectorInput, defineDetector, labelEvidenceCertainty, type RunContext } from '../types.js'
import { unjudgedRecords, unjudgedWarnings } from '../unjudged-labels.js'
import { foldAveragedProbabilities, readsFoldDraws } from './fold-draws.js'
import { kernelModelProbabilities, readsKernel } from './kernel-view.js'
import { modeCountOf, modeModelProbabilities } from './modes-view.js'
import { lowCutNoiseRate } from './noise-rate.js'
import { mixLabelViews, type ViewWeights, wrongLabelChances, wrongLabelChancesOfMix } from './posterior.js'
import { labelsHeldByRegion } from './region-null.js'
import { findLabelIssues } from './score.js'
import { averageProbabilities, treeProbabilities } from './tree-view.js'
import { uniformNoiseRate } from './uniform-noise.js'

const paramsSchema = z.object({}).strict()

/** Neighbours whose labels join the model's view in each record's chance of a wrong label. */
const neighbourCount = 10

/**
 * Share of a record's suspicion that orders it by how little of its label the views give, beside how far that
 * falls below its class's threshold: three in four records reach the threshold, and without it they all tied at 0
 * in the ranking, flipped ones among them (average precision of 10% flips on a table of mail statistics and on
 * mail subjects rose by 0.003–0.009, seeds 1–3).
 */
const orderingShare = 0.01

/**
 * Modes a class must be able to span before a model of each label's modes is tried: the ten classes of MNIST
 * digits are each about one digit, the two of the digits 0–4 against 5–9 each five, and a model of modes costs a
 * class for every label and mode a record holds.
 */
const modesPerClass = 8

/**
 * Whether a label's records may be several modes the model read per class cannot learn: the neighbours know more
 * of the labels than the model (on 2,000 MNIST digits labelled 0–4 against 5–9 the model's exponent was 0.014 of the
 * neighbours', 0.2 on 1,000 of them), and the data hold enough modes for several a class.
 */
function readsModes(weights: ViewWeights, rowCount: number, classCount: number): boolean {
  return weights.model < weights.neighbours && mayReadModelInput(rowCount, classCount)
}

/**
 * Whether the model's input may be read on data of this size at all, whatever the views' weights: by the model of
 * modes, and by the second draw of the folds. The scan's workers are sent that input only where this holds, so a
 * detector on a worker reads the labels as one on the calling thread does.
 */
export function mayReadModelInput(rowCount: number, classCount: number): boolean {
  return modeCountOf(rowCount) >= modesPerClass * classCount
}

/** A model tried beside the linear one as the scan drew its folds. */
interface CandidateModel {
  /** The models whose probabilities it reads, as the report names them. */
  readonly names: readonly string[]
  probabilities(): FeatureMatrix | Promise<FeatureMatrix>
}

/**
 * The models tried where the linear one, read per class, may fall short (`weights` are its views' exponents): a
 * linear model of each label's modes, or else one on Gaussian kernel features (beside `trees`, the forest's
 * probabilities where one was grown), each on data it can afford; and where the linear model leads, the same model
 * over more draws of the folds (`linear`, the scan's draw). Every record must be labelled.
 */
function candidateModels(
  input: DetectorInput,
  weights: ViewWeights,
  context: RunContext,
  linear: FeatureMatrix,
  trees: FeatureMatrix | undefined,
): CandidateModel[] {
  const { features: geometry, labels, modelFeatures, rowCount } = input
  if (!geometry || !labels || labels.codes.some((code) => code < 0)) return []
  const classCount = labels.classes.length
  const { codes } = labels
  const models: CandidateModel[] = []
  if (modelFeatures && readsModes(weights, rowCount, classCount))
    models.push({
      names: ['linear on modes'],
      probabilities: () => modeModelProbabilities(modelFeatures, geometry, codes, classCount, context.seed),
    })
  // Not where the model of modes is tried: on two-class digits (2,000 and 5,000, seeds 1–3) the kernel model never
  // made the labels likelier than it, and cost 0.4–1.9 CPU s a scan for nothing.
  else if (readsKernel(weights, rowCount, classCount))
    models.push({
      names: trees
        ? ['linear on Gaussian kernel features', 'random forest']
        : ['linear on Gaussian kernel features'],
      // Averaged with the forest where one was grown, as the linear model is: on 8×8 digits the kernel model
      // alone ranked flips at 0.955 (seeds 1–3) and beside the forest at 0.959, the linear model with it 0.957.
      probabilities: () => {
        const kernel = kernelModelProbabilities(geometry, codes, classCount, context.seed, context.signal)
        return trees ? averageProbabilities(kernel, trees) : kernel
      },
    })
  if (modelFeatures && readsFoldDraws(weights) && mayReadModelInput(rowCount, classCount))
    models.push({
      names: trees ? ['linear over fold draws', 'random forest'] : ['linear over fold draws'],
      probabilities: async () => {
        const averaged = await foldAveragedProbabilities(modelFeatures, codes, linear, context.seed, context)
        return trees ? averageProbabilities(averaged, trees) : averaged
      },
    })
  return models
}

/**
 * The chances of a wrong label the suspicion ranks by. Where the fit keeps a view, their product reads each label:
 * the tempered model and the neighbours weighed by what each alone knows (`wrong`) misorder labels the product
 * orders well (10% flips of 1,000 digits in [-1,1], whose neighbours know little: 0.739 against 0.951, seed 1). That
 * holds where the fit leaves the neighbours out too, now that the exponents' prior bounds the model's temperature
 * (without it a 1:50 table's exponent reached 3·10⁴): there `wrong` still hears the neighbours the fit found to add
 * nothing, and alone ranked mails' 10% flips at 0.975–0.989 where the product ranks them at 0.987–0.993 (one draw
 * of the folds, seeds 3, 4, 8). Where the fit keeps neither view, the product says nothing and `wrong` ranks.
 */
function rankingWrongChances(
  mixed: FeatureMatrix,
  weights: ViewWeights,
  codes: Int32Array,
  noiseRate: number,
  wrong: (noiseRate: number) => Float64Array,
): Float64Array {
  return weights.neighbours > 0 || weights.model > 0
    ? wrongLabelChancesOfMix(mixed, codes, noiseRate)
    : wrong(noiseRate)
}

/** Records that carry a label. */
function labelledCount(codes: Int32Array): number {
  let count = 0
  for (const code of codes) if (code >= 0) count++
  return count
}

/** Share of the labelled records flagged as label issues: confident learning's estimate of the noise rate. */
function issueShare(flagged: Uint8Array, codes: Int32Array): number {
  let issueCount = 0
  codes.forEach((code, row) => {
    if (code >= 0) issueCount += flagged[row]
  })
  const labelled = labelledCount(codes)
  return labelled > 0 ? issueCount / labelled : 0
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}

function percent(probability: number): string {
  return `${Math.round(probability * 100)}%`
}

/**
 * Label issues by confident learning over the built-in model's out-of-fold probabilities.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 */
export const labelIssuesDetector = defineDetector({
  id: 'label-issues',
  kind: 'label_issue',
  summary:
    'Confident learning: records whose label the cross-validated model and the neighbours confidently contradict',
  requires: ['labels', 'features'],
  certainty: labelEvidenceCertainty,
  awaits: ['neighbours', 'outOfFoldProbabilities'],
  params: paramsSchema,
  async run(input, _params, context) {
    const labels = input.labels!
    // The neighbour graph is shared with the other detectors of the scan, so reading it here costs nothing more.
    const graph = await input.neighbours(Math.min(neighbourCount, input.rowCount - 1))
    const linearProbabilities = await input.outOfFoldProbabilities()
    // A caller's own probabilities are read as cleanlab reads them: the neighbours do not overrule them. The
    // built-in model's are read with the neighbours, and on few columns beside a random forest: their mean ranked
    // flipped labels better than either model alone or each as a view of its own (docs/zoo.md).
    const trees = input.probabilitiesGiven
      ? undefined
      : treeProbabilities(input.dataset, context.seed, context.signal)
    const linearModel = trees ? averageProbabilities(linearProbabilities, trees) : linearProbabilities
    const mixWithNeighbours = (model: typeof linearModel) => ({
      model,
      ...mixLabelViews(model, graph, labels.codes, findLabelIssues(model, labels.codes).jointDistribution),
    })
    let views = input.probabilitiesGiven
      ? { model: linearModel, mixed: linearModel, weights: { model: 1, neighbours: 0 }, loss: 0 }
      : mixWithNeighbours(linearModel)
    let models = trees ? ['linear', 'random forest'] : ['linear']
    // Each is kept only where it makes the observed labels more likely out of fold than the best read so far.
    if (!input.probabilitiesGiven)
      for (const candidate of candidateModels(input, views.weights, context, linearProbabilities, trees)) {
        const tried = mixWithNeighbours(await candidate.probabilities())
        if (tried.loss < views.loss) {
          views = tried
          models = [...candidate.names]
        }
      }
    const { model: modelProbabilities, mixed: probabilities, weights } = views
    const result = findLabelIssues(probabilities, labels.codes)
    // Confident learning counts the labels a model can put elsewhere, which a weak model (few records a class, a
    // representation it cannot read) does for many correct labels: the chances are read at no more noise than the
    // data's own null admits.
    const estimatedNoiseRate = Math.min(
      issueShare(result.flagged, labels.codes),
      lowCutNoiseRate(modelProbabilities, labels.codes),
    )
    const classCount = probabilities.cols
    // The flags (the chances of a false alarm and the regions' null) read only the noise random flips explain:
    // classes that truly overlap (bins of one measurement) put their honest labels below the cuts and into confident
    // learning's count alike, and read at that noise the Bayes rule calls them flips (docs/zoo.md). The ranking
    // keeps the estimate it was tuned with.
    const flipNoiseRate = Math.min(
      estimatedNoiseRate,
      uniformNoiseRate(result.jointDistribution, classCount, labelledCount(labels.codes)) ?? 1,
    )
    const wrongAt = (noiseRate: number) =>
      wrongLabelChances(modelProbabilities, graph, labels.codes, noiseRate)
    const wrong = wrongAt(flipNoiseRate)
    // The flags, not the ranking: a label doubted where two classes share a region still ranks above one nobody
    // doubts, but it is no finding, the data being unable to tell it from the region's honest labels of its class.
    // A caller's own probabilities are not overruled by the neighbours here either.
    const heldByRegion = input.probabilitiesGiven
      ? new Uint8Array(input.rowCount)
      : labelsHeldByRegion(graph, labels.codes, wrong, classCount, flipNoiseRate)
    const rankingChances = rankingWrongChances(
      probabilities,
      weights,
      labels.codes,
      estimatedNoiseRate,
      (noiseRate) => (noiseRate === flipNoiseRate ? wrong : wrongAt(noiseRate)),
    )
    const suspicion = new Float32Array(input.rowCount)
    const explanations: (string | undefined)[] = new Array(input.rowCount).fill(undefined)
    const unjudged = unjudgedRecords(labels, graph)
    const flagged = result.flagged.map((flag, row) => (unjudged.rows[row] || heldByRegion[row] ? 0 : flag))
    for (let row = 0; row < input.rowCount; row++) {
      const given = labels.codes[row]
      if (given < 0 || unjudged.rows[row]) continue
      const givenProbability = probabilities.data[row * classCount + given]
      // Measured against what its class's own records get (confident learning's per-class threshold): the honest
      // records of a rare or varied class get little from any model, and are not doubtful for that.
      const belowThreshold = Math.max(0, 1 - givenProbability / result.thresholds[given])
      const shortfall = (1 - orderingShare) * belowThreshold + orderingShare * (1 - givenProbability)
      // Beside the chance the label is wrong: a class whose labels are mostly noise (the rare class of a 1:50 table
      // under 10% flips) sets its threshold among its wrong labels, and those above it fall short of nothing (average
      // precision of those flips 0.745 by the shortfall alone, 0.970 by the mean).
      suspicion[row] = (shortfall + rankingChances[row]) / 2
      const suggested = result.suggestedLabels[row]
      if (flagged[row] && suggested >= 0) {
        explanations[row] =
          `labelled ${labels.classes[given]} but a model trained without this record and its nearest ` +
          `neighbours give that label ` +
          `${percent(givenProbability)} and ${labels.classes[suggested]} ` +
          `${percent(probabilities.data[row * classCount + suggested])}`
      }
    }
    return {
      suspicion,
      flagged,
      explanations,
      suggestedLabels: result.suggestedLabels,
      falseAlarmChances: wrong.map((chance, row) => {
        const given = labels.codes[row]
        return given >= 0 && !unjudged.rows[row] && !heldByRegion[row] ? 1 - chance : 1
      }),
      info: {
        estimatedNoiseRate,
        flipNoiseRate,
        models,
        viewWeights: { model: round(weights.model), neighbours: round(weights.neighbours) },
        thresholds: Object.fromEntries(labels.classes.map((name, index) => [name, result.thresholds[index]])),
      },
      warnings: unjudgedWarnings(labels, unjudged),
    }
  },
})
