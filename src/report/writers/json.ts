import type { ReportWriter } from './types.js'

/** The report itself as JSON, one key per line: the contract machines read. */
export const jsonWriter: ReportWriter<unknown> = {
  id: 'json',
  extension: '.json',
  render: (report) => `${JSON.stringify(report, null, 1)}\n`,
}
