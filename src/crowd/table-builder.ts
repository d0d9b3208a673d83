import type { AnnotationTable } from './types.js'

/** What the input held that is not an error but changes what the numbers mean; rendered by `describeInputWarning`. */
export type CrowdInputWarning =
  | {
      kind: 'duplicate-answers'
      count: number
      /** The first few: the item, the annotator, the kept row and the ignored row. */
      examples: { item: string; annotator: string; keptRow: number; ignoredRow: number }[]
    }
  | { kind: 'rare-label'; label: string; row: number }
  | { kind: 'single-annotator'; annotator: string }
  | { kind: 'single-class'; label: string }
  | { kind: 'unanswered-items'; source: string; count: number; examples: string[] }

const MAX_EXAMPLES = 5

/** The warning as one sentence for people. */
export function describeInputWarning(warning: CrowdInputWarning): string {
  switch (warning.kind) {
    case 'duplicate-answers': {
      const shown = warning.examples
        .map((e) => `${e.annotator} on ${e.item} (rows ${e.keptRow} and ${e.ignoredRow})`)
        .join('; ')
      return `${warning.count} repeated answers of one annotator to one item were ignored, the first answer kept: ${shown}`
    }
    case 'rare-label':
      return `the label "${warning.label}" appears only once (row ${warning.row}); if it is a typo, fix it, else it is kept as a class of its own`
    case 'single-annotator':
      return `only one annotator (${warning.annotator}) answered: the consensus is that annotator's answers and reliability cannot be judged`
    case 'single-class':
      return `every answer is "${warning.label}": there is nothing to aggregate and no annotator can be judged`
    case 'unanswered-items':
      return `${warning.count} items of the ${warning.source} have no answer and get no consensus: ${warning.examples.join(', ')}`
  }
}

/** Builds an `AnnotationTable` answer by answer, interning ids and classes and keeping the first of repeated answers. */
export class AnnotationTableBuilder {
  private readonly items = new Map<string, number>()
  private readonly annotators = new Map<string, number>()
  private readonly classes = new Map<string, number>()
  private readonly firstRow = new Map<number | string, number>()
  private readonly classRows: number[] = []
  private readonly classUses: number[] = []
  private readonly itemOf: number[] = []
  private readonly annotatorOf: number[] = []
  private readonly labelOf: number[] = []
  private readonly timeOf: number[] = []
  private hasTime = false
  private duplicates = 0
  private readonly duplicateExamples: {
    item: string
    annotator: string
    keptRow: number
    ignoredRow: number
  }[] = []

  /** Adds one answer; `time` is in seconds, NaN when unknown; `row` is its 1-based record number. */
  add(item: string, annotator: string, label: string, time: number, row: number): void {
    const i = intern(this.items, item)
    const j = intern(this.annotators, annotator)
    // A number key is much faster than a string; it is exact while both indices fit their bits.
    const key = i < 2 ** 27 && j < 2 ** 26 ? i * 2 ** 26 + j : `${i}:${j}`
    const kept = this.firstRow.get(key)
    if (kept !== undefined) {
      this.duplicates++
      if (this.duplicateExamples.length < MAX_EXAMPLES)
        this.duplicateExamples.push({ item, annotator, keptRow: kept, ignoredRow: row })
      return
    }
    this.firstRow.set(key, row)
    const k = intern(this.classes, label)
    if (k === this.classUses.length) {
      this.classUses.push(0)
      this.classRows.push(row)
    }
    this.classUses[k]++
    this.itemOf.push(i)
    this.annotatorOf.push(j)
    this.labelOf.push(k)
    this.timeOf.push(time)
    if (!Number.isNaN(time)) this.hasTime = true
  }

  get answerCount(): number {
    return this.itemOf.length
  }

  build(): { table: AnnotationTable; warnings: CrowdInputWarning[] } {
    const table: AnnotationTable = {
      itemIds: [...this.items.keys()],
      annotatorIds: [...this.annotators.keys()],
      classes: [...this.classes.keys()],
      item: Int32Array.from(this.itemOf),
      annotator: Int32Array.from(this.annotatorOf),
      label: Int32Array.from(this.labelOf),
      time: this.hasTime ? Float64Array.from(this.timeOf) : undefined,
    }
    return { table, warnings: this.warnings(table) }
  }

  private warnings(table: AnnotationTable): CrowdInputWarning[] {
    const warnings: CrowdInputWarning[] = []
    if (this.duplicates > 0)
      warnings.push({ kind: 'duplicate-answers', count: this.duplicates, examples: this.duplicateExamples })
    if (table.classes.length > 2) {
      this.classUses.forEach((uses, k) => {
        if (uses === 1) warnings.push({ kind: 'rare-label', label: table.classes[k], row: this.classRows[k] })
      })
    }
    if (table.annotatorIds.length === 1)
      warnings.push({ kind: 'single-annotator', annotator: table.annotatorIds[0] })
    if (table.classes.length === 1) warnings.push({ kind: 'single-class', label: table.classes[0] })
    return warnings
  }
}

function intern(map: Map<string, number>, key: string): number {
  let index = map.get(key)
  if (index === undefined) {
    index = map.size
    map.set(key, index)
  }
  return index
}

/**
 * Known classes for some items, as codes over the table's classes (−1 elsewhere); a gold class the crowd never
 * used is added to the classes. Gold items nobody answered are reported, not added.
 */
export function alignGold(
  table: AnnotationTable,
  gold: ReadonlyMap<string, string>,
  source: string,
): { table: AnnotationTable; gold: Int32Array; warnings: CrowdInputWarning[] } {
  const itemIndex = new Map(table.itemIds.map((id, i) => [id, i]))
  const classIndex = new Map(table.classes.map((name, k) => [name, k]))
  const classes = [...table.classes]
  const codes = new Int32Array(table.itemIds.length).fill(-1)
  const unanswered: string[] = []
  for (const [item, label] of gold) {
    const i = itemIndex.get(item)
    if (i === undefined) {
      unanswered.push(item)
      continue
    }
    codes[i] = intern(classIndex, label)
    if (codes[i] === classes.length) classes.push(label)
  }
  const warnings: CrowdInputWarning[] = []
  if (unanswered.length > 0) {
    const examples = unanswered.slice(0, MAX_EXAMPLES)
    warnings.push({ kind: 'unanswered-items', source, count: unanswered.length, examples })
  }
  return { table: { ...table, classes }, gold: codes, warnings }
}
