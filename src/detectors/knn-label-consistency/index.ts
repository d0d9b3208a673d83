import { z } from 'zod'
import { countingRecordsOnce } from '../distinct-records.js'
import { defineDetector, labelEvidenceCertainty } from '../types.js'
import { unjudgedRecords, unjudgedWarnings } from '../unjudged-labels.js'
import { voteNeighbourLabels } from './score.js'

const paramsSchema = z
  .object({
    k: z.number().int().min(1).max(200).default(10).describe('neighbours that vote on each label'),
    flagAbove: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('flag when the weighted share of disagreeing neighbours exceeds this'),
  })
  .strict()

/**
 * Records whose label disagrees with the distance-weighted plurality of their nearest neighbours.
 * @see Peri et al. Deep k-NN Defense against Clean-label Data Poisoning Attacks. ECCV Workshops, 2020.
 */
export const knnLabelConsistencyDetector = countingRecordsOnce(
  defineDetector({
    id: 'knn-label-consistency',
    kind: 'label_issue',
    summary: 'Deep k-NN: records whose label disagrees with most of their nearest neighbours',
    requires: ['labels', 'features'],
    certainty: labelEvidenceCertainty,
    awaits: ['neighbours'],
    params: paramsSchema,
    async run(input, params) {
      const labels = input.labels!
      const k = Math.min(params.k, input.rowCount - 1)
      const graph = await input.neighbours(k)
      const vote = voteNeighbourLabels(graph, labels.codes, labels.classes.length)
      const unjudged = unjudgedRecords(labels, graph)
      const suspicion = vote.disagreement.map((share, row) => (unjudged.rows[row] ? 0 : share))
      const flagged = new Uint8Array(input.rowCount)
      const suggestedLabels = new Int32Array(input.rowCount).fill(-1)
      const explanations: (string | undefined)[] = new Array(input.rowCount).fill(undefined)
      for (let row = 0; row < input.rowCount; row++) {
        const own = labels.codes[row]
        const plurality = vote.pluralityLabels[row]
        if (own < 0 || plurality < 0 || plurality === own || suspicion[row] <= params.flagAbove) continue
        flagged[row] = 1
        suggestedLabels[row] = plurality
        const agreeing = countNeighboursWithLabel(graph.indices, row, k, labels.codes, plurality)
        explanations[row] =
          `labelled ${labels.classes[own]} but ${agreeing} of its ${k} nearest neighbours are ` +
          `${labels.classes[plurality]}`
      }
      return {
        suspicion,
        flagged,
        explanations,
        suggestedLabels,
        info: { k },
        warnings: [
          ...(k < params.k ? [`only ${input.rowCount} records: used k=${k} instead of ${params.k}`] : []),
          ...unjudgedWarnings(labels, unjudged),
        ],
      }
    },
  }),
)

function countNeighboursWithLabel(
  indices: Int32Array,
  row: number,
  k: number,
  labels: Int32Array,
  label: number,
) {
  let count = 0
  for (let position = 0; position < k; position++) if (labels[indices[row * k + position]] === label) count++
  return count
}
