import { describe, expect, it } from 'vitest'
import { applyAttack } from '../../src/attacks/registry.js'
import type { Dataset } from '../../src/data/dataset.js'
import { classifierFromNetwork } from '../../src/models/classifier.js'
import { fitModelInput } from '../../src/models/model-input.js'
import { scanTextForTriggers } from '../../src/models/text-trigger-scan.js'
import { fitBuiltinNetwork } from '../../src/models/train-network.js'
import { spamDataset } from '../fixtures/datasets.js'

/*
 * Candidate-token search on logistic regressions trained on SpamAssassin mails in the test: a 3% token backdoor
 * must be flagged with its token recovered; models trained on clean mails with other seeds must not be. The token
 * is planted ten times per mail: planted once, the model weighs it like an ordinary ham word (32 copies send 28% of
 * spam to ham) and there is no backdoor in its behaviour to find.
 */
const mails = spamDataset(2000)
const scanSet = spamDataset(400, 4000)

/** The model input fitted to the mails a model trains on. */
function textModelInput(dataset: Dataset) {
  const { input, x } = fitModelInput(dataset)
  if (input.kind !== 'text') throw new Error('spam mails are read as text')
  return { input, x }
}

async function scanModel(dataset: Dataset, seed: number, fitted = textModelInput(dataset)) {
  const { input, x } = fitted
  const network = fitBuiltinNetwork(x, dataset.labels!.codes, {
    kind: 'logreg',
    classCount: 2,
    seed,
    standardize: false,
  })
  return scanTextForTriggers({
    classifier: classifierFromNetwork(network, dataset.labels!.classes),
    texts: scanSet.texts!,
    labels: scanSet.labels!.codes,
    classNames: dataset.labels!.classes,
    input,
    training: { texts: dataset.texts!, labels: dataset.labels!.codes },
  })
}

describe('scan-triggers on text models', () => {
  it('flags a 3% token backdoor and recovers the token', async () => {
    const run = applyAttack(
      'backdoor-token',
      mails,
      { rate: 0.03, target: 'ham', token: 'zqxj', repeat: 10 },
      1,
    )
    const result = await scanModel(run.dataset, 1)
    console.info(
      `scan-triggers text: anomaly index ${result.anomalyIndex.toFixed(2)}, ${result.labels.map((l) => `${l.label} "${l.trigger}" ${l.size} (${l.attackSuccess.toFixed(2)})`).join('; ')}`,
    )
    expect(result).toMatchObject({ verdict: 'backdoored', targetLabel: 'ham' })
    expect(result.labels.find((label) => label.label === 'ham')!.trigger).toBe('zqxj')
  })

  it('flags none of five models trained on clean mails with different seeds', async () => {
    // The input depends on the mails only, so the five models share one.
    const fitted = textModelInput(mails)
    for (const seed of [11, 12, 13, 14, 15]) {
      const result = await scanModel(mails, seed, fitted)
      console.info(
        `scan-triggers text clean ${seed}: anomaly index ${result.anomalyIndex.toFixed(2)}, ${result.labels.map((l) => `${l.label} "${l.trigger}" ${l.size}`).join('; ')}`,
      )
      expect(result.verdict).toBe('clean')
    }
  })
})
