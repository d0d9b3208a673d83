import { z } from 'zod'
import { luminance } from '../../data/image-shape.js'
import type { FindingKind } from '../../domain/index.js'
import type { NeighbourGraph } from '../../linalg/backend.js'
import { voteNeighbourLabels } from '../knn-label-consistency/score.js'
import { type DetectorInput, defineDetector } from '../types.js'
import { type CopiedOriginals, findCopiedOriginals } from './central-minority.js'
import { sameContent } from './content-hash.js'
import { describeLikeness, type ExplainContext, explainMember } from './explain.js'
import { linkIsolatedGroups } from './isolated-groups.js'
import {
  createDenseLikeness,
  type Linker,
  linkDenseCores,
  linkDenseNeighbours,
  linkExactDuplicates,
  linkImageHashes,
  linkTextShingles,
} from './links.js'
import { shingleJaccard, wordShingles } from './minhash.js'
import {
  analyseGroup,
  classesMadeOfCopies,
  fitGroupSizes,
  floodSizeThreshold,
  type GroupAnalysis,
  type GroupContext,
  joinFloodPieces,
  memberFindingKind,
  memberSuspicion,
  neighbourReach,
  ordinaryGroupSizes,
  testContradictions,
  withRelabelledFloods,
} from './score.js'
import { collectGroups, createUnionFind } from './union-find.js'

const paramsSchema = z
  .object({
    k: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(10)
      .describe('neighbours examined per record for near duplicates'),
    minCosine: z
      .number()
      .min(0)
      .max(1)
      .default(0.98)
      .describe('dense features: least cosine similarity of near duplicates'),
    maxRelativeDistance: z
      .number()
      .gt(0)
      .default(0.08)
      .describe(
        'dense features: largest distance of near duplicates, as a fraction of the median k-th neighbour distance',
      ),
    maxClusterDistance: z
      .number()
      .gt(0)
      .default(0.2)
      .describe(
        'dense features: radius of an unusually tight cluster (k neighbours within it), as a fraction of the median k-th neighbour distance',
      ),
    minJaccard: z
      .number()
      .min(0)
      .max(1)
      .default(0.75)
      .describe('texts: least share of word pairs (Jaccard) two near-duplicate texts have in common'),
    maxChars: z
      .number()
      .int()
      .min(10)
      .default(5000)
      .describe('texts: leading characters of each text compared'),
    minCorrelation: z
      .number()
      .min(-1)
      .max(1)
      .default(0.99)
      .describe('images: least pixel correlation of two images with the same average hash'),
    minFloodSize: z
      .number()
      .int()
      .min(3)
      .default(5)
      .describe('smallest group that can count as a flood; the dataset’s own group sizes may raise the bar'),
    flagAbove: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('flag group members whose chance of a wrong label reaches this'),
  })
  .strict()

type Params = z.infer<typeof paramsSchema>

/**
 * Rows whose only content is an empty or blank text: they are alike because they hold nothing, so two of them are
 * no evidence of copying, and a column of empty texts must not become one giant flood.
 */
function contentlessRows(input: DetectorInput): Uint8Array | undefined {
  if (!input.texts || input.dataset.features || input.dataset.embeddings) return undefined
  const rows = Uint8Array.from(input.texts, (text) => (text.trim() === '' ? 1 : 0))
  return rows.includes(1) ? rows : undefined
}

/**
 * Neighbours read for jumps in distance: the scan's shared graph holds as many, so reading them costs no search, and
 * a ball of noisy copies up to this size stands out.
 */
const gapNeighbours = 50

/** Ordinary records a dataset may expect to see called a ball of copies by chance. */
const isolatedGroupSignificance = 0.01

/** Links every pair of records that some test calls duplicates; returns the link counts per test. */
async function linkRecords(input: DetectorInput, params: Params, seed: number) {
  const { dataset } = input
  const contentless = contentlessRows(input)
  const linker: Linker = {
    sets: createUnionFind(input.rowCount),
    evidence: new Uint8Array(input.rowCount),
    contentless,
    pairsCompared: 0,
  }
  const graph = await input.neighbours(Math.min(params.k, input.rowCount - 1))
  const shingles = input.texts ? wordShingles(input.texts, params.maxChars) : undefined
  const confirm = shingles
    ? (a: number, b: number) => shingleJaccard(shingles, a, b) >= params.minJaccard
    : undefined
  const links = {
    exact: linkExactDuplicates(linker, dataset),
    dense: linkDenseNeighbours(linker, input.features!, graph, {
      minCosine: params.minCosine,
      maxRelativeDistance: params.maxRelativeDistance,
      confirm,
    }),
    cluster: linkDenseCores(linker, input.features!, graph, {
      minCosine: params.minCosine,
      maxRelativeDistance: params.maxClusterDistance,
      confirm,
    }),
    isolated: linkIsolatedGroups(
      linker,
      await input.neighbours(Math.min(gapNeighbours, input.rowCount - 1)),
      {
        minGroup: params.minFloodSize,
        significance: isolatedGroupSignificance,
        confirm,
      },
    ),
    text: shingles ? linkTextShingles(linker, shingles, params.minJaccard, seed) : 0,
    image:
      dataset.imageShape &&
      dataset.features &&
      dataset.imageShape.width >= 8 &&
      dataset.imageShape.height >= 8
        ? // The hash compares brightness; colour copies of one picture are near duplicates too.
          linkImageHashes(
            linker,
            luminance(dataset.features, dataset.imageShape),
            dataset.imageShape,
            params.minCorrelation,
          )
        : 0,
  }
  return { linker, graph, links }
}

