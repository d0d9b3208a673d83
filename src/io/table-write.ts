import type { Dataset } from '../data/dataset.js'
import { PoisonguardError } from '../errors.js'
import { writeLines } from './lines-writer.js'

/** The role columns a full write puts before the features, in this order when present. */
const ROLE_COLUMNS = ['id', 'label', 'text', 'source']
const MAX_CACHED_NUMBERS = 1 << 16

/** Feature names must be unique and differ from the role columns, or the written copy would not read back. */
export function checkColumnNames(dataset: Dataset): void {
  const seen = new Set<string>()
  for (const name of dataset.featureNames) {
    if (ROLE_COLUMNS.includes(name) || seen.has(name)) {
      throw new PoisonguardError(
        'OUTPUT_ERROR',
        `cannot write feature column "${name}": the name is taken by ${seen.has(name) ? 'another feature' : 'a role column'}`,
        { hint: `feature names must be unique and differ from ${ROLE_COLUMNS.join(', ')}` },
      )
    }
    seen.add(name)
  }
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
  toLines: (dataset: Dataset) => Iterable<string>,
): Promise<void> {
  checkColumnNames(dataset)
  await writeLines(path, toLines(dataset))
}
