import type { Dataset } from '../../data/dataset.js'
import { matrixRow } from '../../data/matrix.js'
import type { ScanReport } from '../../domain/index.js'
import { type HtmlReportExtras, renderHtmlReport } from '../html.js'
import { encodeGrayscalePng } from '../png.js'
import type { ReportWriter } from './types.js'

/** Thumbnails of image rows and snippets of text rows, when the dataset is at hand. */
function previews(dataset: Dataset | undefined): HtmlReportExtras {
  if (!dataset) return {}
  const { features, imageShape, texts } = dataset
  return {
    thumbnail:
      features && imageShape
        ? (row: number) =>
            encodeGrayscalePng(matrixRow(features, row), imageShape.width, imageShape.height, 2)
        : undefined,
    text: texts ? (row: number) => texts[row] : undefined,
  }
}

/** One self-contained HTML page for people, with the flag threshold drawn and previews of flagged records. */
export const scanHtmlWriter: ReportWriter<ScanReport> = {
  id: 'html',
  extension: '.html',
  render: (report, { dataset }) =>
    renderHtmlReport(report, {
      flagThreshold: report.summary.operatingPoint.flagAbove,
      ...previews(dataset),
    }),
}
