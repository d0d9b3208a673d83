import type { z } from 'zod'
import type { Dataset } from '../data/dataset.js'
import type { Requirement } from '../domain/index.js'
import type { Rng } from '../util/rng.js'

/** A poisoned copy of a dataset together with the ground truth of what was poisoned. */
export interface AttackResult {
  /**
   * A new immutable dataset: rows that were not poisoned are identical to the input's (same id, label, text,
   * source and feature values), added rows come last. `origin` keeps the input's path and format but an empty
   * `sha256`, because no file holds these records yet (so writers of filtered copies of the input refuse it).
   */
  readonly dataset: Dataset
  /** Rows of `dataset` that were modified or added, ascending. */
  readonly poisonedRows: Int32Array
  /** Ids of `poisonedRows`, in the same order. */
  readonly poisonedIds: string[]
  /** JSON-safe facts about what was done (resolved parameters, budgets used, trigger details). */
  readonly info: Record<string, unknown>
  /**
   * Backdoors only: stamps the same trigger on every record of a test set whose label is not the target, labels
   * untouched, so a model's attack success rate can be measured on the result's poisoned rows.
   */
  readonly triggerTestSet?: (testSet: Dataset, rng: Rng) => AttackResult
}

/** One poisoning attack: its parameters with defaults, what it needs, and a pure, seeded `apply`. */
export interface Attack<Params = unknown> {
  /** kebab-case; same as the folder and the CLI value. */
  readonly id: string
  /** One line for --help and listings. */
  readonly summary: string
  /** What the dataset must hold; `images` means pixel features with a known `imageShape`. */
  readonly requires: readonly Requirement[]
  /** Parameters with their defaults and descriptions; the CLI and API derive from this schema. */
  readonly params: z.ZodType<Params>
  /** Poisons a copy of `dataset`; deterministic for a given `rng` state, never mutates its input. */
  apply(dataset: Dataset, params: Params, rng: Rng): AttackResult
}
