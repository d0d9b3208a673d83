import { applyAttack } from '../src/attacks/registry.js'
import type { Dataset } from '../src/data/dataset.js'
import type { Detector, DetectorResult } from '../src/detectors/types.js'
import type { LinalgBackend } from '../src/linalg/backend.js'
import { prepareDetectorInput } from '../src/scan/pipeline.js'

/** Plants a pixel-patch backdoor and returns the poisoned dataset with a 0/1 mask of the poisoned rows. */
export function plantPatchBackdoor(dataset: Dataset, params: object) {
  const run = applyAttack('backdoor-patch', dataset, params, 1)
  const poisoned = new Uint8Array(dataset.rowCount)
  for (const row of run.poisonedRows) poisoned[row] = 1
  return { dataset: run.dataset, poisoned }
}

/** Runs one detector with its default parameters on the scan's own features, as a scan would. */
export async function runDetectorAlone(
  detector: Detector<unknown>,
  dataset: Dataset,
  backend: LinalgBackend,
): Promise<DetectorResult> {
  const input = await prepareDetectorInput(dataset, { backend, seed: 0, geometryDimensions: 64, folds: 5 })
  return detector.run(input, detector.params.parse({}), { seed: 0 })
}

/** How many rows are set in `flags` and satisfy `where`. */
export function countFlagged(
  flags: ArrayLike<number | boolean>,
  where: (row: number) => boolean = () => true,
) {
  let total = 0
  for (let row = 0; row < flags.length; row++) if (flags[row] && where(row)) total++
  return total
}
