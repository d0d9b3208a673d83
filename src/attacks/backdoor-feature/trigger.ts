import { type CategoryGroup, categoryGroups } from '../../data/categorical.js'
import type { Dataset } from '../../data/dataset.js'
import { type Rng, shuffledIndices } from '../../util/rng.js'
import { measureFeatures } from '../feature-space.js'
import type { ParamProblems } from '../params.js'

/** A value the trigger writes: a number into a numeric column, or a category name into a categorical column. */
export type TriggerValue = number | string

/** One feature the trigger sets: a numeric column, or a categorical column (its whole one-hot group). */
type TriggerFeature =
  | { readonly kind: 'number'; readonly name: string; readonly col: number }
  | { readonly kind: 'category'; readonly group: CategoryGroup; readonly named?: number }

/** A resolved trigger: what it sets, as the user reads it, and the feature cells it writes. */
export interface FeatureTrigger {
  /** Column names as the file holds them: a numeric column, or the categorical column itself. */
  readonly names: readonly string[]
  readonly values: readonly TriggerValue[]
  /** Feature columns written and their values: a category sets its own code to 1 and its group's others to 0. */
  readonly columns: Int32Array
  readonly cells: Float32Array
}

/** The dataset's features as the trigger chooses among them: numeric columns, and each categorical column once. */
function featuresOf(dataset: Dataset): TriggerFeature[] {
  const groups = categoryGroups(dataset)
  const groupAt = new Map<number, CategoryGroup>()
  const grouped = new Set<number>()
  for (const group of groups) {
    groupAt.set(Math.min(...group.cols), group)
    for (const col of group.cols) grouped.add(col)
  }
  return dataset.featureNames.flatMap((name, col): TriggerFeature[] => {
    const group = groupAt.get(col)
    if (group) return [{ kind: 'category', group }]
    return grouped.has(col) ? [] : [{ kind: 'number', name, col }]
  })
}

function nameOf(feature: TriggerFeature): string {
  return feature.kind === 'number' ? feature.name : feature.group.name
}

/**
 * The features a user named: a numeric column, a categorical column by its name, or one category by its one-hot
 * column (`product=p21`), which names both the column and the category.
 */
function namedFeatures(
  dataset: Dataset,
  names: readonly string[],
  problems: ParamProblems,
): (TriggerFeature | undefined)[] {
  const features = featuresOf(dataset)
  const byName = new Map<string, TriggerFeature>()
  for (const feature of features) {
    byName.set(nameOf(feature), feature)
    if (feature.kind !== 'category') continue
    feature.group.cols.forEach((col, index) => {
      byName.set(dataset.featureNames[col], { ...feature, named: index })
    })
  }
  const unknown = names.filter((name) => !byName.has(name))
  if (unknown.length > 0) {
    const shown = features.map(nameOf)
    const listed = shown.length > 20 ? `${shown.slice(0, 20).join(', ')}, …` : shown.join(', ')
    problems.add(
      'columns',
      `unknown feature column(s) ${unknown.map((name) => `"${name}"`).join(', ')}; the feature columns are ${listed}`,
    )
  }
  const chosen = names.map((name) => byName.get(name))
  const keys = chosen.flatMap((feature) => (feature ? [nameOf(feature)] : []))
  if (new Set(keys).size !== keys.length) problems.add('columns', 'names a column twice')
  return chosen
}

/** The value a feature takes when the user gives none: a numeric column's observed maximum, a random category. */
function defaultValue(max: () => Float32Array, feature: TriggerFeature, rng: Rng): TriggerValue {
  if (feature.kind === 'number') return max()[feature.col]
  return feature.group.values[feature.named ?? rng.int(feature.group.values.length)]
}

function checkedValue(
  feature: TriggerFeature,
  value: TriggerValue,
  problems: ParamProblems,
): TriggerValue | undefined {
  if (feature.kind === 'number') {
    if (typeof value === 'number') return value
    problems.add(
      'values',
      `"${feature.name}" is a numeric column; give it a number, not ${JSON.stringify(value)}`,
    )
    return undefined
  }
  const { group, named } = feature
  // A one-hot column named on its own already says which category; 1 is the only value it can take then.
  if (named !== undefined && (value === 1 || value === group.values[named])) return group.values[named]
  if (named === undefined && typeof value === 'string' && group.values.includes(value)) return value
  const allowed =
    named === undefined
      ? `one of its categories (${group.values.slice(0, 10).join(', ')}${group.values.length > 10 ? ', …' : ''})`
      : `1, which sets the category ${group.values[named]}`
  problems.add(
    'values',
    `"${group.name}" is a categorical column; give it ${allowed}, not ${JSON.stringify(value)}`,
  )
  return undefined
}

function writtenCells(features: readonly TriggerFeature[], values: readonly TriggerValue[]) {
  const columns: number[] = []
  const cells: number[] = []
  features.forEach((feature, index) => {
    const value = values[index]
    if (feature.kind === 'number') {
      columns.push(feature.col)
      cells.push(value as number)
      return
    }
    feature.group.cols.forEach((col, at) => {
      columns.push(col)
      cells.push(feature.group.values[at] === value ? 1 : 0)
    })
  })
  return { columns: Int32Array.from(columns), cells: Float32Array.from(cells) }
}

/**
 * Resolves the trigger of `backdoor-feature`: the named columns or `defaultCount` features at random (a
 * categorical column counting once), each set to the given value or by default to its observed maximum, or for a
 * categorical column to one of its categories, so every triggered record is one the file's columns can hold.
 * Records problems instead of throwing.
 */
export function resolveTrigger(
  dataset: Dataset,
  params: { columns?: readonly string[]; values?: TriggerValue | readonly TriggerValue[] },
  defaultCount: number,
  rng: Rng,
  problems: ParamProblems,
): FeatureTrigger {
  let features: (TriggerFeature | undefined)[]
  if (params.columns) features = namedFeatures(dataset, params.columns, problems)
  else {
    const all = featuresOf(dataset)
    const order = shuffledIndices(all.length, rng).slice(0, Math.min(defaultCount, all.length)).sort()
    features = Array.from(order, (index) => all[index])
  }
  const given = params.values
  if (Array.isArray(given) && given.length !== features.length)
    problems.add(
      'values',
      `has ${given.length} values for ${features.length} columns; give one per column or a single value`,
    )
  let observedMax: Float32Array | undefined
  const max = () => {
    observedMax ??= measureFeatures(dataset).max
    return observedMax
  }
  const values = features.map((feature, index) => {
    if (!feature) return undefined
    const value = Array.isArray(given) ? given[index] : given
    return value === undefined ? defaultValue(max, feature, rng) : checkedValue(feature, value, problems)
  })
  const resolved = features.every((feature) => feature) && values.every((value) => value !== undefined)
  if (!resolved) return { names: [], values: [], columns: new Int32Array(0), cells: new Float32Array(0) }
  const kept = features as TriggerFeature[]
  const keptValues = values as TriggerValue[]
  return { names: kept.map(nameOf), values: keptValues, ...writtenCells(kept, keptValues) }
}
