import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PoisonguardError } from '../errors.js'
import { loadDataset, writeFilteredDataset } from './index.js'

const dir = mkdtempSync(join(tmpdir(), 'poisonguard-write-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const csvHeader = '\ufeffid,label,comment,x\r\n'
const csvRecords = [
  '1,cat,"multi\r\nline, with ""quotes""",0.5\r\n',
  '2,dog,plain,1\r\n',
  '3,cat,"naïve — ünïcode",1.25\r\n',
  '4,dog,,2\r\n',
  '5,"cat",last,3', // no final newline
]

async function failure(run: Promise<unknown>): Promise<PoisonguardError> {
  const error = await run.catch((caught: unknown) => caught)
  if (!(error instanceof PoisonguardError)) throw new Error(`expected a PoisonguardError, got ${error}`)
  return error
}

const leftovers = () => readdirSync(dir).filter((name) => name.endsWith('.tmp'))

describe('writeFilteredDataset', () => {
  it('writes the CSV header and kept records byte for byte', async () => {
    const input = join(dir, 'in.csv')
    writeFileSync(input, csvHeader + csvRecords.join(''))
    const dataset = await loadDataset(input)
    const outPath = join(dir, 'out.csv')
    await writeFilteredDataset(dataset, Uint8Array.of(1, 0, 1, 0, 1), outPath)
    expect(readFileSync(outPath, 'utf8')).toBe(csvHeader + csvRecords[0] + csvRecords[2] + csvRecords[4])
    const reloaded = await loadDataset(outPath)
    expect(reloaded.ids).toEqual(['1', '3', '5'])
    expect(Array.from(reloaded.features!.data)).toEqual([0.5, 1.25, 3])
  })

  it('rewrites only the label field of relabelled CSV records', async () => {
    const input = join(dir, 'relabel.csv')
    writeFileSync(input, csvHeader + csvRecords.join(''))
    const dataset = await loadDataset(input)
    const outPath = join(dir, 'relabelled.csv')
    const relabel = new Map([
      [0, 'dog'],
      [4, 'big, "odd" cat'],
    ])
    await writeFilteredDataset(dataset, Uint8Array.of(1, 1, 0, 0, 1), outPath, { relabel })
    expect(readFileSync(outPath, 'utf8')).toBe(
      `${csvHeader}1,dog,"multi\r\nline, with ""quotes""",0.5\r\n${csvRecords[1]}5,"big, ""odd"" cat",last,3`,
    )
  })

  it('with excelSafe, neutralises formula cells and leaves numbers and other records byte for byte', async () => {
    const input = join(dir, 'formulas.csv')
    const records = [
      '1,cat,"=HYPERLINK(""http://x"",""y"")",-1.5\r\n',
      '2,dog,plain,2\r\n',
      '3,cat,@SUM(A1),-2\r\n',
      '4,dog,-1+2,3\r\n',
    ]
    writeFileSync(input, `\ufeffid,label,"+note",x\r\n${records.join('')}`)
    const dataset = await loadDataset(input, { text: '+note' })
    const outPath = join(dir, 'formulas-out.csv')
    await writeFilteredDataset(dataset, Uint8Array.of(1, 1, 1, 1), outPath, {
      excelSafe: true,
      relabel: new Map([[1, '=1+1']]),
    })
    expect(readFileSync(outPath, 'utf8')).toBe(
      `\ufeffid,label,'+note,x\r\n1,cat,"'=HYPERLINK(""http://x"",""y"")",-1.5\r\n2,'=1+1,plain,2\r\n` +
        `3,cat,'@SUM(A1),-2\r\n4,dog,'-1+2,3\r\n`,
    )
    const reloaded = await loadDataset(outPath, { text: "'+note" })
    expect(Array.from(reloaded.features!.data)).toEqual([-1.5, 2, -2, 3])
  })

  it('copies kept JSON Lines verbatim and re-serialises relabelled ones with the label type kept', async () => {
    const lines = [
      '{"id":"a", "label": 1, "x": 1}\n',
      '\n',
      '{ "id": "b","label": 0,"x": 2 }\r\n',
      '{"id":"c","label":1,"x":3}',
    ]
    const input = join(dir, 'in.jsonl')
    writeFileSync(input, lines.join(''))
    const dataset = await loadDataset(input)
    const outPath = join(dir, 'out.jsonl')
    await writeFilteredDataset(dataset, Uint8Array.of(1, 1, 1), outPath, { relabel: new Map([[1, '7']]) })
    expect(readFileSync(outPath, 'utf8')).toBe(`${lines[0]}{"id":"b","label":7,"x":2}\r\n${lines[3]}`)
    await writeFilteredDataset(dataset, Uint8Array.of(0, 0, 1), outPath)
    expect(readFileSync(outPath, 'utf8')).toBe(lines[3])
  })

  it('leaves nothing behind when the write fails', async () => {
    const input = join(dir, 'changing.csv')
    writeFileSync(input, 'id,x\n1,1\n2,2\n')
    const dataset = await loadDataset(input)
    const missingFolder = join(dir, 'no', 'such', 'folder', 'out.csv')
    expect((await failure(writeFilteredDataset(dataset, Uint8Array.of(1, 1), missingFolder))).code).toBe(
      'OUTPUT_ERROR',
    )
    appendFileSync(input, '3,3\n')
    const outPath = join(dir, 'changed-out.csv')
    const changed = await failure(writeFilteredDataset(dataset, Uint8Array.of(1, 1), outPath))
    expect(changed.code).toBe('OUTPUT_ERROR')
    expect(changed.message).toMatch(/changed since it was loaded/)
    expect(existsSync(outPath)).toBe(false)
    expect(leftovers()).toEqual([])
  })

  it('checks its arguments', async () => {
    const input = join(dir, 'args.csv')
    writeFileSync(input, 'id,label\n1,a\n2,b\n')
    const dataset = await loadDataset(input)
    const outPath = join(dir, 'args-out.csv')
    expect((await failure(writeFilteredDataset(dataset, Uint8Array.of(1), outPath))).code).toBe(
      'INVALID_ARGUMENT',
    )
    expect((await failure(writeFilteredDataset(dataset, Uint8Array.of(1, 1), input))).message).toMatch(
      /overwrite the input/,
    )
    const badRow = writeFilteredDataset(dataset, Uint8Array.of(1, 1), outPath, {
      relabel: new Map([[2, 'a']]),
    })
    expect((await failure(badRow)).message).toMatch(/relabel names row 2, but rows run from 0 to 1/)
    const unlabelled = await loadDataset(input, { label: false })
    const noLabels = writeFilteredDataset(unlabelled, Uint8Array.of(1, 1), outPath, {
      relabel: new Map([[0, 'b']]),
    })
    expect((await failure(noLabels)).message).toMatch(/no label column/)
    expect(existsSync(outPath)).toBe(false)
  })
})
