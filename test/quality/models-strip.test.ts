import { describe, expect, it } from 'vitest'
import type { FeatureMatrix } from '../../src/data/matrix.js'
import { classifierFromNetwork, predictedClasses } from '../../src/models/classifier.js'
import { calibrateStrip } from '../../src/models/strip.js'
import { type BuiltinModelKind, fitBuiltinNetwork } from '../../src/models/train-network.js'
import { stampTrigger } from '../../src/models/trigger-scan.js'
import { mnistDataset } from '../fixtures/datasets.js'
import { plantPatchBackdoor } from '../fixtures/poison.js'

/*
 * STRIP at 1% false rejection of clean inputs on models with a 3% patch backdoor. STRIP can only reject what the
 * trigger controls even with another digit superimposed: on 3,000 digits (90 poisoned) the backdoor is weak enough
 * that a second digit often outvotes it, so the models train on 8,000 digits (240 poisoned), the built-in MLP with
 * its defaults (64 hidden units, 5 epochs).
 */
const train = mnistDataset(8000)
const calibration = mnistDataset(500, 8000)
const heldOut = mnistDataset(500, 8500)
const { dataset: poisoned } = plantPatchBackdoor(train, { rate: 0.03, target: '0' })
const zero = heldOut.labels!.classes.indexOf('0')

/** Held-out digits other than 0 with the planted 3×3 white patch one pixel from the bottom-right corner. */
function triggeredInputs(): FeatureMatrix {
  const mask = new Float32Array(784)
  for (let y = 24; y < 27; y++) for (let x = 24; x < 27; x++) mask[y * 28 + x] = 1
  const codes = heldOut.labels!.codes
  const rows = Int32Array.from(codes.keys()).filter((row) => codes[row] !== zero)
  return stampTrigger(heldOut.features!, rows, mask, new Float32Array(784).fill(1))
}

async function rejectionRates(kind: BuiltinModelKind) {
  const network = fitBuiltinNetwork(poisoned.features!, poisoned.labels!.codes, {
    kind,
    classCount: 10,
    seed: 1,
    standardize: false,
  })
  const classifier = classifierFromNetwork(network)
  const triggered = triggeredInputs()
  const sentToTarget = predictedClasses(await classifier.predict(triggered)).filter((code) => code === zero)
  const guard = await calibrateStrip(classifier, calibration.features!, { falseRejectionRate: 0.01 })
  const share = (flags: Uint8Array) => flags.reduce((sum, flag) => sum + flag, 0) / flags.length
  return {
    attackSuccess: sentToTarget.length / triggered.rows,
    triggered: share((await guard.score(triggered)).rejected),
    clean: share((await guard.score(heldOut.features!)).rejected),
  }
}

function report(kind: string, rates: Awaited<ReturnType<typeof rejectionRates>>) {
  console.info(
    `STRIP ${kind}: attack success ${rates.attackSuccess.toFixed(3)}, triggered rejected ${rates.triggered.toFixed(3)}, held-out clean rejected ${rates.clean.toFixed(3)}`,
  )
}

describe('STRIP runtime guard', () => {
  it('rejects at least 90% of patch-triggered inputs to the backdoored MLP at 1% false rejection', async () => {
    const rates = await rejectionRates('mlp')
    report('mlp', rates)
    expect(rates.attackSuccess).toBeGreaterThan(0.95)
    expect(rates.triggered).toBeGreaterThanOrEqual(0.9)
    expect(rates.clean).toBeLessThan(0.04)
  })

  it('rejects most triggered inputs to the backdoored logistic regression too', async () => {
    const rates = await rejectionRates('logreg')
    report('logreg', rates)
    expect(rates.triggered).toBeGreaterThan(0.7)
    expect(rates.clean).toBeLessThan(0.04)
  })
})
