import { describe, expect, it } from 'vitest'
import { predictedClasses } from '../../src/models/classifier.js'
import { predictNetwork } from '../../src/models/dense-network.js'
import { traceResponsibleRecords } from '../../src/models/trace.js'
import { fitBuiltinNetwork } from '../../src/models/train-network.js'
import { stampTrigger } from '../../src/models/trigger-scan.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { plantPatchBackdoor } from '../fixtures/poison.js'

/* Tracing the predictions of triggered inputs back to the training set must surface the poison: ≥ 90% of the top 50. */
const train = mnistDataset(3000)
const { dataset: poisoned, poisoned: truth } = plantPatchBackdoor(train, { rate: 0.03, target: '0' })
const heldOut = mnistDataset(200, 8000)

function triggered() {
  const mask = new Float32Array(784)
  for (let y = 24; y < 27; y++) for (let x = 24; x < 27; x++) mask[y * 28 + x] = 1
  const zero = heldOut.labels!.classes.indexOf('0')
  const rows = Int32Array.from(heldOut.labels!.codes.keys()).filter(
    (row) => heldOut.labels!.codes[row] !== zero,
  )
  return stampTrigger(heldOut.features!, rows.subarray(0, 50), mask, new Float32Array(784).fill(1))
}

function precisionAtTop(scores: Float64Array, count: number): number {
  const top = Array.from(scores.keys())
    .sort((a, b) => scores[b] - scores[a])
    .slice(0, count)
  return top.filter((row) => truth[row]).length / count
}

describe('trace', () => {
  it('ranks the poisoned records first for the predictions of triggered inputs', () => {
    const network = fitBuiltinNetwork(poisoned.features!, poisoned.labels!.codes, {
      kind: 'mlp',
      classCount: 10,
      seed: 1,
      hiddenUnits: 32,
      epochs: 6,
      standardize: false,
    })
    const inputsX = triggered()
    const result = traceResponsibleRecords({
      trainX: poisoned.features!,
      trainLabels: poisoned.labels!.codes,
      inputsX,
      inputPredictions: predictedClasses(predictNetwork(network, inputsX)),
      network,
    })
    const precision = precisionAtTop(result.score, 50)
    const members = Array.from(result.cluster.keys()).filter((row) => result.cluster[row])
    const poisonedMembers = members.filter((row) => truth[row]).length
    const poisonCount = truth.reduce((sum, flag) => sum + flag, 0)
    console.info(
      `trace: top-50 precision ${precision.toFixed(2)} (gradient alone ${precisionAtTop(result.gradient, 50).toFixed(2)}, representation alone ${precisionAtTop(result.representation, 50).toFixed(2)}); cluster ${members.length} records, ${poisonedMembers} of ${poisonCount} poisoned`,
    )
    expect(poisonedMembers / Math.max(members.length, 1)).toBeGreaterThanOrEqual(0.75)
    expect(precision).toBeGreaterThanOrEqual(0.9)
  })
})
