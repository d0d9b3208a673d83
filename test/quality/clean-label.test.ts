import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import type { ScanReport } from '../../src/domain/index.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import { createDefaultBackend } from '../../src/linalg/default-backend.js'
import { scanDataset } from '../../src/scan/scan.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { flaggedCleanShare, poisonMask, rankingOf } from '../fixtures/poison.js'
import { type ZooName, zooDataset } from '../fixtures/zoo.js'

let backend: LinalgBackend

beforeAll(async () => {
  backend = await createDefaultBackend()
})

afterAll(async () => {
  await backend.dispose()
})

interface PatternInfo {
  patterns: { label: string; records: number; pattern: number[][] }[]
}

/** Label-consistent patterns the detector was not tuned on: a corner patch, a blended noise key, a slower sine. */
const unseenPatterns = {
  patch: { pattern: 'patch' },
  blend: { pattern: 'blend' },
  'sine of 3 cycles': { pattern: 'sine', frequency: 3 },
} as const

/**
 * One scan per case: the image variant, the pattern on 15% of the `target` class, and
 * whether the whole default scan runs or the clean-label-backdoor detector alone (cheaper, and the detector must find
 * the pattern by itself).
 */
const backdoorCases: {
  variant: string
  data: () => Dataset
  pattern: keyof typeof unseenPatterns | 'SIG'
  whole: boolean
  target: number
}[] = [
  { variant: '28×28', data: () => mnistDataset(3000), pattern: 'patch', whole: false, target: 1 },
  { variant: '28×28', data: () => mnistDataset(3000), pattern: 'blend', whole: false, target: 1 },
  { variant: '28×28', data: () => mnistDataset(3000), pattern: 'sine of 3 cycles', whole: false, target: 1 },
  // SIG on class 1 of the 14×14 digits is held to these bars, and a `poisoned` verdict, in zoo.test.ts: the same
  // attack and the same whole scan.
  { variant: '14×14', data: () => zooDataset('digits-14'), pattern: 'patch', whole: false, target: 1 },
  { variant: '14×14', data: () => zooDataset('digits-14'), pattern: 'blend', whole: false, target: 1 },
  { variant: '8×8', data: () => zooDataset('digits-8'), pattern: 'blend', whole: true, target: 1 },
  // Found once the held-out gap of 1.9 is weighed by the 25 records beyond it (the other classes' gaps are 0.2–0.5),
  // with little to spare: p = 0.007 against the scan's 0.01 (docs/zoo.md).
  { variant: '8×8', data: () => zooDataset('digits-8'), pattern: 'patch', whole: true, target: 1 },
  // On 8×8 digits that fill their grid as the UCI digits do, the sine of three cycles is not found (docs/zoo.md): it
  // is held to its bar on the padded digits, whose empty border it lands on, as is the patch.
  {
    variant: '8×8 padded',
    data: () => zooDataset('digits-8-padded'),
    pattern: 'patch',
    whole: true,
    target: 1,
  },
  {
    variant: '8×8 padded',
    data: () => zooDataset('digits-8-padded'),
    pattern: 'sine of 3 cycles',
    whole: false,
    target: 1,
  },
  // Class 2: wider, more varied digits; in the imbalanced set a class of 419 among classes of 1,000 down to 20.
  { variant: '8×8', data: () => zooDataset('digits-8'), pattern: 'SIG', whole: false, target: 2 },
  // Missed while each deviation was divided by the other classes' spread and set to unit length (AP 0.007).
  { variant: '8×8', data: () => zooDataset('digits-8'), pattern: 'blend', whole: false, target: 2 },
  { variant: '14×14', data: () => zooDataset('digits-14'), pattern: 'blend', whole: false, target: 2 },
  { variant: '14×14', data: () => zooDataset('digits-14'), pattern: 'SIG', whole: true, target: 2 },
  {
    variant: '28×28 imbalanced',
    data: () => zooDataset('imbalanced-digits'),
    pattern: 'SIG',
    whole: false,
    target: 2,
  },
  {
    variant: '28×28 imbalanced',
    data: () => zooDataset('imbalanced-digits'),
    pattern: 'patch',
    whole: false,
    target: 2,
  },
]

