import { z } from 'zod'
import type { CrowdEvidence } from '../../data/dataset.js'
import type { DetectedAttack } from '../../domain/index.js'
import { PoisonguardError } from '../../errors.js'
import { defineDetector, labelEvidenceCertainty } from '../types.js'

const paramsSchema = z
  .object({
    flagBelow: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe("flag when the crowd's posterior of the record's label is below this"),
    minAnswers: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(1)
      .describe('answers a record needs before the crowd may dispute its label'),
  })
  .strict()

function checkAligned(crowd: CrowdEvidence, rowCount: number) {
  if (crowd.labelPosterior.length !== rowCount)
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `the crowd evidence covers ${crowd.labelPosterior.length} records but the dataset has ${rowCount}; ` +
        'align the annotations with the dataset as scanned (rows added or removed after aggregation)',
    )
}

const percent = (value: number) => `${Math.round(100 * value)}%`

/**
 * Records whose label the crowd disputes: the crowd's posterior of the dataset's label, from an aggregation of its
 * annotators' answers with spammers, targeted and colluding annotators set aside (`poisonguard crowd`), is low.
 * The posterior is the chance the label is right, so it is also the record's chance of being a false alarm.
 * @see Dawid & Skene. Maximum Likelihood Estimation of Observer Error-Rates Using the EM Algorithm. JRSS C, 1979.
 */
export const crowdConsensusDetector = defineDetector({
  id: 'crowd-consensus',
  kind: 'label_issue',
  summary: "records whose label the crowd's aggregated answers dispute (needs scan --annotations)",
  requires: ['labels', 'annotations'],
  certainty: labelEvidenceCertainty,
  params: paramsSchema,
  async run(input, params) {
    const labels = input.labels!
    const crowd = input.dataset.crowd!
    checkAligned(crowd, input.rowCount)
    const rowCount = input.rowCount
    const suspicion = new Float32Array(rowCount)
    const falseAlarmChances = new Float64Array(rowCount).fill(1)
    const flagged = new Uint8Array(rowCount)
    const suggestedLabels = new Int32Array(rowCount).fill(-1)
    const explanations: (string | undefined)[] = new Array(rowCount).fill(undefined)
    let answered = 0
    for (let row = 0; row < rowCount; row++) {
      const posterior = crowd.labelPosterior[row]
      if (Number.isNaN(posterior) || crowd.answers[row] < params.minAnswers) continue
      answered++
      suspicion[row] = 1 - posterior
      falseAlarmChances[row] = posterior
      const consensus = crowd.consensus[row]
      if (posterior >= params.flagBelow) continue
      flagged[row] = 1
      if (consensus >= 0 && consensus !== labels.codes[row]) suggestedLabels[row] = consensus
      const own = labels.classes[labels.codes[row]]
      const said =
        consensus >= 0
          ? `the crowd says ${labels.classes[consensus]} (${percent(crowd.consensusConfidence[row])})`
          : 'the crowd chose a label outside the dataset’s classes'
      const pushed = crowd.pushedBy[row]
      explanations[row] =
        `labelled ${own} but ${said} from ${crowd.answers[row]} answers (${crowd.model}); ` +
        `${own} has ${percent(posterior)}` +
        (pushed ? `; ${own} was given by annotators found to be adversaries: ${pushed.join(', ')}` : '')
    }
    const attacks: Omit<DetectedAttack, 'detector'>[] = crowd.groups.map((group) => {
      const members = new Set(group.annotators)
      let records = 0
      for (let row = 0; row < rowCount; row++)
        if (flagged[row] && crowd.pushedBy[row]?.some((name) => members.has(name))) records++
      return {
        kind: 'label_issue',
        description:
          `${group.annotators.length} annotators answering in concert (${group.annotators.join(', ')}) ` +
          `gave the labels of ${records} records the crowd disputes`,
        records,
      }
    })
    return {
      suspicion,
      flagged,
      explanations,
      suggestedLabels,
      falseAlarmChances,
      attacks,
      info: {
        source: crowd.source,
        model: crowd.model,
        answeredRecords: answered,
        groups: crowd.groups,
      },
      warnings:
        answered < rowCount
          ? [`the crowd answered about ${answered} of ${rowCount} records; the others are not judged by it`]
          : [],
    }
  },
})
