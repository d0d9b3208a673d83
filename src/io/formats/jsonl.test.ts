import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../../errors.js'
import { type LoadOptions, loadDataset } from '../index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-jsonl-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let fileCount = 0

function jsonlFile(content: string, extension = 'jsonl'): string {
  const path = join(dir, `data${++fileCount}.${extension}`)
  writeFileSync(path, content)
  return path
}

async function loadError(content: string, options?: LoadOptions): Promise<PoisonguardError> {
  const error = await loadDataset(jsonlFile(content), options).catch((caught: unknown) => caught)
  if (!(error instanceof PoisonguardError)) throw new Error(`expected a PoisonguardError, got ${error}`)
  return error
}

describe('loadDataset (JSON Lines)', () => {
  it('reads scalar fields with the column conventions; keys may differ between lines', async () => {
    const lines = [
      '{"id": "m1", "label": "spam", "text": "win money", "score": 0.5, "flag": true}',
      '{"id": "m2", "label": "ham", "text": "hi mum", "score": "1.5", "extra": 3}',
      '{"id": "m3", "label": null, "text": "", "score": 2.5, "extra": 5}',
      '',
      '   ',
    ]
    const dataset = await loadDataset(jsonlFile(`${lines.join('\n')}\n`, 'ndjson'))
    expect(dataset.origin.format).toBe('jsonl')
    expect(dataset.ids).toEqual(['m1', 'm2', 'm3'])
    expect(dataset.labels).toEqual({
      name: 'label',
      classes: ['ham', 'spam'],
      codes: Int32Array.of(1, 0, -1),
    })
    expect(dataset.texts).toEqual(['win money', 'hi mum', ''])
    expect(dataset.featureNames).toEqual(['score', 'extra'])
    expect(Array.from(dataset.features!.data)).toEqual([0.5, 4, 1.5, 3, 2.5, 5])
    expect(dataset.warnings).toEqual([
      'ignored non-numeric column(s) "flag"; choose features with --features',
      'filled empty feature cells with the column mean: 1 in "extra" (mean 4)',
    ])
  })

  it('accepts CRLF line ends and numeric ids', async () => {
    const dataset = await loadDataset(jsonlFile('{"id": 10, "x": 1}\r\n{"id": 11, "x": 2}'))
    expect(dataset.ids).toEqual(['10', '11'])
  })

  it('rejects lines that are not JSON objects, naming each line', async () => {
    const error = await loadError('{"x": 1}\n{"x": 2,}\n[1, 2]\n')
    expect(error.code).toBe('PARSE_ERROR')
    expect(error.message).toMatch(/line 2: not valid JSON: .* \(and 1 more problem\)$/)
    expect(error.issues[1]).toMatchObject({ line: 3, message: 'expected a JSON object, found an array' })
  })

  it('rejects nested values in used columns', async () => {
    const error = await loadError('{"x": 1, "meta": {"a": 1}}\n')
    expect(error.code).toBe('INVALID_VALUE')
    expect(error.message).toMatch(/line 1, row 1, column "meta": nested objects and arrays are not supported/)
    const ignored = await loadDataset(jsonlFile('{"x": 1, "meta": [1]}\n'), { features: ['x'] })
    expect(ignored.featureNames).toEqual(['x'])
  })

  it('rejects text in a numeric column, a file of blank lines, and over-long lines', async () => {
    const text = await loadError('{"x": 1}\n{"x": "two"}\n')
    expect(text.message).toMatch(/line 2, row 2, column "x": "two" is not a number/)
    expect((await loadError('\n\n')).code).toBe('EMPTY_FILE')
    const long = await loadError(`{"x": 1}\n{"x": "${'a'.repeat(300)}"}\n`, { maxLineBytes: 100 })
    expect(long.code).toBe('LINE_TOO_LONG')
    expect(long.message).toMatch(/line 2:/)
  })
})
