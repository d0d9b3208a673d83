import type { Dataset } from '../../data/dataset.js'

/** What a writer may use besides the report: the dataset it describes, for previews the report does not carry. */
export interface ReportContext {
  readonly dataset?: Dataset
}

/** Renders a report into one file format; a new format is one writer file and one line in the registry. */
export interface ReportWriter<Report> {
  /** The registry key, e.g. `json`; also the name of the command-line flag that asks for it. */
  readonly id: string
  /** Extension of a file of this format, with the dot. */
  readonly extension: string
  render(report: Report, context: ReportContext): string | Uint8Array
}
