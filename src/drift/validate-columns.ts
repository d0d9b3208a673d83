import type { Dataset, LoadDiagnostics } from '../data/dataset.js'
import { channelCount, type ImageShape } from '../data/image-shape.js'
import type { Severity } from '../domain/index.js'
import type { DatasetSchema } from './schema.js'
import type { CheckFinding } from './types.js'

const SCORE_OF: Record<Severity, number> = { low: 0.3, medium: 0.6, high: 0.9 }

function finding(severity: Severity, explanation: string, column?: string, rowCount?: number): CheckFinding {
  return {
    detector: 'schema',
    kind: 'schema',
    severity,
    score: SCORE_OF[severity],
    explanation,
    ...(column !== undefined ? { column } : {}),
    ...(rowCount !== undefined ? { rowCount } : {}),
  }
}

function percent(share: number): string {
  return `${Number((100 * share).toPrecision(3))}%`
}

/** The categorical column a one-hot feature `<column>=<value>` belongs to, among `groups`. */
function groupOf(name: string, groups: ReadonlySet<string>): string | undefined {
  for (let at = name.lastIndexOf('='); at > 0; at = name.lastIndexOf('=', at - 1)) {
    const group = name.slice(0, at)
    if (groups.has(group)) return group
  }
  return undefined
}

function featureColumnFindings(
  schema: DatasetSchema,
  batch: Dataset,
  referenceDiagnostics: LoadDiagnostics | undefined,
) {
  const findings: CheckFinding[] = []
  const batchColumns = new Set(batch.featureNames)
  const batchText = new Set(batch.diagnostics?.textColumns)
  const referenceText = new Set(referenceDiagnostics?.textColumns)
  const batchGroups = new Set(batch.diagnostics?.categoricalColumns?.map(({ name }) => name))
  const referenceGroups = new Set(referenceDiagnostics?.categoricalColumns?.map(({ name }) => name))
  const allGroups = new Set([...batchGroups, ...referenceGroups])
  const listed = new Set(schema.features.map((feature) => feature.name))
  const retyped = new Set<string>()
  const retype = (group: string, explanation: string) => {
    if (retyped.has(group)) return
    retyped.add(group)
    findings.push(finding('high', explanation, group))
  }
  for (const rule of schema.features) {
    if (batchColumns.has(rule.name)) continue
    const group = groupOf(rule.name, allGroups)
    // A category the batch happens not to hold is a column of zeros there, which the drift tests weigh.
    if (group !== undefined && batchGroups.has(group)) continue
    if (batchGroups.has(rule.name))
      retype(rule.name, `column "${rule.name}" changed type: numeric in the schema, categorical in the batch`)
    else if (group !== undefined && batchColumns.has(group))
      retype(group, `column "${group}" changed type: categorical in the schema, numeric in the batch`)
    else if (group !== undefined && batchText.has(group))
      retype(group, `column "${group}" changed type: categorical in the schema, free text in the batch`)
    else
      findings.push(
        batchText.has(rule.name)
          ? finding(
              'high',
              `column "${rule.name}" changed type: numeric in the schema, text in the batch`,
              rule.name,
            )
          : finding('high', `column "${rule.name}" is missing from the batch`, rule.name),
      )
  }
  for (const [col, name] of batch.featureNames.entries()) {
    if (listed.has(name)) continue
    const group = groupOf(name, batchGroups)
    if (retyped.has(group ?? name)) continue
    if (group !== undefined && referenceText.has(group))
      retype(group, `column "${group}" changed type: free text in the reference, categorical in the batch`)
    else if (group !== undefined && [...listed].some((known) => groupOf(known, allGroups) === group)) {
      const rows = countOnes(batch, col)
      const value = name.slice(group.length + 1)
      findings.push(
        finding(
          'medium',
          `column "${group}" has a value ${JSON.stringify(value)} the schema does not list, in ${rows} row${rows === 1 ? '' : 's'}`,
          group,
          rows,
        ),
      )
    } else if (referenceText.has(name))
      findings.push(
        finding('high', `column "${name}" changed type: text in the reference, numeric in the batch`, name),
      )
    else if (!schema.allowExtraFeatures)
      findings.push(finding('medium', `column "${name}" is in the batch but not in the schema`, name))
  }
  for (const rule of schema.features) {
    const emptyCells = batch.diagnostics?.imputed.get(rule.name)?.cellCount ?? 0
    const share = emptyCells / Math.max(batch.rowCount, 1)
    if (share > rule.maxNullRate)
      findings.push(
        finding(
          'medium',
          `column "${rule.name}" has ${percent(share)} empty cells; the schema allows ${percent(rule.maxNullRate)}`,
          rule.name,
          emptyCells,
        ),
      )
  }
  return findings
}

