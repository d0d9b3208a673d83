import { z } from 'zod'
import type { LabelColumn } from '../../data/dataset.js'
import { createRng } from '../../util/rng.js'
import { type ClassSpectrum, classVerdictSummary } from '../class-spectra.js'
import { countingRecordsOnce } from '../distinct-records.js'
import { type DetectorResult, defineDetector } from '../types.js'
import { type ClusterVerdict, judgeClusters } from './score.js'
import { silhouetteStandOutPValue } from './stand-out.js'

const paramsSchema = z
  .object({
    minSilhouette: z
      .number()
      .min(-1)
      .max(1)
      .default(0.5)
      .describe(
        'a class splits significantly only when the mean silhouette of its two clusters reaches this',
      ),
    minClusterShare: z
      .number()
      .min(0)
      .lt(1)
      .default(0.01)
      .describe(
        'a cluster below this share of its class is a handful of outliers, not a poisoned population',
      ),
    maxClusterShare: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.35)
      .describe(
        'a cluster up to this share of its class is a candidate; near-even splits test both clusters',
      ),
    maxOwnLabelShare: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('flag a cluster when, held out of training, at most this share of it keeps its label'),
    neighbours: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('nearest neighbours read to tell a cluster that sits among other records from an island'),
  })
  .strict()

export type ActivationClusteringParams = z.infer<typeof paramsSchema>

function percent(share: number): string {
  return `${Math.round(share * 100)}%`
}

/** The most frequent other classes predicted for a held-out cluster, as "3 (20%), 8 (15%)". */
function describePredictions(predictions: Int32Array, labels: LabelColumn, ownCode: number): string {
  const counts = new Map<number, number>()
  for (const code of predictions) if (code !== ownCode) counts.set(code, (counts.get(code) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([code, count]) => `${labels.classes[code]} (${percent(count / predictions.length)})`)
    .join(', ')
}

function explain(verdict: ClusterVerdict, spectrum: ClassSpectrum, labels: LabelColumn): string {
  const className = labels.classes[spectrum.code]
  const reclassified = verdict.reclassification!
  return (
    `labelled ${className}: one of ${verdict.members.length} records (${percent(verdict.share)} of the class) in a ` +
    `cluster that stands apart from the rest of the class (silhouette ${verdict.silhouette.toFixed(2)}); a model ` +
    `trained without that cluster gives ${percent(reclassified.ownLabelShare)} of it the label ${className} and ` +
    `classifies the rest as ${describePredictions(reclassified.predictions, labels, spectrum.code)}`
  )
}

function writeClass(
  verdict: ClusterVerdict,
  spectrum: ClassSpectrum,
  labels: LabelColumn,
  result: Pick<DetectorResult, 'suspicion' | 'flagged' | 'suggestedLabels'> & {
    explanations: (string | undefined)[]
  },
): number {
  if (verdict.confidence === 0 || !verdict.reclassification) return 0
  const explanation = explain(verdict, spectrum, labels)
  let flaggedCount = 0
  verdict.members.forEach((row, position) => {
    const score = verdict.confidence * verdict.membership[position]
    result.suspicion[row] = score
    if (score < 0.5) return
    result.flagged[row] = 1
    flaggedCount++
    result.explanations[row] = explanation
    const predicted = verdict.reclassification!.predictions[position]
    if (predicted !== spectrum.code) result.suggestedLabels![row] = predicted
  })
  return flaggedCount
}

function rounded(value: number): number {
  return Math.round(value * 1000) / 1000
}

/** One class's entry in `info`: how it split and how the held-out cluster was classified. */
function describeClass(verdict: ClusterVerdict, label: string, records: number, suspected: number) {
  return {
    label,
    records,
    clusterShare: rounded(verdict.share),
    silhouette: rounded(verdict.silhouette),
    heldOutOwnLabelShare: verdict.reclassification ? rounded(verdict.reclassification.ownLabelShare) : null,
    regionOthers: verdict.regionOthers ?? null,
    suspected,
  }
}

/**
 * Activation clustering: per class, 2-means on the class's leading directions relative to the other classes; a
 * cluster is poison only when it is small, clearly apart (silhouette), and lands in other classes when a model is
 * retrained without it (exclusionary reclassification), so a class without poison comes out clean.
 * @see Chen, Carvalho, Baracaldo, Ludwig, Edwards, Lee, Molloy, Srivastava. Detecting Backdoor Attacks on Deep
 *   Neural Networks by Activation Clustering. SafeAI workshop at AAAI 2019.
 */
export const activationClusteringDetector = countingRecordsOnce(
  defineDetector({
    id: 'activation-clustering',
    kind: 'backdoor',
    summary:
      'Activation clustering: a tight cluster in a class that a model trained without it puts elsewhere',
    requires: ['labels', 'features'],
    awaits: ['classSpectra'],
    params: paramsSchema,
    async run(input, params, context) {
      const labels = input.labels!
      const spectra = await input.classSpectra()
      const result = {
        suspicion: new Float32Array(input.rowCount),
        flagged: new Uint8Array(input.rowCount),
        explanations: new Array<string | undefined>(input.rowCount).fill(undefined),
        suggestedLabels: new Int32Array(input.rowCount).fill(-1),
      }
      const classes: ReturnType<typeof describeClass>[] = []
      const silhouettes: number[] = []
      const neighbours = await input.neighbours(Math.min(params.neighbours, input.rowCount - 1))
      const present = spectra.classes.filter((spectrum) => spectrum !== undefined)
      present.forEach((spectrum, index) => {
        const verdict = judgeClusters(spectrum, spectra.componentCount, input.features!, labels, params, {
          rng: createRng(context.seed + 7919 * (spectrum.code + 1)),
          neighbours,
        })
        const suspected = writeClass(verdict, spectrum, labels, result)
        silhouettes.push(verdict.silhouette)
        classes.push(describeClass(verdict, labels.classes[spectrum.code], spectrum.rows.length, suspected))
        context.onProgress?.((index + 1) / present.length)
      })
      // A class's cluster counts as dataset-level evidence only when it stands apart more than the dataset's other
      // classes' clusters do: some data hold tight natural clusters in many classes.
      const datasetPValue = silhouetteStandOutPValue(
        silhouettes,
        classes.map((entry) => entry.suspected > 0),
      )
      return { ...result, ...classVerdictSummary(classes, spectra, labels.classes), datasetPValue }
    },
  }),
)
