import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Detector, DetectorResult } from '../detectors/types.js'
import type { Finding, RecordReport } from '../domain/index.js'
import type { DetectorOutcome } from './pipeline.js'
import { judgeDataset, verdictLines } from './verdict.js'

function outcome(id: string, result: Partial<DetectorResult>): DetectorOutcome {
  const detector: Detector<unknown> = {
    id,
    kind: 'outlier',
    summary: id,
    requires: [],
    params: z.object({}),
    run: () => Promise.reject(new Error('not run in these tests')),
  }
  return {
    status: 'ok',
    detector,
    durationMs: 1,
    params: {},
    result: {
      suspicion: new Float32Array(0),
      flagged: new Uint8Array(0),
      explanations: [],
      info: {},
      warnings: [],
      ...result,
    },
  }
}

function records(flags: boolean[], source?: (row: number) => string): RecordReport[] {
  return flags.map((flagged, row) => ({
    id: `r${row}`,
    suspicion: flagged ? 0.99 : 0,
    flagged,
    severity: flagged ? 'high' : null,
    findings: [],
    ...(source ? { source: source(row) } : {}),
  }))
}

describe('judgeDataset', () => {
  it('names noise records once, as noise, when another detector sees some of them as a group inside a class', () => {
    const flags = (rows: (row: number) => boolean) =>
      Uint8Array.from({ length: 600 }, (_, row) => (rows(row) ? 1 : 0))
    const noise = {
      kind: 'outlier' as const,
      description: 'availability noise: 60 records',
      records: 60,
      pValue: 1e-5,
    }
    const group = {
      kind: 'backdoor' as const,
      description: 'a separate group of 8 records',
      label: '0',
      records: 8,
    }
    const judge = (groupRows: (row: number) => boolean) =>
      judgeDataset(
        [
          outcome('outliers', { datasetPValue: 1e-5, attacks: [noise], flagged: flags((row) => row >= 540) }),
          outcome('activation-clustering', { attacks: [group], flagged: flags(groupRows) }),
        ],
        records(Array.from({ length: 600 }, () => false)),
        [],
        0.01,
      ).attacks.map((attack) => attack.detector)
    expect(judge((row) => row >= 590)).toEqual(['outliers'])
    expect(judge((row) => row < 8)).toEqual(['outliers', 'activation-clustering'])
  })

  it('calls a dataset poisoned when a dataset-level test found an attack, and lists it with its evidence', () => {
    const trigger = {
      kind: 'trigger' as const,
      description: "token 'cf'",
      label: 'ham',
      records: 30,
      pValue: 1e-9,
    }
    const verdict = judgeDataset(
      [
        outcome('trigger-mining', { datasetPValue: 1e-9, attacks: [trigger] }),
        outcome('outliers', { datasetPValue: 0.4 }),
      ],
      records(Array.from({ length: 1000 }, (_, row) => row < 30)),
      [],
      0.01,
    )
    expect(verdict.verdict).toBe('poisoned')
    expect(verdict.attacks).toEqual([{ detector: 'trigger-mining', ...trigger }])
    expect(verdict.evidence).toEqual([
      { detector: 'trigger-mining', pValue: 1e-9 },
      { detector: 'outliers', pValue: 0.4 },
    ])
    expect(verdictLines({ summary: { verdict }, records: [] } as never)[0]).toBe(
      "Verdict: POISONED — 1 attack found: token 'cf'",
    )
  })

  it('names a flood its detector tested once, with its p-value, and one with no test from its findings', () => {
    const flooded = records(Array.from({ length: 1000 }, (_, row) => row < 60)).map((record, row) => ({
      ...record,
      findings:
        row < 60
          ? [{ detector: 'near-duplicates', kind: 'flood' as const, score: 0.99, explanation: '' }]
          : [],
    }))
    const tested = {
      kind: 'flood' as const,
      description: 'a flood of 60 near-identical records',
      records: 60,
    }
    const judge = (result: Partial<DetectorResult>) =>
      judgeDataset([outcome('near-duplicates', result)], flooded, [], 0.01)
    const withTest = judge({ datasetPValue: 0.002, attacks: [{ ...tested, pValue: 0.002 }] })
    expect(withTest.attacks).toEqual([{ detector: 'near-duplicates', ...tested, pValue: 0.002 }])
    expect(withTest.evidence).toEqual([{ detector: 'near-duplicates', pValue: 0.002 }])
    expect(judge({}).attacks).toEqual([{ detector: 'near-duplicates', ...tested }])
    // A test that finds nothing at the rate names no flood of its own.
    expect(judge({ datasetPValue: 0.3, attacks: [{ ...tested, pValue: 0.3 }] }).attacks).toEqual([])
  })

  it('counts a flood with no test of its own by the copies its detector found, however few of them the scan flags', () => {
    const copyFinding = { detector: 'near-duplicates', kind: 'flood' as const, score: 0.9, explanation: '' }
    // Ten copies its detector calls a flood, of which fusion flags only the first.
    const copies = (flaggedCopies: number) =>
      records(Array.from({ length: 500 }, (_, row) => row < flaggedCopies)).map((record, row) => ({
        ...record,
        findings: row < 10 ? [copyFinding] : [],
      }))
    const judge = (flaggedCopies: number) =>
      judgeDataset([outcome('near-duplicates', {})], copies(flaggedCopies), [], 0.01)
    expect(judge(1).attacks).toEqual([
      {
        detector: 'near-duplicates',
        kind: 'flood',
        description: 'a flood of 10 near-identical records',
        records: 10,
      },
    ])
    // None of its records flagged: the scan itself found no flood.
    expect(judge(0).attacks).toEqual([])
  })

  it('counts one attack that several detectors found on the same records once, and names the others beside it', () => {
    const flags = Array.from({ length: 600 }, (_, row) => row < 40)
    const seenBy = (row: number): string[] =>
      row < 28
        ? ['trigger-mining', 'spectral-signature', 'activation-clustering']
        : row < 40
          ? ['outliers']
          : []
    const flagged = records(flags).map((record, row) => ({
      ...record,
      label: row < 28 ? '0' : '1',
      findings: seenBy(row).map((detector) => ({
        detector,
        kind: 'backdoor' as const,
        score: 0.99,
        explanation: '',
      })),
    }))
    const group = (label: string, rows: number) => ({
      kind: 'backdoor' as const,
      description: `a separate group of ${rows} records inside class ${label}`,
      label,
      records: rows,
    })
    const detectors = ['trigger-mining', 'spectral-signature', 'activation-clustering', 'outliers']
    const verdict = judgeDataset(
      detectors.map((id) => outcome(id, { attacks: [id === 'outliers' ? group('1', 12) : group('0', 28)] })),
      flagged,
      [],
      0.01,
    )
    expect(verdict.attacks).toHaveLength(4)
    expect(verdict.reason).toBe(
      '2 attacks found: a separate group of 28 records inside class 0; a separate group of 12 records inside class 1',
    )
    const lines = verdictLines({ summary: { verdict } as never, records: flagged })
    expect(lines.slice(1)).toEqual([
      // None brings a p-value, so none is stronger: the name goes by detector, not by which ran first.
      '  backdoor by activation-clustering: a separate group of 28 records inside class 0',
      '    the same records: backdoor by spectral-signature: a separate group of 28 records inside class 0',
      '    the same records: backdoor by trigger-mining: a separate group of 28 records inside class 0',
      '  backdoor by outliers: a separate group of 12 records inside class 1',
    ])
  })

  it('holds each detector’s dataset-level test to the rate across all of them, whatever the others found', () => {
    const collision = (pValue: number) => ({
      kind: 'clean_label' as const,
      description: '45 records labelled high collide with record r938',
      records: 45,
      pValue,
    })
    const judge = (pValue: number) =>
      judgeDataset(
        [
          outcome('feature-collision', { datasetPValue: pValue, attacks: [collision(pValue)] }),
          ...[
            'outliers',
            'trigger-mining',
            'spectral-signature',
            'activation-clustering',
            'clean-label-backdoor',
          ].map((id) => outcome(id, { datasetPValue: 0.5 })),
        ],
        records(Array.from({ length: 1000 }, (_, row) => row < 5)),
        [],
        0.01,
      )
    // Honest digits under label flips: the flips are anomalies enough for the outlier test, and a p of 0.006 from
    // one of three tests is what honest data gives about once in fifty scans.
    expect(judge(0.006).attacks).toEqual([])
    expect(judge(0.0005).verdict).toBe('poisoned')
  })

  it('ignores the attacks of a detector kept quiet, and calls many flags without an attack suspicious', () => {
    const attack = { kind: 'backdoor' as const, description: 'a group', records: 5 }
    const flags = Array.from({ length: 1000 }, (_, row) => row < 20)
    expect(
      judgeDataset([outcome('spectral', { attacks: [attack] })], records(flags), ['spectral'], 0.01).verdict,
    ).toBe('suspicious')
    expect(judgeDataset([], records(flags.map((_, row) => row < 3)), [], 0.01).verdict).toBe('clean')
  })

  it('calls copies with conflicting labels an attack only when label noise does not explain them', () => {
    const conflicts = (pValue: number) => ({
      kind: 'contradiction' as const,
      description: '24 copies of records with conflicting labels',
      records: 24,
      pValue,
    })
    const flags = Array.from({ length: 1000 }, (_, row) => row < 24)
    const judge = (pValue: number) =>
      judgeDataset([outcome('near-duplicates', { attacks: [conflicts(pValue)] })], records(flags), [], 0.01)
    expect(judge(0.3).verdict).toBe('suspicious')
    expect(judge(0.3).attacks).toEqual([])
    expect(judge(1e-6).verdict).toBe('poisoned')
  })

  it('names a source whose records are flagged far more often than the others', () => {
    const flags = Array.from({ length: 900 }, (_, row) => row % 3 === 0 && row < 300)
    const verdict = judgeDataset(
      [],
      records(flags, (row) => `vendor-${row % 3}`),
      [],
      0.01,
    )
    expect(verdict.verdict).toBe('poisoned')
    expect(verdict.attacks[0].description).toMatch(/^source vendor-0: 100 of its 300 records flagged/)
  })
})

