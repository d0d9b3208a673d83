import { PoisonguardError } from '../errors.js'
import { activationClusteringDetector } from './activation-clustering/index.js'
import { cleanLabelBackdoorDetector } from './clean-label-backdoor/index.js'
import { knnLabelConsistencyDetector } from './knn-label-consistency/index.js'
import { labelIssuesDetector } from './label-issues/index.js'
import { nearDuplicatesDetector } from './near-duplicates/index.js'
import { outliersDetector } from './outliers/index.js'
import { spectralSignatureDetector } from './spectral-signature/index.js'
import { targetedFlipDetector } from './targeted-flip/index.js'
import { triggerMiningDetector } from './trigger-mining/index.js'
import type { Detector } from './types.js'

/** Every detector by id; the keys are the ids used by the CLI, the API and the report. */
export const detectorRegistry = {
  'label-issues': labelIssuesDetector,
  'knn-label-consistency': knnLabelConsistencyDetector,
  'targeted-flip': targetedFlipDetector,
  'near-duplicates': nearDuplicatesDetector,
  outliers: outliersDetector,
  'trigger-mining': triggerMiningDetector,
  'spectral-signature': spectralSignatureDetector,
  'activation-clustering': activationClusteringDetector,
  'clean-label-backdoor': cleanLabelBackdoorDetector,
} as const satisfies Record<string, Detector<unknown>>

export type DetectorId = keyof typeof detectorRegistry

export const detectorIds = Object.keys(detectorRegistry) as DetectorId[]

function isDetectorId(name: string): name is DetectorId {
  return Object.hasOwn(detectorRegistry, name)
}

/** Resolves `--detectors` / `--skip` lists to registry entries, in registry order; unknown names are an error. */
export function selectDetectors(only?: readonly string[], skip: readonly string[] = []): DetectorId[] {
  const unknown = [...(only ?? []), ...skip].filter((name) => !isDetectorId(name))
  if (unknown.length > 0) {
    throw new PoisonguardError(
      'UNKNOWN_NAME',
      `unknown detector ${unknown.map((name) => `"${name}"`).join(', ')}; valid detectors: ${detectorIds.join(', ')}`,
      { hint: 'run `poisonguard detectors` to list them with what each needs' },
    )
  }
  return detectorIds.filter((id) => (only === undefined || only.includes(id)) && !skip.includes(id))
}
