import type { Dataset } from '../data/dataset.js'
import { adapterOf, checkFormat, type DatasetFormat } from './formats/index.js'
import { writeOutputsAtomically } from './transaction.js'

/** How to write a dataset in full. */
export interface DatasetWriteOptions {
  /** Default: the format the dataset was loaded from. */
  format?: DatasetFormat
  /** CSV: prefix every cell a spreadsheet would run as a formula with `'`; other formats are written as they are. */
  excelSafe?: boolean
}

/** What was written: the format, and the id under which a reader will see each record, in row order. */
export interface WrittenDataset {
  readonly format: DatasetFormat
  /** Equal to the dataset's ids, except for image folders, where an id is the written `<label>/<file>.png`. */
  readonly ids: string[]
}

/**
 * Writes every record of a dataset, including changed values and added records, in the conventional columns
 * `id`, `label`, `text`, `source` plus one column per feature: CSV, JSON Lines, Parquet, or an image folder of
 * `<label>/<file>.png` grayscale PNGs. Feature values are written with the fewest digits that read back as the
 * same float32, so loading the output gives the same records; PNG pixels are 8-bit, so images come back rounded
 * to the nearest 1/255. Atomic: nothing is left at `outPath` on failure.
 */
export async function writeDataset(
  dataset: Dataset,
  outPath: string,
  options: DatasetWriteOptions = {},
): Promise<WrittenDataset> {
  const format = checkFormat(options.format ?? dataset.origin.format)
  const ids = writtenRecordIds(dataset, format, options)
  const write = (tempPath: string) =>
    adapterOf(format).write(dataset, tempPath, { excelSafe: options.excelSafe })
  await writeOutputsAtomically([{ path: outPath, write }], { inputs: [dataset.origin.path] })
  return { format, ids }
}

/** The id a reader of the written dataset will see for each record, without writing anything. */
export function writtenRecordIds(
  dataset: Dataset,
  format: string = dataset.origin.format,
  options: Pick<DatasetWriteOptions, 'excelSafe'> = {},
): string[] {
  const adapter = adapterOf(checkFormat(format))
  return adapter.writtenIds ? adapter.writtenIds(dataset, options) : [...dataset.ids]
}
