import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { adapterOf, checkFormat } from './formats/index.js'
import type { DatasetFormatAdapter } from './formats/types.js'
import { writeOutputsAtomically } from './transaction.js'

/** Changes applied while writing a filtered copy. */
export interface WriteOptions {
  /** Row → new label; rewrites the label field (images move to the new label's folder). */
  relabel?: ReadonlyMap<number, string>
  /** CSV: prefix every cell a spreadsheet would run as a formula with `'`; other formats are written as they are. */
  excelSafe?: boolean
}

/**
 * Writes the records whose keep[row] === 1 in the dataset's own format (CSV rows and JSONL lines byte-identical to
 * the input, Parquet rewritten with the same schema, images copied into the same folder layout). Atomic: the
 * output is written beside `outPath` and renamed into place, so on any error nothing is left at `outPath`; an
 * `outPath` that is the input, lies inside an input folder or names a device, FIFO or folder
 * is refused.
 */
export async function writeFilteredDataset(
  dataset: Dataset,
  keep: Uint8Array,
  outPath: string,
  options: WriteOptions = {},
): Promise<void> {
  const adapter = adapterOf(checkFormat(dataset.origin.format))
  checkArguments(dataset, keep, adapter, options.relabel)
  const relabel = options.relabel && options.relabel.size > 0 ? options.relabel : undefined
  const cells = { excelSafe: options.excelSafe }
  const write = (tempPath: string) => adapter.writeFiltered(dataset, keep, tempPath, relabel, cells)
  await writeOutputsAtomically([{ path: outPath, write }], { inputs: [dataset.origin.path] })
}

function checkArguments(
  dataset: Dataset,
  keep: Uint8Array,
  adapter: DatasetFormatAdapter,
  relabel: ReadonlyMap<number, string> | undefined,
): void {
  if (keep.length !== dataset.rowCount) {
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `keep has ${keep.length} entries but the dataset has ${dataset.rowCount} records`,
      { hint: 'pass one 0/1 entry per record, in input order' },
    )
  }
  if (!relabel || relabel.size === 0) return
  if (!dataset.labels) {
    throw new PoisonguardError('INVALID_ARGUMENT', 'cannot relabel: the dataset has no label column', {
      hint: 'load it with a label column (--label)',
    })
  }
  for (const [row, label] of relabel) {
    if (!Number.isInteger(row) || row < 0 || row >= dataset.rowCount) {
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `relabel names row ${row}, but rows run from 0 to ${dataset.rowCount - 1}`,
      )
    }
    const accepted = adapter.acceptsLabel?.(label) ?? true
    if (label === '' || !accepted || label === '.' || label === '..') {
      throw new PoisonguardError(
        'INVALID_ARGUMENT',
        `relabel gives row ${row} the invalid label ${JSON.stringify(label)}`,
        {
          hint: 'labels must be non-empty; image labels are folder names without slashes',
        },
      )
    }
  }
}
