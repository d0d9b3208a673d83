import { estimateListCosts, type IvfSearchPlan } from '../linalg/ann/lists.js'

/** A run of consecutive inverted lists searched as one job. */
export interface ListGroup {
  readonly firstList: number
  readonly endList: number
}

/** Jobs an approximate search is cut into at least, so that every worker gets several and none is left last. */
const minimumGroups = 24

/**
 * Consecutive lists cut into groups of about equal work: about `pairsPerGroup` distances each (or `minimumGroups`
 * groups where that makes more), or `rowsPerGroup` query rows each when that is given. Every list is in one group;
 * a list is never split, so a group can hold more than its share.
 */
export function groupLists(
  plan: IvfSearchPlan,
  options: { pairsPerGroup: number; rowsPerGroup?: number },
): ListGroup[] {
  const { starts } = plan
  const lists = starts.length - 1
  const costs = options.rowsPerGroup
    ? Float64Array.from({ length: lists }, (_, list) => starts[list + 1] - starts[list])
    : estimateListCosts(plan)
  const total = costs.reduce((sum, cost) => sum + cost, 0)
  const wanted = options.rowsPerGroup
    ? Math.ceil(total / options.rowsPerGroup)
    : Math.max(minimumGroups, Math.ceil(total / options.pairsPerGroup))
  const share = total / Math.max(1, wanted)
  const groups: ListGroup[] = []
  let firstList = 0
  let cost = 0
  for (let list = 0; list < lists; list++) {
    cost += costs[list]
    // Cut where the work so far passes the next multiple of a share, so a group that ran over leaves less to the next.
    if (cost < (groups.length + 1) * share || starts[list + 1] === starts[firstList]) continue
    groups.push({ firstList, endList: list + 1 })
    firstList = list + 1
  }
  if (firstList < lists) {
    // Trailing empty lists have no rows to search: they join the last group rather than make a job of their own.
    const last = groups.at(-1)
    if (last && starts[lists] === starts[firstList]) groups[groups.length - 1] = { ...last, endList: lists }
    else groups.push({ firstList, endList: lists })
  }
  return groups
}

/** Total distances the search of every list computes, about. */
export function planPairs(plan: IvfSearchPlan): number {
  return estimateListCosts(plan).reduce((sum, cost) => sum + cost, 0)
}
