import type { Dataset } from './dataset.js'

/** A categorical column the loader read as one 0/1 feature `<name>=<value>` per category. */
export interface CategoryGroup {
  readonly name: string
  /** Categories in the loader's order. */
  readonly values: readonly string[]
  /** The feature column of each category, in the order of `values`. */
  readonly cols: readonly number[]
}

/**
 * The categorical columns the loader one-hot encoded whose every category is still a feature column of the
 * dataset; a record holds at most one of a group's categories (none for an empty cell).
 */
export function categoryGroups(dataset: Dataset): CategoryGroup[] {
  const columnOf = new Map(dataset.featureNames.map((name, col) => [name, col]))
  const groups: CategoryGroup[] = []
  for (const { name, values } of dataset.diagnostics?.categoricalColumns ?? []) {
    const cols = values.map((value) => columnOf.get(`${name}=${value}`))
    if (cols.some((col) => col === undefined) || columnOf.has(name)) continue
    groups.push({ name, values, cols: cols as number[] })
  }
  return groups
}
