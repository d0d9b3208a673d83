import type { LabelColumn } from '../data/dataset.js'

/** Names the labels held by a single record, which the label detectors leave unjudged. */
export function unjudgedWarnings(labels: LabelColumn, unjudged: ReadonlySet<number>): string[] {
  if (unjudged.size === 0) return []
  const names = [...unjudged].slice(0, 3).map((code) => `"${labels.classes[code]}"`)
  const more = unjudged.size > names.length ? ` and ${unjudged.size - names.length} more` : ''
  return [
    `${unjudged.size} label(s) held by a single record (${names.join(', ')}${more}): nothing else in the data ` +
      'can confirm or doubt them, so their records are not judged',
  ]
}
