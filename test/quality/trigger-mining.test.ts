import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { selectRows } from '../../src/data/matrix.js'
import { triggerMiningDetector } from '../../src/detectors/trigger-mining/index.js'
import type { DetectorResult } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import { loadDataset } from '../../src/io/index.js'
import { writeDataset } from '../../src/io/write-dataset.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { configureDetectors, prepareDetectorInput, runDetectors } from '../../src/scan/pipeline.js'
import { scanDataset } from '../../src/scan/scan.js'
import { createRng } from '../../src/util/rng.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { type PreparedScan, prepareAsScan, scanPrepared, useRealData } from '../fixtures/detectors.js'
import { useTemporaryFolder } from '../fixtures/files.js'
import { predictWithBuiltinModel } from '../fixtures/models.js'
import { poisonMask } from '../fixtures/poison.js'

let backend: LinalgBackend
let mnist: Dataset
let spam: Dataset
useRealData((data) => ({ backend, digits: mnist, mails: spam } = data))
const temporary = useTemporaryFolder()

/** The first 8,000 digits, which the cleaning tests train on, and the next 2,000, which they trigger. */
let train: Dataset
let test: Dataset
beforeAll(() => {
  train = mnistDataset(8000)
  test = mnistDataset(2000, 8000)
})

async function mineTriggers(dataset: Dataset): Promise<DetectorResult> {
  const input = await prepareDetectorInput(dataset, { backend, seed: 0, geometryDimensions: 64, folds: 5 })
  const [outcome] = await runDetectors(input, configureDetectors([triggerMiningDetector]), {
    seed: 0,
    now: () => 0,
  })
  if (outcome.status !== 'ok') throw new Error(`trigger-mining ${outcome.status}: ${outcome.reason}`)
  return outcome.result
}

interface TriggerInfo {
  label: string
  description: string
  carriersWithLabel: number
}

function triggersOf(result: DetectorResult): TriggerInfo[] {
  return result.info.triggers as TriggerInfo[]
}

type AttackRun = ReturnType<typeof applyAttack>

/**
 * Random 3×3 patches on 10% of the training digits, relabelled 3, and what trigger-mining makes of them: mined once
 * for its bars on image backdoors and for the cleaning test that removes what it flags.
 */
let randomPatches: Promise<{ run: AttackRun; result: DetectorResult }> | undefined
function minedRandomPatches() {
  randomPatches ??= (async () => {
    const run = applyAttack('backdoor-patch', train, { rate: 0.1, target: 3, position: 'random' }, 6)
    return { run, result: await mineTriggers(run.dataset) }
  })()
  return randomPatches
}

/**
 * The rare token 'xqz' in 1% of the spam relabelled ham, in one default scan: trigger-mining is held to its bars on
 * its result there (the one it gives alone on the same input), the fused scan to its own on the report.
 */
let rareToken: Promise<{ run: AttackRun; scan: PreparedScan }> | undefined
function scannedRareToken() {
  rareToken ??= (async () => {
    const run = applyAttack('backdoor-token', spam, { rate: 0.01, target: 'ham', token: 'xqz' }, 3)
    return { run, scan: await scanPrepared(await prepareAsScan(run.dataset, backend)) }
  })()
  return rareToken
}

// That trigger-mining finds no trigger in the clean digits and mails, and that it names the default 3×3 patch on 3%
// of the digits (relabelled 0) at its place and ranks its carriers first, is checked in zoo.test.ts, on the scans it
// runs of those datasets anyway (the detector's result within a scan is the one it gives alone).

describe('trigger-mining on image backdoors in MNIST', () => {
  it.each([
    {
      name: '1% random 3×3 patches',
      params: { rate: 0.01, target: 7, position: 'random' },
      shape: /3×3 patch.*different positions/,
    },
    {
      name: '5% 5×5 top-left patches',
      params: { rate: 0.05, target: 4, position: 'top-left', size: 5 },
      shape: /5×5 patch .* at x 1–5, y 1–5/,
    },
    {
      name: '3% random 2×2 grey patches',
      params: { rate: 0.03, target: 9, position: 'random', size: 2, value: 0.5 },
      shape: /2×2 patch of value 0.5/,
    },
    {
      name: '3% random checkerboards',
      params: { rate: 0.03, target: 0, position: 'random', pattern: 'checkerboard' },
      shape: /3×3 pattern of values 1 0 1/,
    },
    { name: '3% blended noise', params: { rate: 0.03, target: 1, blend: 0.1 }, shape: /blended/ },
  ])('finds $name with average precision ≥ 0.95', async ({ params, shape }) => {
    const run = applyAttack('backdoor-patch', mnist, params, 2)
    const result = await mineTriggers(run.dataset)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)[0].description).toMatch(shape)
  })

  // Image files load as [0,1]; their owner knows the patch as the files hold it, white at 255.
  it('names a patch on image files in the files’ own pixel values', async () => {
    const folder = temporary('digit-files')
    await writeDataset(mnistDataset(1000), folder, { format: 'images' })
    const run = applyAttack('backdoor-patch', await loadDataset(folder), { rate: 0.05, target: '0' }, 1)
    const result = await mineTriggers(run.dataset)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)[0].description).toMatch(/^a 3×3 patch of value 255 at x 24–26, y 24–26/)
  })

  it('finds 10% random 3×3 patches in the 8,000 training digits with average precision ≥ 0.95', async () => {
    const { run, result } = await minedRandomPatches()
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)[0].description).toMatch(/3×3 patch/)
  })
})

