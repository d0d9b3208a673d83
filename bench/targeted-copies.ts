// Nulls for targeted copies (docs/zoo.md, "Targeted copies against the dataset's own tight groups"): for every
// labelled record, its ball (the neighbours before its strongest distance jump, as `near-duplicates` reads isolated
// groups) and ring (the rest of its 50 neighbours), then four candidate tests of "a ball of copies of this record,
// given another label". One JSON line per case: the best-ranked record under each test, whether it is the attacked
// original, and its p-value. Run from the repository root:
//   node --import ./test/fixtures/register-typescript.mjs bench/targeted-copies.ts cases=targeted:subjects:2,clean:spam:0
// The zoo's digits come from MNIST, which the test fixtures load through Vitest: measure those cases from a test
// file that calls `measureTargetedCopies`.
// A case is kind:zoo-name:seed, kind one of targeted (the `targeted` attack's defaults), flips (10% random flips),
// repeats (30% of the records written 2–5 times) or clean.
import { applyAttack } from '../src/attacks/registry.js'
import type { Dataset } from '../src/data/dataset.js'
import type { FeatureMatrix } from '../src/data/matrix.js'
import { distanceGaps } from '../src/detectors/near-duplicates/isolated-groups.js'
import { fitTail, tailProbability } from '../src/detectors/outliers/calibrate.js'
import type { DetectorInput } from '../src/detectors/types.js'
import type { LinalgBackend, NeighbourGraph } from '../src/linalg/backend.js'
import { createDefaultBackend } from '../src/linalg/default-backend.js'
import { hypergeometricUpperTail } from '../src/stats/tails.js'
import { prepareAsScan, prepareOnce, prepareRelabelled } from '../test/fixtures/detectors.js'
import { flipLabels } from '../test/fixtures/poison.js'
import { withRepeats } from '../test/fixtures/repeats.js'
import { type ZooName, zooDataset } from '../test/fixtures/zoo.js'

const neighbourCount = 50
/** Fewest neighbours a ball holds, as `near-duplicates` asks of isolated groups (its `minFloodSize` − 1). */
const minMembers = 4

interface Case {
  readonly dataset: Dataset
  readonly input: DetectorInput
  /** The attacked original, or -1. */
  readonly original: number
}

async function prepareCase(spec: string, backend: LinalgBackend): Promise<Case> {
  const [kind, name, seedText] = spec.split(':')
  const base = zooDataset(name as ZooName)
  const seed = Number(seedText)
  if (kind === 'targeted') {
    const run = applyAttack('targeted', base, {}, seed)
    const original = run.dataset.ids.indexOf((run.info.targetIds as string[])[0])
    return { dataset: run.dataset, input: await prepareAsScan(run.dataset, backend), original }
  }
  if (kind === 'flips') {
    const { dataset } = flipLabels(base, 0.1, seed)
    return { dataset, input: await prepareRelabelled(dataset, base, backend), original: -1 }
  }
  if (kind === 'repeats') {
    const { dataset } = withRepeats(base, 0.3, seed, { upToFive: true })
    return { dataset, input: await prepareAsScan(dataset, backend), original: -1 }
  }
  return { dataset: base, input: await prepareOnce(base, backend), original: -1 }
}

function distance(features: FeatureMatrix, first: number, second: number): number {
  let sum = 0
  for (let col = 0; col < features.cols; col++)
    sum += (features.data[first * features.cols + col] - features.data[second * features.cols + col]) ** 2
  return Math.sqrt(sum)
}

function argmax(counts: Int32Array): number {
  let best = 0
  for (let code = 1; code < counts.length; code++) if (counts[code] > counts[best]) best = code
  return best
}

interface Ball {
  readonly row: number
  readonly members: number
  /** The ball holds another label than the record's, and the ring the record's own. */
  readonly pattern: boolean
  /** Every ball member carries another label than the record. */
  readonly odd: boolean
  /** The ball's majority label differs from the ring's. */
  readonly apart: boolean
  /** Labels of the 50 nearest dealt at random: chance the ball holds as many of its majority's other label. */
  readonly localDeal: number
  /** Rank of the record by distance to the ball's centre, over the ball and itself (ties high), as a share. */
  readonly centralRank: number
  /** The record's mean distance to the members over the members' mean distance to each other. */
  readonly centrality: number
}

