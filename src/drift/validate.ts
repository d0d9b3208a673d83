import type { Dataset } from '../data/dataset.js'
import type { Finding, RecordReport, Severity } from '../domain/index.js'
import { severityOrder } from '../domain/index.js'
import type { DatasetSchema, FeatureRule } from './schema.js'
import type { CheckFinding } from './types.js'

export interface ValidateOptions {
  /** Ids of the reference: batch rows reusing one are findings when the schema asks for unique ids. */
  referenceIds?: ReadonlySet<string>
  /** Most rows listed in `records` (all are counted); default 10,000. */
  maxRecords?: number
}

export interface ValidationResult {
  findings: CheckFinding[]
  records: RecordReport[]
  /** Rows with at least one finding, listed or not. */
  violatingRows: number
}

const SCORE_OF: Record<Severity, number> = { low: 0.3, medium: 0.6, high: 0.9 }

/** Per-row findings under construction: severity and explanation per row, counted per rule. */
class RowFindings {
  readonly byRow = new Map<number, { severity: Severity; findings: Finding[] }>()
  readonly counts = new Map<string, { count: number; severity: Severity; column?: string; message: string }>()

  add(
    row: number,
    severity: Severity,
    explanation: string,
    rule: { key: string; column?: string; message: string },
  ) {
    let entry = this.byRow.get(row)
    if (!entry) {
      entry = { severity, findings: [] }
      this.byRow.set(row, entry)
    }
    if (severityOrder.indexOf(severity) > severityOrder.indexOf(entry.severity)) entry.severity = severity
    if (entry.findings.length < 5)
      entry.findings.push({ detector: 'schema', kind: 'schema', score: SCORE_OF[severity], explanation })
    const counted = this.counts.get(rule.key) ?? {
      count: 0,
      severity,
      column: rule.column,
      message: rule.message,
    }
    counted.count++
    this.counts.set(rule.key, counted)
  }
}

function format(value: number): string {
  return String(Number(value.toPrecision(6)))
}

function checkFeatureRows(batch: Dataset, rule: FeatureRule, col: number, rows: RowFindings): void {
  const matrix = batch.features!
  const allowed = rule.values ? new Set(rule.values) : undefined
  const key = (kind: string) => ({ key: `${rule.name}:${kind}`, column: rule.name })
  for (let row = 0; row < matrix.rows; row++) {
    const value = matrix.data[row * matrix.cols + col]
    if (allowed) {
      if (!allowed.has(value)) {
        const listed = rule.values!.slice(0, 10).join(', ')
        rows.add(
          row,
          'medium',
          `${rule.name} = ${format(value)} is not one of the allowed values (${listed})`,
          {
            ...key('value'),
            message: `"${rule.name}" holds values outside its allowed list`,
          },
        )
      }
      continue
    }
    if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
      const below = rule.min !== undefined && value < rule.min
      const bound = below ? `below the minimum ${rule.min}` : `above the maximum ${rule.max}`
      const soft = rule.softBounds?.includes(below ? 'min' : 'max')
      const range = `[${rule.min ?? '−∞'}, ${rule.max ?? '∞'}]`
      rows.add(row, soft ? 'low' : 'medium', `${rule.name} = ${format(value)} is ${bound}`, {
        ...key(soft ? 'soft-range' : 'range'),
        message: `"${rule.name}" has values outside ${range}${soft ? ', a range read from few reference values' : ''}`,
      })
    } else if (rule.type === 'integer' && !Number.isInteger(value)) {
      rows.add(row, 'low', `${rule.name} = ${format(value)} is not a whole number`, {
        ...key('integer'),
        message: `"${rule.name}" should hold whole numbers`,
      })
    }
  }
}

function checkLabelRows(schema: DatasetSchema, batch: Dataset, rows: RowFindings): void {
  const rule = schema.label
  const labels = batch.labels
  if (!rule || !labels) return
  const allowed = new Set(rule.classes)
  const known = labels.classes.map((name) => allowed.has(name))
  const listed = rule.classes.slice(0, 10).join(', ')
  for (let row = 0; row < labels.codes.length; row++) {
    const code = labels.codes[row]
    if (code < 0) {
      if (rule.maxNullRate === 0)
        rows.add(row, 'low', 'the label is empty', {
          key: 'label:empty',
          column: rule.column,
          message: 'labels are empty',
        })
    } else if (!known[code]) {
      const name = labels.classes[code]
      rows.add(row, 'high', `label ${JSON.stringify(name)} is not an allowed class (${listed})`, {
        key: `label:class:${name}`,
        column: rule.column,
        message: `label ${JSON.stringify(name)} is not an allowed class`,
      })
    }
  }
}

