import { canonicalId } from '../data/canonical-text.js'
import type { CrowdEvidence, LabelColumn } from '../data/dataset.js'
import type { CrowdResult } from './aggregate.js'
import type { AnnotationTable } from './types.js'

export interface CrowdEvidenceInput {
  readonly ids: readonly string[]
  readonly labels: LabelColumn
  readonly table: AnnotationTable
  readonly result: CrowdResult
  readonly source: string
}

/**
 * Aligns a crowd's aggregation with a dataset's records by id (under the loaders' id rule, so `7` and `7.0` meet):
 * for each record, the posterior the crowd gives the dataset's own label, the consensus in the dataset's classes,
 * and the annotators found to be adversaries who gave that label. A dataset label the crowd never used gets
 * posterior 0: no annotator supports it.
 */
export function crowdEvidence({ ids, labels, table, result, source }: CrowdEvidenceInput): CrowdEvidence {
  const classCount = table.classes.length
  const itemOf = new Map(table.itemIds.map((item, index) => [canonicalId(item), index]))
  const crowdClassOf = new Map(table.classes.map((name, code) => [name, code]))
  const datasetClassOf = labels.classes.map((name) => crowdClassOf.get(name) ?? -1)
  const crowdToDataset = new Int32Array(classCount).fill(-1)
  datasetClassOf.forEach((crowdCode, datasetCode) => {
    if (crowdCode >= 0) crowdToDataset[crowdCode] = datasetCode
  })
  const answersPerItem = new Int32Array(table.itemIds.length)
  for (let answer = 0; answer < table.item.length; answer++) answersPerItem[table.item[answer]]++
  const suspicious = result.suspicions.map((reasons) => reasons.length > 0)

  const rowCount = ids.length
  const labelPosterior = new Float32Array(rowCount).fill(Number.NaN)
  const consensus = new Int32Array(rowCount).fill(-1)
  const consensusConfidence = new Float32Array(rowCount)
  const answers = new Int32Array(rowCount)
  const rowOfItem = new Int32Array(table.itemIds.length).fill(-1)
  for (let row = 0; row < rowCount; row++) {
    const item = itemOf.get(canonicalId(ids[row]))
    if (item === undefined) continue
    rowOfItem[item] = row
    answers[row] = answersPerItem[item]
    consensus[row] = crowdToDataset[result.fit.label[item]]
    consensusConfidence[row] = result.fit.confidence[item]
    const own = labels.codes[row]
    if (own < 0) continue
    const crowdCode = datasetClassOf[own]
    labelPosterior[row] = crowdCode < 0 ? 0 : result.fit.posterior[item * classCount + crowdCode]
  }

  const pushedBy: (string[] | undefined)[] = new Array(rowCount).fill(undefined)
  for (let answer = 0; answer < table.item.length; answer++) {
    const annotator = table.annotator[answer]
    const row = rowOfItem[table.item[answer]]
    if (!suspicious[annotator] || row < 0) continue
    const own = labels.codes[row]
    if (own < 0 || datasetClassOf[own] !== table.label[answer]) continue
    pushedBy[row] ??= []
    const name = table.annotatorIds[annotator]
    if (!pushedBy[row].includes(name)) pushedBy[row].push(name)
  }
  const groups = result.groups.map((group) => ({
    annotators: group.annotators.map((annotator) => table.annotatorIds[annotator]),
  }))
  return {
    source,
    model: result.fit.model,
    labelPosterior,
    consensus,
    consensusConfidence,
    answers,
    pushedBy,
    groups,
  }
}
