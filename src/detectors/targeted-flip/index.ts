import { z } from 'zod'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { defineDetector } from '../types.js'
import { fitMembership } from './mixture.js'
import { type CellTest, findAttackedCells, flipEvidence } from './score.js'

const paramsSchema = z
  .object({
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.001)
      .describe('significance level for calling a class pair attacked, after Bonferroni over all pairs'),
    minRecords: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('a pair with fewer confidently mislabelled records is never called attacked'),
    k: z.number().int().min(1).max(200).default(10).describe('neighbours whose labels count as evidence'),
    flagAbove: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('flag members of an attacked pair whose chance of being flipped exceeds this'),
  })
  .strict()

interface AttackedPair {
  cell: CellTest
  /** Rows labelled `cell.given` and their suspicion of being flipped from `cell.target`. */
  rows: Int32Array
  suspicion: Float64Array
  share: number
}

function rowsLabelled(labels: Int32Array, code: number): Int32Array {
  const rows: number[] = []
  labels.forEach((label, row) => {
    if (label === code) rows.push(row)
  })
  return Int32Array.from(rows)
}

/**
 * Flipped records look more like their true class than like their label, so the evidence of the component fitted as
 * flipped leans to the target on average: 0.59 to 0.71 for a fifth to two fifths of an MNIST digit flipped. Where it
 * does not, the fit has split the genuine records' own tail. Noise with random labels on a 1:50 table does that: the
 * rare class, two thirds noise, teaches the model that noisy records are rare, the noise labelled with the common
 * class fills its cell of the confident joint, and the fit then called half of that class flipped (member mean 0.04).
 */
const minimumMemberEvidence = 0.5

function fitPair(
  cell: CellTest,
  probabilities: FeatureMatrix,
  graph: NeighbourGraph,
  labels: Int32Array,
): AttackedPair | undefined {
  const rows = rowsLabelled(labels, cell.given)
  const evidence = flipEvidence(probabilities, graph, labels, rows, cell.given, cell.target)
  // The confident joint misses flipped records the model is unsure about, so its excess only seeds the fit.
  const seedShare = Math.min(0.5, Math.max(0.01, (cell.count - cell.expected) / rows.length))
  const fit = fitMembership(evidence, seedShare)
  if (!fit || fit.memberMean < minimumMemberEvidence) return undefined
  // EM saturates many members at 1; a tiny evidence term keeps them in evidence order for ranking.
  const suspicion = fit.posterior.map((chance, position) => chance * (0.999 + 0.001 * evidence[position]))
  return { cell, rows, suspicion, share: fit.share }
}

/** One attacked class pair in `info`. */
export interface PairSummary {
  given: string
  true: string
  /** Records of the confident joint's cell, and what random noise would have put there. */
  count: number
  expected: number
  pValue: number
  /** Records flagged as flipped in this pair, and the share of the given label they make up. */
  records: number
  estimatedShare: number
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}

function describeCell(cell: CellTest, classes: readonly string[]) {
  return {
    given: classes[cell.given],
    true: classes[cell.target],
    count: cell.count,
    expected: round(cell.expected, 1),
    pValue: cell.pValue,
  }
}

/** Each record takes the pair that gives it the highest chance of being flipped. */
function scoreRecords(rowCount: number, pairs: readonly AttackedPair[], flagAbove: number) {
  const suspicion = new Float32Array(rowCount)
  const pairOf = new Int32Array(rowCount).fill(-1)
  pairs.forEach((pair, index) => {
    pair.rows.forEach((row, position) => {
      if (pair.suspicion[position] <= suspicion[row]) return
      suspicion[row] = pair.suspicion[position]
      pairOf[row] = index
    })
  })
  const flagged = Uint8Array.from(suspicion, (score) => (score > flagAbove ? 1 : 0))
  const records = new Int32Array(pairs.length)
  flagged.forEach((flag, row) => {
    if (flag) records[pairOf[row]]++
  })
  return { suspicion, pairOf, flagged, records }
}

/** "expected N" on the scale of the flagged records: the cell's noise share of what the pair flags. */
function explainPair(summary: PairSummary): string {
  const expectedRecords =
    summary.count > 0 ? Math.round((summary.expected * summary.records) / summary.count) : 0
  return (
    `one of ${summary.records} records labelled ${summary.given} that look like ${summary.true}: far more ` +
    `than random noise explains (expected ${expectedRecords}) — a targeted flip ${summary.true}→${summary.given}`
  )
}

/**
 * Targeted label flips: an off-diagonal cell of the confident joint far fuller than random noise explains marks
 * an attacked class pair; the records of that pair are scored by a mixture fit over model and neighbour evidence.
 * @see Northcutt, Jiang, Chuang. Confident Learning: Estimating Uncertainty in Dataset Labels. JAIR 70, 2021.
 * @see Tolpegin, Truex, Gursoy, Liu. Data Poisoning Attacks Against Federated Learning Systems. ESORICS 2020.
 */
export const targetedFlipDetector = defineDetector({
  id: 'targeted-flip',
  kind: 'label_issue',
  summary: 'Class-pair analysis: one label pair confused far beyond random noise, a targeted label flip',
  requires: ['labels', 'features'],
  standalone: true,
  awaits: ['outOfFoldProbabilities'],
  params: paramsSchema,
  async run(input, params) {
    const labels = input.labels!
    const probabilities = await input.outOfFoldProbabilities()
    const { attacked, strongest } = findAttackedCells(probabilities, labels.codes, params)
    const warnings: string[] = []
    const pairs: AttackedPair[] = []
    if (attacked.length > 0) {
      const graph = await input.neighbours(Math.min(params.k, input.rowCount - 1))
      for (const cell of attacked) {
        const pair = fitPair(cell, probabilities, graph, labels.codes)
        if (pair) pairs.push(pair)
        else
          warnings.push(
            `labels ${labels.classes[cell.given]} and ${labels.classes[cell.target]} are confused beyond ` +
              'random noise, but no group of records stands out as the flipped ones',
          )
      }
    }
    const { suspicion, pairOf, flagged, records } = scoreRecords(input.rowCount, pairs, params.flagAbove)
    const summaries: PairSummary[] = pairs.map((pair, index) => ({
      ...describeCell(pair.cell, labels.classes),
      records: records[index],
      estimatedShare: round(pair.share, 4),
    }))
    const explanations = Array.from(flagged, (flag, row) =>
      flag ? explainPair(summaries[pairOf[row]]) : undefined,
    )
    const suggestedLabels = Int32Array.from(flagged, (flag, row) =>
      flag ? pairs[pairOf[row]].cell.target : -1,
    )
    return {
      suspicion,
      flagged,
      explanations,
      suggestedLabels,
      attacks: summaries.map((pair) => ({
        kind: 'label_issue' as const,
        description: `records of ${pair.true} relabelled as ${pair.given}`,
        label: pair.given,
        records: pair.records,
        pValue: pair.pValue,
      })),
      info: {
        attackedPairs: summaries,
        strongestPair: strongest ? describeCell(strongest, labels.classes) : null,
      },
      warnings,
    }
  },
})
