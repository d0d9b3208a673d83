import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  type AttackBundle,
  attackFile,
  createManifest,
  type Dataset,
  ExitCode,
  exitCodeForError,
  exitCodeForFindings,
  exitCodeForScan,
  exitCodeForVerification,
  generateKeyFiles,
  loadDataset,
  PoisonguardError,
  relabelPlan,
  scanFile,
  writeScanOutputs,
} from '../src/index.js'
import { builtinDatasets } from '../src/io/builtin/index.js'
import { useTemporaryFolder } from './fixtures/files.js'

const temporary = useTemporaryFolder()

function labelsById(dataset: Dataset): Map<string, string> {
  const labels = dataset.labels!
  return new Map(dataset.ids.map((id, row) => [id, labels.classes[labels.codes[row]]]))
}

function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'))
}

let original: string
let flipped: AttackBundle

beforeAll(async () => {
  original = temporary('mnist.csv')
  await builtinDatasets.mnist.write(original, { limit: 400 })
  flipped = await attackFile({
    attack: 'label-flip',
    input: original,
    params: { rate: 0.1 },
    seed: 3,
    out: temporary('flipped.csv'),
    truth: temporary('flipped-truth.json'),
  })
})

describe('attackFile', () => {
  it('with excelSafe, writes CSV formula cells neutralised and names records by the ids as written', async () => {
    const input = temporary('formula-ids.csv')
    const rows = Array.from(
      { length: 20 },
      (_, row) => `${row < 10 ? `=A${row}` : `r${row}`},${row % 2},${row}`,
    )
    writeFileSync(input, `id,label,x\n${rows.join('\n')}\n`)
    const bundle = await attackFile({
      attack: 'label-flip',
      input,
      params: { rate: 0.5 },
      out: temporary('formula-flipped.csv'),
      truth: temporary('formula-truth.json'),
      excelSafe: true,
    })
    const written = await loadDataset(temporary('formula-flipped.csv'))
    expect(written.ids.slice(0, 2)).toEqual(["'=A0", "'=A1"])
    const truth = readJson(temporary('formula-truth.json')) as string[]
    expect(truth).toHaveLength(bundle.run.poisonedIds.length)
    for (const id of truth) expect(written.ids).toContain(id)
    expect(truth.some((id) => id.startsWith("'="))).toBe(true)
  })

  it('writes the poisoned data, its ground truth and its metadata as one bundle', async () => {
    const truth = readJson(temporary('flipped-truth.json')) as string[]
    expect(truth).toHaveLength(40)
    expect(truth).toEqual(flipped.run.poisonedIds)
    expect(readJson(temporary('flipped.csv.meta.json'))).toEqual(flipped.meta)
    expect(flipped.metaPath).toBe(temporary('flipped.csv.meta.json'))
    expect(flipped.meta).toMatchObject({
      attack: 'label-flip',
      params: { rate: 0.1 },
      seed: 3,
      input: { path: original, format: 'csv', rows: 400 },
      output: { path: temporary('flipped.csv'), format: 'csv', rows: 400, poisoned: 40 },
    })
    const before = labelsById(await loadDataset(original))
    const after = labelsById(await loadDataset(temporary('flipped.csv')))
    const changed = [...after].filter(([id, label]) => before.get(id) !== label).map(([id]) => id)
    expect(changed.sort()).toEqual([...truth].sort())
  })

  it('refuses to overwrite its input and leaves nothing behind', async () => {
    const truth = temporary('never.json')
    await expect(attackFile({ attack: 'label-flip', input: original, out: original, truth })).rejects.toThrow(
      'the output would overwrite the input',
    )
    expect(existsSync(truth)).toBe(false)
  })
})

describe('scanFile with a signed manifest', () => {
  let keys: Awaited<ReturnType<typeof generateKeyFiles>>
  const manifest = () => ({ path: temporary('flipped.manifest.json'), publicKeyPath: keys.publicKeyPath })

  beforeAll(async () => {
    keys = await generateKeyFiles(temporary('key'))
    await createManifest(temporary('flipped.csv'), {
      out: temporary('flipped.manifest.json'),
      privateKeyPath: keys.privateKeyPath,
      source: 'vendor-x',
    })
  })

  it('scans under the attested sources, then writes the report and the cleaned and relabelled copies', async () => {
    const result = await scanFile(temporary('flipped.csv'), {
      manifest: { ...manifest(), requireSigned: true },
      detectors: ['label-issues', 'knn-label-consistency'],
    })
    if (result.status !== 'scanned') throw new Error(`not scanned: ${result.status}`)
    expect(result.verification?.ok).toBe(true)
    expect(new Set(result.dataset.sources)).toEqual(new Set(['vendor-x']))
    const { report } = result
    expect(report.summary.bySource['vendor-x'].rows).toBe(400)
    expect(report.summary.flagged).toBeGreaterThan(0)

    const paths = {
      report: temporary('report.json'),
      exportClean: temporary('clean.csv'),
      relabel: temporary('relabelled.csv'),
    }
    const written = await writeScanOutputs(result.dataset, report, paths)
    expect(readJson(paths.report)).toEqual(JSON.parse(JSON.stringify(report)))
    expect((await loadDataset(paths.exportClean)).rowCount).toBe(400 - written.cleanDropped!)
    const plan = relabelPlan(report)
    expect(written.relabelled?.changed).toBe(plan.relabel.size)
    const truth = new Set(flipped.run.poisonedIds)
    const originalLabels = labelsById(await loadDataset(original))
    const relabelled = labelsById(await loadDataset(paths.relabel))
    const restored = [...truth].filter((id) => relabelled.get(id) === originalLabels.get(id))
    expect(restored.length / truth.size).toBeGreaterThanOrEqual(0.5)

    expect(exitCodeForScan(result, undefined)).toBe(ExitCode.ok)
    expect(exitCodeForScan(result, 'low')).toBe(ExitCode.findingsAtFailOn)
  })

  it('stops before scanning a file that no longer matches its manifest', async () => {
    const tampered = temporary('tampered.csv')
    const lines = readFileSync(temporary('flipped.csv'), 'utf8').split('\n')
    lines[5] = lines[5].replace(/,(\d),/, (_, digit: string) => `,${(Number(digit) + 1) % 10},`)
    writeFileSync(tampered, lines.join('\n'))
    const result = await scanFile(tampered, { manifest: manifest() })
    expect(result.status).toBe('verification-failed')
    expect(result.verification?.failures.length).toBeGreaterThan(0)
    expect(exitCodeForScan(result, 'high')).toBe(ExitCode.verificationFailed)
  })
})

describe('exit codes', () => {
  it('maps every outcome to the one code the commands share', () => {
    expect(exitCodeForError(new PoisonguardError('MISSING_INPUT', 'no labels'))).toBe(1)
    expect(exitCodeForError(new TypeError('a bug'))).toBe(2)
    expect(exitCodeForFindings([null, 'medium'], undefined)).toBe(0)
    expect(exitCodeForFindings([null, 'medium'], 'high')).toBe(0)
    expect(exitCodeForFindings([null, 'medium'], 'medium')).toBe(3)
    expect(exitCodeForVerification(true)).toBe(0)
    expect(exitCodeForVerification(false)).toBe(4)
  })
})
