import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import { nearDuplicatesDetector } from '../../src/detectors/near-duplicates/index.js'
import type { Detector, DetectorResult } from '../../src/detectors/types.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { distinctAttacks } from '../../src/scan/same-attack.js'
import {
  prepareAsScan,
  prepareOnce,
  prepareRelabelled,
  runDetectorOn,
  scanPrepared,
} from '../fixtures/detectors.js'
import { flaggedCleanShare, flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { type ZooName, zooDataset, zooNames } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

const detectCopies = (input: Parameters<typeof runDetectorOn>[1]) =>
  runDetectorOn(nearDuplicatesDetector as Detector<unknown>, input)

/** The copies test, run or not, finds nothing: no evidence, no flood attack, its own p-value at or above 0.01. */
function expectNoCopiedOriginals(result: DetectorResult) {
  expect(result.datasetPValue).toBeUndefined()
  expect(result.attacks?.filter((attack) => attack.kind === 'flood')).toEqual([])
  const { copiedOriginals } = result.info as { copiedOriginals?: { pValue: number } }
  if (copiedOriginals) expect(copiedOriginals.pValue).toBeGreaterThanOrEqual(0.01)
}

/**
 * 605 copies of one ham mail, labelled spam, in a table of mail statistics whose own mails repeat up to 123 times.
 * The copies were ranked first, but the verdict stayed `clean`: the detector had no dataset-level test, so fusion
 * flagged none of them. On seed 3 nine honest ham lie inside the copies' cloud, and the group read as label noise
 * on natural copies.
 */
describe.each([1, 2, 3])('a flood on the mail-table (seed %i)', (seed) => {
  it('is named a flood, with the p-value of its copies test, and its copies are flagged', async () => {
    const run = applyAttack('availability', zooDataset('mail-table'), { mode: 'flood' }, seed)
    const { report } = await scanPrepared(await prepareAsScan(run.dataset, backend))
    const verdict = report.summary.verdict!
    expect(verdict.verdict).toBe('poisoned')
    const [named, ...others] = distinctAttacks(report.records, verdict.attacks)
    expect(others).toEqual([])
    expect(named.attack).toMatchObject({ detector: 'near-duplicates', kind: 'flood' })
    expect(named.attack.pValue).toBeLessThan(0.01)
    const evidence = verdict.evidence.find((entry) => entry.detector === 'near-duplicates')
    expect(evidence?.pValue).toBeLessThan(0.01)
    const copies = poisonMask(run.dataset.rowCount, run.poisonedRows)
    const caught = Array.from(run.poisonedRows).filter((row) => report.records[row].flagged).length
    expect(caught).toBeGreaterThan(0.85 * run.poisonedRows.length)
    expect(flaggedCleanShare(report, copies)).toBeLessThanOrEqual(0.01)
    expect(rankingOf(report, copies)).toBeGreaterThanOrEqual(0.9)
  })
})

describe.each(zooNames)('the clean %s zoo dataset', (name: ZooName) => {
  it('holds no group the copies test calls copies of an original', async () => {
    expectNoCopiedOriginals(await detectCopies(await prepareOnce(zooDataset(name), backend)))
  })
})

/*
 * Natural copies with randomly flipped members: threads of subject lines repeated up to 52 times, newsletters,
 * the mail table's identical digests. Their flipped members fall anywhere among the copies.
 */
describe.each(['mail-table', 'subjects', 'spam'] as ZooName[])('%s with 10% random flips', (name) => {
  it.each([1, 2, 3])('holds no flood by the copies test (flips seed %i)', async (seed) => {
    const original = zooDataset(name)
    const { dataset } = flipLabels(original, 0.1, seed)
    expectNoCopiedOriginals(await detectCopies(await prepareRelabelled(dataset, original, backend)))
  })
})
