import { fractionDetail, type ProgressOptions, progressReporter } from '../util/progress.js'
import { type AdversaryOptions, findSuspiciousAnnotators, type Suspicion } from './adversaries.js'
import { type CollusionGroup, type CollusionOptions, findCollusion } from './collusion.js'
import { fitDawidSkene, fitOneCoin, fullConfusion } from './dawid-skene.js'
import { consensusOf } from './em.js'
import { fitGlad } from './glad.js'
import { fitMace } from './mace.js'
import { majorityVotePosterior } from './majority-vote.js'
import { type AnnotatorReliability, measureReliability } from './reliability.js'
import type { AggregationModel, AnnotationTable, EmOptions, ModelFit } from './types.js'

/** Every aggregation model by name. */
export const modelFitters: Record<
  AggregationModel,
  (table: AnnotationTable, options?: EmOptions) => ModelFit
> = {
  'majority-vote': (table, options = {}) => ({
    model: 'majority-vote',
    iterations: 0,
    ...consensusOf(majorityVotePosterior(table, options), table.classes.length),
  }),
  'dawid-skene': fitDawidSkene,
  'one-coin': fitOneCoin,
  glad: fitGlad,
  mace: fitMace,
}

/** What happens to the annotators found suspicious. */
export type AdversaryPolicy = 'exclude' | 'down-weight' | 'keep'

export interface CrowdOptions extends Omit<EmOptions, 'annotatorWeight'>, ProgressOptions {
  /** Default `dawid-skene`. */
  model?: AggregationModel
  /** Default `exclude`: suspicious annotators get weight 0; `down-weight` gives them `downWeight`. */
  adversaries?: AdversaryPolicy
  /** Weight of a suspicious annotator under `down-weight`, in (0, 1). Default 0.1. */
  downWeight?: number
  detection?: AdversaryOptions & CollusionOptions
  /** Called with the share of the work done, in [0, 1]. */
  onProgress?: (fractionDone: number) => void
}

export interface CrowdResult {
  /** The final fit, after suspicious annotators were excluded or down-weighted. */
  readonly fit: ModelFit
  /** The fit on every annotator alike, which the detection read; the same object as `fit` when nothing was found. */
  readonly initialFit: ModelFit
  /** Reliability against the final consensus. */
  readonly reliability: AnnotatorReliability
  /** Per annotator: why it is suspicious (empty when it is not). */
  readonly suspicions: readonly (readonly Suspicion[])[]
  readonly groups: readonly CollusionGroup[]
  /** The weight each annotator had in the final fit. */
  readonly weight: Float64Array
  /** Items whose consensus label changed between the initial and the final fit. */
  readonly changedItems: number
  /** More than half the annotators looked suspicious, so nobody was set aside. */
  readonly majoritySuspicious: boolean
}

/**
 * Aggregates crowd answers: fits the model on everyone, finds spammers, targeted annotators and colluding
 * groups against that fit, then refits with them excluded or down-weighted (unless `adversaries` is `keep`, or
 * they are more than half the crowd).
 */
export function aggregateCrowd(table: AnnotationTable, options: CrowdOptions = {}): CrowdResult {
  const fitModel = modelFitters[options.model ?? 'dawid-skene']
  const onProgress = progressReporter(options, fractionDetail)
  const emOptions: EmOptions = {
    tolerance: options.tolerance,
    maxIterations: options.maxIterations,
    gold: options.gold,
  }
  const initialFit = fitModel(table, emOptions)
  onProgress?.(0.4)
  // The search divides an item's posterior by a pair's own likelihood factors, so it needs a fit whose posteriors
  // are such products: majority vote and GLAD have no confusion matrices, and Dawid–Skene stands in for them.
  const detectionFit = initialFit.confusion ? initialFit : fitDawidSkene(table, emOptions)
  const detectionReliability = measureReliability(table, detectionFit.posterior)
  const suspicions: Suspicion[][] = findSuspiciousAnnotators(table, detectionReliability, options.detection)
  const groups = findCollusion(
    table,
    {
      posterior: detectionFit.posterior,
      confusion: detectionFit.confusion ?? fullConfusion(table, detectionFit.posterior),
    },
    detectionReliability,
    options.detection,
  )
  groups.forEach((group, index) => {
    for (const member of group.annotators) {
      const partners = group.annotators.filter((other) => other !== member)
      suspicions[member].push({ kind: 'colluding', group: index, partners })
    }
  })
  onProgress?.(0.6)
  const weight = new Float64Array(table.annotatorIds.length).fill(1)
  const policy = options.adversaries ?? 'exclude'
  const penalty = policy === 'exclude' ? 0 : (options.downWeight ?? 0.1)
  const suspiciousCount = suspicions.filter((found) => found.length > 0).length
  // Against a suspicious majority the "honest" minority is the likelier outlier; a person has to decide.
  const majoritySuspicious = suspiciousCount * 2 > table.annotatorIds.length
  const anySuspicious = suspiciousCount > 0 && policy !== 'keep' && !majoritySuspicious
  if (anySuspicious) for (let j = 0; j < weight.length; j++) if (suspicions[j].length > 0) weight[j] = penalty
  // Starting from the first fit saves most of the iterations: only the flagged annotators' pull is removed.
  const refit = () => fitModel(table, { ...emOptions, annotatorWeight: weight, start: initialFit.posterior })
  const fit = anySuspicious ? refit() : initialFit
  onProgress?.(0.9)
  let changedItems = 0
  for (let i = 0; i < fit.label.length; i++) if (fit.label[i] !== initialFit.label[i]) changedItems++
  const reliability = measureReliability(table, fit.posterior)
  onProgress?.(1)
  return { fit, initialFit, reliability, suspicions, groups, weight, changedItems, majoritySuspicious }
}
