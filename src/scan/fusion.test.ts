import { describe, expect, it } from 'vitest'
import type { DetectorResult } from '../detectors/types.js'
import { selectByLocalFdr } from './false-discovery.js'
import { fuseDetectorResults } from './fusion.js'

function result(
  suspicion: number[],
  flagged: number[],
  explanation?: string,
  extra: Partial<DetectorResult> = {},
): DetectorResult {
  return {
    suspicion: Float32Array.from(suspicion),
    flagged: Uint8Array.from(flagged),
    explanations: flagged.map((flag) => (flag ? explanation : undefined)),
    suggestedLabels: Int32Array.from(flagged.map((flag) => (flag ? 1 : -1))),
    info: {},
    warnings: [],
    ...extra,
  }
}

describe('fusion', () => {
  it('ranks a kind by its detector calibrated against the data and takes the strongest kind', () => {
    const fused = fuseDetectorResults(
      3,
      [
        {
          detector: { id: 'a', kind: 'label_issue' },
          result: result([0.9, 0.2, 0.1], [1, 0, 0], 'a says so', {
            falseAlarmChances: Float64Array.from([0.001, 0.9, 1]),
          }),
        },
        {
          detector: { id: 'b', kind: 'label_issue' },
          result: result([0.7, 0.4, 0.1], [1, 0, 0], 'b says so'),
        },
        { detector: { id: 'c', kind: 'outlier' }, result: result([0, 0.995, 0], [0, 1, 0], 'far away') },
      ],
      (code) => `class-${code}`,
    )
    expect(fused.suspicion[0]).toBeCloseTo(0.9)
    expect(fused.suspicion[1]).toBeCloseTo(0.995)
    expect(fused.suspicion[2]).toBeCloseTo(0.1)
    expect(Array.from(fused.flagged)).toEqual([1, 1, 0])
    expect(fused.severities).toEqual(['medium', 'high', null])
    expect(fused.expectedFalseAlarms).toBeCloseTo(0.006)
    expect(fused.findings[0].map((finding) => finding.explanation)).toEqual(['a says so', 'b says so'])
    expect(fused.findings[0][0].suggestedLabel).toBe('class-1')
    expect(fused.findings[1]).toHaveLength(1)
    expect(fused.findings[2]).toHaveLength(0)
  })

  it('flags the records whose mean chance of a false alarm stays within the rate', () => {
    const runs = [
      {
        detector: { id: 'a', kind: 'label_issue' as const },
        result: result([0.9, 0.9, 0.9], [1, 1, 1], 'a says so', {
          falseAlarmChances: Float64Array.from([0.001, 0.05, 0.015]),
        }),
      },
    ]
    expect(Array.from(fuseDetectorResults(3, runs, String).flagged)).toEqual([1, 0, 1])
    expect(Array.from(fuseDetectorResults(3, runs, String, { ...fusionPoint, fdr: 0.1 }).flagged)).toEqual([
      1, 1, 1,
    ])
  })

  it('averages only the two strongest detectors of a kind', () => {
    const fused = fuseDetectorResults(
      1,
      [
        { detector: { id: 'a', kind: 'backdoor' }, result: result([0.999], [1]) },
        { detector: { id: 'b', kind: 'backdoor' }, result: result([0.995], [1]) },
        { detector: { id: 'c', kind: 'backdoor' }, result: result([0], [0]) },
      ],
      String,
    )
    expect(fused.suspicion[0]).toBeCloseTo(0.997)
    expect(fused.flagged[0]).toBe(1)
  })

  it('lets a standalone detector decide on its own', () => {
    const fused = fuseDetectorResults(
      2,
      [
        { detector: { id: 'a', kind: 'label_issue' }, result: result([0.2, 0.1], [0, 0]) },
        { detector: { id: 'b', kind: 'label_issue' }, result: result([0.3, 0.1], [0, 0]) },
        {
          detector: { id: 'c', kind: 'label_issue', standalone: true },
          result: result([0.997, 0.2], [1, 0]),
        },
      ],
      String,
    )
    expect(fused.suspicion[0]).toBeCloseTo(0.997)
    expect(Array.from(fused.flagged)).toEqual([1, 0])
  })

  it('keeps an attack detector whose dataset-level test found nothing from adding flags or outranking agreed labels', () => {
    const runs = [
      {
        detector: { id: 'labels', kind: 'label_issue' as const },
        result: result([0.9, 0.1], [1, 0], 'mislabelled', {
          falseAlarmChances: Float64Array.from([0.001, 1]),
        }),
      },
      {
        detector: { id: 'trigger', kind: 'backdoor' as const, standalone: true },
        result: result([0.2, 0.999], [0, 1], 'a trigger', { datasetPValue: 0.2 }),
      },
    ]
    const fused = fuseDetectorResults(2, runs, String)
    expect(Array.from(fused.flagged)).toEqual([1, 0])
    expect(fused.suspicion[1]).toBeLessThan(fused.suspicion[0])
    expect(fused.findings[1]).toEqual([])
    expect(fused.quietDetectors).toEqual(['trigger'])
    runs[1].result = { ...runs[1].result, datasetPValue: 1e-6 }
    expect(Array.from(fuseDetectorResults(2, runs, String).flagged)).toEqual([1, 1])
  })

  it('orders records an attack detector does not flag by the label evidence until its dataset-level test finds something', () => {
    const runs = [
      {
        detector: { id: 'labels', kind: 'label_issue' as const },
        result: result([0.9, 0.3, 0.1, 0.05], [1, 0, 0, 0], 'mislabelled', {
          falseAlarmChances: Float64Array.from([0.001, 1, 1, 1]),
        }),
      },
      {
        detector: { id: 'copies', kind: 'near_duplicate' as const },
        result: result([0, 0, 0.25, 0.995], [0, 0, 0, 1], 'copies'),
      },
      {
        detector: { id: 'far', kind: 'outlier' as const },
        result: result([0, 0, 0.8, 0], [0, 0, 0, 0], 'far away', { datasetPValue: 0.2 }),
      },
    ]
    const fused = fuseDetectorResults(4, runs, String)
    // Record 2's copy and distance are below what either detector flags: the labels rank it under record 1.
    expect(fused.suspicion[2]).toBeCloseTo(0.1)
    expect(fused.suspicion[1]).toBeGreaterThan(fused.suspicion[2])
    // A record a detector flags keeps its score, with or without a test behind it.
    expect(fused.suspicion[3]).toBeCloseTo(0.995)
    expect(Array.from(fused.flagged)).toEqual([1, 0, 0, 1])
    runs[2].result = { ...runs[2].result, datasetPValue: 1e-6 }
    expect(fuseDetectorResults(4, runs, String).suspicion[2]).toBeCloseTo(0.8)
  })

  it('ranks the carriers of a trigger found in the dataset above records only the labels doubt, in their order', () => {
    const runs = [
      {
        detector: { id: 'labels', kind: 'label_issue' as const, certainty: 0.95 },
        result: result([0.99, 0.6, 0.99, 0.9, 0.1], [1, 0, 1, 1, 0], 'mislabelled', {
          falseAlarmChances: Float64Array.from([0.001, 0.3, 0.001, 0.01, 1]),
        }),
      },
      {
        detector: { id: 'trigger', kind: 'backdoor' as const, standalone: true },
        result: result([0.8, 0.7, 0, 0, 0.3], [1, 1, 0, 0, 0], 'a trigger', { datasetPValue: 1e-6 }),
      },
    ]
    const fused = fuseDetectorResults(5, runs, String)
    // Record 2's label doubt (0.99 × 0.95) is the highest a record outside the trigger gets: both carriers rank above.
    expect(fused.suspicion[1]).toBeGreaterThan(fused.suspicion[2])
    expect(fused.suspicion[0]).toBeGreaterThan(fused.suspicion[1])
    expect(fused.suspicion[2]).toBeCloseTo(0.9405)
    expect(fused.suspicion[3]).toBeCloseTo(0.855)
    // A score the detector does not flag is no carrier's.
    expect(fused.suspicion[4]).toBeCloseTo(0.3)
    // Only the order moves: record 1's chance of a false alarm (0.3) still keeps it out of the flags.
    expect(Array.from(fused.flagged)).toEqual([1, 0, 1, 1, 0])
    // With no trigger found at the rate, the labels order the records again.
    runs[1].result = { ...runs[1].result, datasetPValue: 0.2 }
    const quiet = fuseDetectorResults(5, runs, String).suspicion
    expect(quiet[2]).toBeGreaterThan(quiet[1])
    expect(quiet[0]).toBeCloseTo(0.9405)
  })

  it('weighs copies with conflicting labels with the label evidence, not as an attack of their own', () => {
    const runs = [
      {
        detector: { id: 'labels', kind: 'label_issue' as const },
        result: result([0.9, 0.05, 0.1], [1, 0, 0], 'mislabelled', {
          falseAlarmChances: Float64Array.from([0.001, 1, 1]),
        }),
      },
      {
        detector: { id: 'copies', kind: 'near_duplicate' as const },
        result: result([0.95, 0.95, 0.99], [1, 1, 1], 'copies', {
          findingKinds: ['contradiction', 'contradiction', 'flood'],
        }),
      },
    ]
    const fused = fuseDetectorResults(3, runs, String)
    // The honest copy of a contradiction ranks by what the labels say of it; the flood stands on its own.
    expect(fused.suspicion[1]).toBeCloseTo(0.05)
    expect(fused.suspicion[2]).toBeCloseTo(0.99)
    expect(Array.from(fused.flagged)).toEqual([1, 0, 1])
  })

  it('gives an empty result when no detector ran', () => {
    const fused = fuseDetectorResults(2, [], String)
    expect(Array.from(fused.suspicion)).toEqual([0, 0])
    expect(Array.from(fused.flagged)).toEqual([0, 0])
    expect(fused.expectedFalseAlarms).toBe(0)
  })
})

const fusionPoint = { flagAbove: 0.5, mediumAbove: 0.7, highAbove: 0.9 }

describe('selectByLocalFdr', () => {
  it('takes the largest set of surest records whose mean false-alarm chance stays within the rate', () => {
    const chances = Float64Array.from([0.3, 0.001, 0.02, 0.004, 0.9])
    const eligible = Uint8Array.from([1, 1, 1, 1, 0])
    const { selected, expectedFalseAlarms } = selectByLocalFdr(chances, eligible, 0.01)
    expect(Array.from(selected)).toEqual([0, 1, 1, 1, 0])
    expect(expectedFalseAlarms).toBeCloseTo(0.025)
    expect(Array.from(selectByLocalFdr(chances, eligible, 0.0005).selected)).toEqual([0, 0, 0, 0, 0])
  })
})
