import { counts, fixGold, weightsOf } from './em.js'
import type { AnnotationTable, EmOptions } from './types.js'

/**
 * (Weighted) majority vote as a posterior: each item's vote shares, uniform for an item nobody answered.
 * Gold items are fixed to their class.
 */
export function majorityVotePosterior(table: AnnotationTable, options: EmOptions = {}): Float64Array {
  const { items, classes } = counts(table)
  const weight = weightsOf(table, options)
  const votes = new Float64Array(items * classes)
  for (let a = 0; a < table.item.length; a++)
    votes[table.item[a] * classes + table.label[a]] += weight[table.annotator[a]]
  for (let i = 0; i < items; i++) {
    let total = 0
    for (let k = 0; k < classes; k++) total += votes[i * classes + k]
    for (let k = 0; k < classes; k++)
      votes[i * classes + k] = total > 0 ? votes[i * classes + k] / total : 1 / classes
  }
  fixGold(votes, classes, options.gold)
  return votes
}
