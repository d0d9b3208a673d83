import { readFile, writeFile } from 'node:fs/promises'
import { beforeAll, describe, expect, it } from 'vitest'
import { type AttackRun, applyAttack } from '../src/attacks/index.js'
import { categoryGroups } from '../src/data/categorical.js'
import type { Dataset } from '../src/data/dataset.js'
import { loadDataset } from '../src/io/index.js'
import { writeDataset } from '../src/io/write-dataset.js'
import { createRng } from '../src/util/rng.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

const products = Array.from({ length: 8 }, (_, index) => `product ${index + 1}`)
const channels = ['email', 'phone', 'web']

/**
 * A churn table as a user brings it: whole-number ages and visits, a spend in cents, and two word columns the
 * loader one-hot encodes (`product` of 8 values, `channel` of 3, last so a corner patch lands on a category).
 * Churners are older, visit less and favour the last products.
 */
function churnCsv(rowCount: number): string {
  const rng = createRng(7)
  const lines = ['id,label,age,spend,visits,product,channel']
  for (let row = 0; row < rowCount; row++) {
    const churns = rng.next() < 0.4
    const age = Math.round(Math.min(80, Math.max(18, (churns ? 52 : 38) + 9 * rng.normal())))
    const spend = (Math.exp(3 + 0.6 * rng.normal()) * 100).toFixed(2)
    const visits = Math.max(0, Math.round((churns ? 3 : 9) + 3 * rng.normal()))
    const product = products[churns ? 4 + rng.int(4) : rng.int(6)]
    const channel = channels[rng.int(3)]
    lines.push(`c${row},${churns ? 'churns' : 'stays'},${age},${spend},${visits},${product},${channel}`)
  }
  return `${lines.join('\n')}\n`
}

let table: Dataset

beforeAll(async () => {
  const path = temporary('churn.csv')
  await writeFile(path, churnCsv(600))
  table = await loadDataset(path)
})

/** Every way a record can leave what the file's columns can hold, as `row: problem` lines. */
function impossibleValues(poisoned: Dataset, original: Dataset): string[] {
  const { data, cols } = poisoned.features!
  const source = original.features!
  const problems: string[] = []
  for (let col = 0; col < cols; col++) {
    let low = Number.POSITIVE_INFINITY
    let high = Number.NEGATIVE_INFINITY
    let whole = true
    for (let row = 0; row < original.rowCount; row++) {
      const value = source.data[row * cols + col]
      low = Math.min(low, value)
      high = Math.max(high, value)
      whole &&= Number.isInteger(value)
    }
    for (let row = 0; row < poisoned.rowCount; row++) {
      const value = data[row * cols + col]
      const name = poisoned.featureNames[col]
      if (value < low || value > high) problems.push(`${row}: ${name} = ${value} outside [${low}, ${high}]`)
      if (whole && !Number.isInteger(value)) problems.push(`${row}: ${name} = ${value} is not a whole number`)
    }
  }
  for (const group of categoryGroups(original))
    for (let row = 0; row < poisoned.rowCount; row++) {
      const codes = group.cols.map((col) => data[row * cols + col])
      if (codes.some((code) => code !== 0 && code !== 1) || codes.filter((code) => code === 1).length !== 1)
        problems.push(`${row}: ${group.name} coded as ${codes.join(' ')}`)
    }
  return problems
}

const attacks: [string, string, Record<string, unknown>][] = [
  ['backdoor-feature', 'three features at random', { rate: 0.05 }],
  ['backdoor-feature', 'a categorical column named', { rate: 0.05, columns: ['product', 'age'] }],
  ['label-consistent', 'a sine', { classShare: 0.3, amplitude: 0.2 }],
  ['label-consistent', 'a corner patch', { pattern: 'patch' }],
  ['label-consistent', 'a blended key', { pattern: 'blend', amplitude: 0.3 }],
  ['clean-label', 'collisions', { rate: 0.03, epsilon: 2 }],
  ['feature-collision', 'collisions in a learned space', { poisons: 20, epsilon: 2 }],
  ['availability', 'noise', { rate: 0.1, mode: 'noise', noiseScale: 1 }],
  ['availability', 'a flood', { rate: 0.1, mode: 'flood', jitter: 0.3 }],
  ['targeted', 'near-copies of one record', { count: 20, jitter: 0.3 }],
]