function describeBall(row: number, graph: NeighbourGraph, members: number, input: DetectorInput): Ball {
  const codes = input.labels!.codes
  const features = input.features!
  const classCount = input.labels!.classes.length
  const mates = Array.from({ length: members }, (_, position) => graph.indices[row * graph.k + position])
  const ball = new Int32Array(classCount)
  const ring = new Int32Array(classCount)
  for (const mate of mates) if (codes[mate] >= 0) ball[codes[mate]]++
  for (let position = members; position < graph.k; position++) {
    const other = graph.indices[row * graph.k + position]
    if (codes[other] >= 0) ring[codes[other]]++
  }
  const own = codes[row]
  let other = -1
  for (let code = 0; code < classCount; code++)
    if (code !== own && (other < 0 || ball[code] > ball[other])) other = code
  const ringSize = graph.k - members
  const localDeal = hypergeometricUpperTail(ball[other], graph.k, ball[other] + ring[other], members)
  const centre = new Float64Array(features.cols)
  for (const member of [row, ...mates])
    for (let col = 0; col < features.cols; col++)
      centre[col] += features.data[member * features.cols + col] / (members + 1)
  const toCentre = (member: number) => {
    let sum = 0
    for (let col = 0; col < features.cols; col++)
      sum += (features.data[member * features.cols + col] - centre[col]) ** 2
    return sum
  }
  const ownDistance = toCentre(row)
  const rank = [row, ...mates].filter((member) => toCentre(member) <= ownDistance).length
  let toRecord = 0
  for (const mate of mates) toRecord += distance(features, row, mate)
  let between = 0
  for (let first = 0; first < members; first++)
    for (let second = first + 1; second < members; second++)
      between += distance(features, mates[first], mates[second])
  const pairs = (members * (members - 1)) / 2
  return {
    row,
    members,
    pattern: ball[own] <= 0.2 * members && argmax(ball) !== own && ringSize > 0 && argmax(ring) === own,
    odd: ball[own] === 0,
    apart: argmax(ball) !== argmax(ring),
    localDeal,
    centralRank: rank / (members + 1),
    centrality: between > 0 ? toRecord / members / (between / pairs) : Number.NaN,
  }
}

function describeBalls(input: DetectorInput, graph: NeighbourGraph): Ball[] {
  const gaps = distanceGaps(graph, minMembers)
  const codes = input.labels!.codes
  const balls: Ball[] = []
  for (let row = 0; row < graph.rows; row++)
    if (gaps.members[row] > 0 && codes[row] >= 0)
      balls.push(describeBall(row, graph, gaps.members[row], input))
  return balls
}

/** The best-ranked record under a test: whether it is the original, its p-value, and the original's. */
function best(balls: Ball[], pValue: (ball: Ball) => number, original: number) {
  const scored = balls.map((ball) => ({ ball, p: Math.min(1, pValue(ball)) })).sort((a, b) => a.p - b.p)
  const top = scored[0]
  const attacked = scored.find((entry) => entry.ball.row === original)
  return {
    top: top && { original: top.ball.row === original, p: top.p, members: top.ball.members },
    original: attacked && { p: attacked.p, rank: scored.indexOf(attacked) + 1 },
  }
}

function testCase(spec: string, prepared: Case, graph: NeighbourGraph) {
  const balls = describeBalls(prepared.input, graph)
  const labelled = prepared.input.labels!.codes.filter((code) => code >= 0).length
  const patterns = balls.filter((ball) => ball.pattern)
  // (A) Labels dealt at random among the 50 nearest, Bonferroni over every labelled record.
  const localDeal = best(balls, (ball) => labelled * ball.localDeal, prepared.original)
  // (B) The rates of an odd record and of a ball apart from its ring, counted in the data, times the centre's rank.
  const oddCount = balls.filter((ball) => ball.odd).length
  const apartCount = balls.filter((ball) => ball.apart).length
  const counted = best(
    patterns,
    (ball) => ((oddCount * apartCount) / (balls.length + 1)) * ball.centralRank,
    prepared.original,
  )
  // (C) How central the record sits, against the exponential tail of every ball's centrality, Bonferroni over patterns.
  const finite = balls.filter((ball) => Number.isFinite(ball.centrality) && ball.centrality > 0)
  const tail = fitTail(
    finite.map((ball) => -Math.log(ball.centrality)),
    'exponential',
  )
  const central = best(
    patterns.filter((ball) => Number.isFinite(ball.centrality) && ball.centrality > 0),
    (ball) => (tail ? patterns.length * tailProbability(tail, -Math.log(ball.centrality)) : 1),
    prepared.original,
  )
  return {
    case: spec,
    rows: prepared.dataset.rowCount,
    balls: balls.length,
    odd: oddCount,
    apart: apartCount,
    patterns: patterns.length,
    localDeal,
    counted,
    central,
  }
}

/** One JSON-ready summary per case spec. */
export async function measureTargetedCopies(specs: readonly string[]) {
  const backend = await createDefaultBackend()
  const results = []
  for (const spec of specs) {
    const prepared = await prepareCase(spec, backend)
    const graph = await prepared.input.neighbours(Math.min(neighbourCount, prepared.dataset.rowCount - 1))
    results.push(testCase(spec, prepared, graph))
  }
  await backend.dispose()
  return results
}

const cases = process.argv.find((arg) => arg.startsWith('cases='))?.slice('cases='.length)
if (cases)
  for (const result of await measureTargetedCopies(cases.split(','))) console.log(JSON.stringify(result))