/** Rows whose one-hot feature `col` is set. */
function countOnes(batch: Dataset, col: number): number {
  const { data, cols } = batch.features!
  let count = 0
  for (let index = col; index < data.length; index += cols) if (data[index] === 1) count++
  return count
}

/** A role column the schema names but the batch lacks, or the other way round. */
function presenceFindings(schema: DatasetSchema, batch: Dataset): CheckFinding[] {
  const findings: CheckFinding[] = []
  if (schema.label && !batch.labels) {
    const column = schema.label.column
    findings.push(finding('high', `the label column "${column}" is missing from the batch`, column))
  }
  if (!schema.label && batch.labels) {
    const column = batch.labels.name
    findings.push(finding('low', `the batch has a label column "${column}" the schema does not list`, column))
  }
  if (schema.text && !batch.texts) {
    const column = schema.text.column
    findings.push(finding('high', `the text column "${column}" is missing from the batch`, column))
  }
  if (schema.source && !batch.sources) {
    const column = schema.source.column
    findings.push(
      finding('low', `the source column "${column}" is missing, so sources cannot be compared`, column),
    )
  }
  const image = schema.image
  const shape = batch.imageShape
  const describe = (of: ImageShape) => `${of.width}×${of.height}${channelCount(of) === 3 ? ' colour' : ''}`
  if (
    image &&
    (!shape ||
      shape.width !== image.width ||
      shape.height !== image.height ||
      channelCount(shape) !== channelCount(image))
  ) {
    const found = shape ? describe(shape) : 'no images'
    findings.push(finding('high', `images should be ${describe(image)}, the batch has ${found}`))
  }
  return findings
}

/** Empty labels or texts beyond the share the schema allows (a zero allowance is checked row by row instead). */
function emptyRoleFindings(schema: DatasetSchema, batch: Dataset): CheckFinding[] {
  const findings: CheckFinding[] = []
  const rows = Math.max(batch.rowCount, 1)
  const check = (empty: number, allowed: number, what: string, column: string) => {
    if (allowed > 0 && empty / rows > allowed)
      findings.push(
        finding(
          'medium',
          `${percent(empty / rows)} of batch ${what}; the schema allows ${percent(allowed)}`,
          column,
          empty,
        ),
      )
  }
  if (schema.label && batch.labels) {
    let empty = 0
    for (const code of batch.labels.codes) if (code < 0) empty++
    check(empty, schema.label.maxNullRate, 'rows have no label', schema.label.column)
  }
  if (schema.text && batch.texts) {
    const empty = batch.texts.filter((text) => !text).length
    check(empty, schema.text.maxNullRate, 'texts are empty', schema.text.column)
  }
  return findings
}

/**
 * Dataset-level schema checks: missing, extra and retyped columns, missing label/text/source columns, null rates
 * and image sizes. A mismatch is a finding with a message, never an exception.
 */
export function checkColumns(
  schema: DatasetSchema,
  batch: Dataset,
  referenceDiagnostics?: LoadDiagnostics,
): CheckFinding[] {
  return [
    ...featureColumnFindings(schema, batch, referenceDiagnostics),
    ...presenceFindings(schema, batch),
    ...emptyRoleFindings(schema, batch),
  ]
}
