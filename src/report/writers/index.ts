import type { ScanReport } from '../../domain/index.js'
import { scanHtmlWriter } from './html.js'
import { jsonWriter } from './json.js'
import { sarifWriter } from './sarif.js'
import type { ReportWriter } from './types.js'

export type { ReportContext, ReportWriter } from './types.js'

/** Every format a scan report can be written in, by id. */
export const scanReportWriters = {
  json: jsonWriter,
  html: scanHtmlWriter,
  sarif: sarifWriter,
} as const satisfies Record<string, ReportWriter<ScanReport>>

export type ScanReportFormat = keyof typeof scanReportWriters
