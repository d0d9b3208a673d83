import { describe, expect, it } from 'vitest'
import type { Dataset } from '../../src/data/dataset.js'
import { classifierFromNetwork } from '../../src/models/classifier.js'
import { triggersFromSuspects } from '../../src/models/mined-triggers.js'
import { loadOnnxClassifier } from '../../src/models/onnx-classifier.js'
import { encodeNetworkModel } from '../../src/models/onnx-export.js'
import { fitBuiltinNetwork } from '../../src/models/train-network.js'
import { scanForTriggers } from '../../src/models/trigger-scan.js'
import { scan } from '../../src/scan/index.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { plantPatchBackdoor } from '../fixtures/poison.js'

/*
 * Neural Cleanse on MLPs trained in the test: a 3% patch backdoor must be flagged with its target and a recovered
 * patch overlapping the planted one; models trained on clean digits with other seeds must not be.
 */
const clean = mnistDataset(3000)
const scanSet = mnistDataset(400, 8000)
const settings = { kind: 'mlp' as const, classCount: 10, hiddenUnits: 32, epochs: 6, standardize: false }

function trainModel(dataset: Dataset, seed: number) {
  return fitBuiltinNetwork(dataset.features!, dataset.labels!.codes, { ...settings, seed })
}

/** The 3% patch backdoor and the MLP trained on it (seed 1), shared by the three scans that look for it. */
let backdoored: { dataset: Dataset; network: ReturnType<typeof trainModel> } | undefined
function backdooredModel() {
  if (!backdoored) {
    const { dataset } = plantPatchBackdoor(clean, { rate: 0.03, target: '0' })
    backdoored = { dataset, network: trainModel(dataset, 1) }
  }
  return backdoored
}

function scanNetwork(network: ReturnType<typeof trainModel>) {
  return scanForTriggers({
    classifier: classifierFromNetwork(network, clean.labels!.classes),
    x: scanSet.features!,
    labels: scanSet.labels!.codes,
    classNames: clean.labels!.classes,
  })
}

function scanModel(dataset: Dataset, seed: number) {
  return scanNetwork(trainModel(dataset, seed))
}

/** The 3×3 bottom-right patch with a 1-pixel margin the backdoor-patch attack stamps by default. */
function plantedPatch(): Uint8Array {
  const cells = new Uint8Array(784)
  for (let y = 24; y < 27; y++) for (let x = 24; x < 27; x++) cells[y * 28 + x] = 1
  return cells
}

function intersectionOverUnion(mask: Float32Array, truth: Uint8Array): number {
  const peak = Math.max(...mask)
  let both = 0
  let either = 0
  mask.forEach((value, pixel) => {
    const recovered = value >= 0.5 * peak
    if (recovered && truth[pixel]) both++
    if (recovered || truth[pixel]) either++
  })
  return both / either
}

describe('scan-triggers on image models', () => {
  it('flags a 3% patch backdoor and recovers the patch', async () => {
    const result = await scanNetwork(backdooredModel().network)
    const target = result.labels.find((label) => label.label === '0')!
    const iou = intersectionOverUnion(target.mask, plantedPatch())
    console.info(
      `scan-triggers patch: anomaly index ${result.anomalyIndex.toFixed(2)}, IoU ${iou.toFixed(2)}, norms ${result.labels.map((l) => l.maskNorm.toFixed(1)).join(' ')}`,
    )
    expect(result).toMatchObject({ verdict: 'backdoored', targetLabel: '0', method: 'gradient' })
    expect(result.anomalyIndex).toBeGreaterThan(2)
    expect(iou).toBeGreaterThanOrEqual(0.5)
  })

  it('finds the patch by black-box search in the exported ONNX model', async () => {
    const bytes = encodeNetworkModel(backdooredModel().network, clean.labels!.classes)
    const loaded = await loadOnnxClassifier(bytes)
    const result = await scanForTriggers(
      {
        classifier: { ...loaded, network: undefined },
        x: scanSet.features!,
        labels: scanSet.labels!.codes,
        classNames: clean.labels!.classes,
        image: { width: 28, height: 28 },
      },
      { samplesPerLabel: 16, maxPatchSide: 4 },
    )
    await loaded.dispose()
    const iou = intersectionOverUnion(result.labels[0].mask, plantedPatch())
    console.info(
      `scan-triggers black-box: anomaly index ${result.anomalyIndex.toFixed(2)}, IoU ${iou.toFixed(2)}`,
    )
    expect(result).toMatchObject({ verdict: 'backdoored', targetLabel: '0', method: 'black-box' })
    expect(iou).toBeGreaterThanOrEqual(0.5)
  })

  it('tries the patch mined from the training data first in the black-box search', async () => {
    const { dataset, network } = backdooredModel()
    const report = await scan(dataset, { detectors: ['trigger-mining'] })
    const suspect = Uint8Array.from(report.records, (record) =>
      record.findings.some((finding) => finding.detector === 'trigger-mining') ? 1 : 0,
    )
    const mined = triggersFromSuspects(dataset.features!, dataset.labels!.codes, suspect)
    const loaded = await loadOnnxClassifier(encodeNetworkModel(network, clean.labels!.classes))
    const result = await scanForTriggers(
      {
        classifier: { ...loaded, network: undefined },
        x: scanSet.features!,
        labels: scanSet.labels!.codes,
        classNames: clean.labels!.classes,
        image: { width: 28, height: 28 },
        minedTriggers: mined,
      },
      { samplesPerLabel: 16, maxPatchSide: 4 },
    )
    await loaded.dispose()
    const zero = result.labels[0]
    const iou = intersectionOverUnion(zero.mask, plantedPatch())
    console.info(
      `scan-triggers mined: ${mined.length} trigger(s) mined, label 0 ${zero.source} (${zero.minedAttackSuccess}), anomaly index ${result.anomalyIndex.toFixed(2)}, IoU ${iou.toFixed(2)}`,
    )
    expect(result).toMatchObject({ verdict: 'backdoored', targetLabel: '0' })
    expect(zero.source).toBe('mined')
    expect(iou).toBe(1)
  })

  it('flags none of five models trained on clean digits with different seeds', async () => {
    const indices: number[] = []
    for (const seed of [11, 12, 13, 14, 15]) {
      const result = await scanModel(clean, seed)
      indices.push(result.anomalyIndex)
      expect(result.verdict).toBe('clean')
    }
    console.info(`scan-triggers clean: anomaly indices ${indices.map((i) => i.toFixed(2)).join(' ')}`)
  })
})