describe.each(backdoorCases)(
  'a label-consistent $pattern on 15% of class $target of $variant digits',
  (testCase) => {
    let dataset: Dataset
    let poisoned: Uint8Array
    let report: ScanReport
    beforeAll(async () => {
      dataset = testCase.data()
      const params = testCase.pattern === 'SIG' ? {} : unseenPatterns[testCase.pattern]
      const run = applyAttack(
        'label-consistent',
        dataset,
        { target: dataset.labels!.classes[testCase.target], ...params },
        1,
      )
      expect(run.dataset.labels!.codes).toEqual(dataset.labels!.codes)
      poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
      report = await scanDataset(run.dataset, {
        backend,
        detectors: testCase.whole ? undefined : ['clean-label-backdoor'],
      })
    })

    it(`is ranked with average precision ≥ 0.95 by ${testCase.whole ? 'the scan' : 'clean-label-backdoor alone'}`, () => {
      expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.95)
      // In a whole scan the detector's p (0.006 on 14×14 class 2) must hold among every detector's test (Holm), which
      // it does not: the carriers still rank first, and the verdict stays short of `poisoned`.
      if (testCase.whole) expect(report.summary.verdict?.verdict).not.toBe('clean')
      else expect(report.summary.verdict?.verdict).toBe('poisoned')
    })

    it.runIf(!testCase.whole)('comes back as a picture of the class’s carriers in the image’s shape', () => {
      const info = report.detectors[0].info as unknown as PatternInfo
      const [found] = info.patterns
      expect(found.label).toBe(dataset.labels!.classes[testCase.target])
      const { width, height } = dataset.imageShape!
      expect(found.pattern).toHaveLength(height)
      expect(found.pattern.every((row) => row.length === width)).toBe(true)
      if (testCase.pattern !== 'patch') return
      // The patch sits in the bottom-right corner (one pixel in from the edge): the picture is brightest there.
      let brightest = { value: Number.NEGATIVE_INFINITY, x: -1, y: -1 }
      found.pattern.forEach((row, y) => {
        row.forEach((value, x) => {
          if (value > brightest.value) brightest = { value, x, y }
        })
      })
      expect(brightest.x).toBeGreaterThanOrEqual(width - 4)
      expect(brightest.y).toBeGreaterThanOrEqual(height - 4)
    })
  },
)

/*
 * That these detectors call no class of the clean zoo datasets attacked is checked in zoo.test.ts, from the clean
 * scans it runs anyway.
 */

/**
 * The feature-collision bar: 60 poisons, AP ≥ 0.80, on MNIST and the two smaller image variants. Where the collision
 * got close to its target (not on MNIST with this seed, where it moves the poisons only about halfway), the record
 * reported is the planted target.
 */
const collisionCases: { name: ZooName; findsTarget: boolean }[] = [
  { name: 'mnist-28', findsTarget: false },
  { name: 'digits-14', findsTarget: true },
  { name: 'digits-8', findsTarget: true },
]

describe.each(collisionCases)('60 feature-collision poisons in $name', ({ name, findsTarget }) => {
  let run: ReturnType<typeof applyAttack>
  let poisoned: Uint8Array
  let report: ScanReport
  beforeAll(async () => {
    run = applyAttack('feature-collision', zooDataset(name), { poisons: 60 }, 1)
    poisoned = poisonMask(run.dataset.rowCount, run.poisonedRows)
    report = await scanDataset(run.dataset, { backend })
  })

  it('are ranked with average precision ≥ 0.80 while their labels stay correct', () => {
    expect(run.dataset.labels).toBe(zooDataset(name).labels)
    expect(rankingOf(report, poisoned)).toBeGreaterThanOrEqual(0.8)
    // The clean records are flagged no more than in data without poison.
    expect(flaggedCleanShare(report, poisoned)).toBeLessThanOrEqual(name === 'digits-8' ? 0.015 : 0.01)
  })

  it('are reported as one collision with the instance they crowd, in info and in each finding', () => {
    const detector = report.detectors.find((entry) => entry.id === 'feature-collision')!
    const { collisions } = detector.info as {
      collisions: { label: string; records: number; target: string }[]
    }
    expect(collisions).toHaveLength(1)
    expect(collisions[0].label).toBe(run.info.base)
    expect(collisions[0].records).toBeGreaterThanOrEqual(50)
    const targetRow = run.dataset.ids.indexOf(collisions[0].target)
    expect(run.dataset.labels!.classes[run.dataset.labels!.codes[targetRow]]).not.toBe(run.info.base)
    if (findsTarget) expect(collisions[0].target).toBe(run.info.targetId)
    const findings = report.records.flatMap((record) =>
      record.findings.filter((finding) => finding.detector === 'feature-collision'),
    )
    expect(findings.length).toBeGreaterThanOrEqual(50)
    expect(findings.every((finding) => finding.explanation.includes(`record ${collisions[0].target}`))).toBe(
      true,
    )
    const attack = report.summary.verdict!.attacks.find((entry) => entry.detector === 'feature-collision')
    expect(attack).toMatchObject({ kind: 'clean_label', label: run.info.base })
  })
})