/** Every order of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]]
  return items.flatMap((item, index) =>
    permutations([...items.slice(0, index), ...items.slice(index + 1)]).map((rest) => [item, ...rest]),
  )
}

describe('the verdict whatever order the detectors report in', () => {
  // Copies of one 8 relabelled 6 (rows 0–47) that four detectors see, and three overlapping groups in class 3
  // (rows 200–311), the weakest overlapping the strongest but not the middle one.
  const seenBy: { detector: string; kind: Finding['kind']; label: string; first: number; last: number }[] = [
    { detector: 'near-duplicates', kind: 'flood', label: '6', first: 0, last: 47 },
    { detector: 'targeted-flip', kind: 'label_issue', label: '6', first: 0, last: 47 },
    { detector: 'feature-collision', kind: 'clean_label', label: '6', first: 2, last: 46 },
    { detector: 'spectral-signature', kind: 'backdoor', label: '3', first: 200, last: 299 },
    { detector: 'clean-label-backdoor', kind: 'clean_label', label: '3', first: 205, last: 304 },
    { detector: 'activation-clustering', kind: 'backdoor', label: '3', first: 212, last: 311 },
  ]
  const flagged = records(Array.from({ length: 600 }, (_, row) => row < 48 || (row >= 200 && row < 312))).map(
    (record, row) => ({
      ...record,
      label: row < 48 ? '6' : '3',
      findings: seenBy
        .filter(({ first, last }) => row >= first && row <= last)
        .map(({ detector, kind }) => ({ detector, kind, score: 0.99, explanation: '' })),
    }),
  )
  const attack = (
    kind: Finding['kind'],
    description: string,
    label: string,
    records: number,
    pValue?: number,
  ) => ({
    kind,
    description,
    label,
    records,
    ...(pValue === undefined ? {} : { pValue }),
  })
  const outcomes = [
    outcome('near-duplicates', {}),
    outcome('targeted-flip', {
      attacks: [attack('label_issue', 'records of 8 relabelled as 6', '6', 48, 2.5e-7)],
    }),
    outcome('feature-collision', {
      attacks: [attack('clean_label', '45 records labelled 6 collide with record r463', '6', 45, 4.8e-9)],
    }),
    outcome('spectral-signature', {
      attacks: [attack('backdoor', 'a separate group of 100 records inside class 3', '3', 100, 1e-3)],
    }),
    outcome('clean-label-backdoor', {
      attacks: [attack('clean_label', 'a pattern carried by 100 records of class 3', '3', 100, 1e-9)],
    }),
    outcome('activation-clustering', {
      attacks: [attack('backdoor', 'a separate group of 100 records inside class 3', '3', 100)],
    }),
  ]
  const judged = (order: DetectorOutcome[]) => {
    const verdict = judgeDataset(order, flagged, [], 0.01)
    return verdictLines({ summary: { verdict }, records: flagged } as never)
  }

  it('counts, names and confirms the same attacks for every order', () => {
    const expected = judged(outcomes)
    for (const order of permutations(outcomes)) expect(judged(order)).toEqual(expected)
  })

  it('names the flood as a flood and each other attack after its strongest evidence, strongest first', () => {
    expect(judged([...outcomes].reverse())).toEqual([
      'Verdict: POISONED — 2 attacks found: a flood of 48 near-identical records; a pattern carried by 100 records of class 3',
      '  flood by near-duplicates: a flood of 48 near-identical records',
      '    the same records: clean_label by feature-collision: 45 records labelled 6 collide with record r463 (p = 4.8e-9)',
      '    the same records: label_issue by targeted-flip: records of 8 relabelled as 6 (p = 2.5e-7)',
      '  clean_label by clean-label-backdoor: a pattern carried by 100 records of class 3 (p = 1.0e-9)',
      '    the same records: backdoor by spectral-signature: a separate group of 100 records inside class 3 (p = 0.0010)',
      '    the same records: backdoor by activation-clustering: a separate group of 100 records inside class 3',
    ])
  })
})
