import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { mnistArrays, spamRecords } from '../../test/fixtures/datasets.js'
import { rejection } from '../../test/fixtures/errors.js'
import { fromArrays, fromRecords } from './in-memory.js'

/** The typed error `action` throws, checked to carry `code` when given. */
function failure(action: () => unknown, code?: string) {
  const error = rejection(action)
  if (code) expect(error.code).toBe(code)
  return error
}

describe('fromRecords', () => {
  it('reads plain objects with the loaders’ conventions: id, label, text, source and numeric features', () => {
    const mails = spamRecords().slice(0, 30)
    const rows = mails.map((mail, index) => ({
      ...mail,
      source: index % 2 ? 'a' : 'b',
      length: mail.text.length,
    }))
    const dataset = fromRecords(rows)
    expect(dataset.rowCount).toBe(30)
    expect(dataset.ids).toEqual(mails.map((mail) => mail.id))
    expect(dataset.labels?.classes).toEqual([...new Set(mails.map((mail) => mail.label))].sort())
    expect(dataset.texts?.[3]).toBe(mails[3].text)
    expect(dataset.sources?.slice(0, 2)).toEqual(['b', 'a'])
    expect(dataset.featureNames).toEqual(['length'])
    expect(dataset.features?.data[5]).toBe(mails[5].text.length)
    expect(dataset.origin).toMatchObject({ path: 'records', format: 'records' })
  })

  it('follows renamed columns and fails on a missing one, naming it', () => {
    const rows = [
      { key: 'x', klass: 'a', v: 1 },
      { key: 'y', klass: 'b', v: 2 },
    ]
    const dataset = fromRecords(rows, { id: 'key', label: 'klass' })
    expect(dataset.ids).toEqual(['x', 'y'])
    expect(dataset.labels?.classes).toEqual(['a', 'b'])
    const error = failure(() => fromRecords(rows, { label: 'class' }), 'MISSING_COLUMN')
    expect(error.message).toContain('there is no column "class" (asked for by --label)')
  })

  it('names the row and key of every bad record before giving up', () => {
    const notObject = failure(() => fromRecords([{ a: 1 }, 7, [1]]), 'INVALID_VALUE')
    expect(notObject.issues.map((issue) => [issue.row, issue.message])).toEqual([
      [2, 'expected an object, found a number'],
      [3, 'expected an object, found an array'],
    ])
    const nested = failure(() => fromRecords([{ x: 1 }, { x: { deep: 1 } }]))
    expect(nested.message).toContain(
      'records, row 2, column "x": nested objects and arrays are not supported',
    )
    const duplicate = failure(
      () =>
        fromRecords(
          [
            { id: 'a', x: 1 },
            { id: 'a', x: 2 },
          ],
          { name: 'batch' },
        ),
      'DUPLICATE_ID',
    )
    expect(duplicate.message).toBe('batch, row 2, column "id": id "a" is on rows 1 and 2')
    failure(() => fromRecords([]), 'EMPTY_FILE')
  })
})

describe('fromArrays', () => {
  const { pixels, labels, width, height } = mnistArrays()
  const rowCount = 50
  const pixelCount = width * height

  it('takes a row-major Float32Array with its shape and one label per row', () => {
    const data = pixels.slice(0, rowCount * pixelCount)
    const digits = Array.from(labels.slice(0, rowCount))
    const dataset = fromArrays({ data, rows: rowCount, cols: pixelCount }, digits, {
      imageShape: { width, height },
    })
    expect(dataset.rowCount).toBe(rowCount)
    expect(dataset.ids[0]).toBe('1')
    expect(dataset.labels!.classes[dataset.labels!.codes[7]]).toBe(String(digits[7]))
    expect(dataset.features!.data).toBe(data)
    expect(dataset.featureNames[pixelCount - 1]).toBe(`f${pixelCount - 1}`)
    expect(dataset.imageShape).toEqual({ width, height })
  })

  it('rejects an image shape that does not hold the rows, counting colour channels', () => {
    const data = pixels.slice(0, rowCount * pixelCount)
    const colour = { width, height, channels: 3 as const }
    expect(() =>
      fromArrays({ data, rows: rowCount, cols: pixelCount }, undefined, { imageShape: colour }),
    ).toThrow(
      `an image of ${width}×${height} pixels of 3 channel(s) has ${3 * pixelCount} values, the rows have ${pixelCount}`,
    )
  })

  it('takes rows of numbers, and leaves null labels unlabelled', () => {
    const dataset = fromArrays(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      ['a', null, 'b'],
      { ids: ['x', 'y', 'z'] },
    )
    expect(Array.from(dataset.features!.data)).toEqual([1, 2, 3, 4, 5, 6])
    expect(Array.from(dataset.labels!.codes)).toEqual([0, -1, 1])
    expect(fromArrays([[1], [2]]).labels).toBeUndefined()
  })

  it('fails on ragged rows, non-finite cells, misaligned labels and repeated ids, saying where', () => {
    const ragged = failure(() => fromArrays([[1, 2], [3], [4, 5, 6]]), 'SHAPE_MISMATCH')
    expect(ragged.issues.map((issue) => [issue.row, issue.message])).toEqual([
      [2, 'expected 2 values (as row 1 has), found 1'],
      [3, 'expected 2 values (as row 1 has), found 3'],
    ])
    const nan = failure(
      () =>
        fromArrays([
          [1, 2],
          [3, Number.NaN],
        ]),
      'INVALID_VALUE',
    )
    expect(nan.message).toBe('arrays, row 2, column "f1": NaN is not a finite number')
    const shape = { data: new Float32Array(5), rows: 2, cols: 3 }
    failure(() => fromArrays(shape), 'SHAPE_MISMATCH')
    const labelCount = failure(() => fromArrays([[1], [2]], ['a']), 'SHAPE_MISMATCH')
    expect(labelCount.message).toBe('arrays, labels: expected one entry per row (2), found 1')
    const ids = failure(() => fromArrays([[1], [2]], undefined, { ids: ['a', 'a'] }), 'DUPLICATE_ID')
    expect(ids.message).toBe('arrays, row 2, ids: id "a" is on rows 1 and 2')
  })
})

describe('in-memory datasets in a browser', () => {
  it('import no Node module and no package, however deep', () => {
    const root = resolve(import.meta.dirname, '../..')
    const seen = new Set<string>()
    const external: string[] = []
    const visit = (file: string) => {
      if (seen.has(file)) return
      seen.add(file)
      const source = readFileSync(join(root, file), 'utf8')
      for (const [, specifier] of source.matchAll(
        /^\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/gm,
      )) {
        if (!specifier.startsWith('.')) {
          const isNode = specifier.startsWith('node:') || builtinModules.includes(specifier)
          if (isNode || specifier !== 'zod') external.push(`${file} imports ${specifier}`)
        } else visit(relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.ts'))
      }
    }
    visit('src/io/in-memory.ts')
    expect(seen.size).toBeGreaterThan(5)
    expect(external).toEqual([])
  })
})
