import { type AttackId, attackIds, checkAttackInputs, getAttack } from '../attacks/registry.js'
import { isPoisonguardError, PoisonguardError } from '../errors.js'
import { FNV_OFFSET_BASIS, fnv1a } from '../util/hashing.js'
import { paramNames } from '../util/params.js'
import type { BenchSplit } from './bench-data.js'

/** Poisoning rates of the full benchmark: rare, moderate and heavy. */
export const defaultRates: readonly number[] = [0.01, 0.05, 0.1]

/** `--quick`: one rate high enough for every detector to have something to find. */
export const quickRates: readonly number[] = [0.1]

/** `--quick` runs the first two of these a dataset supports: label noise and its kind of backdoor. */
const quickAttackPreference: readonly AttackId[] = [
  'label-flip',
  'backdoor-patch',
  'backdoor-token',
  'backdoor-feature',
]

/** One cell of the matrix: an attack at one rate (null for attacks without a rate) on one dataset. */
export interface BenchCellPlan {
  readonly split: BenchSplit
  readonly attack: AttackId
  readonly rate: number | null
  /** Seed of the attack, derived from the cell so adding cells never changes the others. */
  readonly seed: number
}

/** An attack left out for a dataset, and why. */
export interface UnsupportedAttack {
  readonly dataset: string
  readonly attack: string
  readonly reason: string
}

export interface BenchPlan {
  readonly cells: BenchCellPlan[]
  readonly unsupported: UnsupportedAttack[]
}

export interface PlanOptions {
  attacks?: readonly string[]
  rates?: readonly number[]
  quick: boolean
  seed: number
}

/** FNV-1a of a cell's key mixed with the benchmark seed: stable across runs, different for every cell. */
export function cellSeed(seed: number, key: string): number {
  return fnv1a(key, 0, key.length, FNV_OFFSET_BASIS ^ (seed >>> 0))
}

/** Fails unless every rate is a share in (0, 1]; all bad values are listed at once. */
export function checkRates(rates: readonly number[]): void {
  const bad = rates.filter((rate) => !(rate > 0 && rate <= 1))
  if (rates.length === 0 || bad.length > 0) {
    const received = rates.length === 0 ? 'none' : bad.join(', ')
    throw new PoisonguardError(
      'INVALID_ARGUMENT',
      `rates must be shares in (0, 1], e.g. 0.01,0.05; received ${received}`,
    )
  }
}

function unsupportedReason(attack: AttackId, split: BenchSplit): string | undefined {
  try {
    checkAttackInputs(getAttack(attack), split.train)
    return undefined
  } catch (error) {
    if (isPoisonguardError(error) && error.code === 'MISSING_INPUT') return error.message
    throw error
  }
}

/** Checks attack names and rates before any data is loaded; unknown names list the valid ones. */
export function checkPlanOptions(options: Pick<PlanOptions, 'attacks' | 'rates'>): void {
  for (const name of options.attacks ?? []) getAttack(name)
  if (options.rates) checkRates(options.rates)
}

/**
 * Lays out the matrix: for each dataset, each requested attack it supports (all of them by default; two under
 * `quick`) at each rate, or once for attacks without a rate. Attacks a dataset cannot take are listed with the
 * reason; unknown attack names are an error.
 */
export function planBenchmark(splits: readonly BenchSplit[], options: PlanOptions): BenchPlan {
  const requested = options.attacks?.map((name) => getAttack(name).id as AttackId)
  const rates = options.rates ?? (options.quick ? quickRates : defaultRates)
  checkRates(rates)
  const cells: BenchCellPlan[] = []
  const unsupported: UnsupportedAttack[] = []
  for (const split of splits) {
    const candidates = requested ?? (options.quick ? quickAttackPreference : attackIds)
    const supported = [...new Set(candidates)].filter((attack) => {
      const reason = unsupportedReason(attack, split)
      if (reason) unsupported.push({ dataset: split.name, attack, reason })
      return reason === undefined
    })
    const chosen = options.quick && !requested ? supported.slice(0, 2) : supported
    for (const attack of chosen) {
      const hasRate = paramNames(getAttack(attack).params).includes('rate')
      for (const rate of hasRate ? rates : [null]) {
        const seed = cellSeed(options.seed, `${split.name}/${attack}/${rate ?? ''}`)
        cells.push({ split, attack, rate, seed })
      }
    }
  }
  return { cells, unsupported }
}