function checkTextRows(schema: DatasetSchema, batch: Dataset, rows: RowFindings): void {
  const rule = schema.text
  if (!rule || !batch.texts) return
  batch.texts.forEach((text, row) => {
    const length = text?.length ?? 0
    if (length === 0 && rule.maxNullRate === 0 && rule.minLength > 0) {
      rows.add(row, 'low', 'the text is empty', {
        key: 'text:empty',
        column: rule.column,
        message: 'texts are empty',
      })
    } else if (length > 0 && length < rule.minLength) {
      rows.add(row, 'low', `the text has ${length} characters, fewer than ${rule.minLength}`, {
        key: 'text:short',
        column: rule.column,
        message: `texts are shorter than ${rule.minLength} characters`,
      })
    } else if (rule.maxLength !== undefined && length > rule.maxLength) {
      rows.add(row, 'low', `the text has ${length} characters, more than ${rule.maxLength}`, {
        key: 'text:long',
        column: rule.column,
        message: `texts are longer than ${rule.maxLength} characters`,
      })
    }
  })
}

function checkIdAndSourceRows(
  schema: DatasetSchema,
  batch: Dataset,
  options: ValidateOptions,
  rows: RowFindings,
) {
  const referenceIds = options.referenceIds
  if (schema.id?.unique && referenceIds) {
    batch.ids.forEach((id, row) => {
      if (referenceIds.has(id))
        rows.add(row, 'medium', `id ${JSON.stringify(id)} is already in the reference`, {
          key: 'id:reused',
          column: schema.id!.column,
          message: 'ids already present in the reference (a replayed or overwritten record?)',
        })
    })
  }
  const source = schema.source
  if (source && source.allowNew === false && source.values && batch.sources) {
    const known = new Set(source.values)
    batch.sources.forEach((name, row) => {
      if (!known.has(name))
        rows.add(row, 'medium', `source ${JSON.stringify(name)} is not a known source`, {
          key: `source:${name}`,
          column: source.column,
          message: `source ${JSON.stringify(name)} is not a known source`,
        })
    })
  }
}

export { checkColumns } from './validate-columns.js'

/** Applies the row rules of a schema to a batch: ranges, allowed values, classes, text lengths and reused ids. */
export function validateRows(
  schema: DatasetSchema,
  batch: Dataset,
  options: ValidateOptions = {},
): ValidationResult {
  const rows = new RowFindings()
  const position = new Map(batch.featureNames.map((name, col) => [name, col]))
  for (const rule of schema.features) {
    const col = position.get(rule.name)
    if (col !== undefined && batch.features) checkFeatureRows(batch, rule, col, rows)
  }
  checkLabelRows(schema, batch, rows)
  checkTextRows(schema, batch, rows)
  checkIdAndSourceRows(schema, batch, options, rows)
  const findings: CheckFinding[] = [...rows.counts.values()].map((rule) => ({
    detector: 'schema',
    kind: 'schema',
    severity: rule.severity,
    score: SCORE_OF[rule.severity],
    explanation: `${rule.count} row${rule.count === 1 ? '' : 's'}: ${rule.message}`,
    column: rule.column,
    rowCount: rule.count,
  }))
  const maxRecords = options.maxRecords ?? 10_000
  const listed = [...rows.byRow.keys()].sort((a, b) => a - b).slice(0, maxRecords)
  const records = listed.map((row): RecordReport => {
    const entry = rows.byRow.get(row)!
    const record: RecordReport = {
      id: batch.ids[row],
      suspicion: SCORE_OF[entry.severity],
      flagged: true,
      severity: entry.severity,
      findings: entry.findings,
    }
    const code = batch.labels?.codes[row] ?? -1
    if (code >= 0) record.label = batch.labels!.classes[code]
    if (batch.sources) record.source = batch.sources[row]
    return record
  })
  return { findings, records, violatingRows: rows.byRow.size }
}
