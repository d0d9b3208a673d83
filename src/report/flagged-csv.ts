import type { ScanReport } from '../domain/index.js'
import { encodeCsvField } from '../io/csv-field.js'
import { neutraliseFormulaCell } from '../io/formula-cells.js'
import { suggestedLabelOf } from './groups.js'

function csvCell(value: string): string {
  // Ids and labels come from the data: quoting alone would not stop a spreadsheet running one as a formula.
  return encodeCsvField(neutraliseFormulaCell(value))
}

/**
 * The flagged records as CSV (id, label, suggested label, suspicion, severity, source), most suspicious first, at
 * most `limit` of them; `records` says how many it holds.
 */
export function flaggedRecordsCsv(report: ScanReport, limit = Number.POSITIVE_INFINITY) {
  const rows = report.records
    .map((record, row) => ({ record, row }))
    .filter(({ record }) => record.flagged)
    .sort((a, b) => b.record.suspicion - a.record.suspicion || a.row - b.row)
    .slice(0, limit)
  const lines = ['id,label,suggested_label,suspicion,severity,source']
  for (const { record } of rows) {
    lines.push(
      [
        record.id,
        record.label ?? '',
        suggestedLabelOf(record) ?? '',
        record.suspicion.toFixed(6),
        record.severity ?? '',
        record.source ?? '',
      ]
        .map(csvCell)
        .join(','),
    )
  }
  return { text: `${lines.join('\r\n')}\r\n`, records: rows.length }
}
