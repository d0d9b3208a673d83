import { type LabelColumn, singleRecordClasses } from '../data/dataset.js'
import type { NeighbourGraph } from '../linalg/backend.js'
import { quantileSorted } from '../stats/quantiles.js'

/**
 * Quantile of the distances from records of shared labels to their nearest neighbour beyond which a record lies
 * apart from the rest of the data.
 */
const apartQuantile = 0.9

/**
 * The labels a single record holds that the label detectors cannot judge: nothing else carries the label, so no
 * model's training fold or neighbour can give it, and the record lies apart from the rest (its nearest neighbour
 * farther than 90% of the records of shared labels have theirs). In 60 categories of 1 to 200 records, 23 of the 26
 * single records were flagged as label issues. A single record inside another class's crowd stays judged: it is
 * what a relabelled record looks like when no other record holds its new label (three of 57 random flips on the
 * same categories).
 */
export function unjudgedLabels(labels: LabelColumn, graph: NeighbourGraph): Set<number> {
  const single = singleRecordClasses(labels)
  if (single.size === 0 || graph.k === 0) return single
  const { codes } = labels
  const shared: number[] = []
  codes.forEach((code, row) => {
    if (code >= 0 && !single.has(code)) shared.push(graph.distances[row * graph.k])
  })
  const apart = quantileSorted(Float64Array.from(shared).sort(), apartQuantile)
  const unjudged = new Set<number>()
  codes.forEach((code, row) => {
    if (single.has(code) && !(graph.distances[row * graph.k] <= apart)) unjudged.add(code)
  })
  return unjudged
}

/** Names the labels the label detectors leave unjudged (`unjudgedLabels`). */
export function unjudgedWarnings(labels: LabelColumn, unjudged: ReadonlySet<number>): string[] {
  if (unjudged.size === 0) return []
  const names = [...unjudged].slice(0, 3).map((code) => `"${labels.classes[code]}"`)
  const more = unjudged.size > names.length ? ` and ${unjudged.size - names.length} more` : ''
  return [
    `${unjudged.size} label(s) held by a single record apart from the rest (${names.join(', ')}${more}): ` +
      'nothing else in the data can confirm or doubt them, so their records are not judged',
  ]
}
