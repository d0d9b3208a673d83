import { writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useTemporaryFolder } from '../../test/fixtures/files.js'
import { loadDataset } from '../io/index.js'
import { checkBatch } from './check.js'
import { inferSchema } from './schema-infer.js'

const temporary = useTemporaryFolder()

const COLUMNS = Array.from({ length: 12 }, (_, column) => `c${column + 1}`)

/** A CSV of 20 rows × 12 columns; `emptyRows(column)` says how many leading rows leave that column empty. */
function csv(name: string, emptyRows: (column: number) => number): string {
  const lines = [COLUMNS.join(',')]
  for (let row = 0; row < 20; row++)
    lines.push(
      COLUMNS.map((_, column) => (row < emptyRows(column) ? '' : String((row * 7 + column) % 10))).join(','),
    )
  const path = temporary(name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

// The loader's message lists ten columns; the counts must not depend on it.
const elevenColumnsWithEmptyCells = (column: number) => (column < 10 ? 1 : column === 10 ? 10 : 0)

describe('empty cells in more columns than a message lists', () => {
  it('infers the null rate of the eleventh column with empty cells', async () => {
    const reference = await loadDataset(csv('reference-gaps.csv', elevenColumnsWithEmptyCells))
    expect(reference.warnings.join('\n')).toContain(', and 1 more columns')
    const rules = inferSchema(reference).features
    expect(rules.find((rule) => rule.name === 'c11')?.observed?.nullRate).toBe(0.5)
    expect(rules.find((rule) => rule.name === 'c12')?.maxNullRate).toBe(0)
  })

  it('flags the eleventh column of a batch when half its cells are empty', async () => {
    const reference = await loadDataset(csv('reference.csv', () => 0))
    const batch = await loadDataset(csv('batch.csv', elevenColumnsWithEmptyCells))
    const report = checkBatch(reference, batch, { permutations: 20, mmd: false, perSource: false })
    const emptyCells = report.findings.filter((finding) => finding.explanation.includes('empty cells'))
    expect(emptyCells.map((finding) => finding.column)).toEqual(expect.arrayContaining(['c1', 'c10', 'c11']))
    expect(emptyCells.find((finding) => finding.column === 'c11')).toMatchObject({
      explanation: 'column "c11" has 50% empty cells; the schema allows 0%',
      rowCount: 10,
    })
  })
})