function describeGroups(analyses: readonly GroupAnalysis[], input: DetectorInput, threshold: number) {
  const classes = input.labels?.classes ?? []
  const name = (code: number) => (code >= 0 ? classes[code] : null)
  const ranked = [...analyses].sort((a, b) => b.rows.length - a.rows.length || a.rows[0] - b.rows[0])
  return {
    groups: analyses.length,
    recordsInGroups: analyses.reduce((sum, group) => sum + group.rows.length, 0),
    contradictionGroups: analyses.filter((group) => group.kind === 'contradiction').length,
    floodGroups: analyses.filter((group) => group.kind === 'flood').length,
    floodSizeThreshold: threshold,
    largestGroups: ranked.slice(0, 10).map((group) => ({
      size: group.rows.length,
      kind: group.kind,
      original: input.ids[group.original],
      labels: Object.fromEntries(
        Array.from(group.labelCounts.entries())
          .filter(([, count]) => count > 0)
          .map(([code, count]) => [classes[code], count]),
      ),
      neighbourLabel: group.outsideTotal > 0 ? name(group.bestLabel) : null,
    })),
  }
}

/** Nearest records outside a group whose labels vote on what its content is. */
const outsideVoteCount = 10
/**
 * Searches past a group through the whole dataset allowed per scan; beyond that many groups, each searches a
 * stride of the records, so a dataset made of copies costs this many passes over it, not one per group.
 */
const fullScansAllowed = 64

/** Every how many records a group that fills its neighbour lists looks at; 1 unless groups are very many. */
function outsideScanStride(groups: readonly Int32Array[], graph: NeighbourGraph): number {
  // A smaller group always has enough outsiders in its members' neighbour lists.
  const fillers = groups.filter((rows) => rows.length > graph.k - outsideVoteCount / 2).length
  return Math.max(1, Math.ceil(fillers / fullScansAllowed))
}

/** Per-record scores, kinds and explanations of every group member; records outside groups keep zeros. */
function scoreMembers(
  analyses: readonly GroupAnalysis[],
  linker: Linker,
  input: DetectorInput,
  params: Params,
  explain: ExplainContext,
) {
  const codes = input.labels?.codes
  const suspicion = new Float32Array(input.rowCount)
  const flagged = new Uint8Array(input.rowCount)
  const suggestedLabels = new Int32Array(input.rowCount).fill(-1)
  const explanations: (string | undefined)[] = new Array(input.rowCount).fill(undefined)
  const findingKinds: (FindingKind | undefined)[] = new Array(input.rowCount).fill(undefined)
  const ordinarySizes = ordinaryGroupSizes(analyses)
  analyses.forEach((group, index) => {
    let evidence = 0
    for (const row of group.rows) evidence |= linker.evidence[row]
    const identical = group.rows.every((row) => sameContent(input.dataset, row, group.rows[0]))
    const likeness = describeLikeness(evidence, identical, explain)
    for (const row of group.rows) {
      suspicion[row] = memberSuspicion(group, row, codes, ordinarySizes[index])
      explanations[row] = explainMember(group, row, likeness, explain)
      const kind = memberFindingKind(group, row, codes)
      if (kind === 'duplicate') continue
      findingKinds[row] = kind
      flagged[row] = suspicion[row] >= params.flagAbove ? 1 : 0
      // A contradiction is a label flip to undo; a flood's copies are to be removed, whatever their label.
      if (flagged[row] && kind === 'contradiction' && codes![row] !== group.bestLabel)
        suggestedLabels[row] = group.bestLabel
    }
  })
  return { suspicion, flagged, suggestedLabels, explanations, findingKinds }
}

/**
 * The flagged copies with conflicting labels as one attack, with the chance that label noise at the rate the
 * neighbours disagree on labels would make as many conflicting groups: on data whose labels are merely noisy the
 * copies conflict about as often as anything else, while planted contradictions conflict every time.
 */
function contradictionAttack(
  analyses: readonly GroupAnalysis[],
  graph: NeighbourGraph,
  codes: Int32Array,
  classCount: number,
  scores: ReturnType<typeof scoreMembers>,
) {
  let records = 0
  scores.flagged.forEach((flag, row) => {
    if (flag && scores.findingKinds[row] === 'contradiction') records++
  })
  if (records === 0) return undefined
  const { disagreement } = voteNeighbourLabels(graph, codes, classCount)
  let labelled = 0
  let disagreeing = 0
  codes.forEach((code, row) => {
    if (code < 0) return
    labelled++
    disagreeing += disagreement[row]
  })
  const test = testContradictions(analyses, labelled > 0 ? disagreeing / labelled : 0)
  return {
    kind: 'contradiction' as const,
    description:
      `${records} copies of records with conflicting labels (${test.conflicting} groups, where label noise ` +
      `explains about ${test.expected.toFixed(1)})`,
    records,
    pValue: test.pValue,
  }
}

