import { beforeAll, describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import { activationClusteringDetector } from '../../src/detectors/activation-clustering/index.js'
import { spectralSignatureDetector } from '../../src/detectors/spectral-signature/index.js'
import type { Detector, DetectorInput, DetectorResult } from '../../src/detectors/types.js'
import type { ScanReport } from '../../src/domain/index.js'
import { averagePrecision } from '../../src/evaluation/metrics.js'
import type { LinalgBackend } from '../../src/linalg/backend.js'
import {
  countFlagged as count,
  prepareAsScan,
  runDetectorOn,
  scanPrepared,
  useRealData,
} from '../fixtures/detectors.js'
import { plantPatchBackdoor as plant } from '../fixtures/poison.js'

/*
 * The two detectors that read a backdoor from the shape of a class in feature space: spectral-signature (the
 * direction in which a class spreads most) and activation-clustering (a separate cluster inside a class). Each is
 * held to its bars alone, on one prepared input per dataset that both read (as in a scan, where they share the
 * class spectra); the full scan of a planted backdoor runs once for both. That neither flags anything in the clean
 * digits and mails, suspects no class there and scores every record below 0.1 is checked in zoo.test.ts, on the
 * full scans it runs of those datasets anyway (each detector's result within a scan is the one it gives alone).
 */
let backend: LinalgBackend
let mnist: Dataset
useRealData((data) => ({ backend, digits: mnist } = data))

const detectors = [
  {
    detector: spectralSignatureDetector,
    explains: /spreads \d+× as much as a typical class/,
    restoresLabels: false,
  },
  {
    detector: activationClusteringDetector,
    explains: /a model trained without that cluster gives \d+% of it the label/,
    // Held out, the poison is classified as the digit it really shows: the label it had before the attack.
    restoresLabels: true,
  },
]

const plantedCases = [
  { name: '5%, bottom-right 3×3 onto 0', params: { rate: 0.05 } },
  { name: '2%, top-right onto 2', params: { rate: 0.02, target: '2', position: 'top-right' } },
  {
    name: '7%, bottom-left 4×4 onto 1',
    params: { rate: 0.07, target: '1', position: 'bottom-left', size: 4 },
  },
  { name: '10%, top-left onto 3', params: { rate: 0.1, target: '3', position: 'top-left' } },
  { name: '10% onto 5, outnumbering the class', params: { rate: 0.1, target: '5' } },
  { name: '10% blended noise (alpha 0.2) onto 6', params: { rate: 0.1, target: '6', blend: 0.2 } },
]

type GeometryResult = DetectorResult & { info: { suspectedClasses: string[] } }

const detect = (detector: Detector<unknown>, input: DetectorInput) =>
  runDetectorOn(detector, input) as Promise<GeometryResult>

describe.each(plantedCases)('the poison of $name', ({ params }) => {
  let planted: ReturnType<typeof plant>
  let input: DetectorInput
  beforeAll(async () => {
    planted = plant(mnist, params)
    input = await prepareAsScan(planted.dataset, backend)
  })

  it.each(detectors)(
    'is ranked and flagged by $detector.id alone',
    async ({ detector, explains, restoresLabels }) => {
      const result = await detect(detector as Detector<unknown>, input)
      const poisonCount = count(planted.poisoned)
      expect(averagePrecision(result.suspicion, planted.poisoned)).toBeGreaterThanOrEqual(0.99)
      expect(count(result.flagged, (row) => planted.poisoned[row] === 1)).toBeGreaterThanOrEqual(
        0.98 * poisonCount,
      )
      expect(count(result.flagged, (row) => planted.poisoned[row] === 0)).toBeLessThanOrEqual(
        0.01 * poisonCount,
      )
      expect(result.info.suspectedClasses).toEqual([(params as { target?: string }).target ?? '0'])
      if (restoresLabels) {
        const restored = count(
          result.flagged,
          (row) => result.suggestedLabels![row] === mnist.labels!.codes[row],
        )
        expect(restored).toBeGreaterThanOrEqual(0.8 * count(result.flagged))
      }
      expect(result.explanations[result.flagged.indexOf(1)]).toMatch(explains)
    },
  )
})

const geometryIds = detectors.map(({ detector }) => detector.id)

describe('spectral-signature and activation-clustering in the fused scan', () => {
  it('find every record of the 3% patch backdoor of the issue and no clean one, and add signal', async () => {
    const planted = plant(mnist, { rate: 0.03 })
    const scan = await scanPrepared(await prepareAsScan(planted.dataset, backend))
    const withOurs = scan.report
    const without = scan.without(geometryIds)
    const fusedAveragePrecision = (report: ScanReport) =>
      averagePrecision(
        report.records.map((record) => record.suspicion),
        planted.poisoned,
      )
    expect(fusedAveragePrecision(withOurs)).toBeGreaterThanOrEqual(fusedAveragePrecision(without))
    for (const id of geometryIds) {
      const backdoorFindings = withOurs.records.map((record) =>
        record.findings.some((finding) => finding.detector === id && finding.kind === 'backdoor'),
      )
      expect(count(backdoorFindings, (row) => planted.poisoned[row] === 1)).toBe(count(planted.poisoned))
      expect(count(backdoorFindings, (row) => planted.poisoned[row] === 0)).toBe(0)
    }
    const poisonFlagged = withOurs.records.filter(
      (record, row) => record.flagged && planted.poisoned[row],
    ).length
    expect(poisonFlagged).toBe(count(planted.poisoned))
  })
})
