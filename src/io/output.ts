import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'

/** The input no longer matches the loaded dataset, so the row filter would apply to other records. */
export function changedSinceLoad(dataset: Dataset): PoisonguardError {
  return PoisonguardError.at(
    'OUTPUT_ERROR',
    { file: dataset.origin.path },
    'the input changed since it was loaded, so the kept rows no longer line up',
    'load the dataset again and redo the scan',
  )
}