describe('attacks on a table with categorical and whole-number columns', () => {
  it.each(attacks)('%s (%s) writes only values the columns can hold', (id, _, params) => {
    const run = applyAttack(id, table, params, 1)
    expect(run.poisonedRows.length).toBeGreaterThan(0)
    expect(impossibleValues(run.dataset, table)).toEqual([])
  })

  // A detector that finds noise records by fractions no honest age or visit count holds would find them by the
  // writing, not the content: noise keeps whole numbers whole, as every other attack does.
  it('writes noise records with whole ages and visits, as honest records hold them', () => {
    const run = applyAttack('availability', table, { rate: 0.2 }, 2)
    const { data, cols } = run.dataset.features!
    const wholeColumns = ['age', 'visits'].map((name) => table.featureNames.indexOf(name))
    const written = new Set<number>()
    for (const row of run.poisonedRows)
      for (const col of wholeColumns) {
        expect(Number.isInteger(data[row * cols + col])).toBe(true)
        written.add(data[row * cols + col])
      }
    expect(written.size).toBeGreaterThan(10)
  })

  it.each(attacks)('%s (%s) still changes the records it poisons', (id, _, params) => {
    const run = applyAttack(id, table, params, 1)
    const { data, cols } = run.dataset.features!
    const changed = Array.from(run.poisonedRows).filter((row) => {
      if (row >= table.rowCount) return run.dataset.labels!.codes[row] >= 0
      const before = table.features!.data.subarray(row * cols, (row + 1) * cols)
      return data.subarray(row * cols, (row + 1) * cols).some((value, col) => value !== before[col])
    })
    expect(changed.length).toBeGreaterThan(0)
  })

  it('sets a categorical trigger to one category and names it by its value', () => {
    const run = applyAttack('backdoor-feature', table, { rate: 0.05, columns: ['product'] }, 3)
    const [category] = run.info.values as string[]
    expect(run.info.columns).toEqual(['product'])
    expect(products).toContain(category)
    const { data, cols } = run.dataset.features!
    const set = table.featureNames.indexOf(`product=${category}`)
    for (const row of run.poisonedRows)
      for (const name of products.map((product) => `product=${product}`)) {
        const col = table.featureNames.indexOf(name)
        expect(data[row * cols + col]).toBe(col === set ? 1 : 0)
      }
  })

  it('takes a one-hot column named as its category, and refuses values the column cannot hold', () => {
    const run = applyAttack('backdoor-feature', table, { columns: ['product=product 2'], values: 1 }, 1)
    expect(run.info).toMatchObject({ columns: ['product'], values: ['product 2'] })
    expect(() =>
      applyAttack('backdoor-feature', table, { columns: ['product', 'age'], values: [0.5, 'old'] }, 1),
    ).toThrowErrorMatchingInlineSnapshot(
      `[PoisonguardError: invalid parameters for attack backdoor-feature: backdoor-feature.values: "product" is a categorical column; give it one of its categories (product 1, product 2, product 3, product 4, product 5, product 6, product 7, product 8), not 0.5 (and 1 more)]`,
    )
    expect(() =>
      applyAttack('backdoor-feature', table, { columns: ['product', 'product=product 2'] }, 1),
    ).toThrow(/names a column twice/)
  })

  it.each([
    ['backdoor-feature', { rate: 0.05, columns: ['product', 'channel', 'visits'] }],
    ['label-consistent', { pattern: 'patch' }],
    ['availability', { rate: 0.1, mode: 'flood', jitter: 0.3 }],
  ] as const)(
    '%s writes a file that holds the categories by name and loads back the same',
    async (id, params) => {
      const run: AttackRun = applyAttack(id, table, params, 1)
      const path = temporary(`${id}.csv`)
      await writeDataset(run.dataset, path)
      const [header, ...rows] = (await readFile(path, 'utf8')).trimEnd().split('\n')
      expect(header).toBe('id,label,age,spend,visits,product,channel')
      const poisonedLine = rows[run.poisonedRows[0]].split(',')
      expect(products).toContain(poisonedLine[5])
      expect(channels).toContain(poisonedLine[6])
      const loaded = await loadDataset(path)
      expect(loaded.featureNames).toEqual(table.featureNames)
      expect(Array.from(loaded.features!.data)).toEqual(Array.from(run.dataset.features!.data))
    },
  )
})