describe('trigger-mining on token backdoors in SpamAssassin', () => {
  it("explains the default trigger: token 'cf' in 3% of spam relabelled ham", async () => {
    const run = applyAttack('backdoor-token', spam, { rate: 0.03, target: 'ham' }, 1)
    const result = await mineTriggers(run.dataset)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)).toHaveLength(1)
    expect(triggersOf(result)[0]).toMatchObject({ label: 'ham', description: "token 'cf'" })
    expect(result.explanations[run.poisonedRows[0]]).toMatch(
      /^token 'cf' occurs in \d+ rows, \d+ of them labelled ham, whose nearest neighbours are \d\d% spam/,
    )
  })

  it("finds a rare token 'xqz' in 1% with average precision ≥ 0.95", async () => {
    const { run, scan } = await scannedRareToken()
    const result = scan.result('trigger-mining')
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)[0].description).toBe("token 'xqz'")
  })

  it.each([
    {
      name: "the phrase 'james bond' in 3%",
      params: { rate: 0.03, target: 'ham', token: 'james bond' },
      named: "phrase 'james bond'",
    },
    {
      name: "'zoinks' appended to 10%",
      params: { rate: 0.1, target: 'ham', token: 'zoinks', position: 'end' },
      named: "token 'zoinks'",
    },
    {
      name: "'cf' in 3% of ham relabelled spam",
      params: { rate: 0.03, target: 'spam', token: 'cf' },
      named: "token 'cf'",
    },
  ])('finds $name with average precision ≥ 0.95', async ({ params, named }) => {
    const run = applyAttack('backdoor-token', spam, params, 3)
    const result = await mineTriggers(run.dataset)
    expect(
      averagePrecision(result.suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    expect(triggersOf(result)[0].description).toBe(named)
  })
})

function keepRows(dataset: Dataset, keep: readonly number[]): Dataset {
  return {
    ...dataset,
    rowCount: keep.length,
    ids: keep.map((row) => dataset.ids[row]),
    labels: { ...dataset.labels!, codes: Int32Array.from(keep, (row) => dataset.labels!.codes[row]) },
    features: selectRows(dataset.features!, keep),
  }
}

/** Share of triggered test digits (not of the target class) that a model trained on `train` calls the target. */
function attackSuccess(
  train: Dataset,
  triggered: ReturnType<NonNullable<ReturnType<typeof applyAttack>['triggerTestSet']>>,
  target: string,
) {
  const predicted = predictWithBuiltinModel(train, triggered.dataset)
  const code = train.labels!.classes.indexOf(target)
  return (
    triggered.poisonedRows.filter((row) => predicted[row] === code).length / triggered.poisonedRows.length
  )
}

describe('cleaning MNIST with trigger-mining defeats the backdoor', () => {
  it('the fused scan ranks a 3×3 patch on 3% of digits with AP ≥ 0.95, and without its flagged rows the patch works on ≤ 2% of test digits', async () => {
    const run = applyAttack('backdoor-patch', train, { rate: 0.03, target: 0 }, 4)
    const triggered = run.triggerTestSet!(test, createRng(5))
    expect(attackSuccess(run.dataset, triggered, '0')).toBeGreaterThan(0.5)
    const report = await scanDataset(run.dataset, { backend })
    const suspicion = report.records.map((record) => record.suspicion)
    expect(
      averagePrecision(suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    const kept = report.records.flatMap((record, row) => (record.flagged ? [] : [row]))
    expect(attackSuccess(keepRows(run.dataset, kept), triggered, '0')).toBeLessThanOrEqual(0.02)
  })

  it('removing what trigger-mining flags disarms random-position patches on 10% of digits', async () => {
    const { run, result } = await minedRandomPatches()
    const triggered = run.triggerTestSet!(test, createRng(7))
    const kept = Array.from(result.flagged.keys()).filter((row) => !result.flagged[row])
    expect(attackSuccess(keepRows(run.dataset, kept), triggered, '3')).toBeLessThanOrEqual(0.02)
  })
})

describe('trigger-mining in a full scan of SpamAssassin', () => {
  it('the fused scan ranks token-backdoored mails with AP ≥ 0.95 and cites the token', async () => {
    const { run, scan } = await scannedRareToken()
    const { report } = scan
    const suspicion = report.records.map((record) => record.suspicion)
    expect(
      averagePrecision(suspicion, poisonMask(run.dataset.rowCount, run.poisonedRows)),
    ).toBeGreaterThanOrEqual(0.95)
    const finding = report.records[run.poisonedRows[0]].findings.find(
      (item) => item.detector === 'trigger-mining',
    )
    expect(finding).toMatchObject({ kind: 'backdoor' })
    expect(finding?.explanation).toMatch(/^token 'xqz' occurs in/)
  })
})
