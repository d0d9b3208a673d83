import { z } from 'zod'
import type { LabelColumn } from '../../data/dataset.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { type DetectorInput, defineDetector } from '../types.js'
import { type MixingData, mixingData, mixingNull, mixingPValue } from './mixing.js'
import {
  type ClassRadii,
  classRadii,
  convergenceTarget,
  type FocalInstance,
  fitGroupSizes,
  focalInstances,
  groupSizePValueFrom,
  leaveOutSize,
  sameLabelGroups,
  tightnessPValue,
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

/** Detached groups of two or more, and how many groups are detached counting single records. */
interface DetachedGroups {
  /** Members of each group, ascending; groups in the order of their first member. */
  readonly groups: Int32Array[]
  readonly count: number
}

/**
 * Groups of same-label records apart from their class's main body (its largest group). A single record cannot
 * crowd an instance, so only groups of two or more get member lists: made per group, the lists of every single
 * record were most of the cost on large inputs, where most records stand alone.
 */
function detachedGroups(codes: Int32Array, classCount: number, groupOf: Int32Array): DetachedGroups {
  const sizes = new Int32Array(groupOf.length)
  for (const group of groupOf) if (group >= 0) sizes[group]++
  const largest = new Int32Array(classCount)
  for (let group = 0; group < sizes.length; group++)
    if (sizes[group] > largest[codes[group]]) largest[codes[group]] = sizes[group]
  let count = 0
  const starts = new Int32Array(groupOf.length + 1)
  for (let group = 0; group < sizes.length; group++) {
    if (sizes[group] === 0 || sizes[group] >= largest[codes[group]]) continue
    count++
    if (sizes[group] >= 2) starts[group + 1] = sizes[group]
  }
  for (let group = 0; group < sizes.length; group++) starts[group + 1] += starts[group]
  const rows = new Int32Array(starts[groupOf.length])
  const fill = starts.slice(0, groupOf.length)
  const groups: Int32Array[] = []
  groupOf.forEach((group, row) => {
    if (group < 0 || starts[group + 1] === starts[group]) return
    if (fill[group] === starts[group]) groups.push(rows.subarray(starts[group], starts[group + 1]))
    rows[fill[group]++] = row
  })
  return { groups, count }
}

interface TestedGroup {
  readonly members: Int32Array
  readonly focal: FocalInstance
  /** Chance of so large a crowd among the other detached groups' crowds. */
  readonly crowding: number
  /** Chance of so tight a group among records drawn at random from its class. */
  readonly tightness: number
}

interface Collision {
  readonly members: Int32Array
  readonly focal: FocalInstance
  readonly pValue: number
}

/** Each detached group with the record it crowds, and its crowd's and its tightness's p-values. */
function testGroups(
  graph: NeighbourGraph,
  codes: Int32Array,
  groupOf: Int32Array,
  detached: readonly Int32Array[],
  radii: ClassRadii,
): TestedGroup[] {
  const focal = focalInstances(graph, codes, groupOf, new Set(detached.map((members) => groupOf[members[0]])))
  const withFocal = detached.flatMap((members) => {
    const instance = focal.get(groupOf[members[0]])
    return instance ? [{ members, focal: instance }] : []
  })
  const crowds = withFocal.map(({ focal: instance }) => instance.members)
  const count = crowds.filter((crowd) => crowd >= 2).length
  const fit = fitGroupSizes(crowds)
  return withFocal.map(({ members, focal: instance }) => ({
    members,
    focal: instance,
    crowding: groupSizePValueFrom(instance.members, leaveOutSize(fit, instance.members), count),
    tightness: tightnessPValue(radii, codes, members),
  }))
}

/** Share of the significance the crowd's test keeps; the mixing test gets the rest (weighted Bonferroni). */
const crowdWeight = 0.9

/**
 * Each candidate's p-value, most significant first. A collision must show two things (an intersection–union test,
 * so the larger p-value is the group's): that it sits more tightly than its class, and that it is a collision
 * rather than a natural group, by either of two tests (weighted Bonferroni). The crowd test: its members crowd one
 * record of another class far more than the other detached groups crowd theirs. Data written by a few dozen people
 * holds few detached groups, and its writers' groups crowd records of other classes too (12–31 honest 8×8 digits
 * crowding one), so a fit to a handful of crowds cannot set a planted crowd of 34–46 apart; the mixing test
 * (`mixingPValue`) then asks whether the members look moved toward the record they lean on, against groups of the
 * data's own records. It is run only where it can decide: on tight groups the crowd test does not call, Bonferroni
 * over them. Tables hold natural groups that reach into another class as far as planted poisons do (34–55 records
 * crowding one record), so the crowd alone called them collisions on 15% of honest tables; those groups lie at
 * their class's rim, sparser than it.
 */
function decideGroups(
  candidates: readonly TestedGroup[],
  significance: number,
  readMixing: () => MixingData,
): Collision[] {
  const undecided = candidates.filter(
    ({ crowding, tightness }) => tightness < significance && crowding / crowdWeight >= significance,
  )
  const mixing = new Map<TestedGroup, number>()
  if (undecided.length > 0) {
    const data = readMixing()
    const tested = new Uint8Array(data.graph.rows)
    for (const { members } of undecided) for (const row of members) tested[row] = 1
    const groupNull = mixingNull(data, tested)
    const share = (1 - crowdWeight) / undecided.length
    for (const group of undecided) mixing.set(group, mixingPValue(data, group.members, groupNull) / share)
  }
  return candidates
    .map((group) => {
      const evidence = Math.min(1, group.crowding / crowdWeight, mixing.get(group) ?? 1)
      return { members: group.members, focal: group.focal, pValue: Math.max(group.tightness, evidence) }
    })
    .sort((a, b) => a.pValue - b.pValue || b.members.length - a.members.length)
}

/** Labels of the instance's neighbours outside the group, counted per class. */
function labelsBesideGroup(
  graph: NeighbourGraph,
  labels: LabelColumn,
  groupOf: Int32Array,
  members: Int32Array,
  focal: FocalInstance,
): Int32Array {
  const id = groupOf[members[0]]
  const counts = new Int32Array(labels.classes.length)
  for (let position = 0; position < graph.k; position++) {
    const neighbour = graph.indices[focal.row * graph.k + position]
    if (groupOf[neighbour] !== id && labels.codes[neighbour] >= 0) counts[labels.codes[neighbour]]++
  }
  return counts
}

/**
 * Whether the group's members outnumber every label among the rest of the instance's neighbours (`beside`): Deep
 * k-NN would now take the instance for the group's label, which is what a collision is for.
 */
function takesOver(beside: Int32Array, focal: FocalInstance): boolean {
  return beside.every((count) => count < focal.members)
}

/**
 * Whether the instance is a record of its own class: beside the group, its neighbours hold its label at least as
 * often as the group's. A collision's target is an honest record of its class, which the poisons crowd but which
 * keeps its own kind around it (13, 13 and 5 of its other neighbours against 0, 0 and 1 of the poisons' class on
 * MNIST and the 14×14 and 8×8 digits). A record of the group's own kind labelled otherwise, a flipped label inside a
 * natural cluster of templated texts, is crowded by its kin and has none of its label's records near (0 against 15
 * on manual pages): its label is the finding, and `label-issues` makes it.
 */
function standsInOwnClass(
  beside: Int32Array,
  labels: LabelColumn,
  members: Int32Array,
  focal: FocalInstance,
) {
  return beside[labels.codes[focal.row]] >= beside[labels.codes[members[0]]]
}

/**
 * Whether most of the group sits around its instance, as poisons moved toward one target do (44 of 56 on 2,000
 * MNIST digits). A natural mode of a class can reach into one stray record of another class and fill its
 * neighbourhood while most of the mode lies elsewhere: the ones of clean two-class digits (digits below 5 against
 * the rest), 125–346 records of which at most 50 neighbour the high digit written like a one, were called a collision
 * on 1,000 and 3,000 records. A collision of more than twice `k` poisons needs a larger `k` to be seen whole.
 */
function convergesOn(members: Int32Array, focal: FocalInstance): boolean {
  return 2 * focal.members >= members.length
}

interface Outputs {
  readonly suspicion: Float32Array
  readonly flagged: Uint8Array
  readonly explanations: (string | undefined)[]
}

/** Flags a tested collision's members with why, and describes it for `info` and the verdict. */
function flagCollision(
  outputs: Outputs,
  input: DetectorInput,
  { members, focal, pValue }: Collision,
  k: number,
) {
  const labels = input.labels!
  const ids = input.ids
  const own = labels.classes[labels.codes[members[0]]]
  const converged = input.features ? convergenceTarget(input.features, labels.codes, members) : -1
  const targetRow = converged >= 0 ? converged : focal.row
  const other = labels.classes[labels.codes[targetRow]]
  const target = ids[targetRow]
  const crowded = ids[focal.row]
  for (const row of members) {
    outputs.suspicion[row] = Math.max(outputs.suspicion[row], 1 - pValue)
    outputs.flagged[row] = 1
    outputs.explanations[row] =
      `labelled ${own}, one of ${members.length} records of ${own} that sit apart from their class, crowd ` +
      `${focal.members} of the ${k} nearest neighbours of record ${crowded} ` +
      `(labelled ${labels.classes[labels.codes[focal.row]]}) and converge on record ${target} (labelled ${other}): ` +
      `a feature collision aimed at ${target}`
  }
  const records = members.length
  return {
    found: { label: own, records, target, targetLabel: other, crowded, crowding: focal.members, pValue },
    attack: {
      kind: 'clean_label' as const,
      description: `${records} records labelled ${own} collide with record ${target} (labelled ${other})`,
      label: own,
      records,
      pValue,
    },
  }
}

/**
 * Feature collision ("poison frog") poisons: records moved toward one target instance of another class keep their
 * label but gather next to each other around the target in feature space, where their own nearest neighbours are
 * mostly each other (so Deep k-NN on single records misses them). Records of a label that are each other's mutual
 * neighbours form groups; every group but a class's main body is detached. For each detached group, the record of
 * another class whose neighbourhood holds most of its members is the instance it crowds around; a collision is
 * called when the crowd outnumbers every label among that instance's other neighbours (Deep k-NN read from the
 * target's side: the instance would now be taken for the group's label) while those still hold the instance's own
 * label at least as often as the group's (else the instance is the group's kind mislabelled), the group sits more
 * tightly than its class,
 * and either its crowd is far larger than the crowds the other detached groups of the same data gather (a power law
 * fitted without it) or its members look moved toward one record of another class, as groups of the data's own
 * records do not (`decideGroups`). The target reported is the record the poisons converge on (see
 * `convergenceTarget`): a collision that moved them only part of the way leaves them crowding records short of it.
 * @see Peri et al. Deep k-NN Defense against Clean-label Data Poisoning Attacks. ECCV Workshops, 2020.
 * @see Shafahi et al. Poison Frogs! Targeted Clean-Label Poisoning Attacks on Neural Networks. NeurIPS 2018.
 * @see Clauset, Shalizi, Newman. Power-law distributions in empirical data. SIAM Review 51, 2009.
 */
export const featureCollisionDetector = defineDetector({
  id: 'feature-collision',
  kind: 'clean_label',
  summary: 'Poison frogs: a group of one class crowding around one record of another class, labels kept',
  requires: ['labels', 'features'],
  awaits: ['neighbours'],
  standalone: true,
  params: paramsSchema,
  async run(input, params) {
    const labels = input.labels!
    const rowCount = input.rowCount
    const k = Math.min(params.k, rowCount - 1)
    const graph = await input.neighbours(k)
    // Linking reads another record's first neighbours at a random place for every link it tests; the graph cut to
    // those (shared with the detectors that ask for as many) holds them in a fifth of the memory, which stays in the
    // caches longer as rows grow (a sixth less CPU at 100,000–300,000 rows; at 1,000,000 neither fits).
    const linkGraph = await input.neighbours(Math.min(params.linkNeighbours, k))
    const groupOf = sameLabelGroups(linkGraph, labels.codes, params.linkNeighbours)
    const detached = detachedGroups(labels.codes, labels.classes.length, groupOf)
    const radii = classRadii(linkGraph, labels.codes, labels.classes.length, params.linkNeighbours)
    // A collision needs its instance: one record of another class whose neighbourhood the group has taken over.
    const candidates = testGroups(graph, labels.codes, groupOf, detached.groups, radii).filter(
      ({ members, focal }) => {
        if (focal.members < params.minGroup || !convergesOn(members, focal)) return false
        const beside = labelsBesideGroup(graph, labels, groupOf, members, focal)
        return takesOver(beside, focal) && standsInOwnClass(beside, labels, members, focal)
      },
    )
    const collisions = decideGroups(candidates, params.significance, () =>
      mixingData(input.features!, graph, labels.codes, labels.classes.length),
    )
    const outputs: Outputs = {
      suspicion: new Float32Array(rowCount),
      flagged: new Uint8Array(rowCount),
      explanations: new Array<string | undefined>(rowCount).fill(undefined),
    }
    const found = []
    const attacks = []
    let datasetPValue = 1
    for (const collision of collisions) {
      const { members, focal, pValue } = collision
      datasetPValue = Math.min(datasetPValue, pValue)
      if (pValue < params.significance) {
        const reported = flagCollision(outputs, input, collision, k)
        found.push(reported.found)
        attacks.push(reported.attack)
        continue
      }
      // Groups short of the test still rank by how they crowd their instance, below any tested one.
      const chance = 0.5 * (1 - pValue) * (focal.members / Math.min(members.length, k))
      for (const row of members) outputs.suspicion[row] = Math.max(outputs.suspicion[row], chance)
    }
    return {
      ...outputs,
      datasetPValue,
      attacks,
      info: { k, detachedGroups: detached.count, collisions: found },
      warnings: k < params.k ? [`only ${rowCount} records: used k=${k} instead of ${params.k}`] : [],
    }
  },
})
