import { z } from 'zod'
import type { LabelColumn } from '../../data/dataset.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import type { Detector, DetectorInput } from '../types.js'
import {
  focalInstance,
  largestGroupPValue,
  type NeighbourhoodOfGroup,
  sameLabelGroups,
  voteAroundGroup,
} from './score.js'

const paramsSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(2)
      .max(200)
      .default(50)
      .describe('neighbours that vote on where a group of records sits (Deep k-NN)'),
    linkNeighbours: z
      .number()
      .int()
      .min(1)
      .max(50)
      .default(10)
      .describe('two records of a label form a group when each is among the other’s this many nearest'),
    minGroup: z
      .number()
      .int()
      .min(2)
      .default(5)
      .describe('fewest records a group needs before it can be called a collision'),
    significance: z
      .number()
      .gt(0)
      .max(0.5)
      .default(0.01)
      .describe('chance of calling a group of records that gathered by chance a collision'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/** Rows of each group id, for labelled rows. */
function membersByGroup(groupOf: Int32Array): Map<number, Int32Array> {
  const lists = new Map<number, number[]>()
  groupOf.forEach((group, row) => {
    if (group < 0) return
    const list = lists.get(group)
    if (list) list.push(row)
    else lists.set(group, [row])
  })
  return new Map([...lists].map(([group, rows]) => [group, Int32Array.from(rows)]))
}

/** Groups that sit inside another class: not their class's main body, most neighbours of one other label. */
function strandedGroups(
  graph: NeighbourGraph,
  labels: LabelColumn,
  groupOf: Int32Array,
): NeighbourhoodOfGroup[] {
  const groups = [...membersByGroup(groupOf).values()]
  const largest = new Int32Array(labels.classes.length)
  for (const members of groups) {
    const code = labels.codes[members[0]]
    largest[code] = Math.max(largest[code], members.length)
  }
  return groups.flatMap((members) => {
    const code = labels.codes[members[0]]
    if (members.length === largest[code]) return []
    const around = voteAroundGroup(graph, labels.codes, labels.classes.length, members, groupOf)
    return around.plurality >= 0 && around.plurality !== code && around.pluralityShare > 0.5 ? [around] : []
  })
}

interface Collision {
  readonly group: NeighbourhoodOfGroup
  readonly pValue: number
}

/** Each stranded group's p-value against the sizes of the others (leave one out), largest groups first. */
function testGroups(stranded: readonly NeighbourhoodOfGroup[]): Collision[] {
  const totalSize = stranded.reduce((sum, group) => sum + group.members.length, 0)
  return stranded
    .map((group) => {
      const others = stranded.length - 1
      const meanSize = others > 0 ? (totalSize - group.members.length) / others : 1
      return { group, pValue: largestGroupPValue(group.members.length, meanSize, stranded.length) }
    })
    .sort((a, b) => a.pValue - b.pValue || b.group.members.length - a.group.members.length)
}

function describe(input: DetectorInput, row: number): string {
  return input.ids[row]
}

/**
 * Feature collision ("poison frog") poisons: records moved toward one target instance of another class keep their
 * label but end up inside the target's class in feature space, where they are each other's nearest neighbours.
 * Records of a label that are each other's mutual neighbours form groups; a group that is not its class's main
 * body and whose neighbours outside it mostly carry one other label is stranded there (Deep k-NN, voting past the
 * group itself). Stranded records of mislabelled or ambiguous data come alone or in twos; a collision brings many
 * at once, so each stranded group's size is tested against the sizes of the others in the same data (a geometric
 * law fitted without it). The instance of the other class most of the group's neighbourhoods share is reported as
 * the target.
 * @see Peri et al. Deep k-NN Defense against Clean-label Data Poisoning Attacks. ECCV Workshops, 2020.
 * @see Shafahi et al. Poison Frogs! Targeted Clean-Label Poisoning Attacks on Neural Networks. NeurIPS 2018.
 */
export const featureCollisionDetector: Detector<Params> = {
  id: 'feature-collision',
  kind: 'clean_label',
  summary: 'Poison frogs: a group of records sitting inside another class, aimed at one of its records',
  requires: ['labels', 'features'],
  standalone: true,
  params: paramsSchema,
  async run(input, params) {
    const labels = input.labels!
    const rowCount = input.rowCount
    const k = Math.min(params.k, rowCount - 1)
    const graph = await input.neighbours(k)
    const groupOf = sameLabelGroups(graph, labels.codes, params.linkNeighbours)
    const collisions = testGroups(strandedGroups(graph, labels, groupOf))
    const suspicion = new Float32Array(rowCount)
    const flagged = new Uint8Array(rowCount)
    const explanations = new Array<string | undefined>(rowCount).fill(undefined)
    const suggestedLabels = new Int32Array(rowCount).fill(-1)
    const found = []
    const attacks = []
    for (const { group, pValue } of collisions) {
      const { members, code, plurality, pluralityShare } = group
      const called = pValue < params.significance && members.length >= params.minGroup
      // Ranks every stranded record, most for groups least likely to be chance; flags only groups that are tested.
      const chance = called ? 1 - pValue : 0.5 * (1 - pValue) * pluralityShare
      const focal = focalInstance(graph, labels.codes, members, plurality)
      const own = labels.classes[code]
      const other = labels.classes[plurality]
      for (const row of members) {
        suspicion[row] = Math.max(suspicion[row], chance)
        suggestedLabels[row] = plurality
        if (!called || chance < 0.5) continue
        flagged[row] = 1
        explanations[row] =
          `labelled ${own} but one of ${members.length} ${own} records that sit together inside class ${other}` +
          (focal.row >= 0 ? `, around record ${describe(input, focal.row)} (labelled ${other})` : '')
      }
      if (!called) continue
      const target = focal.row >= 0 ? describe(input, focal.row) : null
      found.push({ label: own, inside: other, records: members.length, target, pValue })
      attacks.push({
        kind: 'clean_label' as const,
        description:
          `${members.length} records labelled ${own} collide inside class ${other}` +
          (target ? ` around record ${target}` : ''),
        label: own,
        records: members.length,
        pValue,
      })
    }
    const datasetPValue = collisions.length > 0 ? collisions[0].pValue : 1
    return {
      suspicion,
      flagged,
      explanations,
      suggestedLabels,
      datasetPValue,
      attacks,
      info: { k, strandedGroups: collisions.length, collisions: found },
      warnings: k < params.k ? [`only ${rowCount} records: used k=${k} instead of ${params.k}`] : [],
    }
  },
}
