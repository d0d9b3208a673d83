import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { selectRows } from '../../src/data/matrix.js'
import { classifierFromNetwork } from '../../src/models/classifier.js'
import { triggersFromSuspects } from '../../src/models/mined-triggers.js'
import { fitBuiltinNetwork } from '../../src/models/train-network.js'
import { type MinedTrigger, scanForTriggers } from '../../src/models/trigger-scan.js'
import { scan } from '../../src/scan/index.js'
import { inMemoryDataset, pooledMnist } from '../fixtures/datasets.js'

/*
 * Black-box search on tabular models (no gradients, predictions only): MNIST pooled to 49 columns stands in for a
 * table. A model with a 3% feature backdoor (three columns set to their maximum, relabelled 0) must be flagged
 * because it obeys the trigger mined from its training data — not by the anomaly index: setting two or three of
 * these cells to their maximum sends nine in ten rows to several labels of a clean model too, so the planted
 * trigger is not anomalously small. Models trained on clean rows with other seeds must not be flagged.
 */
const pooled = pooledMnist()
function rowsOf(start: number, count: number): Dataset {
  const rows = Int32Array.from({ length: count }, (_, index) => start + index)
  return inMemoryDataset({
    features: selectRows(pooled.features, rows),
    featureNames: Array.from({ length: 49 }, (_, col) => `cell${col}`),
    labels: Array.from(rows, (row) => pooled.labels[row]),
  })
}
const train = rowsOf(0, 3000)
const scanSet = rowsOf(8000, 400)

async function blackBoxScan(dataset: Dataset, seed: number, mined?: MinedTrigger[]) {
  const network = fitBuiltinNetwork(dataset.features!, dataset.labels!.codes, {
    kind: 'mlp',
    classCount: 10,
    hiddenUnits: 32,
    epochs: 6,
    seed,
  })
  const classifier = classifierFromNetwork(network, dataset.labels!.classes)
  return scanForTriggers({
    classifier: { ...classifier, network: undefined },
    x: scanSet.features!,
    labels: scanSet.labels!.codes,
    classNames: dataset.labels!.classes,
    minedTriggers: mined,
  })
}

/** Triggers the trigger-mining detector's suspects on the training data share, as `scan-triggers --training` mines them. */
async function minedTriggers(dataset: Dataset) {
  const report = await scan(dataset, { detectors: ['trigger-mining'] })
  const suspect = Uint8Array.from(report.records, (record) =>
    record.findings.some((finding) => finding.detector === 'trigger-mining') ? 1 : 0,
  )
  return triggersFromSuspects(dataset.features!, dataset.labels!.codes, suspect)
}

describe('scan-triggers on tabular models, black box', () => {
  it('flags a 3% feature backdoor because the model obeys the trigger mined from its training data', async () => {
    const run = applyAttack('backdoor-feature', train, { rate: 0.03, target: '0' }, 1)
    const planted = (run.info as { columns: string[] }).columns
    const mined = await minedTriggers(run.dataset)
    const result = await blackBoxScan(run.dataset, 1, mined)
    const zero = result.labels.find((label) => label.label === '0')!
    const minedColumns = mined.map((trigger) =>
      Array.from(trigger.mask.keys())
        .filter((col) => trigger.mask[col] > 0)
        .map((col) => `cell${col}`),
    )
    console.info(
      `scan-triggers tabular: anomaly index ${result.anomalyIndex.toFixed(2)}, planted ${planted.join(',')}, mined ${minedColumns.join(' | ')} sends ${zero.minedAttackSuccess} to 0, sizes ${result.labels.map((l) => l.maskNorm).join(' ')}`,
    )
    expect(result).toMatchObject({ verdict: 'backdoored', targetLabel: '0', evidence: 'mined-trigger' })
    expect(mined.map((trigger) => trigger.label)).toEqual([train.labels!.classes.indexOf('0')])
    expect(minedColumns[0].sort()).toEqual([...planted].sort())
    expect(zero.minedAttackSuccess).toBeGreaterThanOrEqual(0.9)
  })

  it('flags none of three models trained on clean rows with different seeds, their training data given', async () => {
    const indices: string[] = []
    const mined = await minedTriggers(train)
    for (const seed of [11, 12, 13]) {
      const result = await blackBoxScan(train, seed, mined)
      indices.push(`${result.anomalyIndex.toFixed(2)} (${result.labels.map((l) => l.maskNorm).join(' ')})`)
      expect(result.verdict).toBe('clean')
    }
    console.info(
      `scan-triggers tabular clean: ${mined.length} trigger(s) mined, anomaly indices ${indices.join('; ')}`,
    )
  })
})