/** Each flood of copies around their original (`findCopiedOriginals`) as an attack with its p-value. */
function copiedFloodAttacks(analyses: readonly GroupAnalysis[], scores: ReturnType<typeof scoreMembers>) {
  return analyses.flatMap((group) => {
    if (group.copiesPValue === undefined) return []
    const records = group.rows.filter((row) => scores.flagged[row] === 1).length
    if (records === 0) return []
    return [
      {
        kind: 'flood' as const,
        description: `a flood of ${records} near-identical records`,
        records,
        pValue: group.copiesPValue,
      },
    ]
  })
}

/**
 * The detector's dataset-level test: the copies test, where it finds a flood of copies around their original.
 * Where it finds none the detector offers no test: its other evidence (how far a group is past the sizes natural
 * groups reach, whose label its surroundings confirm) is weighed record by record as before, and that is how floods
 * the test cannot see are ranked. In a spam table the original of a flood of 605 mails shares its place in the
 * geometry with 158 of its copies, behind 15 others (p 0.23): read as a test that found nothing, the detector fell
 * quiet and the fused ranking of the copies from 0.968 to 0.762.
 */
function datasetPValueOf(copied: CopiedOriginals | undefined): number | undefined {
  return copied?.analyses.some((group) => group.copiesPValue !== undefined) ? copied.pValue : undefined
}

/**
 * Exact and near duplicates grouped by union-find; groups whose labels disagree become contradictions and
 * unusually large groups floods, where the members whose label the group's surroundings contradict score highest.
 * @see Broder. On the Resemblance and Containment of Documents. 1997 (MinHash).
 * @see Steinhardt, Koh, Liang. Certified Defenses for Data Poisoning Attacks. NeurIPS 2017 (concentrated poisons).
 */
export const nearDuplicatesDetector = defineDetector({
  id: 'near-duplicates',
  kind: 'near_duplicate',
  summary:
    'Exact and near duplicates; flags copies with conflicting labels and floods of mislabelled near-copies',
  requires: ['features'],
  awaits: ['neighbours'],
  params: paramsSchema,
  async run(input, params, context) {
    const { linker, graph, links } = await linkRecords(input, params, context.seed)
    context.onProgress?.(0.7)
    const linked = collectGroups(linker.sets)
    const threshold = floodSizeThreshold(linked, params.minFloodSize)
    const reach = neighbourReach(input.features!, graph)
    const groups = joinFloodPieces(linked, threshold, input.features!, reach)
    const codes = input.labels?.codes
    const classCount = input.labels?.classes.length ?? 0
    const sizes = fitGroupSizes(groups)
    const groupContext: GroupContext = {
      features: input.features!,
      graph,
      codes,
      classCount,
      copyClasses: codes && classesMadeOfCopies(groups, threshold, codes, classCount),
      voteCount: outsideVoteCount,
      scanStride: outsideScanStride(groups, graph),
      work: { distancesComputed: 0 },
      sizes,
      reach,
      alike: createDenseLikeness(input.features!, graph, params).alike,
    }
    const judged = withRelabelledFloods(
      groups.map((rows) => analyseGroup(rows, threshold, groupContext)),
      threshold,
      sizes,
    )
    const copied = codes && findCopiedOriginals(judged, codes, input.features!, classCount)
    const analyses = copied?.analyses ?? judged
    const scores = scoreMembers(analyses, linker, input, params, {
      ids: input.ids,
      codes: input.labels?.codes,
      classes: input.labels?.classes ?? [],
      minCosine: params.minCosine,
      minJaccard: params.minJaccard,
      minCorrelation: params.minCorrelation,
      floodSizeThreshold: threshold,
    })
    const contradictions = codes && contradictionAttack(analyses, graph, codes, classCount, scores)
    const attacks = [...(contradictions ? [contradictions] : []), ...copiedFloodAttacks(analyses, scores)]
    const blankCount = linker.contentless?.reduce((sum, blank) => sum + blank, 0) ?? 0
    const warnings =
      blankCount > 0
        ? [
            `${blankCount} records have an empty text and nothing else to compare; they are not checked for copies`,
          ]
        : []
    const work = {
      pairsCompared: linker.pairsCompared,
      distancesComputed: groupContext.work.distancesComputed,
      outsideScanStride: groupContext.scanStride,
    }
    const copyClassNames = (input.labels?.classes ?? []).filter((_, code) => groupContext.copyClasses?.[code])
    const info = {
      ...describeGroups(analyses, input, threshold),
      classesMadeOfCopies: copyClassNames,
      links,
      work,
    }
    return {
      ...scores,
      datasetPValue: datasetPValueOf(copied),
      attacks,
      info: { ...info, copiedOriginals: copied && { tested: copied.tested, pValue: copied.pValue } },
      warnings,
    }
  },
})
