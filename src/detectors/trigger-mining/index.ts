import { z } from 'zod'
import { binomialUpperTail } from '../../stats/tails.js'
import { countingRecordsOnce } from '../distinct-records.js'
import { type DetectorInput, defineDetector } from '../types.js'
import { type ContentSupport, measureContentSupport } from './content.js'
import { explainCarrier, neighbourPlurality, summariseNeighbours } from './explain.js'
import { type FeatureFamily, featureFamilies } from './families.js'
import type { AgreementContrast, MaskedContentTest } from './masked-content.js'
import { type FeatureEvidence, mineTriggerFeatures } from './mine.js'
import { groupTriggers, type TriggerGroup } from './triggers.js'

const paramsSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(2)
      .max(100)
      .default(10)
      .describe('nearest neighbours that say what a record looks like apart from its label'),
    significance: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.01)
      .describe(
        'chance of reporting any trigger in clean data (Bonferroni over every feature and label tested)',
      ),
    minRows: z
      .number()
      .int()
      .min(2)
      .default(5)
      .describe('fewest records with the target label that must carry a trigger'),
    maxCarrierShare: z
      .number()
      .gt(0)
      .max(1)
      .default(0.15)
      .describe(
        'features carried by a larger share of the records are too common to be a trigger (a category, a layout)',
      ),
    minRatio: z
      .number()
      .min(1)
      .default(1.5)
      .describe('carriers with the label must outnumber what their content predicts by at least this factor'),
    flagAbove: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('flag carriers whose chance of being poisoned exceeds this'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/**
 * Level at which carriers that agree with their label more than the other classes' records do are taken for a
 * natural feature's: not a corrected one, as it only ever withholds a trigger.
 */
const ownLabelLevel = 0.01
/**
 * How far from the other classes' reading towards their label's own the carriers may read (see `ownLabelShare`):
 * relabelled records read as the others, and a trigger that writes a value some honest records of the label hold
 * (a count capped at 12, a common product) is carried by a few of them too.
 */
const maxOwnLabelShare = 1 / 3

/**
 * Where the carriers' mean agreement with their label lies from the other classes' records' (0) to the label's own
 * records' (1), hidden alike; 0 where the content does not read the label's records as more of it than the others.
 */
function ownLabelShare(contrast: AgreementContrast): number {
  const span = contrast.classAgreement - contrast.otherAgreement
  return span > 0 ? (contrast.carrierAgreement - contrast.otherAgreement) / span : 0
}

/** Features examined in full per family after the linear screen. */
const maxCandidates = 3000

interface FoundTrigger {
  readonly family: FeatureFamily
  readonly group: TriggerGroup
  /** The carriers read with the trigger hidden, where the family can hide it. */
  readonly hidden?: MaskedContentTest
}

async function mineFamily(
  family: FeatureFamily,
  input: DetectorInput,
  support: ContentSupport,
  params: Params,
  share: number,
) {
  const codes = input.labels!.codes
  const options = {
    minRows: params.minRows,
    maxCarriers: family.maxCarriers ?? Math.floor(params.maxCarrierShare * codes.length),
    maxMixedCarriers: Math.floor(params.maxCarrierShare * codes.length),
    minRatio: params.minRatio,
    oddsTest: family.hideAndRead !== undefined,
    significance: params.significance * share,
    maxCandidates,
    excludeCarriers: family.excludeCarriers,
    kindOf: family.kindOf,
    kindCount: family.kindCount,
    focus: family.focus,
    countTail: family.countTail,
    broaderFeature: family.broaderFeature,
    readApart:
      family.readApart &&
      ((rows: Int32Array, marks: Uint8Array) => family.readApart!(rows, marks, codes, support.k)),
  }
  const mined = mineTriggerFeatures(family.incidence, codes, support, options)
  // The strongest evidence after the family's Bonferroni correction, on the scale of the detector's significance.
  if (mined.evidence.length === 0) return { groups: [], testCount: mined.testCount, adjusted: 1 }
  // The shared model's view of content sharpens the carriers' scores; it is only needed once something is found.
  const probabilities = await input.outOfFoldProbabilities()
  const grouped = groupTriggers({
    probabilities,
    incidence: family.incidence,
    evidence: mined.evidence,
    lists: mined.lists,
    codes,
    support,
    minRows: params.minRows,
    excludeCarriers: family.excludeCarriers,
    readApart: options.readApart,
  })
  const groups = confirmHidden(family, grouped, codes, support.classCount, params, share)
  if (groups.length === 0) return { groups, testCount: mined.testCount, adjusted: 1 }
  const mining = Math.min(...groups.map(({ group }) => correctedPValue(group.members[0], share)))
  return {
    groups,
    testCount: mined.testCount,
    adjusted: Math.max(mining, Math.min(...groups.map((entry) => entry.hiddenPValue))),
  }
}

/**
 * Raises the chance of carriers whose content, with the trigger hidden, mostly holds other labels to the share of
 * such carriers the class's own rate does not explain: a poisoned record whose own neighbours half agree with the
 * label (a six relabelled zero) is still read as a six once the patch is gone.
 */
function sharpenByHidden(group: TriggerGroup, hidden: MaskedContentTest): TriggerGroup {
  const unexplained =
    hidden.carriersElsewhere === 0
      ? 0
      : Math.max(0, 1 - (hidden.carriersRead * hidden.classElsewhereShare) / hidden.carriersElsewhere)
  const suspicion = Float32Array.from(group.suspicion)
  let index = 0
  hidden.rows.forEach((row, read) => {
    if (!hidden.elsewhere[read]) return
    // Both lists ascend, so one pass finds each read carrier's place among the group's rows.
    while (index < group.rows.length && group.rows[index] < row) index++
    if (group.rows[index] === row) suspicion[index] = Math.max(suspicion[index], unexplained)
  })
  return { ...group, suspicion }
}

/**
 * Keeps the triggers whose carriers with the label look like other classes once the trigger is hidden, far more
 * often than the class's own records hidden alike: a label-pure part of one class (a stroke only ones fill) is
 * carried by records that are still typical of the class without it. Each group's test is corrected for the
 * groups tested, on the family's share of the significance; families that cannot hide a feature keep every group.
 * A group with the mark of clamped noise (see `FeatureFamily.clampedNoise`) must also hold its label on more of
 * its carriers than random labels, an even share of the classes, would give: a planted value relabels nearly all
 * of them, while noise records at a column's extreme hold each label about equally, however far that is from
 * what their content predicts.
 */
function confirmHidden(
  family: FeatureFamily,
  groups: readonly TriggerGroup[],
  codes: Int32Array,
  classCount: number,
  params: Params,
  share: number,
): { group: TriggerGroup; hiddenPValue: number; hidden?: MaskedContentTest }[] {
  const hideAndRead = family.hideAndRead
  if (!hideAndRead) return groups.map((group) => ({ group, hiddenPValue: 0 }))
  const threshold = Math.log((params.significance * share) / groups.length)
  return groups.flatMap((group) => {
    const evenShare = binomialUpperTail(group.labelledCarrierCount, group.carrierCount, 1 / classCount)
    if (Math.log(evenShare) > threshold && family.clampedNoise?.(group, codes)) return []
    const hidden = hideAndRead(group, codes, params.k)
    // Where the class's own records, hidden alike, find their label among their neighbours less than once on
    // average (classes of a few records among hundreds), content cannot tell a relabelled carrier from them: the
    // group stands on the mining test, as for families that cannot hide a feature.
    if (hidden.classAgreement * params.k < 1) return [{ group, hiddenPValue: 0 }]
    const contrast = hidden.contrast
    // Carriers that agree with their label well beyond the other classes' records hold a label of their own: a
    // natural feature that makes its carriers' label leaves them between their class and the others (see
    // `AgreementContrast.aboveOthersLogPValue`), where relabelled records read as the classes they came from.
    if (
      contrast &&
      ownLabelShare(contrast) > maxOwnLabelShare &&
      contrast.aboveOthersLogPValue <= Math.log(ownLabelLevel)
    )
      return []
    // Where what is left after hiding cannot tell the label's records from the others' (a table of five columns with
    // three hidden), not even carriers that all read as other classes could pass: the group stands on the mining
    // test if its carriers lean towards the others.
    if (contrast && contrast.reachableLogPValue > threshold)
      return 2 * contrast.carrierAgreement <= contrast.classAgreement + contrast.otherAgreement
        ? [{ group, hiddenPValue: 0 }]
        : []
    const countPasses = hidden.logPValue <= threshold && elsewhereOddsRatio(hidden) >= params.minRatio
    const meanPasses =
      contrast !== undefined && ownLabelShare(contrast) <= maxOwnLabelShare && contrast.logPValue <= threshold
    if (!countPasses && !meanPasses) return []
    const logPValue = Math.min(countPasses ? hidden.logPValue : 0, meanPasses ? contrast!.logPValue : 0)
    const hiddenPValue = Math.min(1, (Math.exp(logPValue) * groups.length) / share)
    return [{ group: sharpenByHidden(group, hidden), hiddenPValue, hidden }]
  })
}

/**
 * How much more often the carriers read as other classes than the class's own records, as a ratio of odds: where
 * half the class reads elsewhere already (noisy 8×8 shapes), a ratio of counts cannot reach 2 however many of the
 * carriers read elsewhere, while the odds still tell 31 of 40 carriers from a class share of 0.54 (ratio 1.43,
 * odds ratio 2.9).
 */
function elsewhereOddsRatio(hidden: MaskedContentTest): number {
  const share = hidden.classElsewhereShare
  const agreeing = hidden.carriersRead - hidden.carriersElsewhere
  return (hidden.carriersElsewhere * (1 - share)) / (share * Math.max(agreeing, 0.5))
}

/**
 * Whether two groups are one trigger found twice (by two readings of the same words): the same label, and most of
 * the smaller group's records marked by the other.
 */
function sameTrigger(first: TriggerGroup, second: TriggerGroup): boolean {
  if (first.label !== second.label) return false
  const [smaller, larger] = first.rows.length <= second.rows.length ? [first, second] : [second, first]
  let shared = 0
  for (const row of smaller.rows) shared += larger.carrierMarks[row]
  return 2 * shared >= smaller.rows.length
}

/** A mined feature's p-value corrected for its family's tests, on the scale of the detector's significance. */
function correctedPValue(evidence: FeatureEvidence, share: number): number {
  return Math.min(1, (Math.exp(evidence.logPValue) * evidence.correction) / share)
}

function log10(value: number): number {
  return Math.round((value / Math.LN10) * 10) / 10
}

/**
 * Backdoor triggers mined from the data: features (pixel patches at any position, blended patterns, words and
 * phrases, exact column values) that are rare overall but whose carriers hold one label far more often than
 * their neighbours' labels predict, found with a Bonferroni-corrected tail bound; carriers are then scored by
 * how much of the trigger they hold and how far their own content points from the label.
 * @see Gu, Dolan-Gavitt, Garg. BadNets: Identifying Vulnerabilities in the Machine Learning Model Supply Chain. 2017.
 * @see Chen et al. Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering. 2018 (the
 *   relabelled records' content belongs to another class).
 * @see Peri et al. Deep k-NN Defense against Clean-label Data Poisoning Attacks. ECCV Workshops, 2020.
 */
export const triggerMiningDetector = countingRecordsOnce(
  defineDetector({
    id: 'trigger-mining',
    kind: 'backdoor',
    summary:
      'Trigger mining: patches, tokens or values concentrated on one label in records that look like another',
    requires: ['labels', 'features'],
    // Every score rests on a trigger that passed a corrected test over the whole dataset.
    standalone: true,
    params: paramsSchema,
    async run(input, params, context) {
      const labels = input.labels!
      const codes = labels.codes
      const k = Math.min(params.k, input.rowCount - 1)
      // Asked for first and read last: the features are extracted while the neighbours are searched (elsewhere).
      const neighbours = input.neighbours(k)
      const maxCarriers = Math.floor(params.maxCarrierShare * input.rowCount)
      const families = featureFamilies(input.dataset, params.minRows, maxCarriers)
      context.onProgress?.(0.4)
      const support = measureContentSupport(await neighbours, codes, labels.classes.length)
      context.onProgress?.(0.6)
      const found: FoundTrigger[] = []
      const testCounts: Record<string, number> = {}
      let datasetPValue = 1
      for (const family of families) {
        const { groups, testCount, adjusted } = await mineFamily(
          family,
          input,
          support,
          params,
          1 / families.length,
        )
        testCounts[family.modality] = testCount
        if (groups.length > 0) datasetPValue = Math.min(datasetPValue, adjusted)
        for (const { group, hidden } of groups)
          if (!found.some((other) => sameTrigger(other.group, group))) found.push({ family, group, hidden })
      }
      context.onProgress?.(0.9)
      const result = scoreRecords(input.rowCount, found, support, codes, labels.classes, params.flagAbove)
      const nouns = { image: 'images', text: 'rows', tabular: 'rows' }
      return {
        ...result,
        datasetPValue,
        attacks: result.triggers.map((trigger, index) => ({
          kind: 'trigger' as const,
          description: `${trigger.description} on ${trigger.carriersWithLabel} ${nouns[trigger.modality]} labelled ${trigger.label}`,
          label: trigger.label,
          records: trigger.flagged,
          pValue: correctedPValue(found[index].group.members[0], 1 / families.length),
        })),
        info: {
          k,
          significance: params.significance,
          testedFeatureLabelPairs: testCounts,
          triggers: result.triggers,
        },
        warnings: k < params.k ? [`only ${input.rowCount} records: used k=${k} instead of ${params.k}`] : [],
      }
    },
  }),
)

/** Suspicion, decisions, explanations and suggested labels of every record, and the triggers for the report. */
function scoreRecords(
  rowCount: number,
  found: readonly FoundTrigger[],
  support: ContentSupport,
  codes: Int32Array,
  classes: readonly string[],
  flagAbove: number,
) {
  const suspicion = new Float32Array(rowCount)
  const flagged = new Uint8Array(rowCount)
  const suggestedLabels = new Int32Array(rowCount).fill(-1)
  const explanations: (string | undefined)[] = new Array(rowCount).fill(undefined)
  const triggers = found.map(({ family, group, hidden }) => {
    const description = family.describe(group)
    const summary = summariseNeighbours(group, support, codes, flagAbove)
    let flaggedCount = 0
    group.rows.forEach((row, index) => {
      const score = group.suspicion[index]
      if (score >= flagAbove) flaggedCount++
      if (score <= suspicion[row]) return
      suspicion[row] = score
      flagged[row] = score >= flagAbove ? 1 : 0
      const plurality = neighbourPlurality(support, codes, row, group.carrierMarks, group.label)
      suggestedLabels[row] = flagged[row] ? plurality : -1
      explanations[row] = explainCarrier(description, family.modality, group, summary, classes, plurality)
    })
    const strongest = group.members[0]
    return {
      modality: family.modality,
      label: classes[group.label],
      description: description.text,
      ...(description.placement ? { placement: description.placement } : {}),
      ...(description.box ? { box: description.box } : {}),
      features: description.features,
      carriers: group.carrierCount,
      carriersWithLabel: group.labelledCarrierCount,
      expectedWithLabel: Math.round(strongest.expected * 10) / 10,
      flagged: flaggedCount,
      log10PValue: log10(strongest.logPValue),
      neighboursOtherShare: Math.round(summary.otherShare * 1000) / 1000,
      ...(hidden
        ? {
            hidden: {
              carriersRead: hidden.carriersRead,
              carriersElsewhere: hidden.carriersElsewhere,
              classElsewhereShare: Math.round(hidden.classElsewhereShare * 1000) / 1000,
              log10PValue: log10(hidden.logPValue),
              ...(hidden.contrast
                ? {
                    meanAgreement: {
                      carriers: Math.round(hidden.contrast.carrierAgreement * 1000) / 1000,
                      class: Math.round(hidden.contrast.classAgreement * 1000) / 1000,
                      others: Math.round(hidden.contrast.otherAgreement * 1000) / 1000,
                      log10PValue: log10(hidden.contrast.logPValue),
                    },
                  }
                : {}),
            },
          }
        : {}),
    }
  })
  return { suspicion, flagged, suggestedLabels, explanations, triggers }
}
