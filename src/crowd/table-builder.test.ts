import { describe, expect, it } from 'vitest'
import { AnnotationTableBuilder, alignGold, describeInputWarning } from './table-builder.js'

describe('AnnotationTableBuilder', () => {
  it('interns ids and classes in order of appearance and keeps the first of repeated answers', () => {
    const builder = new AnnotationTableBuilder()
    builder.add('i1', 'ann', 'cat', 5, 1)
    builder.add('i2', 'bob', 'dog', Number.NaN, 2)
    builder.add('i1', 'ann', 'dog', 7, 3)
    const { table, warnings } = builder.build()
    expect(table.itemIds).toEqual(['i1', 'i2'])
    expect(table.annotatorIds).toEqual(['ann', 'bob'])
    expect(table.classes).toEqual(['cat', 'dog'])
    expect(Array.from(table.label)).toEqual([0, 1])
    expect(Array.from(table.time ?? [])).toEqual([5, Number.NaN])
    expect(warnings).toEqual([
      {
        kind: 'duplicate-answers',
        count: 1,
        examples: [{ item: 'i1', annotator: 'ann', keptRow: 1, ignoredRow: 3 }],
      },
    ])
  })

  it('has no time column when no answer has a time', () => {
    const builder = new AnnotationTableBuilder()
    builder.add('i1', 'ann', 'cat', Number.NaN, 1)
    builder.add('i1', 'bob', 'cat', Number.NaN, 2)
    const { table, warnings } = builder.build()
    expect(table.time).toBeUndefined()
    expect(warnings.map(describeInputWarning)).toEqual([
      'every answer is "cat": there is nothing to aggregate and no annotator can be judged',
    ])
  })
})

describe('alignGold', () => {
  it('codes gold labels over the classes, adds an unseen gold class and reports unanswered gold items', () => {
    const builder = new AnnotationTableBuilder()
    builder.add('i1', 'ann', 'cat', Number.NaN, 1)
    builder.add('i2', 'bob', 'dog', Number.NaN, 2)
    const { table } = builder.build()
    const gold = new Map([
      ['i2', 'bird'],
      ['i1', 'cat'],
      ['i9', 'dog'],
    ])
    const aligned = alignGold(table, gold, 'gold.csv')
    expect(aligned.table.classes).toEqual(['cat', 'dog', 'bird'])
    expect(Array.from(aligned.gold)).toEqual([0, 2])
    expect(aligned.warnings.map(describeInputWarning)).toEqual([
      '1 items of the gold.csv have no answer and get no consensus: i9',
    ])
  })
})
