import { describe, expect, it } from 'vitest'
import { compareBehaviour } from '../../src/evaluation/behaviour.js'
import { predictedClasses } from '../../src/models/classifier.js'
import { predictNetwork } from '../../src/models/dense-network.js'
import { fitBuiltinNetwork, type NetworkSettings } from '../../src/models/train-network.js'
import { createRng, shuffledIndices } from '../../src/util/rng.js'
import { mnistDataset } from '../fixtures/datasets.js'

/*
 * A model whose training labels had 30% of one class flipped to another must be told apart from its known-clean
 * reference on 1,000 golden digits, with the pair named; a clean retrain with another seed must not.
 */
const train = mnistDataset(4000)
const golden = mnistDataset(1000, 8000)
const classNames = train.labels!.classes
const source = classNames.indexOf('7')
const target = classNames.indexOf('1')
const settings: NetworkSettings = {
  kind: 'mlp',
  classCount: 10,
  seed: 1,
  hiddenUnits: 32,
  epochs: 4,
  standardize: false,
}

function flipShare(labels: Int32Array, share: number, seed: number): Int32Array {
  const flipped = Int32Array.from(labels)
  const rows = Int32Array.from(labels.keys()).filter((row) => labels[row] === source)
  const order = shuffledIndices(rows.length, createRng(seed))
  for (const index of order.subarray(0, Math.round(share * rows.length))) flipped[rows[index]] = target
  return flipped
}

function predictGolden(labels: Int32Array, seed: number): Int32Array {
  const network = fitBuiltinNetwork(train.features!, labels, { ...settings, seed })
  return predictedClasses(predictNetwork(network, golden.features!))
}

describe('behavioural evaluation against a known-clean reference', () => {
  const reference = predictGolden(train.labels!.codes, 1)
  const compare = (candidate: Int32Array) =>
    compareBehaviour({ classNames, ids: golden.ids, candidate, reference, truth: golden.labels!.codes })

  it('catches a 30% targeted flip of one class pair and names the pair', () => {
    const report = compare(predictGolden(flipShare(train.labels!.codes, 0.3, 5), 2))
    const finding = report.findings.find((f) => f.kind === 'class_pair_shift')
    expect(report.verdict).toBe('changed')
    expect(finding).toMatchObject({ from: '7', to: '1' })
    expect(finding!.pValue).toBeLessThan(0.01)
    expect(report.pairTests[0]).toMatchObject({ from: '7', to: '1' })
    const seven = report.perClass.find((c) => c.label === '7')!
    expect(seven.candidateAccuracy).toBeLessThan(seven.referenceAccuracy!)
    console.info(`evaluate: flipped pair 7→1 ${finding!.message}`)
  })

  it('finds nothing in a clean retrain with another seed', () => {
    const report = compare(predictGolden(train.labels!.codes, 3))
    expect(report.changedCount).toBeGreaterThan(0)
    expect(report.findings).toEqual([])
    expect(report.verdict).toBe('consistent')
    console.info(
      `evaluate: clean retrain changed ${report.changedCount}, smallest adjusted p ${report.pairTests[0]?.adjustedPValue}`,
    )
  })
})
