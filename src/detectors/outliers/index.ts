import { z } from 'zod'
import type { LabelColumn } from '../../data/dataset.js'
import type { FeatureMatrix } from '../../data/matrix.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { binomialUpperTail, normalSurvival } from '../../stats/tails.js'
import { fnv1a } from '../../util/hashing.js'
import { createRng, type Rng } from '../../util/rng.js'
import { countingRecordsOnce } from '../distinct-records.js'
import { type DetectorInput, defineDetector } from '../types.js'
import { cutsFromScore, scoreIsolationForest } from './isolation-forest.js'
import { coreShare, measuredColumns, nearestCoreLogRatios } from './robust-distance.js'
import {
  type CalibratedOutliers,
  calibrateComponents,
  componentGap,
  localSparsityRatios,
  meanNeighbourDistances,
  type OutlierComponent,
  rawDetailRatios,
  relativeToGroupMedian,
  suspicionFrom,
} from './score.js'
import { scoreTextNovelty } from './text-novelty.js'

const paramsSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('neighbours behind the distance and density scores'),
    treeCount: z.number().int().min(10).max(1000).default(100).describe('isolation trees per forest'),
    sampleSize: z
      .number()
      .int()
      .min(16)
      .max(4096)
      .default(256)
      .describe('records drawn to grow each isolation tree'),
    minClassSize: z
      .number()
      .int()
      .min(10)
      .default(50)
      .describe('classes with fewer records are judged only among all records'),
    maxChars: z.number().int().min(10).default(5000).describe('texts: leading characters of each text read'),
    flagAbove: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('flag records whose chance of being an anomaly reaches this'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/** Below this many records a tail cannot be fitted and nothing is scored. */
const minimumRowCount = 20

interface ComponentSpec extends OutlierComponent {
  /** Why `row`, judged in group `group` against the typical score `typical`, scored as it did. */
  explain(row: number, group: number, typical: number): string
}

function classGroups(labels: LabelColumn | undefined, rowCount: number, minClassSize: number) {
  if (!labels) return []
  const members = labels.classes.map(() => [] as number[])
  for (let row = 0; row < rowCount; row++) if (labels.codes[row] >= 0) members[labels.codes[row]].push(row)
  return members.flatMap((rows, code) =>
    rows.length >= minClassSize ? [{ code, rows: Int32Array.from(rows) }] : [],
  )
}

function isolationComponent(
  input: DetectorInput,
  params: Params,
  rowKeys: Uint32Array,
  rng: Rng,
): ComponentSpec {
  const raw = input.dataset.features
  // Raw columns keep what a reduction drops; each cut is scale-free, so unscaled columns are fine.
  const space: FeatureMatrix = raw && raw.cols > 0 ? raw : input.features!
  const all = Int32Array.from({ length: input.rowCount }, (_, row) => row)
  const scores = new Float32Array(input.rowCount)
  const options = { treeCount: params.treeCount, sampleSize: params.sampleSize, rowKeys, rng }
  scoreIsolationForest(space, all, all, options, scores)
  const cuts = (score: number) => cutsFromScore(score, Math.min(params.sampleSize, input.rowCount)).toFixed(1)
  return {
    name: 'isolation',
    scores,
    groups: [all],
    tail: 'gaussian',
    explain: (row, _group, typical) =>
      `isolation forest: random cuts isolate it after ${cuts(scores[row])} on average, against ${cuts(typical)} ` +
      'for a typical record',
  }
}

function neighbourComponents(
  input: DetectorInput,
  graph: NeighbourGraph,
  classes: ReturnType<typeof classGroups>,
) {
  const { k } = graph
  const means = meanNeighbourDistances(graph)
  const all = Int32Array.from({ length: input.rowCount }, (_, row) => row)
  const groups = classes.length > 0 ? classes.map(({ rows }) => rows) : [all]
  const distance = relativeToGroupMedian(means, groups).map((ratio) => Math.log(ratio))
  const sparsity = localSparsityRatios(graph, means).map((ratio) => Math.log(ratio))
  const groupName = (group: number) =>
    classes.length > 0
      ? `the median of its class (${input.labels!.classes[classes[group].code]})`
      : 'the median record'
  const specs: ComponentSpec[] = [
    {
      name: 'neighbour-distance',
      scores: distance,
      groups,
      tail: 'exponential',
      explain: (row, group) =>
        `distance to its ${k} nearest neighbours is ${Math.exp(distance[row]).toFixed(1)}× that of ${groupName(group)}`,
    },
    {
      name: 'local-density',
      scores: sparsity,
      groups: [all],
      tail: 'exponential',
      explain: (row) =>
        `its neighbourhood is ${Math.exp(sparsity[row]).toFixed(1)}× sparser than its ${k} nearest neighbours' own`,
    },
  ]
  const raw = input.dataset.features
  // Only where the geometry is a reduction of the raw features themselves (not of text or embeddings).
  if (raw && !input.texts && !input.dataset.embeddings && raw.cols > input.features!.cols) {
    const detail = rawDetailRatios(raw, graph).map((ratio) => Math.log(ratio))
    specs.push({
      name: 'raw-detail',
      scores: detail,
      groups: [all],
      tail: 'exponential',
      explain: (row, _group, typical) =>
        `differs from its ${k} nearest neighbours ${Math.exp(detail[row]).toFixed(1)}× more in its raw features ` +
        `than in their main patterns, against ${Math.exp(typical).toFixed(1)}× for a typical record`,
    })
  }
  return specs
}

/** Fewest records per feature a group needs before a covariance of it is fitted. */
const rowsPerFeature = 5

/**
 * Share of the data, added as noise with random labels, that a class's own trimmed core must withstand: such noise
 * lands evenly on the classes, so a class under `noiseShareBorne / (1 − coreShare)` of an even share would hold more
 * noise than its core leaves out. A class of 60 beside one of 3,000 is then two thirds noise, and its own covariance
 * takes the noise for the class.
 */
const noiseShareBorne = 0.1

/**
 * The squared distance of each record to the trimmed mean and covariance of the nearest class (of all records
 * without classes; one covariance pooled over the classes' cores where a class is too small to fit its own), over
 * the median of that class's own, on the measured columns: noise records far off in the
 * combinations of features every class keeps, even when they are a tenth or more of the data, while a record with
 * a wrong label sits at home in its true class. Records are judged in the classes of `minClassSize`, but every class
 * that could carry a covariance of its own is a core to be measured from: a class of 46 flowers left out made its
 * own flowers, flipped into the other two species, "far off the core of every class".
 */
function robustDistanceComponent(
  features: FeatureMatrix,
  judged: ReturnType<typeof classGroups>,
  labels: LabelColumn | undefined,
  rowKeys: Uint32Array,
  minClassSize: number,
): ComponentSpec | undefined {
  const all = Int32Array.from({ length: features.rows }, (_, row) => row)
  const space = measuredColumns(features, all, rowKeys)
  const enough = (rows: number) => rows >= rowsPerFeature * space.cols
  const fitted =
    judged.length > 0
      ? classGroups(labels, features.rows, Math.min(minClassSize, rowsPerFeature * space.cols))
      : [{ code: -1, rows: all }]
  const groups = fitted.map(({ rows }) => rows)
  const evenShare = features.rows / groups.length
  const withstandsNoise = (rows: number) => rows >= (noiseShareBorne / (1 - coreShare)) * evenShare
  // Every class its own covariance, else one pooled over the classes (a class of 180 digits has too few records
  // for 64 pixels, the ten together plenty; a rare class would be fitted on the noise), else none: a class left out
  // would have no core to be measured from.
  const covariance = groups.every((rows) => enough(rows.length) && withstandsNoise(rows.length))
    ? 'per-group'
    : enough(groups.reduce((sum, rows) => sum + rows.length, 0)) && groups.length > 1
      ? 'pooled'
      : undefined
  if (!covariance || space.cols === 0) return undefined
  const { scores, nearest } = nearestCoreLogRatios(space, groups, rowKeys, covariance)
  const groupName = (group: number) =>
    fitted[group].code >= 0 ? `the nearest class (${labels!.classes[fitted[group].code]})` : 'the data'
  return {
    name: 'robust-distance',
    scores,
    groups: judged.length > 0 ? judged.map(({ rows }) => rows) : groups,
    tail: 'exponential',
    contaminated: true,
    explain: (row) =>
      `its squared distance to the core of ${groupName(nearest[row])}, across the correlations of the features, ` +
      `is ${Math.exp(scores[row]).toFixed(1)}× the median of that class's records`,
  }
}

function noveltyComponent(texts: readonly string[], params: Params): ComponentSpec {
  const { scores } = scoreTextNovelty(texts, params.maxChars)
  const percent = (share: number) => `${Math.round(share * 100)}%`
  return {
    name: 'text-novelty',
    scores,
    groups: [Int32Array.from({ length: texts.length }, (_, row) => row)],
    tail: 'gaussian',
    explain: (row, _group, typical) =>
      `${percent(scores[row])} of its pairs of common words occur side by side nowhere else in the data, against ` +
      `${percent(typical)} for a typical text`,
  }
}

/** Components ordered by how strongly they speak for a record, strongest first, those below `explainAbove` left out. */
function witnesses(result: CalibratedOutliers, row: number): number[] {
  return Array.from(result.byComponent.keys())
    .filter((index) => result.byComponent[index][row] >= explainAbove)
    .sort((a, b) => result.byComponent[b][row] - result.byComponent[a][row])
}

/** The strongest component's reason, and the runner-up's when it also speaks. */
function explainRow(
  result: CalibratedOutliers,
  specs: readonly ComponentSpec[],
  row: number,
): string | undefined {
  const reasons = witnesses(result, row)
    .slice(0, 2)
    .map((index) => {
      const group = result.groupOf[index][row]
      return specs[index].explain(row, group, result.models[index][group]!.median)
    })
  return reasons.length > 0 ? reasons.join('; and ') : undefined
}

function describe(result: CalibratedOutliers, specs: readonly ComponentSpec[], flagged: Uint8Array) {
  const flaggedBy: Record<string, number> = Object.fromEntries(specs.map((spec) => [spec.name, 0]))
  flagged.forEach((flag, row) => {
    const strongest = witnesses(result, row)[0]
    if (flag && strongest !== undefined) flaggedBy[specs[strongest].name]++
  })
  const tails = Object.fromEntries(
    specs.map((spec, index) => [
      spec.name,
      result.models[index].map((model) =>
        model ? { median: Number(model.median.toFixed(6)), scale: Number(model.scale.toFixed(6)) } : null,
      ),
    ]),
  )
  return { components: specs.map((spec) => spec.name), flaggedBy, tails }
}

/** Chance below which the flagged records' labels are too concentrated in one class for noise with random labels. */
const concentrationLevel = 0.01

/**
 * Whether records with these class counts crowd one class beyond what random labels give: the binomial tail of the
 * largest share against the larger of the class's share of the data and an even share, Bonferroni over the classes.
 * A backdoor's or a flood's records crowd their target class; noise records' labels are spread.
 */
export function crowdsOneClass(counts: Map<number, number>, total: number, labels: LabelColumn): boolean {
  const classCount = labels.classes.length
  const rows = new Float64Array(classCount)
  for (const code of labels.codes) if (code >= 0) rows[code]++
  const labelled = rows.reduce((sum, count) => sum + count, 0)
  for (const [code, count] of counts) {
    if (code < 0) continue
    const share = Math.max(rows[code] / labelled, 1 / classCount)
    if (classCount * binomialUpperTail(count, total, share) < concentrationLevel) return true
  }
  return false
}

/**
 * Whether the records marked in `members` are a dense mode of their own: more than half of their nearest-neighbour
 * links stay among them. Noise records are scattered, each far from every class core and from each other, so their
 * neighbours are mostly honest records and the links that stay inside are about their share of the data (1–10% on
 * noise a tenth to a sixth of the data); a natural subpopulation the classes share keeps nearly all of them.
 */
function formsOwnMode(graph: NeighbourGraph, members: Uint8Array): boolean {
  let links = 0
  let inside = 0
  members.forEach((member, row) => {
    if (!member) return
    for (let position = 0; position < graph.k; position++) {
      links++
      inside += members[graph.indices[row * graph.k + position]]
    }
  })
  return inside > links / 2
}

/**
 * Whether a group's labels follow its content: its members' nearest neighbours within the group carry the member's
 * own label more often than the group's labels dealt at random would give (a one-sided test of the members' mean
 * share against the chance two members share a label, at `concentrationLevel`). Noise records are given labels at
 * random; a natural kind of record that stands apart (lists of keywords among prose) keeps the labels its content
 * tells.
 */
function labelsFollowContent(graph: NeighbourGraph, members: Uint8Array, labels: LabelColumn): boolean {
  const counts = new Map<number, number>()
  let labelled = 0
  members.forEach((member, row) => {
    const code = labels.codes[row]
    if (!member || code < 0) return
    counts.set(code, (counts.get(code) ?? 0) + 1)
    labelled++
  })
  let chance = 0
  for (const count of counts.values()) chance += (count / labelled) ** 2
  let sum = 0
  let squares = 0
  let judged = 0
  members.forEach((member, row) => {
    const code = labels.codes[row]
    if (!member || code < 0) return
    let inside = 0
    let same = 0
    for (let position = 0; position < graph.k; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      if (!members[neighbour] || labels.codes[neighbour] < 0) continue
      inside++
      if (labels.codes[neighbour] === code) same++
    }
    if (inside === 0) return
    sum += same / inside
    squares += (same / inside) ** 2
    judged++
  })
  if (judged < 2) return false
  const mean = sum / judged
  const spread = Math.sqrt(Math.max(0, squares / judged - mean * mean) / (judged - 1))
  return spread > 0 ? normalSurvival((mean - chance) / spread) < concentrationLevel : mean > chance
}

/** A component whose highest scores stand apart as a group: where availability noise may be read from. */
interface NoiseEvidence {
  readonly index: number
  readonly scores: ArrayLike<number>
  /** The group's lowest score; infinite where no group stands apart. */
  readonly apartFrom: number
  /** The dataset-level p-value of that group, Bonferroni over the components. */
  readonly pValue: number
  /** What the group's records are, for `count` of them. */
  readonly describe: (count: number) => string
  /** Whether the group's records (`members`) read as a natural kind of record rather than noise. */
  readonly natural: (members: Uint8Array) => boolean
}

/**
 * The components availability noise is read from, in order: the robust distance (records far off every class's core,
 * its own gap among a contaminated tail), then the word order of texts (word salad made of the corpus's words, a
 * group whose novelty stands apart from the texts' tail: on 6,046 mails with 5% of such records added the gap's p was
 * 10⁻⁵², on the mails alone 0.22).
 */
function noiseEvidence(
  result: CalibratedOutliers,
  specs: readonly ComponentSpec[],
  gaps: readonly { pValue: number; lowestScore: number }[],
  labels: LabelColumn | undefined,
  graph: NeighbourGraph,
): NoiseEvidence[] {
  const found: NoiseEvidence[] = []
  const robust = specs.findIndex((spec) => spec.name === 'robust-distance')
  if (robust >= 0)
    found.push({
      index: robust,
      scores: specs[robust].scores,
      apartFrom: result.standApartFrom[robust],
      pValue: gaps[robust].pValue * specs.length,
      describe: (count) => `${count} records far off the core of ${labels ? 'every class' : 'the data'}`,
      natural: (members) => formsOwnMode(graph, members),
    })
  const novelty = specs.findIndex((spec) => spec.name === 'text-novelty')
  const noveltyPValue = novelty >= 0 ? gaps[novelty].pValue * specs.length : 1
  // Only a group of texts that stands apart: the texts' natural tail of rare word pairs (templates, lists) is long.
  if (noveltyPValue < gapLevel)
    found.push({
      index: novelty,
      scores: specs[novelty].scores,
      apartFrom: gaps[novelty].lowestScore,
      pValue: noveltyPValue,
      describe: (count) => `${count} texts whose word pairs no other text holds`,
      // Word salad drawn from one corpus sits together in any representation of its words, so its mode says
      // nothing; its labels do.
      natural: (members) => labels !== undefined && labelsFollowContent(graph, members, labels),
    })
  return found
}

/**
 * Availability noise, when a component finds it: the records it flags, and those of its highest scores that
 * stand apart from the rest of its tail as a group. Noise overlapping the tail of the clean records (a rare class
 * that is mostly noise, a tenth of noise at twice the clean records' median distance) is not flagged one by one,
 * but a group that stands apart is evidence about the dataset, tested against the data's own tail
 * (`componentGap`), whatever each member's own chance. Named only when their labels are spread over the classes as
 * random labels spread (at least two classes and half of them, and no class crowded), and only when they do not form
 * a dense mode of their own: a mode every class shares is a region where honest labels overlap.
 */
function noiseAttacks(
  result: CalibratedOutliers,
  evidence: NoiseEvidence,
  flagged: Uint8Array,
  labels: LabelColumn | undefined,
) {
  const classCounts = new Map<number, number>()
  let count = 0
  let flaggedCount = 0
  const members = new Uint8Array(flagged.length)
  const judged = result.groupOf[evidence.index]
  flagged.forEach((flag, row) => {
    const flaggedAsFar = flag === 1 && witnesses(result, row)[0] === evidence.index
    // A record of a class too small to be judged is measured, as a core's member, but not tested.
    if (judged[row] < 0 || (!flaggedAsFar && !(evidence.scores[row] >= evidence.apartFrom))) return
    members[row] = 1
    count++
    if (flag) flaggedCount++
    const code = labels ? labels.codes[row] : -1
    classCounts.set(code, (classCounts.get(code) ?? 0) + 1)
  })
  if (count === 0 || evidence.natural(members)) return []
  if (labels) {
    const classCount = labels.classes.length
    if (classCounts.size < Math.max(2, classCount / 2) || crowdsOneClass(classCounts, count, labels))
      return []
  }
  const spread = labels
    ? ` with labels spread over ${classCounts.size} of ${labels.classes.length} classes`
    : ''
  const flags = flaggedCount === count ? '' : ` (${flaggedCount} of them flagged one by one)`
  return [
    {
      kind: 'outlier' as const,
      description: `availability noise: ${evidence.describe(count)}${spread}${flags}`,
      records: count,
      pValue: Math.min(1, evidence.pValue),
    },
  ]
}

function emptyResult(rowCount: number, warning: string) {
  // Too few records to score: the description says so by naming no component and leaving the rest out.
  const info: Partial<ReturnType<typeof describe>> = { components: [] }
  return {
    suspicion: new Float32Array(rowCount),
    flagged: new Uint8Array(rowCount),
    explanations: new Array<string | undefined>(rowCount).fill(undefined),
    info,
    warnings: [warning],
  }
}

/** Level at which a component's highest scores stand apart from its tail (Bonferroni over the components). */
const gapLevel = 0.01

/**
 * The chance records are flagged on, and the suspicion they are ranked by. Once some component's highest scores
 * stand apart from its own tail (the detector's dataset-level evidence), records are flagged on the chance those
 * components alone give, so the gap another component found (a trigger's carriers far off in the features) does
 * not carry the natural tail of this one (templated texts whose word pairs are rare) into the flags; the other
 * components keep half of their evidence in the ranking. Without any gap every component speaks in full and the
 * flags only mark records, which the scan weighs as a quiet detector's.
 */
function backedEvidence(result: CalibratedOutliers, gaps: readonly number[]) {
  const backed = Array.from(gaps.keys()).filter((index) => gaps[index] * gaps.length < gapLevel)
  if (backed.length === 0) return { flagging: result.suspicion, suspicion: result.suspicion }
  const flagging = suspicionFrom(result, backed)
  const suspicion = flagging.map((chance, row) => Math.max(chance, unbackedWeight * result.suspicion[row]))
  return { flagging, suspicion }
}

/** Share of its evidence a component keeps in the ranking while another one's gap is the detector's evidence. */
const unbackedWeight = 0.5

/** Explanations are written for records at least this suspicious, flagged or not. */
const explainAbove = 0.05

/**
 * Records unlike the rest of the data or of their class: an isolation forest on the raw features, the distance
 * to the nearest neighbours against the median of the record's class, local sparsity against the neighbours' own,
 * the raw detail that reduced features miss, and for text the novelty of its word order. Each score is calibrated
 * on a robust tail into the chance that no ordinary record would be as extreme; the scores combine as witnesses.
 * @see Liu, Ting, Zhou. Isolation Forest. ICDM 2008.
 * @see Breunig, Kriegel, Ng, Sander. LOF: Identifying Density-Based Local Outliers. SIGMOD 2000.
 */
export const outliersDetector = countingRecordsOnce(
  defineDetector({
    id: 'outliers',
    kind: 'outlier',
    summary:
      'Isolation forest, neighbour distance and local density: records unlike the rest of their data or class',
    requires: ['features'],
    params: paramsSchema,
    async run(input, params, context) {
      if (input.rowCount < minimumRowCount) {
        return emptyResult(
          input.rowCount,
          `only ${input.rowCount} records: outliers need at least ${minimumRowCount}`,
        )
      }
      const classes = classGroups(input.labels, input.rowCount, params.minClassSize)
      // Keys by record id: samples follow the records rather than their order in the file.
      const rowKeys = Uint32Array.from(input.ids, (id) => fnv1a(id))
      const robust = robustDistanceComponent(
        input.features!,
        classes,
        input.labels,
        rowKeys,
        params.minClassSize,
      )
      const graph = await input.neighbours(Math.min(params.k, input.rowCount - 1))
      const specs = [
        isolationComponent(input, params, rowKeys, createRng(context.seed)),
        ...neighbourComponents(input, graph, classes),
        ...(robust ? [robust] : []),
        ...(input.texts ? [noveltyComponent(input.texts, params)] : []),
      ]
      context.onProgress?.(0.8)
      const result = calibrateComponents(input.rowCount, specs)
      // Each component's scores over the records it judges, Bonferroni over the components.
      const componentGaps = specs.map((spec) =>
        componentGap(spec, Int32Array.from(spec.groups.flatMap((group) => Array.from(group)))),
      )
      const gaps = componentGaps.map((gap) => gap.pValue)
      const { flagging, suspicion } = backedEvidence(result, gaps)
      const flagged = new Uint8Array(input.rowCount)
      const explanations: (string | undefined)[] = new Array(input.rowCount).fill(undefined)
      for (let row = 0; row < input.rowCount; row++) {
        if (flagging[row] >= params.flagAbove) flagged[row] = 1
        if (result.suspicion[row] >= explainAbove || flagged[row])
          explanations[row] = explainRow(result, specs, row)
      }
      const labels = input.labels
      return {
        suspicion,
        flagged,
        explanations,
        datasetPValue: Math.min(1, Math.min(...gaps) * specs.length),
        // One noise is named once, by the first component that reads it.
        attacks: noiseEvidence(result, specs, componentGaps, labels, graph)
          .flatMap((evidence) => noiseAttacks(result, evidence, flagged, labels))
          .slice(0, 1),
        info: describe(result, specs, flagged),
        warnings: [],
      }
    },
  }),
)
