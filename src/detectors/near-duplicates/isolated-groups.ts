import type { NeighbourGraph } from '../../linalg/backend.js'
import { fitTail, tailProbability } from '../outliers/calibrate.js'
import { LinkEvidence, type Linker, link } from './links.js'
import { findRoot } from './union-find.js'

/** Where a record's neighbour distances jump, and how far beyond what the data's own jumps explain. */
export interface DistanceGaps {
  /** Per record, `m · ln(d₍ₘ₊₁₎ / d₍ₘ₎)` at its strongest jump: 0 where none is tried. */
  readonly score: Float64Array
  /** Per record, how many neighbours lie before that jump. */
  readonly members: Int32Array
}

/**
 * Each record's strongest jump in its sorted neighbour distances, after at least `minMembers` neighbours. Where
 * records are spread with a smooth density of dimension D, `(d₍ₘ₎ / d₍ₘ₊₁₎)^D` is Beta(m, 1), so
 * `m · D · ln(d₍ₘ₊₁₎ / d₍ₘ₎)` is a unit exponential at every m: weighing the log-ratio by m puts the jumps after
 * few and many neighbours on one scale. Noisy copies of one record sit in a ball and the next record lies well
 * beyond it, a jump no smooth density makes; exact copies (a nil distance) are left to the exact links.
 * @see Levina, Bickel. Maximum Likelihood Estimation of Intrinsic Dimension. NIPS 2004.
 */
export function distanceGaps(graph: NeighbourGraph, minMembers: number): DistanceGaps {
  const score = new Float64Array(graph.rows)
  const members = new Int32Array(graph.rows)
  for (let row = 0; row < graph.rows; row++) {
    const offset = row * graph.k
    for (let count = minMembers; count < graph.k; count++) {
      const inside = graph.distances[offset + count - 1]
      if (!(inside > 0)) continue
      const jump = count * Math.log(graph.distances[offset + count] / inside)
      if (jump > score[row]) {
        score[row] = jump
        members[row] = count
      }
    }
  }
  return { score, members }
}

/** Whether `other` is among the first `count` neighbours of `row`. */
function isAmongFirst(graph: NeighbourGraph, row: number, other: number, count: number): boolean {
  for (let position = 0; position < count; position++)
    if (graph.indices[row * graph.k + position] === other) return true
  return false
}

/** What decides that a record and its nearest neighbours stand apart from everything else. */
export interface IsolatedGroupOptions {
  /** Fewest records (the record and its neighbours) a group needs. */
  minGroup: number
  /** Expected number of ordinary records called isolated: the tail the jump is measured against. */
  significance: number
  confirm?: (first: number, second: number) => boolean
}

/**
 * Links records that stand, with their nearest neighbours, in a ball far apart from the rest: noisy copies of one
 * record (jittered pixels, say) that are too far apart pairwise to count as near-identical (on 8×8 digits a copy's
 * noise is as large as the distance between the closest honest digits) but whose next record lies far beyond their
 * ball. A record's jump is weighed against the exponential tail of everyone's (`fitTail`, as the outliers'
 * distance ratios are): it is isolated where fewer than `significance` ordinary records of the whole dataset would
 * jump as far. It is linked to each neighbour before its jump that jumps after as many records and holds it before
 * that jump too: a ball of copies needs one of them isolated, not every one.
 */
export function linkIsolatedGroups(
  linker: Linker,
  graph: NeighbourGraph,
  options: IsolatedGroupOptions,
): number {
  if (graph.k <= options.minGroup) return 0
  const gaps = distanceGaps(graph, options.minGroup - 1)
  const tail = fitTail(gaps.score, 'exponential')
  if (!tail) return 0
  const isolated = Uint8Array.from(gaps.score, (score, row) =>
    gaps.members[row] > 0 && graph.rows * tailProbability(tail, score) <= options.significance ? 1 : 0,
  )
  let links = 0
  for (let row = 0; row < graph.rows; row++) {
    if (!isolated[row]) continue
    for (let position = 0; position < gaps.members[row]; position++) {
      const neighbour = graph.indices[row * graph.k + position]
      // One ball: the neighbour jumps after as many records and holds this one before its jump. A record just
      // outside a flood's ball has the flood before its own jump, but one more record (itself) than the flood's
      // members do, and is not within theirs.
      if (gaps.members[neighbour] !== gaps.members[row]) continue
      if (findRoot(linker.sets, row) === findRoot(linker.sets, neighbour)) continue
      if (!isAmongFirst(graph, neighbour, row, gaps.members[neighbour])) continue
      if (options.confirm && !options.confirm(row, neighbour)) continue
      link(linker, row, neighbour, LinkEvidence.isolated)
      links++
    }
  }
  return links
}
