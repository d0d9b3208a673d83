import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { Detector, DetectorResult } from '../detectors/types.js'
import type { RecordReport } from '../domain/index.js'
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
      '  backdoor by trigger-mining: a separate group of 28 records inside class 0',
      '    the same records: backdoor by spectral-signature: a separate group of 28 records inside class 0',
      '    the same records: backdoor by activation-clustering: a separate group of 28 records inside class 0',
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
