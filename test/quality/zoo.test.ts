import { beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { DetectorInput } from '../../src/detectors/types.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { outOfBagForestProbabilities } from '../../src/models/random-forest.js'
import { createRng } from '../../src/util/rng.js'
import {
  countFlagged,
  type PreparedScan,
  prepareAsScan,
  prepareOnce,
  prepareRelabelled,
  scanPrepared,
} from '../fixtures/detectors.js'
import { flaggedCleanShare, flipLabels, poisonMask, rankingOf } from '../fixtures/poison.js'
import { inkProfiles, type ZooName, zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

/**
 * The zoo datasets held to every bar; the padded 8×8 digits, an easier case for planted patterns and a harder one
 * for labels than `digits-8`, serve the clean-label quality tests.
 */
type BarName = Exclude<ZooName, 'digits-8-padded'>

/** Flagged share of the clean data the scan keeps to: 1% everywhere. */
const cleanFlagCeiling: Record<BarName, number> = {
  'mnist-28': 0.01,
  'digits-14': 0.01,
  'digits-8': 0.01,
  spam: 0.01,
  subjects: 0.01,
  iris: 0.01,
  'mail-table': 0.01,
  'imbalanced-digits': 0.01,
}

/**
 * Average precision of 10% random flips. The target is 0.95 from 1,000 rows (0.90 below) and 0.99 on spam, where
 * cleanlab reaches 0.989; where the scan falls short of it (short subjects, a table of mail statistics, on which
 * cleanlab with the stronger model ranks lower still), the floor is today's level.
 * There 0.95 is above what the same learners reach trained on the clean labels (about 0.90 and 0.94, docs/zoo.md).
 */
const flipFloor: Record<BarName, number> = {
  'mnist-28': 0.95,
  'digits-14': 0.95,
  'digits-8': 0.95,
  spam: 0.99,
  subjects: 0.855,
  iris: 0.93,
  'mail-table': 0.89,
  'imbalanced-digits': 0.95,
}

const zoo = Object.keys(cleanFlagCeiling) as BarName[]

const cleanScans = new Map<ZooName, Promise<PreparedScan>>()

/** The default scan of a clean zoo dataset, run once per file for every check on it. */
function cleanScan(name: ZooName): Promise<PreparedScan> {
  let entry = cleanScans.get(name)
  if (!entry) {
    entry = prepareOnce(zooDataset(name), backend).then((input) => scanPrepared(input))
    cleanScans.set(name, entry)
  }
  return entry
}

const flippedScans = new Map<string, Promise<{ flipped: Uint8Array; scan: PreparedScan }>>()

/**
 * The default scan of a zoo dataset with `seed`'s draw of 10% random flips, and which records were flipped; run once
 * per file for every check on it.
 */
async function flippedScan(name: ZooName, seed: number) {
  const key = `${name} ${seed}`
  let entry = flippedScans.get(key)
  if (!entry) {
    const planted = flipLabels(zooDataset(name), 0.1, seed)
    entry = prepareRelabelled(planted.dataset, zooDataset(name), backend)
      .then(scanPrepared)
      .then((scan) => ({ flipped: planted.flipped, scan }))
    flippedScans.set(key, entry)
  }
  const { flipped, scan } = await entry
  return { flipped, scan, report: scan.report }
}

describe.each(zoo)('the %s zoo dataset', (name) => {
  let dataset: Dataset
  let clean: PreparedScan
  beforeAll(async () => {
    dataset = zooDataset(name)
    clean = await cleanScan(name)
  })

  it(`flags at most ${100 * cleanFlagCeiling[name]}% of the clean data`, () => {
    const { report } = clean
    expect(report.summary.flagged / dataset.rowCount).toBeLessThanOrEqual(cleanFlagCeiling[name])
    expect(report.summary.falseDiscovery?.rate).toBe(0.01)
    expect(report.detectors.every((detector) => detector.status !== 'failed')).toBe(true)
    if (cleanFlagCeiling[name] <= 0.01) expect(report.summary.verdict?.verdict).toBe('clean')
  })

  it('has no class the clean-label detectors call attacked, and nothing they flag', () => {
    const report = clean.only(['clean-label-backdoor', 'feature-collision'])
    expect(report.summary.flagged).toBe(0)
    expect(report.summary.verdict?.attacks).toEqual([])
  })

  it(`ranks 10% random flips with average precision ≥ ${flipFloor[name]}`, async () => {
    const { flipped, report } = await flippedScan(name, 1)
    expect(rankingOf(report, flipped)).toBeGreaterThanOrEqual(flipFloor[name])
    // Under 10% noise a few more honest records look doubtful than in the clean data.
    expect(flaggedCleanShare(report, flipped)).toBeLessThanOrEqual(cleanFlagCeiling[name] + 0.005)
    // Random flips are label noise, not an attack: no dataset-level test may call them one.
    expect(report.summary.verdict?.attacks).toEqual([])
  })
})

/**
 * On few columns (8×8 digits, a table of mail statistics) and short texts (their subject lines, read by their style)
 * `label-issues` averages a random forest's out-of-bag probabilities with the linear model's; with the linear model
 * alone it ranked the mail table's and the subjects' flips at 0.880 and 0.79 (docs/zoo.md). On the 8×8 digits, whose
 * linear model knows their labels little better than their neighbours, a linear model on Gaussian kernel features
 * takes the linear model's place beside the forest, making the labels likelier out of fold. The 150 iris flowers
 * are too few. Where the linear model knows the labels better than the neighbours (the mail table, the subjects,
 * iris), its out-of-fold probabilities averaged over a second draw of the folds make the labels likelier still and
 * take its place. Its result within the scan is the one it gives alone.
 */
describe.each([
  {
    name: 'digits-8' as ZooName,
    models: ['linear on Gaussian kernel features', 'random forest'],
    minimumAveragePrecision: 0.95,
  },
  {
    name: 'mail-table' as ZooName,
    models: ['linear over fold draws', 'random forest'],
    minimumAveragePrecision: 0.91,
  },
  {
    name: 'subjects' as ZooName,
    models: ['linear over fold draws', 'random forest'],
    minimumAveragePrecision: 0.86,
  },
  { name: 'iris' as ZooName, models: ['linear'], minimumAveragePrecision: 0.95 },
])(
  'label-issues on the $name zoo data with 10% random flips',
  ({ name, models, minimumAveragePrecision }) => {
    it(`reads ${models.join(' and ')} and ranks the flips with average precision ≥ ${minimumAveragePrecision}`, async () => {
      const { flipped, scan } = await flippedScan(name, 1)
      const result = scan.result('label-issues')
      expect(result.info.models).toEqual(models)
      expect(averagePrecision(Array.from(result.suspicion), flipped)).toBeGreaterThanOrEqual(
        minimumAveragePrecision,
      )
    })

    it('orders the records that get their class’s share of their label instead of tying them at 0', async () => {
      const { scan } = await flippedScan(name, 1)
      const { suspicion } = scan.result('label-issues')
      // About three in four records reach their class's threshold; they once all scored exactly 0.
      expect(suspicion.filter((score) => score === 0).length).toBeLessThan(0.01 * suspicion.length)
    })
  },
)

/*
 * Where no attack detector's dataset-level test finds anything, their scores on records they do not flag are their
 * noise floor: they once ordered the bottom of the list and cost the fused ranking 0.006–0.009 of label-issues' own.
 */
describe.each(['mail-table', 'subjects'] as ZooName[])(
  'the fused scan of %s with 10% random flips',
  (name) => {
    it('ranks the flips as well as label-issues alone', async () => {
      const { flipped, report, scan } = await flippedScan(name, 1)
      const alone = averagePrecision(Array.from(scan.result('label-issues').suspicion), flipped)
      expect(rankingOf(report, flipped)).toBeGreaterThanOrEqual(alone - 0.002)
    })
  },
)

/*
 * Draws of random flips that made the verdict `poisoned` before: the mail table's ham from .edu senders (about 150
 * mails) form a tight cluster of their own, and held out of training they all landed in spam because the flips had
 * put some of their region's mails there.
 */
describe.each([2, 3])('the mail-table with the seed-%i draw of 10% random flips', (seed) => {
  it('is given a verdict with no attack', async () => {
    const { report } = await flippedScan('mail-table', seed)
    expect(report.summary.verdict?.attacks).toEqual([])
  })
})

/*
 * A random forest's out-of-bag probabilities alone rank the mail table's flips at 0.91–0.93, where boosted trees
 * alone ranked them at 0.87–0.89: the reason label-issues reads a forest beside the linear model
 * (docs/zoo.md, "A random forest beside the linear model").
 */
describe.each([1, 2, 3])(
  'a random forest on the mail-table with the seed-%i draw of 10% random flips',
  (seed) => {
    it('ranks the flips by its out-of-bag doubt of their labels with AP ≥ 0.90', () => {
      const dataset = zooDataset('mail-table')
      const { dataset: flippedData, flipped } = flipLabels(dataset, 0.1, seed)
      const codes = flippedData.labels!.codes
      const forest = outOfBagForestProbabilities(dataset.features!, codes, {
        classCount: 2,
        rng: createRng(0),
      })
      const doubt = Array.from(codes, (code, row) => 1 - forest.data[row * 2 + code])
      expect(averagePrecision(doubt, flipped)).toBeGreaterThanOrEqual(0.9)
    })
  },
)

/*
 * Digits drawn as a table of ink profiles hold natural groups of one class that stand far apart from the rest of
 * it, in directions other classes hardly vary in: what a planted trigger looks like to the class geometry.
 */
const inkScans = new Map<string, Promise<PreparedScan>>()

interface InkCase {
  twoClasses?: boolean
  heavyTails?: boolean
  /** The draw of 10% random flips; 0 for none. */
  seed?: number
}

/**
 * The ink profiles with `seed`'s random flips, prepared as a scan would: once per way of measuring the ink, the
 * class merges and flips being other labels on the same records.
 */
function inkInput({ twoClasses = false, heavyTails = false, seed = 0 }: InkCase): Promise<DetectorInput> {
  const original = inkProfiles({ heavyTails })
  const profiles = twoClasses ? inkProfiles({ twoClasses, heavyTails }) : original
  const dataset = seed === 0 ? profiles : flipLabels(profiles, 0.1, seed).dataset
  return dataset === original ? prepareOnce(original, backend) : prepareRelabelled(dataset, original, backend)
}

/** The default scan of an ink-profile case, run once per file for every check on it. */
function inkScan(inkCase: InkCase): Promise<PreparedScan> {
  const key = JSON.stringify(inkCase)
  let entry = inkScans.get(key)
  if (!entry) {
    entry = inkInput(inkCase).then((input) => scanPrepared(input))
    inkScans.set(key, entry)
  }
  return entry
}

/**
 * On 8×8 digits made as the UCI digits were, a one is a column of full cells few other digits fill: with the seed-3
 * flips `trigger-mining` once called its centre pixel a trigger and the fused AP fell to 0.60. Without that pixel
 * the ones still look like ones, so it is no trigger.
 */
describe('a stroke only one class fills in the 8×8 digits', () => {
  it('is not called a trigger under random flips, and the flips keep their ranking', async () => {
    const { flipped, scan, report } = await flippedScan('digits-8', 3)
    expect(scan.result('trigger-mining').info.triggers).toEqual([])
    expect(report.summary.verdict?.attacks).toEqual([])
    expect(rankingOf(report, flipped)).toBeGreaterThanOrEqual(0.93)
  })
})

describe('the ink profiles of 3,000 digits', () => {
  it('are not called poisoned with ten classes', async () => {
    const { report } = await inkScan({})
    expect(report.summary.verdict?.verdict).not.toBe('poisoned')
  })

  it.each([
    { name: 'two classes', twoClasses: true, heavyTails: false, seed: 0 },
    { name: 'two classes and 10% random flips (seed 2)', twoClasses: true, heavyTails: false, seed: 2 },
    { name: 'heavy tails and 10% random flips (seed 1)', twoClasses: false, heavyTails: true, seed: 1 },
  ])('are not called poisoned with $name', async ({ twoClasses, heavyTails, seed }) => {
    // An empty pixel row of short digits was called a trigger (p 1.6e-22 on the clean two classes), and groups of
    // 45 and 51 honest digits crowding one record of another class a feature collision (p 0.006 and 0.009).
    const { report } = await inkScan({ twoClasses, heavyTails, seed })
    expect(report.summary.verdict?.attacks).toEqual([])
  })

  it('hold no planted group by the class geometry with two classes', async () => {
    // Each detector's result is its own, so the class geometry alone reads as it does within the full scan.
    const report = (await inkScan({ twoClasses: true, heavyTails: false, seed: 0 })).only([
      'spectral-signature',
      'activation-clustering',
    ])
    expect(report.detectors.map((detector) => detector.status)).toEqual(['ok', 'ok'])
    expect(report.summary.verdict?.attacks).toEqual([])
  })

  it.each([
    { tails: 'plain', heavyTails: false, seed: 2 },
    { tails: 'plain', heavyTails: false, seed: 3 },
    { tails: 'heavy', heavyTails: true, seed: 1 },
  ])(
    'hold no group activation-clustering calls planted with $tails tails and 10% random flips (seed $seed)',
    async ({ heavyTails, seed }) => {
      // Groups of 7 to 13 honest threes once passed for planted ones: labels flipped into their region taught the
      // held-out model another class, or a quarter of a dozen kept their label, too few to tell.
      const inkCase = { twoClasses: false, heavyTails, seed }
      // The heavy-tailed draw is scanned whole above; the detector's result there is the one it gives alone.
      const report = heavyTails
        ? (await inkScan(inkCase)).only(['activation-clustering'])
        : (await scanPrepared(await inkInput(inkCase), ['activation-clustering'])).report
      expect(report.summary.verdict?.attacks).toEqual([])
    },
  )
})

/*
 * Detectors held to their bars on planted poison in their own files (class-geometry.test.ts, trigger-mining.test.ts,
 * targeted-flip.test.ts, outliers.test.ts, near-duplicates.test.ts) are held to silence on the clean digits and mails here, on the scans
 * this file runs anyway: each detector's result within a scan is the one it gives alone.
 */
describe.each(['mnist-28', 'spam'] as ZooName[])('the full scan of the clean %s data', (name) => {
  it('runs spectral-signature and activation-clustering, and neither flags anything', async () => {
    const { report } = await cleanScan(name)
    for (const id of ['spectral-signature', 'activation-clustering']) {
      const ours = report.detectors.find((detector) => detector.id === id)!
      expect(ours.status).toBe('ok')
      expect(ours.flagged).toBe(0)
    }
  })

  it.each(['spectral-signature', 'activation-clustering'])(
    'has %s suspect no class and score every record below 0.1',
    async (id) => {
      const result = (await cleanScan(name)).result(id)
      expect((result.info as { suspectedClasses: string[] }).suspectedClasses).toEqual([])
      expect(Math.max(...result.suspicion)).toBeLessThan(0.1)
    },
  )

  it('has trigger-mining report no trigger and flag at most 1% of it', async () => {
    const { report } = await cleanScan(name)
    const mining = report.detectors.find((detector) => detector.id === 'trigger-mining')!
    expect(mining.status).toBe('ok')
    expect(mining.info?.triggers).toEqual([])
    expect(mining.flagged).toBeLessThanOrEqual(0.01 * report.records.length)
  })

  it('has targeted-flip alone report no attacked pair and flag nothing', async () => {
    const report = (await cleanScan(name)).only(['targeted-flip'])
    const [detector] = report.detectors
    expect(detector.status).toBe('ok')
    expect(detector.info?.attackedPairs).toEqual([])
    expect(report.summary.flagged).toBe(0)
  })

  it('has outliers flag at most 1% of it', async () => {
    const result = (await cleanScan(name)).result('outliers')
    expect(countFlagged(result.flagged)).toBeLessThanOrEqual(0.01 * result.flagged.length)
  })
})

describe('near-duplicates in the full scans of the clean data', () => {
  it('flags no clean digit', async () => {
    const result = (await cleanScan('mnist-28')).result('near-duplicates')
    expect(countFlagged(result.flagged)).toBeLessThanOrEqual(0.01 * result.flagged.length)
  })

  it('groups the natural duplicates of clean mail without flagging them', async () => {
    const result = (await cleanScan('spam')).result('near-duplicates')
    const info = result.info as { groups: number; recordsInGroups: number }
    expect(info.groups).toBeGreaterThan(50)
    expect(countFlagged(result.flagged)).toBeLessThanOrEqual(0.01 * result.flagged.length)
    let grouped = 0
    result.explanations.forEach((explanation, row) => {
      if (explanation === undefined) return
      grouped++
      expect(result.suspicion[row]).toBeLessThan(0.5)
    })
    expect(grouped).toBe(info.recordsInGroups)
  })
})

/** The brightest value of each image variant, in its own units, as a trigger description must name it. */
const brightest: Partial<Record<ZooName, string>> = {
  'mnist-28': '1',
  'digits-14': '255',
  'digits-8': '16',
  'imbalanced-digits': '1',
}

const patchScans = new Map<ZooName, Promise<{ run: ReturnType<typeof applyAttack>; scan: PreparedScan }>>()

/** A 3×3 patch on 3% of the images, relabelled as the first class, scanned once per file. */
function patchScan(name: ZooName) {
  let entry = patchScans.get(name)
  if (!entry) {
    const dataset = zooDataset(name)
    const run = applyAttack('backdoor-patch', dataset, { rate: 0.03, target: dataset.labels!.classes[0] }, 1)
    entry = prepareAsScan(run.dataset, backend)
      .then(scanPrepared)
      .then((scan) => ({ run, scan }))
    patchScans.set(name, entry)
  }
  return entry
}

describe.each(Object.keys(brightest) as ZooName[])('backdoors in the %s images', (name) => {
  it('ranks a 3×3 patch on 3% of the images with AP ≥ 0.95 and names its value in the data’s units', async () => {
    const dataset = zooDataset(name)
    const { run, scan } = await patchScan(name)
    const { report } = scan
    expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(0.95)
    const verdict = report.summary.verdict!
    expect(verdict.verdict).toBe('poisoned')
    const trigger = verdict.attacks.find((attack) => attack.kind === 'trigger')
    expect(trigger?.label).toBe(dataset.labels!.classes[0])
    const value = brightest[name]
    expect(trigger?.description).toMatch(new RegExp(`^a 3×3 patch of value ${value} at`))
  })
})

// Held to its bars on other image backdoors in trigger-mining.test.ts; its result here is the one it gives alone.
describe('trigger-mining on the 3×3 patch in the 28×28 images', () => {
  it('names the patch at its fixed place and ranks its carriers first', async () => {
    const mnist = zooDataset('mnist-28')
    const { run, scan } = await patchScan('mnist-28')
    const result = scan.result('trigger-mining')
    const poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    expect(averagePrecision(result.suspicion, poisoned)).toBeGreaterThanOrEqual(0.95)
    const [trigger] = result.info.triggers as { label: string; description: string }[]
    expect(trigger).toMatchObject({ label: '0', description: 'a 3×3 patch of value 1 at x 24–26, y 24–26' })
    const row = run.poisonedRows[0]
    expect(result.explanations[row]).toMatch(
      /^a 3×3 patch of value 1 at x 24–26, y 24–26 occurs in \d+ images, (all|\d+ of them) labelled 0, whose nearest neighbours are \d+% not labelled 0/,
    )
    expect(result.suggestedLabels?.[row]).toBe(mnist.labels!.codes[row])
  })
})

const sigScans = new Map<ZooName, Promise<{ run: ReturnType<typeof applyAttack>; scan: PreparedScan }>>()

/** A label-consistent sinusoid on 15% of the second class, scanned once per file. */
function sigScan(name: ZooName) {
  let entry = sigScans.get(name)
  if (!entry) {
    const dataset = zooDataset(name)
    const run = applyAttack('label-consistent', dataset, { target: dataset.labels!.classes[1] }, 1)
    entry = prepareAsScan(run.dataset, backend)
      .then(scanPrepared)
      .then((scan) => ({ run, scan }))
    sigScans.set(name, entry)
  }
  return entry
}

describe.each(['mnist-28', 'digits-14', 'imbalanced-digits', 'digits-8'] as ZooName[])(
  'a label-consistent sinusoid (SIG) in the %s images',
  (name) => {
    it('ranks 15% of one class carrying it with AP ≥ 0.95, labels untouched', async () => {
      const dataset = zooDataset(name)
      const { run, scan } = await sigScan(name)
      expect(run.dataset.labels!.codes).toEqual(dataset.labels!.codes)
      const { report } = scan
      expect(rankingOf(report, poisonMask(run.dataset.rowCount, run.poisonedRows))).toBeGreaterThanOrEqual(
        0.95,
      )
      expect(report.summary.verdict?.verdict).toBe('poisoned')
    })
  },
)

describe('the clean-label-backdoor detector on 28×28 digits', () => {
  it('reports the planted sinusoid as a picture-able pattern of its class', async () => {
    const target = zooDataset('mnist-28').labels!.classes[1]
    const report = (await sigScan('mnist-28')).scan.only(['clean-label-backdoor'])
    const attack = report.summary.verdict!.attacks[0]
    expect(attack).toMatchObject({ detector: 'clean-label-backdoor', kind: 'clean_label', label: target })
    const info = report.detectors[0].info as { patterns: { label: string; pattern: number[][] }[] }
    const [pattern] = info.patterns
    expect(pattern.pattern).toHaveLength(28)
    expect(pattern.pattern[0]).toHaveLength(28)
    // The top row is silent in every digit: there the pattern is the sinusoid itself, six cycles across.
    const top = pattern.pattern[0]
    let signChanges = 0
    for (let x = 1; x < 28; x++) if (Math.sign(top[x]) !== Math.sign(top[x - 1])) signChanges++
    expect(signChanges).toBeGreaterThanOrEqual(5)
  })
})
