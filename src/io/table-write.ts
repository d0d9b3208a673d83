import { categoryGroups } from '../data/categorical.js'
import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { writeLines } from './lines-writer.js'

/** The role columns a full write puts before the features, in this order when present. */
const ROLE_COLUMNS = ['id', 'label', 'text', 'source']
const MAX_CACHED_NUMBERS = 1 << 16

/**
 * The feature columns to write, checked: their names must be unique and differ from the role columns, or the
 * written copy would not read back.
 */
export function checkedColumns(dataset: Dataset): WrittenColumn[] {
  const columns = writtenColumns(dataset)
  const seen = new Set<string>()
  for (const { name } of columns) {
    if (ROLE_COLUMNS.includes(name) || seen.has(name)) {
      throw new PoisonguardError(
        'OUTPUT_ERROR',
        `cannot write feature column "${name}": the name is taken by ${seen.has(name) ? 'another feature' : 'a role column'}`,
        { hint: `feature names must be unique and differ from ${ROLE_COLUMNS.join(', ')}` },
      )
    }
    seen.add(name)
  }
  return columns
}

/** Shortest decimal text that reads back as the same float32 value. */
export function createNumberFormatter(): (value: number) => string {
  const cache = new Map<number, string>()
  return (value) => {
    let text = cache.get(value)
    if (text !== undefined) return text
    text = String(value)
    if (!Number.isInteger(value)) {
      for (let digits = 1; digits <= 9; digits++) {
        const candidate = Number(value.toPrecision(digits))
        if (Math.fround(candidate) === value) {
          text = String(candidate)
          break
        }
      }
    } else if (Object.is(value, -0)) text = '0'
    if (cache.size >= MAX_CACHED_NUMBERS) cache.clear()
    cache.set(value, text)
    return text
  }
}

/** The class name of a row, or `''` when it has none. */
export function labelOf(dataset: Dataset, row: number): string {
  const labels = dataset.labels
  if (!labels) return ''
  const code = labels.codes[row]
  return code >= 0 ? labels.classes[code] : ''
}

/** Writes every record as text lines after checking that the feature names can be read back. */
export async function writeTableLines(
  dataset: Dataset,
  path: string,
  toLines: (dataset: Dataset, columns: readonly WrittenColumn[]) => Iterable<string>,
): Promise<void> {
  await writeLines(path, toLines(dataset, checkedColumns(dataset)))
}

/** A feature column as a full write puts it in the file: a number, or a categorical column's value. */
export type WrittenColumn =
  | { readonly kind: 'number'; readonly name: string; readonly col: number }
  | {
      readonly kind: 'category'
      readonly name: string
      readonly cols: readonly number[]
      readonly values: readonly string[]
    }

/**
 * The feature columns to write, with every categorical column the loader one-hot encoded folded back into the one
 * text column it was read from, so the written copy holds the file's own columns and loads back as the same
 * records. A group whose cells are no longer one-hot (an attack moved them off 0 and 1, or set two at once) is
 * written as its numbers: folding it would lose them.
 */
export function writtenColumns(dataset: Dataset): WrittenColumn[] {
  const groupAt = new Map<number, WrittenColumn>()
  const grouped = new Set<number>()
  for (const { name, values, cols } of categoryGroups(dataset)) {
    if (!isOneHot(dataset, cols)) continue
    groupAt.set(Math.min(...cols), { kind: 'category', name, cols, values })
    for (const col of cols) grouped.add(col)
  }
  const columns: WrittenColumn[] = []
  dataset.featureNames.forEach((name, col) => {
    const group = groupAt.get(col)
    if (group) columns.push(group)
    else if (!grouped.has(col)) columns.push({ kind: 'number', name, col })
  })
  return columns
}

function isOneHot(dataset: Dataset, group: readonly number[]): boolean {
  const { data, cols } = dataset.features!
  for (let row = 0; row < dataset.rowCount; row++) {
    let ones = 0
    for (const col of group) {
      const value = data[row * cols + col]
      if (value === 1) ones++
      else if (value !== 0) return false
    }
    if (ones > 1) return false
  }
  return true
}

/** The value of a folded categorical column in a row; `''` (an empty cell) when none of its columns is set. */
export function categoryOf(
  dataset: Dataset,
  column: Extract<WrittenColumn, { kind: 'category' }>,
  row: number,
): string {
  const { data, cols } = dataset.features!
  const at = column.cols.findIndex((col) => data[row * cols + col] === 1)
  return at < 0 ? '' : column.values[at]
}
