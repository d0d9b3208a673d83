import { LinkEvidence } from './links.js'
import type { GroupAnalysis } from './score.js'

/** What an explanation needs besides the group: names and the thresholds that linked the records. */
export interface ExplainContext {
  readonly ids: readonly string[]
  readonly codes?: Int32Array
  readonly classes: readonly string[]
  readonly minCosine: number
  readonly minJaccard: number
  readonly minCorrelation: number
  readonly floodSizeThreshold: number
}

/** How the group's records resemble each other, from the tests that linked them. */
export function describeLikeness(evidence: number, identical: boolean, context: ExplainContext): string {
  if (identical) return 'identical copies'
  if (evidence & LinkEvidence.dense) return `near-identical copies (cosine ≥ ${context.minCosine})`
  if (evidence & LinkEvidence.core)
    return `near-copies in an unusually tight cluster (cosine ≥ ${context.minCosine})`
  if (evidence & LinkEvidence.isolated)
    return 'near-copies in a ball far apart from every other record (their next neighbour lies far beyond it)'
  if (evidence & LinkEvidence.text)
    return `near-identical texts (≥ ${Math.round(context.minJaccard * 100)}% of word pairs shared)`
  return `near-identical images (same average hash, pixel correlation ≥ ${context.minCorrelation})`
}

function labelName(code: number, context: ExplainContext): string {
  return code >= 0 ? context.classes[code] : 'unlabelled'
}

function neighbourhood(group: GroupAnalysis, context: ExplainContext): string {
  const best = group.bestLabel
  if (group.outsideTotal === 0 || best < 0) return 'no labelled records nearby'
  return `${group.outsideCounts[best]} of the ${group.outsideTotal} nearest other records are ${labelName(best, context)}`
}

function labelMix(group: GroupAnalysis, context: ExplainContext): string {
  const parts: string[] = []
  group.labelCounts.forEach((count, code) => {
    if (count > 0) parts.push(`${count} × ${context.classes[code]}`)
  })
  return parts.join(', ')
}

/** Whether most of the nearest records outside the group carry its best-supported label. */
function neighboursAgree(group: GroupAnalysis): boolean {
  const best = group.bestLabel
  return best >= 0 && 2 * group.outsideCounts[best] > group.outsideTotal
}

function explainFlood(group: GroupAnalysis, row: number, likeness: string, context: ExplainContext): string {
  const own = labelName(context.codes ? context.codes[row] : -1, context)
  const size = group.rows.length
  const original = context.ids[group.original]
  const best = labelName(group.bestLabel, context)
  const unusual = `an unusually large group (the bar here is ${context.floodSizeThreshold})`
  const originalCode = context.codes ? context.codes[group.original] : -1
  if (row === group.original) {
    return `original of ${size} ${likeness} (labels ${labelMix(group, context)}); ${unusual}; ${neighbourhood(group, context)}`
  }
  if (context.codes && context.codes[row] !== group.bestLabel && originalCode === group.bestLabel) {
    if (group.copiesPValue !== undefined && !neighboursAgree(group))
      return `one of ${size} ${likeness} of record ${original}, labelled ${own} while the original, at the copies' centre, is ${best} (p = ${group.copiesPValue.toPrecision(2)})`
    return `one of ${size} ${likeness} of record ${original}, labelled ${own} while the original and its neighbours are ${best}`
  }
  if (context.codes && context.codes[row] !== group.bestLabel) {
    return `one of ${size} ${likeness}, labelled ${own} while ${neighbourhood(group, context)}`
  }
  if (group.labelCounts.filter((count) => count > 0).length > 1) {
    return `one of ${size} ${likeness} of record ${original} with conflicting labels (${labelMix(group, context)}); ${unusual}`
  }
  return `one of ${size} ${likeness} of record ${original}, labelled ${own} like its neighbours; ${unusual}`
}

/** One sentence naming the group (`likeness`: how its records resemble each other), the original, the labels and the neighbourhood behind a record's score. */
export function explainMember(
  group: GroupAnalysis,
  row: number,
  likeness: string,
  context: ExplainContext,
): string {
  if (group.kind === 'flood') return explainFlood(group, row, likeness, context)
  const own = labelName(context.codes ? context.codes[row] : -1, context)
  const size = group.rows.length
  if (group.kind === 'contradiction') {
    return `one of ${size} ${likeness} with conflicting labels (${labelMix(group, context)}); this one is labelled ${own} and ${neighbourhood(group, context)}`
  }
  if (row === group.original)
    return `one of ${size} ${likeness}, all labelled ${own}; taken as their original`
  return `one of ${size} ${likeness} of record ${context.ids[group.original]}, all labelled ${own}`
}
