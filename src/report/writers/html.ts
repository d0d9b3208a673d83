import type { Dataset } from '../../data/dataset.js'
import { matrixRow } from '../../data/matrix.js'
import type { ScanReport } from '../../domain/index.js'
import { type HtmlReportExtras, renderHtmlReport } from '../html.js'
import { encodeImagePng } from '../png.js'
import type { ReportWriter } from './types.js'

/** Thumbnails and pixels of image rows and snippets of text rows, when the dataset is at hand. */
export function previews(dataset: Dataset | undefined): HtmlReportExtras {
  if (!dataset) return {}
  const { features, imageShape, texts } = dataset
  return {
    image:
      features && imageShape
        ? { ...imageShape, pixels: (row: number) => matrixRow(features, row) }
        : undefined,
    thumbnail:
      features && imageShape
        ? (row: number) => encodeImagePng(matrixRow(features, row), imageShape, 2)
        : undefined,
    text: texts ? (row: number) => texts[row] : undefined,
  }
}

/** One self-contained HTML page for people: the verdict with pictures of each attack, then the records by cause. */
export const scanHtmlWriter: ReportWriter<ScanReport> = {
  id: 'html',
  extension: '.html',
  render: (report, { dataset }) =>
    renderHtmlReport(report, {
      flagThreshold: report.summary.operatingPoint.flagAbove,
      ...previews(dataset),
    }),
}
