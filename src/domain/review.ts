/** What a reviewer decided about flagged records: drop them, give them another label, or keep them as they are. */
export type ReviewAction = 'drop' | 'relabel' | 'keep'

/** One reviewer decision about one record or a whole finding's records, with who made it and when. */
export interface ReviewDecision {
  id: string
  /** 0-based position among the batch's decisions: a later decision about a record replaces an earlier one. */
  seq: number
  action: ReviewAction
  /** The new label of a `relabel`, else null. */
  label: string | null
  recordIds: string[]
  /** The finding a bulk decision acted on, else null. */
  finding: string | null
  actor: string
  actorName: string
  createdAt: string
  undoneAt: string | null
  undoneBy: string | null
}

/** What counts for each record: the latest decision about it that was not undone. */
export function effectiveDecisions(decisions: readonly ReviewDecision[]): Map<string, ReviewDecision> {
  const current = new Map<string, ReviewDecision>()
  for (const decision of [...decisions].sort((a, b) => a.seq - b.seq)) {
    if (decision.undoneAt !== null) continue
    for (const id of decision.recordIds) current.set(id, decision)
  }
  return current
}
