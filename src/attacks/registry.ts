import { type Dataset, missingContent } from '../data/dataset.js'
import type { Requirement } from '../domain/index.js'
import { PoisonguardError } from '../errors.js'
import { parseParams } from '../util/params.js'
import { createRng } from '../util/rng.js'
import { availabilityAttack } from './availability/index.js'
import { backdoorFeatureAttack } from './backdoor-feature/index.js'
import { backdoorPatchAttack } from './backdoor-patch/index.js'
import { backdoorTokenAttack } from './backdoor-token/index.js'
import { cleanLabelAttack } from './clean-label/index.js'
import { featureCollisionAttack } from './feature-collision/index.js'
import { instructionBackdoorAttack } from './instruction-backdoor/index.js'
import { labelConsistentAttack } from './label-consistent/index.js'
import { labelFlipAttack } from './label-flip/index.js'
import { payloadInjectionAttack } from './payload-injection/index.js'
import { ragInjectAttack } from './rag-inject/index.js'
import { targetedAttack } from './targeted/index.js'
import type { Attack, AttackResult } from './types.js'

/** Every attack by id; the keys are the ids used by the CLI, the API and the benchmark. */
export const attackRegistry = {
  'label-flip': labelFlipAttack,
  'backdoor-patch': backdoorPatchAttack,
  'backdoor-token': backdoorTokenAttack,
  'backdoor-feature': backdoorFeatureAttack,
  'clean-label': cleanLabelAttack,
  availability: availabilityAttack,
  targeted: targetedAttack,
  'label-consistent': labelConsistentAttack,
  'feature-collision': featureCollisionAttack,
  'instruction-backdoor': instructionBackdoorAttack,
  'payload-injection': payloadInjectionAttack,
  'rag-inject': ragInjectAttack,
} as const satisfies Record<string, Attack<unknown>>

export type AttackId = keyof typeof attackRegistry

export const attackIds = Object.keys(attackRegistry) as AttackId[]

/** Looks an attack up by id; an unknown id fails with the list of valid ones. */
export function getAttack(name: string): Attack<unknown> {
  if (Object.hasOwn(attackRegistry, name)) return attackRegistry[name as AttackId] as Attack<unknown>
  throw new PoisonguardError(
    'UNKNOWN_NAME',
    `unknown attack "${name}"; valid attacks: ${attackIds.join(', ')}`,
    {
      hint: 'run `poisonguard attack --help` to list them with their parameters',
    },
  )
}

function missingRequirement(dataset: Dataset, requirement: Requirement): string | undefined {
  switch (requirement) {
    case 'labels':
      return dataset.labels ? undefined : 'labels (name the label column with --label)'
    case 'features':
      return dataset.features && dataset.features.cols > 0
        ? undefined
        : 'numeric features (choose columns with --features)'
    case 'text':
      return dataset.texts ? undefined : 'a text column (name it with --text)'
    case 'images':
      return dataset.features && dataset.imageShape
        ? undefined
        : 'images: an image folder, or square pixel columns with values in [0,255]'
    case 'annotations':
      return dataset.crowd ? undefined : 'crowd answers about the records (give them with --annotations)'
    default:
      return missingContent(dataset, requirement)
  }
}

/** Fails with MISSING_INPUT, naming everything missing, unless the dataset has what the attack needs. */
export function checkAttackInputs(attack: Attack<unknown>, dataset: Dataset): void {
  const missing = attack.requires.flatMap((requirement) => missingRequirement(dataset, requirement) ?? [])
  if (missing.length === 0) return
  throw new PoisonguardError(
    'MISSING_INPUT',
    `attack ${attack.id} needs ${missing.join(' and ')}, which the dataset does not have`,
  )
}

/** An attack's result with the id, the parameters after defaults, and the seed that reproduce it. */
export interface AttackRun extends AttackResult {
  readonly attack: AttackId
  readonly params: Record<string, unknown>
  readonly seed: number
}

/**
 * Validates inputs and parameters, then runs one attack with a generator seeded by `seed`; the same dataset,
 * parameters and seed always give the same result.
 */
export function applyAttack(id: string, dataset: Dataset, params: unknown = {}, seed = 0): AttackRun {
  const attack = getAttack(id)
  checkAttackInputs(attack, dataset)
  const parsed = parseParams('attack', attack, params)
  const result = attack.apply(dataset, parsed, createRng(seed))
  return { ...result, attack: id as AttackId, params: parsed as Record<string, unknown>, seed }
}
